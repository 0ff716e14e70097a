"""Staff pages for harvest deliveries: the list, recording one (member, then farm), its page, its settlement
(a preview of the deductions, then the payment) and its reversal.

Managers and credit officers only (a settlement repays loans); other roles get 403. Every delivery is fetched
within the user's credit regions (the member's region): 404 outside them. Writes go through
deliveries.services.
"""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cooperative.access import CREDIT_ROLES, Role, has_role, role_required
from cooperative.forms import add_service_errors
from cooperative.selectors import region_in_scope
from deliveries import selectors, services
from deliveries.filters import DeliveryFilter
from deliveries.forms import DeliveryForm, MemberLookupForm, ReverseForm, SettleForm
from deliveries.models import Delivery, DeliveryReversal, Settlement
from members.models import Member

DELIVERIES_PER_PAGE = 50
# Reversing a delivery undoes loan repayments: a manager's decision (credit officers record and settle).
DELIVERY_REVERSERS = frozenset({Role.MANAGER})


def loan_url(loan_pk: int) -> str:
    """The loan's page: the credit pages' loan_detail once they exist, the admin's read-only page until then."""
    try:
        return reverse("loan_detail", args=[loan_pk])
    except NoReverseMatch:
        return reverse("admin:credit_loan_change", args=[loan_pk])


def statement_url(member_pk: int) -> str | None:
    """The member's credit statement (credit pages), or None while that page does not exist."""
    try:
        return reverse("credit_statement", kwargs={"member_pk": member_pk})
    except NoReverseMatch:
        return None


def _settlement_of(delivery: Delivery) -> Settlement | None:
    try:
        return delivery.settlement
    except ObjectDoesNotExist:
        return None


def _reversal_of(delivery: Delivery) -> DeliveryReversal | None:
    try:
        return delivery.reversal
    except ObjectDoesNotExist:
        return None


@role_required(CREDIT_ROLES)
@require_GET
def delivery_list(request: HttpRequest) -> HttpResponse:
    regions = selectors.credit_regions(request.user)
    filterset = DeliveryFilter(request.GET, regions=regions)
    filterset.is_valid()  # validates, so the form shows its errors
    page = Paginator(
        selectors.deliveries_for_list(user=request.user, filters=request.GET), DELIVERIES_PER_PAGE
    ).get_page(request.GET.get("page"))
    return render(request, "deliveries/delivery_list.html", {"filterset": filterset, "page_obj": page})


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def delivery_create(request: HttpRequest) -> HttpResponse:
    """Step 1 (GET ?member=): find the member by code or DNI. Step 2: the delivery of one of their farms."""
    lookup = MemberLookupForm(request.GET if "member" in request.GET else None)
    member = None
    if lookup.is_valid():
        member = selectors.member_for_delivery(user=request.user, lookup=lookup.cleaned_data["member"])
        if member is None:
            lookup.add_error("member", _("No member with this code or DNI in your regions."))
        elif member.status != Member.Status.ACTIVE:
            lookup.add_error("member", _("%(member)s is not active; only active members deliver.") % {"member": member})
            member = None
    if member is None:
        return render(request, "deliveries/delivery_form.html", {"lookup": lookup})

    farms = selectors.farms_for_delivery(member)
    form = DeliveryForm(request.POST if request.method == "POST" else None, farms=farms)
    if form.is_valid():
        try:
            delivery = services.delivery_record(member=member, received_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Delivery %(reference)s recorded: %(kg)s kg, S/ %(amount)s.")
                % {"reference": delivery.reference, "kg": delivery.quantity_kg, "amount": delivery.gross_amount},
            )
            return redirect("delivery_detail", pk=delivery.pk)
    context = {"lookup": lookup, "member": member, "form": form, "has_farms": farms.exists()}
    return render(request, "deliveries/delivery_form.html", context)


@role_required(CREDIT_ROLES)
@require_GET
def delivery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(selectors.delivery_for_detail(user=request.user), pk=pk)
    settlement = _settlement_of(delivery)
    deductions = list(settlement.deductions.all()) if settlement else []
    for deduction in deductions:
        deduction.loan_url = loan_url(deduction.loan_id) if deduction.loan_id else None
    reversal = _reversal_of(delivery)
    context = {
        "delivery": delivery,
        "settlement": settlement,
        "deductions": deductions,
        "reversal": reversal,
        "can_settle": settlement is None and reversal is None,
        "can_reverse": reversal is None
        and has_role(request.user, DELIVERY_REVERSERS)
        and region_in_scope(request.user, DELIVERY_REVERSERS, delivery.member.region_id),
        "statement_url": statement_url(delivery.member_id),
    }
    return render(request, "deliveries/delivery_detail.html", context)


def _plan_or_errors(delivery: Delivery, form: SettleForm, values: dict):
    """The settlement plan for `values`, or None with the service's errors put on the form."""
    try:
        plan = selectors.settlement_plan(delivery=delivery, **values)
    except ValidationError as error:
        add_service_errors(form, error)
        return None
    for due, _cap, _amount in plan.loan_rows:
        due.loan.url = loan_url(due.loan_id)
    return plan


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def delivery_settle(request: HttpRequest, pk: int) -> HttpResponse:
    """GET and POST action=preview show what the settlement will deduct (computed by the same code as the
    payment, writing nothing). POST action=confirm pays, if the amounts are still those of the preview the
    person saw (a repayment recorded meanwhile changes them: the new preview is shown instead)."""
    delivery = get_object_or_404(
        selectors.deliveries_in_scope(request.user).select_related("member__region", "farm"), pk=pk
    )
    if _reversal_of(delivery) is not None or _settlement_of(delivery) is not None:
        messages.info(request, _("This delivery has already been settled or reversed."))
        return redirect("delivery_detail", pk=delivery.pk)

    if request.method == "GET":
        form = SettleForm()
        plan = _plan_or_errors(
            delivery, form, {"paid_on": timezone.localdate(), "other_deductions": [], "apply_credit": True}
        )
    else:
        form = SettleForm(request.POST)
        plan = _plan_or_errors(delivery, form, form.service_values()) if form.is_valid() else None
        if plan is not None and request.POST.get("action") == "confirm":
            if form.cleaned_data["preview"] != plan.fingerprint:
                messages.warning(request, _("The amounts changed since the preview. Check them and confirm again."))
            else:
                try:
                    settlement = services.delivery_settle(
                        delivery=delivery, settled_by=request.user, **form.service_values()
                    )
                except ValidationError as error:
                    add_service_errors(form, error)
                    plan = None
                else:
                    messages.success(
                        request,
                        _("Delivery %(reference)s settled: S/ %(net)s paid.")
                        % {"reference": delivery.reference, "net": settlement.net_paid},
                    )
                    return redirect("delivery_detail", pk=delivery.pk)
    context = {"delivery": delivery, "form": form, "plan": plan, "statement_url": statement_url(delivery.member_id)}
    return render(request, "deliveries/delivery_settle.html", context)


@role_required(DELIVERY_REVERSERS)
@require_http_methods(["GET", "POST"])
def delivery_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = get_object_or_404(
        selectors.deliveries_in_scope(request.user, DELIVERY_REVERSERS).select_related("member", "settlement"), pk=pk
    )
    if _reversal_of(delivery) is not None:
        messages.info(request, _("This delivery has already been reversed."))
        return redirect("delivery_detail", pk=delivery.pk)
    form = ReverseForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            services.delivery_reverse(
                delivery=delivery,
                reversed_on=form.cleaned_data["reversed_on"],
                reason=form.cleaned_data["reason"],
                reversed_by=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Delivery %(reference)s reversed.") % {"reference": delivery.reference})
            return redirect("delivery_detail", pk=delivery.pk)
    context = {"delivery": delivery, "settlement": _settlement_of(delivery), "form": form}
    return render(request, "deliveries/delivery_reverse.html", context)
