"""The production report: delivered against estimated production per member and crop, totals per region and
crop, for a period (the last 12 months unless chosen), as a page and as XLSX. Managers and credit officers,
within their credit regions."""

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cooperative.access import CREDIT_ROLES, role_required
from deliveries import selectors
from deliveries.exports import production_xlsx_response
from deliveries.filters import PeriodForm


def _report(request: HttpRequest) -> tuple[PeriodForm, selectors.ProductionReport]:
    form = PeriodForm(request.GET, regions=selectors.credit_regions(request.user))
    date_from, date_to = form.period()  # validates the form; invalid values are left out
    report = selectors.production_report(
        user=request.user,
        date_from=date_from,
        date_to=date_to,
        region=form.cleaned_data.get("region"),
        crop=form.cleaned_data.get("crop") or None,
    )
    return form, report


@role_required(CREDIT_ROLES)
@require_GET
def production_report(request: HttpRequest) -> HttpResponse:
    form, report = _report(request)
    return render(request, "deliveries/production_report.html", {"form": form, "report": report})


@role_required(CREDIT_ROLES)
@require_GET
def production_report_export(request: HttpRequest) -> FileResponse:
    _form, report = _report(request)
    return production_xlsx_response(report)
