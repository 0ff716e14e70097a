"""Alliance program pages (managers only): list and detail with progress, enrolments, community projects.

A manager sees the programs that cover at least one of their regions (others answer 404), and within a
program only the members and community projects of their regions.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from cooperative import services
from cooperative.access import MEMBER_WRITERS, Role, role_required
from cooperative.forms import CommunityProjectForm, add_service_errors
from cooperative.models import AllianceProgram, Region
from cooperative.selectors import program_community_projects, programs_in_scope, regions_in_scope
from members import services as member_services
from members.forms import EnrolMatchingForm, EnrolMemberForm
from members.selectors import members_in_regions, program_enrolments
from reporting.programs import ProgramProgress, program_progress

ENROLMENTS_PER_PAGE = 50
MATCHING_PREVIEW = 20


def _manager_regions(request: HttpRequest) -> QuerySet[Region]:
    return regions_in_scope(request.user, Role.MANAGER)


def _program_or_404(request: HttpRequest, pk: int) -> tuple[AllianceProgram, QuerySet[Region]]:
    regions = _manager_regions(request)
    return get_object_or_404(programs_in_scope(regions), pk=pk), regions


def _progress_or_404(pk: int, regions: QuerySet[Region]) -> ProgramProgress:
    """The program's progress within `regions` (6 queries, see program_progress), or 404 out of scope."""
    rows = program_progress(programs_in_scope(regions).filter(pk=pk), regions=regions)
    if not rows:
        raise Http404
    return rows[0]


def _render_detail(
    request: HttpRequest,
    pk: int,
    regions: QuerySet[Region],
    *,
    enrol_form: EnrolMemberForm | None = None,
    project_form: CommunityProjectForm | None = None,
) -> HttpResponse:
    """The detail page, with the bound form of a refused POST when there is one (nothing was written)."""
    progress = _progress_or_404(pk, regions)
    program = progress.program
    enrolments = Paginator(program_enrolments(program, regions=regions), ENROLMENTS_PER_PAGE)
    context = {
        "program": program,
        "progress": progress,
        "page": enrolments.get_page(request.GET.get("page")),
        "projects": program_community_projects(program, regions=regions),
        "enrol_form": EnrolMemberForm(members=members_in_regions(regions)) if enrol_form is None else enrol_form,
        "matching_form": EnrolMatchingForm(program=program, regions=regions),
        "project_form": (
            CommunityProjectForm(program=program, regions=regions) if project_form is None else project_form
        ),
    }
    return render(request, "reporting/program_detail.html", context)


@role_required(MEMBER_WRITERS)
def program_list(request: HttpRequest) -> HttpResponse:
    regions = _manager_regions(request)
    rows = program_progress(programs_in_scope(regions), regions=regions)
    return render(request, "reporting/program_list.html", {"rows": rows})


@role_required(MEMBER_WRITERS)
def program_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, pk, _manager_regions(request))


@role_required(MEMBER_WRITERS)
@require_POST
def program_enrol(request: HttpRequest, pk: int) -> HttpResponse:
    program, regions = _program_or_404(request, pk)
    form = EnrolMemberForm(request.POST, members=members_in_regions(regions))
    if form.is_valid():
        try:
            member_services.enrollment_create(
                program=program, member=form.member, enrolled_on=form.cleaned_data["enrolled_on"]
            )
        except ValidationError as error:
            add_service_errors(form, error, EnrolMemberForm.SERVICE_FIELDS)
        else:
            messages.success(
                request,
                _("%(member)s is now enrolled in %(program)s.") % {"member": form.member, "program": program.code},
            )
            return redirect("program_detail", pk=program.pk)
    return _render_detail(request, program.pk, regions, enrol_form=form)


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def program_enrol_matching(request: HttpRequest, pk: int) -> HttpResponse:
    """Enrol every active member matching a filter: first a page saying how many (GET, or POST without
    confirm=1), then a POST with confirm=1 enrols them all in one transaction, or none of them."""
    program, regions = _program_or_404(request, pk)
    data = request.POST if request.method == "POST" else request.GET
    form = EnrolMatchingForm(data or None, program=program, regions=regions)
    context: dict = {"program": program, "form": form}
    if form.is_valid():
        if request.method == "POST" and request.POST.get("confirm") == "1":
            enrolled = _enrol_matching(program, form)
            if enrolled is not None:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d member was enrolled in %(program)s.",
                        "%(count)d members were enrolled in %(program)s.",
                        enrolled,
                    )
                    % {"count": enrolled, "program": program.code},
                )
                return redirect("program_detail", pk=program.pk)
        else:
            members = form.matching_members()
            context.update(count=members.count(), preview=list(members[:MATCHING_PREVIEW]))
    return render(request, "reporting/program_enrol_matching.html", context)


def _enrol_matching(program: AllianceProgram, form: EnrolMatchingForm) -> int | None:
    """Enrol the form's matching members today, all or none (members already enrolled are not matched).

    Returns how many were enrolled, or None after adding the refusal to the form's errors.
    """
    try:
        return member_services.enrollments_create(
            program=program, members=list(form.matching_members()), enrolled_on=timezone.localdate()
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return None


@role_required(MEMBER_WRITERS)
@require_POST
def community_project_create(request: HttpRequest, pk: int) -> HttpResponse:
    program, regions = _program_or_404(request, pk)
    form = CommunityProjectForm(request.POST, program=program, regions=regions)
    if form.is_valid():
        try:
            project = services.community_project_create(program=program, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Community project “%(name)s” added.") % {"name": project.name})
            return redirect("program_detail", pk=program.pk)
    return _render_detail(request, program.pk, regions, project_form=form)
