from django.http import HttpResponse

from cooperative.access import MEMBER_WRITERS, role_required


@role_required(MEMBER_WRITERS)
def program_list(request):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def program_detail(request, pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def program_enrol(request, pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def program_enrol_matching(request, pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def community_project_create(request, pk: int):
    return HttpResponse("")
