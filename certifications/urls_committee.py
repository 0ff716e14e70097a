"""Routes of the ICS pages (committee): the approval committee, sanctions, C.A.F.E. Practices
verifications and the group certificates. Included under /certifications/."""

from django.urls import path

from certifications.views import certificates, committee

urlpatterns = [
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
