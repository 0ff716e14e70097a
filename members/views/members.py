"""Staff pages for members and their farms: register, edit, withdraw, farms. The list and its exports are
reporting.views.member_list, the member page reporting.views.members.

Every object is fetched within the user's regions (404 outside them); writes need the manager role (403
otherwise) and a region the manager covers, and go through members.services.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cooperative.access import MEMBER_WRITERS, role_required
from cooperative.forms import add_service_errors
from cooperative.selectors import regions_in_scope
from members import services
from members.forms import FarmForm, MemberForm, WithdrawForm
from members.models import Member
from members.selectors import farms_in_scope, members_in_scope


def _member_or_404(request: HttpRequest, pk: int, *, for_writing: bool = False) -> Member:
    roles = MEMBER_WRITERS if for_writing else None
    return get_object_or_404(members_in_scope(request.user, roles).select_related("region"), pk=pk)


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = MemberForm(data, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            member = services.member_create(**form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Member %(member)s registered.") % {"member": member})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_edit(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_or_404(request, pk, for_writing=True)
    data = request.POST if request.method == "POST" else None
    form = MemberForm(data, instance=member, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            member = services.member_update(member=member, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Member %(member)s updated.") % {"member": member})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/member_form.html", {"form": form, "member": member})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def member_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    member = _member_or_404(request, pk, for_writing=True)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.member_withdraw(
                member=member,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                reason=form.cleaned_data["reason"],
                decided_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error, renamed=WithdrawForm.SERVICE_FIELDS)
        else:
            messages.success(request, _("Member %(member)s withdrawn.") % {"member": member})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/member_withdraw.html", {"form": form, "member": member})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def farm_create(request: HttpRequest, member_pk: int) -> HttpResponse:
    member = _member_or_404(request, member_pk, for_writing=True)
    data = request.POST if request.method == "POST" else None
    form = FarmForm(data, initial={"region": member.region}, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            farm = services.farm_create(member=member, **form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Farm %(farm)s registered.") % {"farm": farm.name})
            return redirect("member_detail", pk=member.pk)
    return render(request, "members/farm_form.html", {"form": form, "member": member})


@role_required(MEMBER_WRITERS)
@require_http_methods(["GET", "POST"])
def farm_edit(request: HttpRequest, pk: int) -> HttpResponse:
    farm = get_object_or_404(farms_in_scope(request.user, MEMBER_WRITERS), pk=pk)
    data = request.POST if request.method == "POST" else None
    form = FarmForm(data, instance=farm, regions=regions_in_scope(request.user, MEMBER_WRITERS))
    if form.is_valid():
        try:
            farm = services.farm_update(farm=farm, **form.service_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Farm %(farm)s updated.") % {"farm": farm.name})
            return redirect("member_detail", pk=farm.member_id)
    return render(request, "members/farm_form.html", {"form": form, "member": farm.member, "farm": farm})
