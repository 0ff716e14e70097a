"""Loan application, approval (maker-checker), rejection, withdrawal and disbursement."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from credit import selectors, services
from credit.models import (
    InterestMethod,
    Loan,
    LoanLine,
    LoanStatus,
    LoanTransaction,
    RepaymentMode,
    TransactionKind,
)
from members.models import Member
from tests import factories
from tests.credit.conftest import APPROVED_ON, DISBURSED_ON, SUBMITTED_ON

D = Decimal
pytestmark = pytest.mark.django_db


def test_create_computes_the_principal_from_the_lines_at_the_items_current_prices(member, product, maker):
    guano = factories.InputItemFactory(name="Guano de isla", unit_price=D("120.00"))
    dryer = factories.InputItemFactory(name="Secador solar", unit_price=D("333.33"), unit="unidad")

    loan = services.loan_create(
        member=member,
        product=product,
        lines=[(guano, D("2.5")), (dryer, D("1"))],
        submitted_by=maker,
        submitted_on=SUBMITTED_ON,
        notes="Campaña 2026",
    )

    loan.refresh_from_db()
    assert loan.principal == D("633.33")  # 2.5 × 120.00 + 333.33
    assert loan.status == LoanStatus.SUBMITTED
    assert loan.submitted_by == maker
    assert loan.notes == "Campaña 2026"
    lines = list(loan.lines.order_by("id").values_list("item__name", "quantity", "unit_price", "amount"))
    assert lines == [
        ("Guano de isla", D("2.50"), D("120.00"), D("300.00")),
        ("Secador solar", D("1.00"), D("333.33"), D("333.33")),
    ]
    # Terms are copied at approval, not before.
    assert loan.annual_rate is None
    assert loan.history.count() == 1


def test_a_later_catalogue_price_change_does_not_move_the_loan(submitted_loan, fertilizer):
    fertilizer.unit_price = D("150.00")
    fertilizer.save()

    submitted_loan.refresh_from_db()
    assert submitted_loan.principal == D("1200.00")
    assert submitted_loan.lines.get().unit_price == D("120.00")


def test_references_follow_a_yearly_sequence_above_the_highest_existing_one(member, product, fertilizer, maker):
    def create(**kwargs):
        return services.loan_create(
            member=member, product=product, lines=[(fertilizer, D("1"))], submitted_by=maker, **kwargs
        )

    first = create(submitted_on=SUBMITTED_ON)
    second = create(submitted_on=SUBMITTED_ON)
    create(submitted_on=SUBMITTED_ON, reference="CR-2026-00041")
    after_manual = create(submitted_on=SUBMITTED_ON)
    other_year = create(submitted_on=datetime.date(2025, 12, 30))

    assert (first.reference, second.reference) == ("CR-2026-00001", "CR-2026-00002")
    assert after_manual.reference == "CR-2026-00042"
    assert other_year.reference == "CR-2025-00001"


def test_an_explicit_reference_already_in_use_is_refused(submitted_loan, member, product, fertilizer, maker):
    with pytest.raises(ValidationError) as excinfo:
        services.loan_create(
            member=member,
            product=product,
            lines=[(fertilizer, D("1"))],
            submitted_by=maker,
            submitted_on=SUBMITTED_ON,
            reference=submitted_loan.reference,
        )

    assert "reference" in excinfo.value.message_dict
    assert Loan.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("no_lines", "lines"),
        ("zero_quantity", "lines"),
        ("negative_quantity", "lines"),
        ("inactive_item", "lines"),
        ("inactive_product", "product"),
        ("inactive_member", "member"),
        ("withdrawn_member", "member"),
        ("future_date", "submitted_on"),
    ],
)
def test_create_refuses_bad_applications_and_writes_nothing(change, field, member, product, fertilizer, maker):
    lines = [(fertilizer, D("10"))]
    submitted_on = SUBMITTED_ON
    if change == "no_lines":
        lines = []
    elif change == "zero_quantity":
        lines = [(fertilizer, D("0"))]
    elif change == "negative_quantity":
        lines = [(fertilizer, D("-1"))]
    elif change == "inactive_item":
        fertilizer.is_active = False
    elif change == "inactive_product":
        product.is_active = False
    elif change == "inactive_member":
        member.status = Member.Status.INACTIVE
    elif change == "withdrawn_member":
        member.status = Member.Status.WITHDRAWN
    elif change == "future_date":
        submitted_on = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        services.loan_create(member=member, product=product, lines=lines, submitted_by=maker, submitted_on=submitted_on)

    assert field in excinfo.value.message_dict
    assert Loan.objects.count() == 0
    assert LoanLine.objects.count() == 0


def test_approval_copies_the_products_terms_onto_the_loan(submitted_loan, product, checker):
    product.arrears_tolerance = D("5.00")
    product.grace_periods = 1
    product.save()

    loan = services.loan_approve(loan=submitted_loan, approved_by=checker, approved_on=APPROVED_ON)

    loan.refresh_from_db()
    assert loan.status == LoanStatus.APPROVED
    assert (loan.approved_by, loan.approved_on) == (checker, APPROVED_ON)
    assert loan.interest_method == InterestMethod.FLAT
    assert loan.annual_rate == D("12.00")
    assert loan.repayment_mode == RepaymentMode.PERIODIC
    assert loan.number_of_repayments == 6
    assert loan.grace_periods == 1
    assert loan.max_deduction_percent == D("30.00")
    assert loan.arrears_tolerance == D("5.00")
    assert loan.history.latest().history_user == checker

    product.annual_rate = D("20.00")
    product.save()
    loan.refresh_from_db()
    assert loan.annual_rate == D("12.00")


def test_the_person_who_submitted_a_loan_cannot_approve_it(submitted_loan, maker):
    with pytest.raises(ValidationError) as excinfo:
        services.loan_approve(loan=submitted_loan, approved_by=maker, approved_on=APPROVED_ON)

    assert "approved_by" in excinfo.value.message_dict
    submitted_loan.refresh_from_db()
    assert submitted_loan.status == LoanStatus.SUBMITTED
    assert submitted_loan.approved_by is None


def test_approval_cannot_be_dated_before_submission(submitted_loan, checker):
    with pytest.raises(ValidationError) as excinfo:
        services.loan_approve(loan=submitted_loan, approved_by=checker, approved_on=datetime.date(2026, 1, 9))

    assert "approved_on" in excinfo.value.message_dict
    submitted_loan.refresh_from_db()
    assert submitted_loan.status == LoanStatus.SUBMITTED


def test_a_submitted_loan_can_be_rejected_with_the_reason_kept_in_its_history(submitted_loan, checker):
    loan = services.loan_reject(loan=submitted_loan, rejected_by=checker, reason="Deuda vencida con la cooperativa")

    loan.refresh_from_db()
    assert loan.status == LoanStatus.REJECTED
    last = loan.history.latest()
    assert (last.history_user, last.history_change_reason) == (checker, "Deuda vencida con la cooperativa")


def test_an_approved_loan_can_be_withdrawn_by_the_member(approved_loan, maker):
    loan = services.loan_withdraw(loan=approved_loan, withdrawn_by=maker, reason="Ya compró el abono")

    loan.refresh_from_db()
    assert loan.status == LoanStatus.WITHDRAWN


def test_rejection_needs_a_reason(submitted_loan, checker):
    with pytest.raises(ValidationError):
        services.loan_reject(loan=submitted_loan, rejected_by=checker, reason="  ")

    submitted_loan.refresh_from_db()
    assert submitted_loan.status == LoanStatus.SUBMITTED


def test_disbursement_records_the_principal_in_the_ledger_and_creates_the_schedule(approved_loan, maker):
    loan = services.loan_disburse(loan=approved_loan, disbursed_by=maker, disbursed_on=DISBURSED_ON)

    loan.refresh_from_db()
    assert loan.status == LoanStatus.ACTIVE
    assert loan.disbursed_on == DISBURSED_ON
    disbursement = LoanTransaction.objects.get(loan=loan)
    assert disbursement.kind == TransactionKind.DISBURSEMENT
    assert (disbursement.amount, disbursement.principal_portion, disbursement.interest_portion) == (
        D("1200.00"),
        D("1200.00"),
        D("0.00"),
    )
    assert disbursement.recorded_by == maker
    schedule = list(loan.instalments.values_list("number", "due_on", "principal_due", "interest_due"))
    assert schedule == [(n, datetime.date(2026, n + 1, 15), D("200.00"), D("12.00")) for n in range(1, 7)]
    assert selectors.loan_balance(loan) == selectors.LoanBalance(
        principal_disbursed=D("1200.00"),
        principal_paid=D("0.00"),
        interest_due_total=D("72.00"),
        interest_paid=D("0.00"),
        principal_outstanding=D("1200.00"),
        interest_outstanding=D("72.00"),
        total_outstanding=D("1272.00"),
    )


def test_disbursement_cannot_be_dated_before_approval(approved_loan, maker):
    with pytest.raises(ValidationError) as excinfo:
        services.loan_disburse(loan=approved_loan, disbursed_by=maker, disbursed_on=datetime.date(2026, 1, 11))

    assert "disbursed_on" in excinfo.value.message_dict
    assert LoanTransaction.objects.count() == 0
    assert approved_loan.instalments.count() == 0


def _reject(loan, user):
    return services.loan_reject(loan=loan, rejected_by=user, reason="No")


def _withdraw(loan, user):
    return services.loan_withdraw(loan=loan, withdrawn_by=user, reason="No")


def _approve(loan, user):
    return services.loan_approve(loan=loan, approved_by=user, approved_on=APPROVED_ON)


def _disburse(loan, user):
    return services.loan_disburse(loan=loan, disbursed_by=user, disbursed_on=DISBURSED_ON)


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("submitted_loan", _disburse),
        ("approved_loan", _approve),
        ("active_loan", _approve),
        ("active_loan", _disburse),
        ("active_loan", _reject),
        ("active_loan", _withdraw),
    ],
    ids=lambda value: getattr(value, "__name__", value),
)
def test_illegal_state_transitions_are_refused(request, state, action):
    loan = request.getfixturevalue(state)
    outsider = factories.UserFactory()
    status_before = Loan.objects.get(pk=loan.pk).status
    transactions_before = LoanTransaction.objects.count()

    with pytest.raises(ValidationError):
        action(loan, outsider)

    assert Loan.objects.get(pk=loan.pk).status == status_before
    assert LoanTransaction.objects.count() == transactions_before


@pytest.mark.parametrize("end", [_reject, _withdraw], ids=["rejected", "withdrawn"])
def test_a_rejected_or_withdrawn_loan_can_no_longer_be_approved_or_disbursed(submitted_loan, checker, end):
    end(submitted_loan, checker)

    with pytest.raises(ValidationError):
        _approve(submitted_loan, checker)
    with pytest.raises(ValidationError):
        _disburse(submitted_loan, checker)
    assert Loan.objects.get(pk=submitted_loan.pk).status in (LoanStatus.REJECTED, LoanStatus.WITHDRAWN)
