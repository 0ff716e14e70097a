from django.http import HttpResponse

from cooperative.access import MEMBER_WRITERS, role_required


@role_required(MEMBER_WRITERS)
def member_import(request):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def member_import_confirm(request):
    return HttpResponse("")


@role_required(MEMBER_WRITERS)
def member_import_template(request, file_format: str):
    return HttpResponse("")
