"""Routes of the ICS pages (inspections): checklists, inspections, non-conformities, conflicts of interest."""

from django.urls import path

from certifications.views import checklists, inspections

urlpatterns = [
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
]
