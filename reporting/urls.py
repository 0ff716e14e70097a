"""Pages that read across the domain apps: the dashboard, the alliance programs' progress, the members list
(filtered by certification and program) and the member page."""

from django.urls import path

from reporting.views import dashboard, member_list, members, programs

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("members/", member_list.member_list, name="member_list"),
    path("members/export.<str:file_format>", member_list.member_export, name="member_export"),
    path("members/<int:pk>/", members.member_detail, name="member_detail"),
    path("programs/", programs.program_list, name="program_list"),
    path("programs/<int:pk>/", programs.program_detail, name="program_detail"),
    path("programs/<int:pk>/enrol/", programs.program_enrol, name="program_enrol"),
    path("programs/<int:pk>/enrol-matching/", programs.program_enrol_matching, name="program_enrol_matching"),
    path("programs/<int:pk>/projects/new/", programs.community_project_create, name="community_project_create"),
]
