"""The dashboard: the cooperative's figures for the regions the user covers, as tables and charts."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from certifications.selectors.reports import group_certificates_expiring, ics_coverage
from cooperative.access import ALL_ROLES, ICS_READERS, has_role, role_required
from cooperative.selectors import programs_in_scope, regions_in_scope
from members.eudr.readiness import eudr_readiness, readiness_farms
from reporting.selectors import DashboardFigures, dashboard_figures


@role_required(ALL_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The figures of the user's regions (with EUDR geolocation readiness, and the visits of the last 30 days);
    the group certificates running out (cooperative-wide, for every staff role); for ICS readers, the internal
    inspection coverage of the regions their ICS roles cover. Computed on every request: dashboard_figures
    (its docstring names each query), the group certificates (1), the coverage (1) and the EUDR readiness
    (2), the regions as subqueries of each."""
    today = timezone.localdate()
    regions = regions_in_scope(request.user)
    ics_regions = regions_in_scope(request.user, ICS_READERS) if has_role(request.user, ICS_READERS) else None
    figures = dashboard_figures(regions=regions, as_of=today)
    context = {
        "figures": figures,
        "group_certificates": group_certificates_expiring(as_of=today),
        "ics_reader": ics_regions is not None,
        "coverage": None if ics_regions is None else ics_coverage(regions=ics_regions, as_of=today),
        "eudr_readiness": eudr_readiness(
            farms_queryset=readiness_farms(regions=regions), programs=programs_in_scope(regions)
        ),
        "charts": chart_data(figures),
    }
    return render(request, "reporting/dashboard.html", context)


def chart_data(figures: DashboardFigures) -> dict[str, dict]:
    """What static/js/dashboard.js draws, embedded in the page with json_script.

    The same numbers are in the page's tables: the charts only restate them. Decimals travel as strings.
    """
    table = figures.certification_table
    return {
        "members_by_region": {
            "labels": [row.region for row in figures.members_by_region],
            "datasets": [{"label": _("Active members"), "data": [row.members for row in figures.members_by_region]}],
        },
        "hectares_by_crop": {
            "labels": [row.label for row in figures.crops],
            "datasets": [{"label": _("Hectares"), "data": [row.hectares for row in figures.crops]}],
        },
        "farms_by_standard": {
            "labels": [row.standard_name for row in table],
            "stacked": True,
            "datasets": [
                {"label": label, "data": [row.farms_by_status[index] for row in table]}
                for index, (_status, label) in enumerate(figures.certification_statuses)
            ],
        },
    }
