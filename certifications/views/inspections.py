"""Staff pages for internal inspections, their non-conformities and the inspectors' conflicts of interest.

Every ICS role reads them (ICS_READERS); inspectors (ICS_INSPECTORS: also technicians) record inspections; ICS
managers (manager, ICS coordinator) close non-conformities and declare conflicts. Everything is limited to the
farms whose member's region the user's roles cover: an object outside them answers 404. Writes go through
certifications.services (inspections, non_conformities, conflicts).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from certifications.forms.inspections import (
    ConflictForm,
    FarmSearchForm,
    InspectionFilterForm,
    InspectionForm,
    NonConformityCloseForm,
    NonConformityFilterForm,
)
from certifications.selectors.inspections import (
    NonConformityState,
    active_requirements,
    answers_by_standard,
    conflicts_for_list,
    farms_for_inspection,
    farms_to_inspect,
    inspectable_standards,
    inspections_for_detail,
    inspections_for_list,
    inspectors_for_recording,
    non_conformities_for_list,
    non_conformities_to_close,
)
from certifications.services.conflicts import conflict_declare
from certifications.services.inspections import inspection_record
from certifications.services.non_conformities import non_conformity_close
from cooperative.access import ICS_INSPECTORS, ICS_MANAGERS, ICS_READERS, has_role, role_required
from cooperative.forms import add_service_errors
from cooperative.selectors import regions_in_scope
from members.selectors import members_in_scope

INSPECTIONS_PER_PAGE = 50
NON_CONFORMITIES_PER_PAGE = 50
CONFLICTS_PER_PAGE = 50


# -- inspections ----------------------------------------------------------------------------------------------


@role_required(ICS_READERS)
@require_GET
def inspection_list(request: HttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, ICS_READERS)
    form = InspectionFilterForm(request.GET, regions=regions)
    inspections = inspections_for_list(user=request.user, regions=regions, **form.filters())
    page = Paginator(inspections, INSPECTIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"form": form, "page_obj": page, "can_record": has_role(request.user, ICS_INSPECTORS)}
    return render(request, "certifications/inspections/inspection_list.html", context)


@role_required(ICS_INSPECTORS)
@require_http_methods(["GET", "POST"])
def inspection_create(request: HttpRequest) -> HttpResponse:
    """Three steps on one address: find the farm (no `farm`), choose the standards among the farm's open
    certifications (`farm`, no valid `standards`), then the checklist questions of those standards."""
    farm_id = request.GET.get("farm", "")
    if not farm_id:
        search = FarmSearchForm(request.GET)
        query = search.cleaned_data["q"].strip() if search.is_valid() else ""
        farms = farms_to_inspect(user=request.user, search=query) if query else None
        context = {"search": search, "farms": farms, "query": query}
        return render(request, "certifications/inspections/inspection_find_farm.html", context)
    if not farm_id.isdigit():
        raise Http404
    farm = get_object_or_404(farms_for_inspection(request.user), pk=farm_id)

    options = inspectable_standards(farm=farm)
    codes = set(request.GET.getlist("standards"))
    chosen = [option for option in options if option.inspectable and option.standard.code in codes]
    if not chosen or len(chosen) != len(codes):
        context = {"farm": farm, "options": options, "codes": codes, "invalid": bool(codes)}
        return render(request, "certifications/inspections/inspection_choose_standards.html", context)

    standards = [option.standard for option in chosen]
    form = InspectionForm(
        request.POST if request.method == "POST" else None,
        requirements=active_requirements(standards=standards),
        inspectors=inspectors_for_recording(user=request.user, farm=farm),
        initial_inspector=request.user,
    )
    if form.is_valid():
        try:
            inspection = inspection_record(
                farm=farm, standards=standards, recorded_by=request.user, **form.service_values()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Inspection of %(farm)s recorded.") % {"farm": farm})
            return redirect("inspection_detail", pk=inspection.pk)
    elif request.method == "POST":
        messages.error(request, _("The inspection was not recorded: correct the answers marked below."))
    context = {"farm": farm, "standards": standards, "form": form}
    return render(request, "certifications/inspections/inspection_form.html", context)


@role_required(ICS_READERS)
@require_GET
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inspection = get_object_or_404(inspections_for_detail(request.user), pk=pk)
    context = {
        "inspection": inspection,
        "groups": answers_by_standard(inspection),
        "can_close": has_role(request.user, ICS_MANAGERS),
        "today": timezone.localdate(),
    }
    return render(request, "certifications/inspections/inspection_detail.html", context)


# -- non-conformities -----------------------------------------------------------------------------------------


@role_required(ICS_READERS)
@require_GET
def nonconformity_list(request: HttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, ICS_READERS)
    form = NonConformityFilterForm(request.GET, regions=regions)
    filters = form.filters()
    non_conformities = non_conformities_for_list(user=request.user, regions=regions, **filters)
    page = Paginator(non_conformities, NON_CONFORMITIES_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "state": filters.get("state", NonConformityState.OPEN),
        "today": timezone.localdate(),
        "can_close": has_role(request.user, ICS_MANAGERS),
    }
    return render(request, "certifications/inspections/nonconformity_list.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def nonconformity_close(request: HttpRequest, pk: int) -> HttpResponse:
    non_conformity = get_object_or_404(non_conformities_to_close(request.user), pk=pk)
    form = NonConformityCloseForm(request.POST if request.method == "POST" else None)
    if non_conformity.is_open and form.is_valid():
        try:
            non_conformity_close(
                non_conformity=non_conformity,
                closed_on=form.cleaned_data["closed_on"],
                verified_by=request.user,
                closing_note=form.cleaned_data["closing_note"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Non-conformity %(code)s of %(farm)s closed.")
                % {"code": non_conformity.requirement.code, "farm": non_conformity.farm},
            )
            return redirect("inspection_detail", pk=non_conformity.inspection_id)
    context = {"form": form, "nc": non_conformity}
    return render(request, "certifications/inspections/nonconformity_close.html", context)


# -- conflicts of interest ------------------------------------------------------------------------------------


@role_required(ICS_READERS)
@require_GET
def conflict_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(conflicts_for_list(user=request.user), CONFLICTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "can_declare": has_role(request.user, ICS_MANAGERS)}
    return render(request, "certifications/inspections/conflict_list.html", context)


@role_required(ICS_MANAGERS)
@require_http_methods(["GET", "POST"])
def conflict_create(request: HttpRequest) -> HttpResponse:
    form = ConflictForm(
        request.POST if request.method == "POST" else None,
        regions=regions_in_scope(request.user, ICS_MANAGERS),
        members=members_in_scope(request.user, ICS_MANAGERS),
    )
    if form.is_valid():
        try:
            conflict = conflict_declare(declared_by=request.user, **form.service_values())
        except ValidationError as error:
            add_service_errors(form, error, renamed=ConflictForm.SERVICE_FIELDS)
        else:
            messages.success(
                request,
                _("Conflict of interest of %(inspector)s with %(member)s recorded.")
                % {
                    "inspector": conflict.inspector.get_full_name() or conflict.inspector.get_username(),
                    "member": conflict.member,
                },
            )
            return redirect("conflict_list")
    return render(request, "certifications/inspections/conflict_form.html", {"form": form})
