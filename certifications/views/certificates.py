"""The cooperative's group certificates: the list with the days each has left, and the forms to record
and correct one. Cooperative-wide (no region): ICS readers read, ICS managers record and correct, through
certifications.services.group_certificates.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from certifications.forms.committee import GroupCertificateForm
from certifications.selectors.committee import (
    EXPIRY_WARNING_DAYS,
    group_certificates_for_list,
    group_certificates_with_standard,
)
from certifications.services import group_certificates as services
from cooperative.access import ICS_MANAGERS, ICS_READERS, has_role, role_required
from cooperative.forms import add_service_errors


@role_required(ICS_READERS)
@require_GET
def group_certificate_list(request: HttpRequest) -> HttpResponse:
    context = {
        "rows": group_certificates_for_list(),
        "warning_days": EXPIRY_WARNING_DAYS,
        "can_edit": has_role(request.user, ICS_MANAGERS),
    }
    return render(request, "certifications/committee/certificate_list.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def group_certificate_create(request: HttpRequest) -> HttpResponse:
    form = GroupCertificateForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            certificate = services.group_certificate_create(recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Certificate %(certificate)s recorded.") % {"certificate": certificate})
            return redirect("group_certificate_list")
    return render(request, "certifications/committee/certificate_form.html", {"form": form})


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def group_certificate_edit(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(group_certificates_with_standard(), pk=pk)
    if request.method == "POST":
        form = GroupCertificateForm(request.POST)
    else:
        form = GroupCertificateForm(initial=GroupCertificateForm.initial_for(certificate))
    if form.is_valid():
        try:
            certificate = services.group_certificate_update(
                certificate=certificate, recorded_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Certificate %(certificate)s updated.") % {"certificate": certificate})
            return redirect("group_certificate_list")
    return render(request, "certifications/committee/certificate_form.html", {"form": form, "certificate": certificate})
