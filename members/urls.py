from django.urls import path

from members.views import imports, members, visits

urlpatterns = [
    path("members/new/", members.member_create, name="member_create"),
    path("members/<int:pk>/edit/", members.member_edit, name="member_edit"),
    path("members/<int:pk>/withdraw/", members.member_withdraw, name="member_withdraw"),
    path("members/<int:member_pk>/farms/new/", members.farm_create, name="farm_create"),
    path("farms/<int:pk>/", visits.farm_detail, name="farm_detail"),
    path("farms/<int:pk>/edit/", members.farm_edit, name="farm_edit"),
    path("visits/", visits.visit_list, name="visit_list"),
    path("visits/export.xlsx", visits.visit_export, name="visit_export"),
    path("visits/photos/<int:pk>/", visits.visit_photo, name="visit_photo"),
    path("members/import/", imports.member_import, name="member_import"),
    path("members/import/confirm/", imports.member_import_confirm, name="member_import_confirm"),
    path("members/import/template.<str:file_format>", imports.member_import_template, name="member_import_template"),
]
