"""The credit portfolio report (managers and credit officers): loans, outstanding balances and portfolio at
risk (PAR1, PAR30, PAR90) on any date, by region, program or product, for the regions the user's credit roles
cover. Read-only: a GET form, no writes."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cooperative.access import CREDIT_ROLES, role_required
from cooperative.selectors import regions_in_scope
from credit import selectors
from credit.forms import GROUP_BY_CHOICES, PortfolioForm


@role_required(CREDIT_ROLES)
@require_GET
def credit_portfolio(request: HttpRequest) -> HttpResponse:
    """The report for the date and grouping asked for; a bad date or grouping shows the form's errors and no
    table. Queries: the scope check, then those of selectors.portfolio_report (2 or 3)."""
    form = PortfolioForm.from_query(request.GET, timezone.localdate())
    report = group_label = None
    if form.is_valid():
        group_by = form.cleaned_data["group_by"]
        report = selectors.portfolio_report(
            as_of=form.cleaned_data["as_of"], regions=regions_in_scope(request.user, CREDIT_ROLES), group_by=group_by
        )
        group_label = dict(GROUP_BY_CHOICES)[group_by]
    context = {"form": form, "report": report, "group_label": group_label, "par_days": selectors.PAR_DAYS}
    return render(request, "credit/portfolio/report.html", context)
