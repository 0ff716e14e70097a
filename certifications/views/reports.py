"""The Internal Control System's report pages: the ICS home (coverage summary and the ICS pages), the
internal inspection coverage by standard and region, and the audit pack (XLSX).

ICS readers (managers, ICS coordinators, technicians) read them, for the regions their ICS roles cover
(a farm's region is its member's); credit officers and users without a staff role get 403.
"""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from certifications.exports import audit_pack_response
from certifications.selectors.reports import ics_coverage
from cooperative.access import ICS_READERS, role_required
from cooperative.selectors import regions_in_scope


@role_required(ICS_READERS)
@require_GET
def ics_home(request: HttpRequest) -> HttpResponse:
    coverage = ics_coverage(regions=regions_in_scope(request.user, ICS_READERS), as_of=timezone.localdate())
    return render(request, "certifications/reports/home.html", {"coverage": coverage})


@role_required(ICS_READERS)
@require_GET
def coverage(request: HttpRequest) -> HttpResponse:
    coverage = ics_coverage(regions=regions_in_scope(request.user, ICS_READERS), as_of=timezone.localdate())
    return render(request, "certifications/reports/coverage.html", {"coverage": coverage})


@role_required(ICS_READERS)
@require_GET
def audit_pack(request: HttpRequest) -> FileResponse:
    return audit_pack_response(regions=regions_in_scope(request.user, ICS_READERS), as_of=timezone.localdate())
