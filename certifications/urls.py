"""Routes of the Internal Control System's pages, included under /certifications/: the ICS home and reports,
checklists, inspections, non-conformities, conflicts of interest, the approval committee, sanctions,
C.A.F.E. Practices verifications and the group certificates."""

from django.urls import path

from certifications.views import certificates, checklists, committee, inspections, reports

urlpatterns = [
    # Reports: the ICS home, the inspection coverage and the audit pack.
    path("", reports.ics_home, name="ics_home"),
    path("coverage/", reports.coverage, name="ics_coverage"),
    path("audit-pack.xlsx", reports.audit_pack, name="ics_audit_pack"),
    # Inspections: checklists, inspections, non-conformities, conflicts of interest.
    path("checklists/", checklists.checklist_list, name="checklist_list"),
    path("checklists/<int:pk>/", checklists.checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/requirements/new/", checklists.requirement_create, name="requirement_create"),
    path("checklists/<int:pk>/new-version/", checklists.checklist_new_version, name="checklist_new_version"),
    path("requirements/<int:pk>/edit/", checklists.requirement_edit, name="requirement_edit"),
    path("inspections/", inspections.inspection_list, name="inspection_list"),
    path("inspections/new/", inspections.inspection_create, name="inspection_create"),
    path("inspections/<int:pk>/", inspections.inspection_detail, name="inspection_detail"),
    path("non-conformities/", inspections.nonconformity_list, name="nonconformity_list"),
    path("non-conformities/<int:pk>/close/", inspections.nonconformity_close, name="nonconformity_close"),
    path("conflicts/", inspections.conflict_list, name="conflict_list"),
    path("conflicts/new/", inspections.conflict_create, name="conflict_create"),
    # The committee: decisions, sanctions, C.A.F.E. Practices verifications, group certificates.
    path("committee/", committee.committee, name="committee"),
    path("<int:pk>/", committee.certification_detail, name="certification_detail"),
    path("<int:pk>/decide/", committee.certification_decide, name="certification_decide"),
    path("<int:pk>/sanction/", committee.sanction_create, name="sanction_create"),
    path("<int:pk>/cafe/", committee.cafe_verification_create, name="cafe_verification_create"),
    path("sanctions/", committee.sanction_list, name="sanction_list"),
    path("sanctions/<int:pk>/lift/", committee.sanction_lift, name="sanction_lift"),
    path("certificates/", certificates.group_certificate_list, name="group_certificate_list"),
    path("certificates/new/", certificates.group_certificate_create, name="group_certificate_create"),
    path("certificates/<int:pk>/edit/", certificates.group_certificate_edit, name="group_certificate_edit"),
]
