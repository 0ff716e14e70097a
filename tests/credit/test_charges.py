"""Fees and penalties (LoanCharge), the allocation order, waivers, and reversals restoring every component.

The standard active loan (see conftest): six instalments of S/ 200.00 principal + S/ 12.00 interest due on the
15th from February to July 2026, S/ 1,272.00 in all, disbursed 15 Jan 2026.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from credit import selectors, services
from credit.models import ChargeKind, CreditProduct, LoanCharge, LoanStatus, LoanTransaction, TransactionKind
from tests import factories
from tests.credit.conftest import APPROVED_ON, DISBURSED_ON

D = Decimal
FEB_1 = datetime.date(2026, 2, 1)
FEB_15 = datetime.date(2026, 2, 15)
PAID_ON = datetime.date(2026, 3, 1)
pytestmark = pytest.mark.django_db


def charge(loan, kind, amount, user, due_on=FEB_15, occurred_on=FEB_1, reason="Gasto de cobranza"):
    return services.loan_charge_add(
        loan=loan, kind=kind, amount=D(amount), due_on=due_on, reason=reason, recorded_by=user, occurred_on=occurred_on
    )


def repay(loan, amount, user, occurred_on=PAID_ON, **kwargs):
    return services.loan_repay(loan=loan, amount=D(amount), occurred_on=occurred_on, recorded_by=user, **kwargs)


def portions(row) -> tuple:
    row.refresh_from_db()
    return (row.penalty_portion, row.fee_portion, row.interest_portion, row.principal_portion)


@pytest.fixture
def charged_loan(active_loan, maker):
    """The standard loan with a penalty of 3.00 and a fee of 5.00 owed with its first instalment."""
    charge(active_loan, ChargeKind.PENALTY, "3.00", maker, reason="Pago atrasado")
    charge(active_loan, ChargeKind.FEE, "5.00", maker, reason="Gasto administrativo")
    return active_loan


# -- charges --------------------------------------------------------------------------------------------------


def test_fees_and_penalties_add_to_the_balance_from_the_day_they_are_charged(charged_loan):
    balance = selectors.loan_balance(charged_loan)

    assert (balance.fee_due_total, balance.penalty_due_total) == (D("5.00"), D("3.00"))
    assert (balance.fee_outstanding, balance.penalty_outstanding) == (D("5.00"), D("3.00"))
    assert balance.total_outstanding == D("1280.00")
    assert balance.has_charges
    # Charged on 1 February: on 31 January the loan owed only its schedule.
    before = selectors.loan_balance(charged_loan, as_of=datetime.date(2026, 1, 31))
    assert (before.fee_due_total, before.penalty_due_total, before.total_outstanding) == (D("0"), D("0"), D("1272.00"))
    first = selectors.instalment_allocation(charged_loan)[0]
    assert (first.penalty_due, first.fee_due, first.total_due) == (D("3.00"), D("5.00"), D("220.00"))


def test_a_charge_is_written_with_who_when_and_why(charged_loan, maker):
    penalty = LoanCharge.objects.get(kind=ChargeKind.PENALTY)

    assert (penalty.loan, penalty.amount, penalty.due_on, penalty.occurred_on) == (
        charged_loan,
        D("3.00"),
        FEB_15,
        FEB_1,
    )
    assert (penalty.reason, penalty.recorded_by, penalty.reverses) == ("Pago atrasado", maker, None)


def test_a_charge_is_dated_today_unless_told_otherwise(active_loan, maker):
    fee = services.loan_charge_add(
        loan=active_loan, kind="fee", amount=D("2.00"), due_on=FEB_15, reason="Constancia", recorded_by=maker
    )

    assert fee.occurred_on == timezone.localdate()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "reversal"}, "kind"),
        ({"kind": "interest"}, "kind"),
        ({"amount": "0.00"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"reason": "  "}, "reason"),
        ({"due_on": DISBURSED_ON - datetime.timedelta(days=1)}, "due_on"),
        ({"occurred_on": DISBURSED_ON - datetime.timedelta(days=1)}, "occurred_on"),
        ({"occurred_on": None}, "occurred_on"),
    ],
    ids=["reversal", "unknown-kind", "zero", "fraction-of-centimo", "no-reason", "due-early", "dated-early", "future"],
)
def test_bad_charges_are_refused_and_nothing_is_written(active_loan, maker, overrides, field):
    arguments = {"kind": "fee", "amount": "5.00", "due_on": FEB_15, "occurred_on": FEB_1, "reason": "Gasto"}
    arguments.update(overrides)
    if "occurred_on" in overrides and overrides["occurred_on"] is None:
        arguments["occurred_on"] = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        charge(active_loan, user=maker, **arguments)

    assert field in excinfo.value.message_dict
    assert not LoanCharge.objects.exists()


def test_only_an_active_loan_can_be_charged(approved_loan, maker):
    with pytest.raises(ValidationError, match="active loan"):
        services.loan_charge_add(
            loan=approved_loan, kind="fee", amount=D("5.00"), due_on=FEB_15, reason="Gasto", recorded_by=maker
        )

    assert not LoanCharge.objects.exists()


def test_charges_are_append_only(charged_loan):
    fee = LoanCharge.objects.get(kind=ChargeKind.FEE)

    fee.amount = D("1.00")
    with pytest.raises(ValidationError):
        fee.save()
    with pytest.raises(ValidationError):
        fee.delete()

    fee.refresh_from_db()
    assert fee.amount == D("5.00")


def test_a_penalty_makes_its_instalment_late_even_when_its_principal_and_interest_are_paid(active_loan, maker):
    repay(active_loan, "212.00", maker, occurred_on=datetime.date(2026, 2, 10))
    assert selectors.days_past_due(active_loan, datetime.date(2026, 3, 1)) == 0

    charge(active_loan, ChargeKind.PENALTY, "4.00", maker, due_on=FEB_15, occurred_on=datetime.date(2026, 2, 20))

    # The penalty is owed with instalment 1 (due 15 February), which is therefore unpaid again.
    assert selectors.days_past_due(active_loan, datetime.date(2026, 3, 1)) == 14
    # Before it was charged, the loan was not late.
    assert selectors.days_past_due(active_loan, datetime.date(2026, 2, 19)) == 0


# -- repayment: total outstanding and allocation order -----------------------------------------------------


def test_it_rejects_a_repayment_above_principal_interest_fees_and_penalties_outstanding(charged_loan, maker):
    with pytest.raises(ValidationError) as excinfo:
        repay(charged_loan, "1280.01", maker)

    assert excinfo.value.message_dict == {"amount": ["S/ 1280.01 is more than the outstanding balance of S/ 1280.00."]}
    assert not LoanTransaction.objects.filter(kind=TransactionKind.REPAYMENT).exists()

    last = repay(charged_loan, "1280.00", maker)

    assert portions(last) == (D("3.00"), D("5.00"), D("72.00"), D("1200.00"))
    charged_loan.refresh_from_db()
    assert charged_loan.status == LoanStatus.CLOSED
    assert selectors.loan_balance(charged_loan).total_outstanding == D("0.00")


def test_the_default_order_pays_penalties_then_fees_then_interest_then_principal(charged_loan, maker):
    assert charged_loan.allocation_order == "penalty,fee,interest,principal"

    first = repay(charged_loan, "2.00", maker)
    second = repay(charged_loan, "4.00", maker)
    third = repay(charged_loan, "10.00", maker)
    fourth = repay(charged_loan, "210.00", maker)

    assert portions(first) == (D("2.00"), D("0"), D("0"), D("0"))
    assert portions(second) == (D("1.00"), D("3.00"), D("0"), D("0"))
    assert portions(third) == (D("0"), D("2.00"), D("8.00"), D("0"))
    # Instalment 1's last 4.00 of interest and 200.00 principal, then instalment 2's interest first (6.00).
    assert portions(fourth) == (D("0"), D("0"), D("10.00"), D("200.00"))


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # 10.00 against instalment 1: penalty 3, fee 5, interest 12, principal 200.
        ("penalty,interest,principal,fee", (D("3.00"), D("0"), D("7.00"), D("0"))),
        ("fee,interest,penalty,principal", (D("0"), D("5.00"), D("5.00"), D("0"))),
        ("interest,fee,penalty,principal", (D("0"), D("0"), D("10.00"), D("0"))),
        ("principal,penalty,fee,interest", (D("0"), D("0"), D("0"), D("10.00"))),
    ],
    ids=["penalty-first", "fee-first", "interest-first", "principal-first"],
)
def test_a_repayment_follows_the_loans_allocation_order(make_active_loan, maker, order, expected):
    loan = make_active_loan(allocation_order=order)
    charge(loan, ChargeKind.PENALTY, "3.00", maker)
    charge(loan, ChargeKind.FEE, "5.00", maker)

    payment = repay(loan, "10.00", maker)

    assert portions(payment) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # Instalment 1 (12 interest + 200 principal) in full, then 3.00 of instalment 2 in the loan's order.
        ("principal,interest,fee,penalty", (D("0"), D("0"), D("12.00"), D("203.00"))),
        ("penalty,fee,interest,principal", (D("3.00"), D("0"), D("12.00"), D("200.00"))),
    ],
)
def test_whatever_the_order_the_oldest_instalment_is_paid_in_full_first(make_active_loan, maker, order, expected):
    loan = make_active_loan(allocation_order=order)
    charge(loan, ChargeKind.PENALTY, "3.00", maker, due_on=datetime.date(2026, 3, 15))  # with instalment 2

    payment = repay(loan, "215.00", maker)

    assert portions(payment) == expected


def test_a_harvest_deduction_follows_the_allocation_order_too(charged_loan, maker):
    deduction = repay(charged_loan, "20.00", maker, kind=TransactionKind.HARVEST_DEDUCTION, delivery_payment=D("100"))

    assert portions(deduction) == (D("3.00"), D("5.00"), D("12.00"), D("0"))


def test_the_loan_copies_the_allocation_order_at_approval_and_later_product_edits_do_not_move_it(
    member, fertilizer, maker, checker
):
    product = factories.CreditProductFactory(allocation_order="interest,principal,fee,penalty")
    loan = services.loan_create(
        member=member, product=product, lines=[(fertilizer, D("1"))], submitted_by=maker, submitted_on=APPROVED_ON
    )
    assert loan.allocation_order == ""

    services.loan_approve(loan=loan, approved_by=checker, approved_on=APPROVED_ON)
    product.allocation_order = "principal,interest,fee,penalty"
    product.save()

    loan.refresh_from_db()
    assert loan.allocation_order == "interest,principal,fee,penalty"
    assert loan.get_allocation_order_display() == "Interest → Principal → Fee → Penalty"


@pytest.mark.parametrize(
    "value", ["interest,principal", "fee,fee,interest,principal", "penalty, fee, interest, principal"]
)
def test_a_product_allocation_order_must_be_a_permutation_of_the_four_components(value):
    product = factories.CreditProductFactory.build(allocation_order=value)

    with pytest.raises(ValidationError) as excinfo:
        product.full_clean()
    assert "allocation_order" in excinfo.value.message_dict

    with pytest.raises(IntegrityError), transaction.atomic():
        product.save()
    assert not CreditProduct.objects.exists()


# -- reversals ------------------------------------------------------------------------------------------------


def snapshot(loan, as_of=datetime.date(2026, 4, 1)):
    """Every component of the balance, each schedule row and the days past due."""
    rows = [
        (row.principal_paid, row.interest_paid, row.fee_paid, row.penalty_paid, row.total_unpaid)
        for row in selectors.instalment_allocation(loan)
    ]
    return selectors.loan_balance(loan), rows, selectors.days_past_due(loan, as_of)


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (TransactionKind.REPAYMENT, "300.00"),  # penalty, fee, instalment 1, most of instalment 2
        (TransactionKind.HARVEST_DEDUCTION, "30.00"),
        (TransactionKind.REPAYMENT, "1265.00"),  # everything left: the loan closes, the reversal reopens it
    ],
    ids=["repayment", "harvest-deduction", "repayment-in-full"],
)
def test_a_reversal_restores_every_component_of_the_balance_and_the_days_past_due(
    charged_loan, maker, checker, kind, amount
):
    repay(charged_loan, "15.00", maker, occurred_on=datetime.date(2026, 2, 10))  # penalty, fee, 7.00 interest
    before = snapshot(charged_loan)
    assert before[2] == 45  # instalment 1 still owes 5.00 interest and its principal on 1 April

    payment = repay(charged_loan, amount, maker, kind=kind)
    assert snapshot(charged_loan) != before
    services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Error de digitación")

    assert snapshot(charged_loan) == before
    charged_loan.refresh_from_db()
    assert charged_loan.status == LoanStatus.ACTIVE
    reversal = LoanTransaction.objects.get(kind=TransactionKind.REVERSAL)
    assert portions(reversal) == portions(payment)


def test_a_reversed_waiver_restores_the_balance(charged_loan, maker, checker):
    before = snapshot(charged_loan)
    waiver = services.loan_waive(
        loan=charged_loan, component="penalty", amount=D("3.00"), occurred_on=PAID_ON, recorded_by=checker, reason="X"
    )

    services.loan_reverse(transaction=waiver, recorded_by=checker, occurred_on=PAID_ON, reason="Sin autorización")

    assert snapshot(charged_loan) == before


def test_a_reversed_transaction_cannot_be_reversed_twice_and_counts_once(charged_loan, maker, checker):
    payment = repay(charged_loan, "100.00", maker)
    services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Duplicado")

    with pytest.raises(ValidationError, match="already been reversed"):
        services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Otra vez")

    assert LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 1
    assert selectors.loan_balance(charged_loan).total_outstanding == D("1280.00")


def test_a_reversed_charge_counts_zero_from_the_reversal_date(charged_loan, checker):
    fee = LoanCharge.objects.get(kind=ChargeKind.FEE)

    reversal = services.loan_charge_reverse(
        charge=fee, recorded_by=checker, occurred_on=datetime.date(2026, 2, 5), reason="Cobrado por error"
    )

    assert (reversal.kind, reversal.reverses, reversal.amount, reversal.due_on) == ("reversal", fee, D("5.00"), FEB_15)
    balance = selectors.loan_balance(charged_loan)
    assert (balance.fee_due_total, balance.total_outstanding) == (D("0.00"), D("1275.00"))
    # Still owed on 4 February, before the reversal.
    assert selectors.loan_balance(charged_loan, as_of=datetime.date(2026, 2, 4)).fee_due_total == D("5.00")
    with pytest.raises(ValidationError, match="already been reversed"):
        services.loan_charge_reverse(charge=fee, recorded_by=checker, occurred_on=PAID_ON, reason="Otra vez")
    with pytest.raises(ValidationError, match="cannot be reversed"):
        services.loan_charge_reverse(charge=reversal, recorded_by=checker, occurred_on=PAID_ON, reason="Otra vez")
    assert LoanCharge.objects.filter(kind=ChargeKind.REVERSAL).count() == 1


def test_a_paid_charge_cannot_be_reversed_until_the_payment_is(charged_loan, maker, checker):
    payment = repay(charged_loan, "8.00", maker)  # the penalty and the fee
    fee = LoanCharge.objects.get(kind=ChargeKind.FEE)

    with pytest.raises(ValidationError, match="Reverse those payments first"):
        services.loan_charge_reverse(charge=fee, recorded_by=checker, occurred_on=PAID_ON, reason="Error")
    assert not LoanCharge.objects.filter(kind=ChargeKind.REVERSAL).exists()

    services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Error")
    services.loan_charge_reverse(charge=fee, recorded_by=checker, occurred_on=PAID_ON, reason="Error")

    assert selectors.loan_balance(charged_loan).total_outstanding == D("1275.00")


def test_reversing_the_last_unpaid_charge_closes_the_loan(active_loan, maker, checker):
    # Due after the last instalment (15 July), the fee is the last thing a payment reaches.
    fee = charge(active_loan, ChargeKind.FEE, "5.00", maker, due_on=datetime.date(2026, 8, 1))
    repay(active_loan, "1272.00", maker)  # everything but the fee
    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.ACTIVE

    services.loan_charge_reverse(charge=fee, recorded_by=checker, occurred_on=PAID_ON, reason="No correspondía")

    active_loan.refresh_from_db()
    assert (active_loan.status, active_loan.closed_on) == (LoanStatus.CLOSED, PAID_ON)


# -- waivers and write-offs ----------------------------------------------------------------------------------


def test_a_waiver_forgives_interest_fees_or_penalties_oldest_instalment_first(charged_loan, checker):
    waiver = services.loan_waive(
        loan=charged_loan,
        component="interest",
        amount=D("20.00"),
        occurred_on=PAID_ON,
        recorded_by=checker,
        reason="Campaña",
    )

    assert (waiver.kind, waiver.note) == (TransactionKind.WAIVER, "Campaña")
    assert portions(waiver) == (D("0"), D("0"), D("20.00"), D("0"))
    balance = selectors.loan_balance(charged_loan)
    assert (balance.interest_outstanding, balance.total_outstanding) == (D("52.00"), D("1260.00"))
    allocation = selectors.instalment_allocation(charged_loan)
    assert [row.interest_paid for row in allocation[:3]] == [D("12.00"), D("8.00"), D("0.00")]


@pytest.mark.parametrize(
    ("component", "amount", "field"),
    [("principal", "10.00", "component"), ("fee", "5.01", "amount"), ("penalty", "0", "amount")],
)
def test_a_waiver_cannot_forgive_principal_or_more_than_is_outstanding(charged_loan, checker, component, amount, field):
    with pytest.raises(ValidationError) as excinfo:
        services.loan_waive(
            loan=charged_loan,
            component=component,
            amount=D(amount),
            occurred_on=PAID_ON,
            recorded_by=checker,
            reason="X",
        )

    assert field in excinfo.value.message_dict
    assert not LoanTransaction.objects.filter(kind=TransactionKind.WAIVER).exists()


def test_a_waiver_of_the_last_amount_owed_closes_the_loan(make_active_loan, maker, checker):
    loan = make_active_loan(allocation_order="principal,interest,fee,penalty")
    repay(loan, "1269.00", maker)  # all but 3.00 of the last instalment's interest (paid after its principal)

    services.loan_waive(
        loan=loan, component="interest", amount=D("3.00"), occurred_on=PAID_ON, recorded_by=checker, reason="Redondeo"
    )

    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == (LoanStatus.CLOSED, PAID_ON)


def test_a_write_off_clears_fees_and_penalties_too(charged_loan, maker, checker):
    repay(charged_loan, "2.00", maker)

    write_off = services.loan_write_off(
        loan=charged_loan, recorded_by=checker, occurred_on=PAID_ON, reason="Incobrable"
    )

    assert portions(write_off) == (D("1.00"), D("5.00"), D("72.00"), D("1200.00"))
    assert write_off.amount == D("1278.00")
    assert selectors.loan_balance(charged_loan).total_outstanding == D("0.00")


def test_the_database_checks_all_four_portions_sum_to_the_amount():
    row = factories.LoanTransactionFactory(
        kind="repayment",
        amount=D("20.30"),
        principal_portion=D("12.10"),
        interest_portion=D("3.20"),
        fee_portion=D("4.00"),
        penalty_portion=D("1.00"),
    )
    assert row.pk is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        factories.LoanTransactionFactory(
            kind="repayment",
            amount=D("20.30"),
            principal_portion=D("12.10"),
            interest_portion=D("3.20"),
            fee_portion=D("4.00"),
        )


def test_the_charge_factory_builds_a_row_that_passes_full_clean():
    row = factories.LoanChargeFactory()

    row.full_clean()
    assert (row.kind, row.amount) == ("fee", D("5.00"))
