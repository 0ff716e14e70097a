"""The dashboard: the cooperative's figures for the regions the user covers, as tables and charts."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from cooperative.access import ALL_ROLES, role_required
from cooperative.selectors import DashboardFigures, dashboard_figures, regions_in_scope


@role_required(ALL_ROLES)
def dashboard(request: HttpRequest) -> HttpResponse:
    figures = dashboard_figures(regions=regions_in_scope(request.user), as_of=timezone.localdate())
    return render(request, "cooperative/dashboard.html", {"figures": figures, "charts": chart_data(figures)})


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
