"""Staff pages for the internal inspection checklists: list, detail, add and edit a requirement, new version.

Every ICS role reads them (checklists belong to no region); ICS managers (manager, ICS coordinator) change
them, through certifications.services.checklists. A checklist answered by an inspection is frozen: it changes only
by a new version.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from certifications.forms.checklists import ChecklistVersionForm, RequirementForm, next_version
from certifications.models import Checklist
from certifications.selectors.checklists import (
    checklist_is_used,
    checklist_with_requirements,
    checklists_for_list,
    checklists_with_standard,
    requirements_with_checklist,
)
from certifications.services import checklists as services
from cooperative.access import ICS_MANAGERS, ICS_READERS, has_role, role_required
from cooperative.forms import add_service_errors


@role_required(ICS_READERS)
@require_GET
def checklist_list(request: HttpRequest) -> HttpResponse:
    context = {"checklists": checklists_for_list(), "can_edit": has_role(request.user, ICS_MANAGERS)}
    return render(request, "certifications/inspections/checklist_list.html", context)


@role_required(ICS_READERS)
@require_GET
def checklist_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        checklist = checklist_with_requirements(pk=pk)
    except Checklist.DoesNotExist:
        raise Http404 from None
    can_edit = has_role(request.user, ICS_MANAGERS)
    context = {
        "checklist": checklist,
        "can_edit": can_edit,
        # Requirements change only on a checklist no inspection has answered; a new version is for one in use.
        "can_edit_requirements": can_edit and not checklist.used,
        "can_create_version": can_edit and checklist.active and checklist.standard.accepts_new_certifications,
    }
    return render(request, "certifications/inspections/checklist_detail.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def requirement_create(request: HttpRequest, pk: int) -> HttpResponse:
    checklist = get_object_or_404(checklists_with_standard(), pk=pk)
    used = checklist_is_used(checklist)
    form = RequirementForm(request.POST if request.method == "POST" else None)
    if not used and form.is_valid():
        try:
            requirement = services.requirement_create(checklist=checklist, changed_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Requirement %(code)s added.") % {"code": requirement.code})
            return redirect("checklist_detail", pk=checklist.pk)
    context = {"form": form, "checklist": checklist, "used": used}
    return render(request, "certifications/inspections/requirement_form.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def requirement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    requirement = get_object_or_404(requirements_with_checklist(), pk=pk)
    checklist = requirement.checklist
    used = checklist_is_used(checklist)
    form = RequirementForm(request.POST if request.method == "POST" else None, instance=requirement)
    if not used and form.is_valid():
        try:
            requirement = services.requirement_update(
                requirement=requirement, changed_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Requirement %(code)s updated.") % {"code": requirement.code})
            return redirect("checklist_detail", pk=checklist.pk)
    context = {"form": form, "checklist": checklist, "requirement": requirement, "used": used}
    return render(request, "certifications/inspections/requirement_form.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def checklist_new_version(request: HttpRequest, pk: int) -> HttpResponse:
    checklist = get_object_or_404(checklists_with_standard(), pk=pk)
    if not checklist.active:
        messages.error(request, _("Only the checklist in use can be the base of a new version."))
        return redirect("checklist_detail", pk=checklist.pk)
    initial = {"version": next_version(checklist.version), "title": checklist.title}
    form = ChecklistVersionForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        try:
            new = services.checklist_create(
                standard=checklist.standard,
                version=form.cleaned_data["version"],
                title=form.cleaned_data["title"],
                created_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Version %(version)s of the %(standard)s checklist is now in use.")
                % {"version": new.version, "standard": new.standard.name},
            )
            return redirect("checklist_detail", pk=new.pk)
    context = {"form": form, "checklist": checklist, "requirement_count": checklist.requirements.count()}
    return render(request, "certifications/inspections/checklist_new_version.html", context)
