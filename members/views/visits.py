"""Staff pages for the technicians' farm visits: the visits list and its XLSX export (managers), a farm's page
with its visit timeline, and the visit photos (every staff role, within their regions).

Visits are recorded from the field app (members.services.visit_record); these pages only read them. Every
object is fetched within the user's regions (404 outside them). Photos are served only through visit_photo,
which checks that scope, never from a public media URL.
"""

from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from cooperative.access import MEMBER_READERS, Role, role_required
from cooperative.selectors import regions_in_scope
from members.exports import visits_xlsx_response
from members.filters import VisitFilter
from members.selectors import (
    farm_visit_timeline,
    farms_in_scope,
    visit_photos_in_scope,
    visits_for_export,
    visits_for_list,
)

VISITS_PER_PAGE = 50
TIMELINE_PER_PAGE = 20
# The cooperative-wide view of the technicians' work is the manager's; other roles read a farm's visits on
# the farm page.
VISIT_LIST_ROLES = frozenset({Role.MANAGER})


@role_required(VISIT_LIST_ROLES)
@require_GET
def visit_list(request: HttpRequest) -> HttpResponse:
    filterset = VisitFilter(request.GET, regions=regions_in_scope(request.user, VISIT_LIST_ROLES))
    filterset.is_valid()  # validates, so the form shows its errors
    visits = visits_for_list(user=request.user, roles=VISIT_LIST_ROLES, filters=request.GET)
    page = Paginator(visits, VISITS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "members/visit_list.html", {"filterset": filterset, "page_obj": page})


@role_required(VISIT_LIST_ROLES)
@require_GET
def visit_export(request: HttpRequest) -> HttpResponse:
    return visits_xlsx_response(visits_for_export(user=request.user, roles=VISIT_LIST_ROLES, filters=request.GET))


@role_required(MEMBER_READERS)
@require_GET
def farm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    farm = get_object_or_404(farms_in_scope(request.user, MEMBER_READERS).select_related("region"), pk=pk)
    page = Paginator(farm_visit_timeline(farm=farm), TIMELINE_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "members/farm_detail.html", {"farm": farm, "page_obj": page})


@role_required(MEMBER_READERS)
@require_GET
def visit_photo(request: HttpRequest, pk: int) -> FileResponse:
    photo = get_object_or_404(visit_photos_in_scope(request.user, MEMBER_READERS), pk=pk)
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    # Photos of members' farms are personal data: browsers may keep them, shared caches must not.
    response["Cache-Control"] = "private, max-age=86400"
    return response
