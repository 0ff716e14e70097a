"""Pages that read across the domain apps: the dashboard, the alliance programs' progress and the member
page."""

from django.urls import path

from reporting.views import dashboard, members, programs

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("members/<int:pk>/", members.member_detail, name="member_detail"),
    path("programs/", programs.program_list, name="program_list"),
    path("programs/<int:pk>/", programs.program_detail, name="program_detail"),
    path("programs/<int:pk>/enrol/", programs.program_enrol, name="program_enrol"),
    path("programs/<int:pk>/enrol-matching/", programs.program_enrol_matching, name="program_enrol_matching"),
    path("programs/<int:pk>/projects/new/", programs.community_project_create, name="community_project_create"),
]
