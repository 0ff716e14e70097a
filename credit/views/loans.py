"""Staff pages for loans (managers and credit officers): list, application, detail, approvals queue, and one page
per life-cycle action (approve, reject, withdraw, disburse, repay, reverse a transaction, write off).

Loans are limited to the user's credit regions (the member's region): a loan or transaction outside them
answers 404 and lists show only the loans inside. Every change goes through credit.services, which checks
the status, the dates and the ledger under a row lock; its ValidationError is shown on the form and nothing
is written. An action page shows, on GET, why the action is not available (wrong status, maker-checker).
"""

from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cooperative.access import CREDIT_ROLES, role_required
from cooperative.forms import add_service_errors
from cooperative.selectors import programs_in_scope, regions_in_scope
from credit import selectors, services
from credit.filters import LoanFilter
from credit.forms import (
    ApproveForm,
    DisburseForm,
    EndLoanForm,
    LoanApplicationForm,
    LoanLineFormSet,
    RepaymentForm,
    ReverseForm,
    WriteOffForm,
)
from credit.models import REDUCING_KINDS, Loan, LoanCharge, LoanStatus, LoanTransaction, TransactionKind
from members.selectors import members_in_regions

LOANS_PER_PAGE = 50
OPEN_BEFORE_DISBURSEMENT = (LoanStatus.SUBMITTED, LoanStatus.APPROVED)


# -- list, application, detail, approvals ---------------------------------------------------------------------


@role_required(CREDIT_ROLES)
@require_GET
def loan_list(request: HttpRequest) -> HttpResponse:
    regions = regions_in_scope(request.user, CREDIT_ROLES)
    filterset = LoanFilter(request.GET, regions=regions)
    today = timezone.localdate()
    loans = filterset.qs
    if filterset.overdue_only:
        loans = selectors.overdue_on_record(loans, today)
    page = Paginator(selectors.loans_for_list(loans), LOANS_PER_PAGE).get_page(request.GET.get("page"))
    selectors.set_days_past_due_on_record(page, today)
    return render(request, "credit/loans/loan_list.html", {"filterset": filterset, "page_obj": page})


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_create(request: HttpRequest) -> HttpResponse:
    """The application form. `?member=<id>` fills in the member (404 outside the user's regions)."""
    regions = regions_in_scope(request.user, CREDIT_ROLES)
    members = members_in_regions(regions)
    initial: dict[str, Any] = {}
    member_param = request.GET.get("member")
    if member_param:
        # ASCII digits of a size a primary key can have (int("²") fails, and SQLite overflows past 2**63).
        if not (member_param.isascii() and member_param.isdigit() and len(member_param) < 19):
            raise Http404
        initial["member"] = get_object_or_404(members, pk=int(member_param))
    data = request.POST if request.method == "POST" else None
    form = LoanApplicationForm(data, initial=initial, members=members, programs=programs_in_scope(regions))
    formset = LoanLineFormSet(data, prefix="lines")
    if data is not None and all([form.is_valid(), formset.is_valid()]):
        values = form.cleaned_data
        try:
            loan = services.loan_create(
                member=values["member"],
                product=values["product"],
                program=values["program"],
                lines=formset.service_lines(),
                submitted_by=request.user,
                submitted_on=values["submitted_on"],
                notes=values["notes"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Loan %(reference)s of S/ %(principal)s submitted. Another officer must approve it.")
                % {"reference": loan.reference, "principal": loan.principal},
            )
            return redirect("loan_detail", pk=loan.pk)
    return render(
        request, "credit/loans/loan_form.html", {"form": form, "formset": formset, "member": initial.get("member")}
    )


class Action(NamedTuple):
    url_name: str
    label: str
    secondary: bool = False


def _available_actions(loan: Loan, user: AbstractBaseUser) -> list[Action]:
    """The actions the loan's status allows (the services have the last word)."""
    if loan.status == LoanStatus.SUBMITTED:
        actions = [] if loan.submitted_by_id == user.pk else [Action("loan_approve", _("Approve"))]
        return [*actions, Action("loan_reject", _("Reject"), True), Action("loan_withdraw", _("Withdraw"), True)]
    if loan.status == LoanStatus.APPROVED:
        return [
            Action("loan_disburse", _("Disburse")),
            Action("loan_reject", _("Reject"), True),
            Action("loan_withdraw", _("Withdraw"), True),
        ]
    if loan.status == LoanStatus.ACTIVE:
        return [Action("loan_repay", _("Record a repayment")), Action("loan_write_off", _("Write off"), True)]
    return []


def _is_reversed(row: LoanTransaction | LoanCharge) -> bool:
    """Whether a reversal names the transaction or charge (read from select_related("reversed_by"): no query)."""
    try:
        return row.reversed_by is not None
    except ObjectDoesNotExist:
        return False


def _reversal_unavailable(row: LoanTransaction, loan: Loan) -> str | None:
    """Why the transaction cannot be reversed now, or None when it can (the service has the last word)."""
    if row.kind not in REDUCING_KINDS:
        return _("A %(kind)s cannot be reversed; only repayments, harvest deductions, waivers and write-offs can.") % {
            "kind": row.get_kind_display()
        }
    if _is_reversed(row):
        return _("This transaction has already been reversed.")
    allowed = (
        (LoanStatus.WRITTEN_OFF,) if row.kind == TransactionKind.WRITE_OFF else (LoanStatus.ACTIVE, LoanStatus.CLOSED)
    )
    if loan.status not in allowed:
        return _("A transaction of a loan that is %(status)s cannot be reversed.") % {
            "status": loan.get_status_display()
        }
    return None


@role_required(CREDIT_ROLES)
@require_GET
def loan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    loan = get_object_or_404(selectors.loans_for_detail(request.user), pk=pk)
    today = timezone.localdate()
    transactions = list(selectors.loan_transactions(loan))
    for row in transactions:
        row.is_reversed = _is_reversed(row)
        row.can_reverse = _reversal_unavailable(row, loan) is None
        row.charges_portion = row.fee_portion + row.penalty_portion
    charges = list(selectors.loan_charges(loan))
    for charge in charges:
        charge.is_reversed = _is_reversed(charge)
    context = {
        "loan": loan,
        "lines": selectors.loan_lines(loan),
        "allocation": selectors.instalment_allocation(loan),
        "days_past_due": selectors.days_past_due(loan, today) if loan.status == LoanStatus.ACTIVE else None,
        "transactions": transactions,
        "charges": charges,
        "status_changes": selectors.loan_status_changes(loan),
        "actions": _available_actions(loan, request.user),
        "is_own_application": loan.status == LoanStatus.SUBMITTED and loan.submitted_by_id == request.user.pk,
        "today": today,
    }
    return render(request, "credit/loans/loan_detail.html", context)


@role_required(CREDIT_ROLES)
@require_GET
def loan_approvals(request: HttpRequest) -> HttpResponse:
    """Submitted loans, oldest first. Those the user applied for are flagged: another officer must approve
    them (maker-checker)."""
    page = Paginator(selectors.loans_awaiting_approval(request.user), LOANS_PER_PAGE).get_page(request.GET.get("page"))
    for loan in page:
        loan.is_own_application = loan.submitted_by_id == request.user.pk
    return render(request, "credit/loans/loan_approvals.html", {"page_obj": page})


# -- actions ------------------------------------------------------------------------------------------------------


class ActionPage(NamedTuple):
    title: str
    submit_label: str
    explanation: str = ""
    danger: bool = False


def _loan_or_404(request: HttpRequest, pk: int) -> Loan:
    return get_object_or_404(selectors.loans_for_action(request.user), pk=pk)


def _action(
    request: HttpRequest,
    *,
    loan: Loan,
    form: Form,
    page: ActionPage,
    perform: Callable[[dict[str, Any]], str],
    unavailable: str | None,
    transaction: LoanTransaction | None = None,
    extra_context: dict[str, Any] | None = None,
) -> HttpResponse:
    """Bind -> call the service (`perform`, which returns the success message) -> message -> redirect to the
    loan; or the page again, with the service's errors on the form. A POST always reaches the service, even
    when `unavailable` says the action is not possible: the service decides and explains."""
    if request.method == "POST" and form.is_valid():
        try:
            message = perform(form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, message)
            return redirect("loan_detail", pk=loan.pk)
    context = {
        "loan": loan,
        "form": form,
        "page": page,
        "unavailable": unavailable,
        "transaction": transaction,
        **(extra_context or {}),
    }
    return render(request, "credit/loans/loan_action.html", context)


def _bound(request: HttpRequest) -> dict | None:
    return request.POST if request.method == "POST" else None


def _wrong_status(loan: Loan, allowed: Iterable[str], rule: str) -> str | None:
    """None when the loan's status is one of `allowed`, else `rule` and the loan's status."""
    if loan.status in allowed:
        return None
    return f"{rule} " + _("This loan's status is “%(status)s”.") % {"status": loan.get_status_display()}


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan_or_404(request, pk)
    unavailable = _wrong_status(loan, [LoanStatus.SUBMITTED], _("Only a submitted loan can be approved."))
    if unavailable is None and loan.submitted_by_id == request.user.pk:
        unavailable = _(
            "You applied for this loan, so you cannot approve it: another credit officer or manager must "
            "(maker-checker)."
        )

    def perform(values: dict[str, Any]) -> str:
        services.loan_approve(loan=loan, approved_by=request.user, approved_on=values["approved_on"])
        return _("Loan %(reference)s approved.") % {"reference": loan.reference}

    page = ActionPage(
        _("Approve loan"),
        _("Approve"),
        _("Approving copies the product's current terms onto the loan; later product edits do not change it."),
    )
    return _action(
        request,
        loan=loan,
        form=ApproveForm(_bound(request)),
        page=page,
        perform=perform,
        unavailable=unavailable,
        extra_context={"lines": selectors.loan_lines(loan), "show_terms": True},
    )


def _end_before_disbursement(request: HttpRequest, pk: int, *, withdraw: bool) -> HttpResponse:
    loan = _loan_or_404(request, pk)
    rule = (
        _("Only a submitted or approved loan can be withdrawn.")
        if withdraw
        else _("Only a submitted or approved loan can be rejected.")
    )
    unavailable = _wrong_status(loan, OPEN_BEFORE_DISBURSEMENT, rule)

    def perform(values: dict[str, Any]) -> str:
        if withdraw:
            services.loan_withdraw(loan=loan, withdrawn_by=request.user, reason=values["reason"])
            return _("Loan %(reference)s withdrawn.") % {"reference": loan.reference}
        services.loan_reject(loan=loan, rejected_by=request.user, reason=values["reason"])
        return _("Loan %(reference)s rejected.") % {"reference": loan.reference}

    if withdraw:
        page = ActionPage(
            _("Withdraw loan"),
            _("Withdraw loan"),
            _("The member gives up the loan before receiving the inputs. The reason is kept in the loan's history."),
            danger=True,
        )
    else:
        page = ActionPage(
            _("Reject loan"),
            _("Reject loan"),
            _(
                "The cooperative declines the loan before the inputs are handed over. The reason is kept in the "
                "loan's history."
            ),
            danger=True,
        )
    return _action(
        request, loan=loan, form=EndLoanForm(_bound(request)), page=page, perform=perform, unavailable=unavailable
    )


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_reject(request: HttpRequest, pk: int) -> HttpResponse:
    return _end_before_disbursement(request, pk, withdraw=False)


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _end_before_disbursement(request, pk, withdraw=True)


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_disburse(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan_or_404(request, pk)

    def perform(values: dict[str, Any]) -> str:
        services.loan_disburse(loan=loan, disbursed_by=request.user, disbursed_on=values["disbursed_on"])
        return _("Loan %(reference)s disbursed: S/ %(principal)s in inputs handed over.") % {
            "reference": loan.reference,
            "principal": loan.principal,
        }

    page = ActionPage(
        _("Disburse loan"),
        _("Disburse"),
        _(
            "Records the hand-over of the inputs below as a disbursement of S/ %(principal)s and sets the repayment "
            "schedule. It cannot be undone."
        )
        % {"principal": loan.principal},
        danger=True,
    )
    return _action(
        request,
        loan=loan,
        form=DisburseForm(_bound(request)),
        page=page,
        perform=perform,
        unavailable=_wrong_status(loan, [LoanStatus.APPROVED], _("Only an approved loan can be disbursed.")),
        extra_context={"lines": selectors.loan_lines(loan)},
    )


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_repay(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan_or_404(request, pk)

    def perform(values: dict[str, Any]) -> str:
        row = services.loan_repay(
            loan=loan,
            amount=values["amount"],
            occurred_on=values["occurred_on"],
            kind=values["kind"],
            delivery_payment=values["delivery_payment"],
            note=values["note"],
            recorded_by=request.user,
        )
        message = _("%(kind)s of S/ %(amount)s recorded on loan %(reference)s.") % {
            "kind": row.get_kind_display(),
            "amount": row.amount,
            "reference": loan.reference,
        }
        if row.loan.status == LoanStatus.CLOSED:
            message += " " + _("Nothing is left to pay: the loan is closed.")
        return message

    page = ActionPage(
        _("Record a repayment"),
        _("Record repayment"),
        _(
            "The amount pays the oldest unpaid instalment first, its interest before its principal. A mistake is "
            "corrected with a reversal."
        ),
    )
    return _action(
        request,
        loan=loan,
        form=RepaymentForm(_bound(request)),
        page=page,
        perform=perform,
        unavailable=_wrong_status(loan, [LoanStatus.ACTIVE], _("Repayments can only be recorded on an active loan.")),
        extra_context={"balance": selectors.loan_balance(loan)},
    )


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    loan = _loan_or_404(request, pk)
    balance = selectors.loan_balance(loan)

    def perform(values: dict[str, Any]) -> str:
        row = services.loan_write_off(
            loan=loan, recorded_by=request.user, occurred_on=values["occurred_on"], reason=values["reason"]
        )
        return _("Loan %(reference)s written off: S/ %(amount)s.") % {"reference": loan.reference, "amount": row.amount}

    page = ActionPage(
        _("Write off loan"),
        _("Write off"),
        _(
            "Everything still owed, S/ %(outstanding)s, is recorded as a write-off and the loan is closed as written "
            "off. Only a reversal of the write-off reopens it."
        )
        % {"outstanding": balance.total_outstanding},
        danger=True,
    )
    return _action(
        request,
        loan=loan,
        form=WriteOffForm(_bound(request)),
        page=page,
        perform=perform,
        unavailable=_wrong_status(loan, [LoanStatus.ACTIVE], _("Only an active loan can be written off.")),
        extra_context={"balance": balance},
    )


@role_required(CREDIT_ROLES)
@require_http_methods(["GET", "POST"])
def loan_reverse(request: HttpRequest, pk: int) -> HttpResponse:
    """Reverse a repayment, harvest deduction, waiver or write-off of a loan in the user's regions."""
    row = get_object_or_404(selectors.transactions_for_reversal(request.user), pk=pk)
    loan = row.loan

    def perform(values: dict[str, Any]) -> str:
        services.loan_reverse(
            transaction=row, recorded_by=request.user, occurred_on=values["occurred_on"], reason=values["reason"]
        )
        return _("%(kind)s of S/ %(amount)s of %(date)s reversed on loan %(reference)s.") % {
            "kind": row.get_kind_display(),
            "amount": row.amount,
            "date": date_format(row.occurred_on, "SHORT_DATE_FORMAT"),
            "reference": loan.reference,
        }

    page = ActionPage(
        _("Reverse a transaction"),
        _("Reverse"),
        _("A reversal entry of the same amount cancels the transaction; neither is deleted."),
        danger=True,
    )
    return _action(
        request,
        loan=loan,
        form=ReverseForm(_bound(request)),
        page=page,
        perform=perform,
        unavailable=_reversal_unavailable(row, loan),
        transaction=row,
    )
