from django.http import HttpResponse

from cooperative.access import MEMBER_READERS, MEMBER_WRITERS, role_required


@role_required(MEMBER_READERS)
def member_list(request):
    return HttpResponse("")


@role_required(MEMBER_READERS)
def member_export(request, file_format: str):
    return HttpResponse("")


@role_required(MEMBER_READERS)
def member_detail(request, pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def member_create(request):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def member_edit(request, pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def member_withdraw(request, pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def farm_create(request, member_pk: int):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def farm_edit(request, pk: int):
    return HttpResponse("")
