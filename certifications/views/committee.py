"""The approval committee's pages: open certifications with their inspection facts, a certification's
dossier and the committee's decisions on it (status, sanctions, C.A.F.E. Practices verifications).

ICS readers (managers, ICS coordinators, technicians) read; ICS managers (managers, ICS coordinators)
decide, through certifications.services (certifications, sanctions, cafe). Every certification is fetched
within the user's regions (its farm's member's region): outside them, 404; a form the role may not use,
403.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from certifications.forms.committee import (
    CafeVerificationForm,
    CommitteeFilter,
    DecideForm,
    SanctionFilter,
    SanctionForm,
    SanctionLiftForm,
)
from certifications.models import (
    ALLOWED_TRANSITIONS,
    Certification,
    CertificationStatus,
    Inspection,
    Sanction,
    StandardCode,
)
from certifications.selectors.committee import (
    can_decide,
    certification_dossier,
    certification_for_detail,
    certifications_in_scope,
    certifications_to_decide,
    committee_certifications,
    sanctions_for_list,
    sanctions_to_lift,
)
from certifications.services import cafe as cafe_services
from certifications.services import certifications as certification_services
from certifications.services import sanctions as sanction_services
from cooperative.access import ICS_MANAGERS, ICS_READERS, role_required
from cooperative.forms import add_service_errors
from cooperative.selectors import regions_in_scope

ROWS_PER_PAGE = 50
RECOMMENDATIONS = dict(Inspection.Recommendation.choices)


def _certification_to_decide_or_404(request: HttpRequest, pk: int) -> Certification:
    return get_object_or_404(certifications_to_decide(request.user), pk=pk)


def _allowed_targets(certification: Certification) -> str:
    return ", ".join(
        f"“{label}”"
        for value, label in CertificationStatus.choices
        if value in ALLOWED_TRANSITIONS[certification.status]
    )


@role_required(ICS_READERS)
@require_GET
def committee(request: HttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, ICS_READERS)
    filterset = CommitteeFilter(request.GET, queryset=committee_certifications(regions=regions), regions=regions)
    page = Paginator(filterset.qs, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for certification in page:
        certification.recommendation_label = RECOMMENDATIONS.get(certification.latest_recommendation, "")
    return render(request, "certifications/committee/committee.html", {"filterset": filterset, "page_obj": page})


@role_required(ICS_READERS)
@require_GET
def certification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    certification = get_object_or_404(
        certification_for_detail(certifications_in_scope(request.user, ICS_READERS)), pk=pk
    )
    certification.recommendation_label = RECOMMENDATIONS.get(certification.latest_recommendation, "")
    may_decide = can_decide(user=request.user, certification=certification)
    dossier = certification_dossier(certification=certification)
    today = timezone.localdate()
    for sanction in dossier.sanctions:
        sanction.can_lift = sanction.kind != Sanction.Kind.EXCLUSION and (
            sanction.ends_on is None or sanction.ends_on > today
        )
    context = {
        "dossier": dossier,
        "certification": certification,
        "can_decide": may_decide,
        "is_open": bool(ALLOWED_TRANSITIONS[certification.status]),
        "is_cafe": certification.standard.code == StandardCode.CAFE_PRACTICES,
    }
    return render(request, "certifications/committee/certification_detail.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def certification_decide(request: HttpRequest, pk: int) -> HttpResponse:
    certification = _certification_to_decide_or_404(request, pk)
    form = DecideForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            certification = certification_services.certification_change_status(
                certification=certification, decided_by=request.user, **form.service_values()
            )
        except ValidationError as error:
            # A refused transition concerns the status chosen: shown under it.
            add_service_errors(form, error if hasattr(error, "error_dict") else ValidationError({"to_status": error}))
        else:
            messages.success(
                request,
                _("The certification is now “%(status)s”.") % {"status": certification.get_status_display()},
            )
            return redirect("certification_detail", pk=certification.pk)
    context = {"form": form, "certification": certification, "allowed": _allowed_targets(certification)}
    return render(request, "certifications/committee/decide.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def sanction_create(request: HttpRequest, pk: int) -> HttpResponse:
    certification = _certification_to_decide_or_404(request, pk)
    form = SanctionForm(request.POST if request.method == "POST" else None, certification=certification)
    if form.is_valid():
        try:
            sanction = sanction_services.sanction_impose(
                certification=certification, decided_by=request.user, **form.service_values()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("%(kind)s recorded for %(certification)s.")
                % {"kind": sanction.get_kind_display(), "certification": sanction.certification.farm},
            )
            return redirect("certification_detail", pk=certification.pk)
    return render(
        request, "certifications/committee/sanction_form.html", {"form": form, "certification": certification}
    )


@role_required(ICS_READERS)
@require_GET
def sanction_list(request: HttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, ICS_READERS)
    filterset = SanctionFilter(request.GET, queryset=sanctions_for_list(regions=regions), regions=regions)
    page = Paginator(filterset.qs, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "certifications/committee/sanction_list.html", {"filterset": filterset, "page_obj": page})


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def sanction_lift(request: HttpRequest, pk: int) -> HttpResponse:
    sanction: Sanction = get_object_or_404(sanctions_to_lift(request.user), pk=pk)
    form = SanctionLiftForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            sanction_services.sanction_lift(sanction=sanction, decided_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("%(kind)s lifted.") % {"kind": sanction.get_kind_display()})
            return redirect("certification_detail", pk=sanction.certification_id)
    return render(request, "certifications/committee/sanction_lift.html", {"form": form, "sanction": sanction})


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def cafe_verification_create(request: HttpRequest, pk: int) -> HttpResponse:
    certification = _certification_to_decide_or_404(request, pk)
    form = CafeVerificationForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            verification = cafe_services.cafe_verification_record(
                certification=certification, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Verification recorded: %(tier)s.") % {"tier": verification.get_tier_display()},
            )
            return redirect("certification_detail", pk=certification.pk)
    context = {
        "form": form,
        "certification": certification,
        "is_cafe": certification.standard.code == StandardCode.CAFE_PRACTICES,
    }
    return render(request, "certifications/committee/cafe_form.html", context)
