"""Staff pages for members and their farms: list and exports, detail, register, edit, withdraw, farms.

Every object is fetched within the user's regions (404 outside them); writes need the manager role (403
otherwise) and a region the manager covers, and go through members.services.
"""

from typing import NamedTuple

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cooperative.access import MEMBER_READERS, MEMBER_WRITERS, has_role, role_required
from cooperative.selectors import regions_in_scope
from members import services
from members.exports import csv_response, xlsx_response
from members.filters import MemberFilter
from members.forms import FarmForm, MemberForm, WithdrawForm, add_service_errors
from members.models import Member
from members.selectors import farms_in_scope, member_page, members_for_list, members_in_scope

MEMBERS_PER_PAGE = 50
EXPORTS = {"csv": csv_response, "xlsx": xlsx_response}


class Column(NamedTuple):
    label: str
    sort: str | None = None  # the `sort` parameter of a sortable column
    numeric: bool = False


LIST_COLUMNS = [
    Column(gettext_lazy("Code"), "code"),
    Column(gettext_lazy("Names"), "last_names"),
    Column(gettext_lazy("DNI")),
    Column(gettext_lazy("Region"), "region"),
    Column(gettext_lazy("Community"), "community"),
    Column(gettext_lazy("Crops")),
    Column(gettext_lazy("Farms"), numeric=True),
    Column(gettext_lazy("Hectares"), "hectares", numeric=True),
    Column(gettext_lazy("Status"), "status"),
]
DEFAULT_SORT = "code"


def _column_headers(current: list[str] | None) -> list[dict]:
    """Each header of the members table: a sortable one links to its ascending order, or to the descending
    one when the list is already sorted ascending by it; `aria_sort` marks the column sorted by."""
    current_param = current[0] if current else DEFAULT_SORT
    headers = []
    for column in LIST_COLUMNS:
        direction = None
        if column.sort and current_param.lstrip("-") == column.sort:
            direction = "descending" if current_param.startswith("-") else "ascending"
        headers.append(
            {
                "label": column.label,
                "sort": column.sort,
                "next_sort": f"-{column.sort}" if direction == "ascending" else column.sort,
                "aria_sort": direction,
                "numeric": column.numeric,
            }
        )
    return headers


@role_required(MEMBER_READERS)
@require_GET
def member_list(request: HttpRequest) -> HttpResponse:
    filterset = MemberFilter(request.GET, regions=regions_in_scope(request.user))
    page = member_page(
        user=request.user, filters=request.GET, number=request.GET.get("page"), per_page=MEMBERS_PER_PAGE
    )
    filterset.is_valid()  # validates, so the form shows its errors and the sort order applied
    context = {
        "filterset": filterset,
        "page_obj": page,
        "columns": _column_headers(filterset.form.cleaned_data.get("sort")),
        "can_write": has_role(request.user, MEMBER_WRITERS),
    }
    return render(request, "members/member_list.html", context)


@role_required(MEMBER_READERS)
@require_GET
def member_export(request: HttpRequest, file_format: str) -> HttpResponse:
    export = EXPORTS.get(file_format)
    if export is None:
        raise Http404
    return export(members_for_list(user=request.user, filters=request.GET))


def _member_or_404(request: HttpRequest, pk: int, *, for_writing: bool = False) -> Member:
    roles = MEMBER_WRITERS if for_writing else None
    return get_object_or_404(members_in_scope(request.user, roles).select_related("region"), pk=pk)


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = MemberForm(data, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            member = services.member_create(**form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Member %(member)s registered.") % {"member": member})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_or_404(request, pk, for_writing=True)
    data = request.POST if request.method == "POST" else None
    form = MemberForm(data, instance=member, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            member = services.member_update(member=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Member %(member)s updated.") % {"member": member})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_or_404(request, pk, for_writing=True)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.member_withdraw(
                member=member,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                decided_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error, renamed=WithdrawForm.SERVICE_FIELDS)
        else:
            messages.success(request, _("Member %(member)s withdrawn.") % {"member": member})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/member_withdraw.html", {"form": form, "member": member})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def farm_create(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _member_or_404(request, member_pk, for_writing=True)
    data = request.POST if request.method == "POST" else None
    form = FarmForm(data, initial={"region": member.region}, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            farm = services.farm_create(member=member, **form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Farm %(farm)s registered.") % {"farm": farm.name})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/farm_form.html", {"form": form, "member": member})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def farm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    farm = get_object_or_404(farms_in_scope(request.user, MEMBER_WRITERS), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = FarmForm(data, instance=farm, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            farm = services.farm_update(farm=farm, **form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Farm %(farm)s updated.") % {"farm": farm.name})
            return redirect("member_detail", pk=farm.member_id)
    return render(request, "members/farm_form.html", {"form": form, "member": farm.member, "farm": farm})
