"""The members list and its CSV and Excel exports (reporting.member_list). The list filters by certification
and program too, so it lives above the domain apps; registering, editing and withdrawing members stay on
members' pages (members.views.members).
"""

from typing import NamedTuple

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cooperative.access import MEMBER_READERS, MEMBER_WRITERS, has_role, role_required
from cooperative.selectors import regions_in_scope
from members.exports import csv_response, xlsx_response
from reporting.member_list import MemberFilter, member_page, members_for_list

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
        user=request.user, filters=request.GET, cursor=request.GET.get("cursor"), per_page=MEMBERS_PER_PAGE
    )
    filterset.is_valid()  # validates, so the form shows its errors and the sort order applied
    context = {
        "filterset": filterset,
        "page_obj": page,
        "columns": _column_headers(filterset.form.cleaned_data.get("sort")),
        "can_write": has_role(request.user, MEMBER_WRITERS),
    }
    return render(request, "reporting/member_list.html", context)


@role_required(MEMBER_READERS)
@require_GET
def member_export(request: HttpRequest, file_format: str) -> HttpResponse:
    export = EXPORTS.get(file_format)
    if export is None:
        raise Http404
    return export(members_for_list(user=request.user, filters=request.GET))
