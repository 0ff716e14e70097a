"""Settling a delivery: credit deductions through the loan ledger within the cap, oldest loan first, never more
than a loan owes; other deductions; net = gross − deductions; all or nothing; once only; the reversal."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from credit import selectors as credit_selectors
from credit import services as credit_services
from credit.models import LoanStatus, LoanTransaction, TransactionKind
from deliveries import selectors, services
from deliveries.models import DeductionKind, DeliveryReversal, Settlement, SettlementDeduction
from tests import factories
from tests.deliveries.conftest import LOAN_TOTAL, PAID_ON, make_loan, record

pytestmark = pytest.mark.django_db


def settle(delivery, user, **values):
    return services.delivery_settle(
        delivery=delivery,
        paid_on=values.pop("paid_on", PAID_ON),
        settled_by=user,
        **values,
    )


def outstanding(loan) -> Decimal:
    return credit_selectors.loan_balance(loan).total_outstanding


def credit_lines(settlement) -> list[tuple[int, Decimal]]:
    return [
        (line.loan_id, line.amount)
        for line in settlement.deductions.filter(kind=DeductionKind.CREDIT_REPAYMENT).order_by("id")
    ]


def harvest_deductions(loan) -> list[LoanTransaction]:
    return list(LoanTransaction.objects.filter(loan=loan, kind=TransactionKind.HARVEST_DEDUCTION))


def test_the_credit_deduction_takes_at_most_the_loans_cap_of_the_payment(cocoa_farm, cashier, older_loan):
    delivery = record(cocoa_farm, cashier, quantity="100.00")  # S/ 850.00; 30 % = S/ 255.00

    settlement = settle(delivery, cashier)

    assert credit_lines(settlement) == [(older_loan.pk, Decimal("255.00"))]
    assert settlement.total_deductions == Decimal("255.00")
    assert settlement.net_paid == Decimal("595.00")
    assert outstanding(older_loan) == LOAN_TOTAL - Decimal("255.00")


def test_the_loan_ledger_shows_the_harvest_deduction(cocoa_farm, cashier, older_loan):
    delivery = record(cocoa_farm, cashier, quantity="100.00")

    settlement = settle(delivery, cashier)

    [entry] = harvest_deductions(older_loan)
    assert (entry.amount, entry.occurred_on, entry.recorded_by) == (Decimal("255.00"), PAID_ON, cashier)
    assert delivery.reference in entry.note
    assert entry.principal_portion + entry.interest_portion == entry.amount
    assert settlement.deductions.get().loan_transaction == entry


def test_a_loan_is_repaid_at_most_what_it_owes_and_is_closed(delivery, cashier, older_loan):
    # S/ 8,500.00 × 30 % = S/ 2,550.00, more than the S/ 1,272.00 owed.
    settlement = settle(delivery, cashier)

    assert credit_lines(settlement) == [(older_loan.pk, LOAN_TOTAL)]
    assert settlement.net_paid == Decimal("8500.00") - LOAN_TOTAL
    older_loan.refresh_from_db()
    assert older_loan.status == LoanStatus.CLOSED
    assert outstanding(older_loan) == Decimal("0.00")


def test_the_oldest_loan_is_repaid_first_and_the_rest_spills_to_the_next(cocoa_farm, cashier, older_loan, newer_loan):
    # S/ 3,000.00: caps 30 % = 900 (older) and 50 % = 1,500 (newer); 1,500 in all. The older takes its 900,
    # the newer the 600 left.
    delivery = record(cocoa_farm, cashier, quantity="300.00", price="10.00")

    settlement = settle(delivery, cashier)

    assert credit_lines(settlement) == [(older_loan.pk, Decimal("900.00")), (newer_loan.pk, Decimal("600.00"))]
    assert settlement.total_deductions == Decimal("1500.00")
    assert settlement.net_paid == Decimal("1500.00")
    assert outstanding(older_loan) == LOAN_TOTAL - Decimal("900.00")
    assert outstanding(newer_loan) == LOAN_TOTAL - Decimal("600.00")


def test_a_large_payment_clears_both_loans_and_takes_no_more(delivery, cashier, older_loan, newer_loan):
    settlement = settle(delivery, cashier)

    assert credit_lines(settlement) == [(older_loan.pk, LOAN_TOTAL), (newer_loan.pk, LOAN_TOTAL)]
    assert settlement.net_paid == Decimal("8500.00") - 2 * LOAN_TOTAL
    assert {loan.status for loan in [older_loan, newer_loan] if not loan.refresh_from_db()} == {LoanStatus.CLOSED}


def test_other_deductions_are_recorded_and_net_is_gross_minus_all_deductions(cocoa_farm, cashier, older_loan):
    delivery = record(cocoa_farm, cashier, quantity="100.00")  # S/ 850.00

    settlement = settle(
        delivery,
        cashier,
        other_deductions=[
            (DeductionKind.ASSOCIATION_FEE, Decimal("20.00"), ""),
            (DeductionKind.TRANSPORT, Decimal("15.50"), ""),
            (DeductionKind.OTHER, Decimal("4.50"), "Sacos"),
        ],
    )

    lines = list(settlement.deductions.order_by("id").values_list("kind", "amount", "note"))
    assert lines == [
        ("credit_repayment", Decimal("255.00"), ""),
        ("association_fee", Decimal("20.00"), ""),
        ("transport", Decimal("15.50"), ""),
        ("other", Decimal("4.50"), "Sacos"),
    ]
    settlement.refresh_from_db()
    assert settlement.gross_amount == Decimal("850.00")
    assert settlement.total_deductions == Decimal("295.00")
    assert settlement.net_paid == Decimal("555.00")
    assert settlement.net_paid == settlement.gross_amount - settlement.total_deductions


def test_without_credit_the_loans_are_left_alone(delivery, cashier, older_loan):
    settlement = settle(delivery, cashier, apply_credit=False)

    assert settlement.net_paid == Decimal("8500.00")
    assert harvest_deductions(older_loan) == []


def test_a_member_without_loans_is_paid_the_gross_less_other_deductions(delivery, cashier):
    settlement = settle(delivery, cashier, other_deductions=[(DeductionKind.TRANSPORT, Decimal("100.00"), "")])

    assert settlement.net_paid == Decimal("8400.00")


def test_other_deductions_above_the_gross_are_refused_and_nothing_is_written(cocoa_farm, cashier, older_loan):
    delivery = record(cocoa_farm, cashier, quantity="10.00")  # S/ 85.00

    with pytest.raises(ValidationError) as error:
        settle(delivery, cashier, other_deductions=[(DeductionKind.TRANSPORT, Decimal("85.01"), "")])

    assert "more than the gross amount" in error.value.message_dict["other_deductions"][0]
    assert not Settlement.objects.exists()
    assert harvest_deductions(older_loan) == []


def test_other_deductions_equal_to_the_gross_leave_nothing_for_credit_and_pay_zero(cocoa_farm, cashier, older_loan):
    delivery = record(cocoa_farm, cashier, quantity="10.00")  # S/ 85.00

    settlement = settle(delivery, cashier, other_deductions=[(DeductionKind.ASSOCIATION_FEE, Decimal("85.00"), "")])

    assert settlement.net_paid == Decimal("0.00")
    assert credit_lines(settlement) == []
    assert harvest_deductions(older_loan) == []


def test_a_loan_disbursed_after_the_payment_date_is_not_deducted(delivery, cashier, member):
    later = make_loan(member, percent="30.00", disbursed_on=datetime.date(2026, 11, 1))

    settlement = settle(delivery, cashier)

    assert credit_lines(settlement) == []
    assert outstanding(later) == LOAN_TOTAL


def test_a_loan_of_another_member_is_not_deducted(delivery, cashier):
    stranger = make_loan(factories.MemberFactory(), percent="30.00", disbursed_on=datetime.date(2026, 1, 15))

    settle(delivery, cashier)

    assert outstanding(stranger) == LOAN_TOTAL


def test_a_delivery_is_settled_only_once(delivery, cashier, older_loan):
    settle(delivery, cashier, paid_on=PAID_ON)

    with pytest.raises(ValidationError, match="already been settled"):
        settle(delivery, cashier, paid_on=PAID_ON)

    assert Settlement.objects.count() == 1
    assert len(harvest_deductions(older_loan)) == 1


@pytest.mark.parametrize(
    ("paid_on", "message"),
    [
        (datetime.date(2026, 10, 14), "before it was delivered"),
        (datetime.date.today() + datetime.timedelta(days=1), "future"),
    ],
)
def test_it_refuses_a_payment_date_before_the_delivery_or_in_the_future(delivery, cashier, paid_on, message):
    with pytest.raises(ValidationError) as error:
        settle(delivery, cashier, paid_on=paid_on)

    assert message in error.value.message_dict["paid_on"][0]
    assert not Settlement.objects.exists()


def test_a_failure_after_the_first_loans_repayment_writes_nothing(
    monkeypatch, cocoa_farm, cashier, older_loan, newer_loan
):
    delivery = record(cocoa_farm, cashier, quantity="300.00", price="10.00")
    real_repay = credit_services.loan_repay
    calls = []

    def repay_then_fail(**kwargs):
        calls.append(kwargs["loan"].pk)
        if len(calls) == 2:
            raise RuntimeError("the line to the database dropped")
        return real_repay(**kwargs)

    monkeypatch.setattr(credit_services, "loan_repay", repay_then_fail)

    with pytest.raises(RuntimeError):
        settle(delivery, cashier)

    assert calls == [older_loan.pk, newer_loan.pk]  # the first repayment was posted before the failure
    assert not Settlement.objects.exists()
    assert not SettlementDeduction.objects.exists()
    assert not LoanTransaction.objects.filter(kind=TransactionKind.HARVEST_DEDUCTION).exists()
    assert outstanding(older_loan) == LOAN_TOTAL
    assert outstanding(newer_loan) == LOAN_TOTAL
    # ... and the delivery can still be settled once the problem is gone.
    monkeypatch.setattr(credit_services, "loan_repay", real_repay)
    assert settle(delivery, cashier).total_deductions == Decimal("1500.00")


def test_a_ledger_refusal_on_the_second_loan_writes_nothing(monkeypatch, cocoa_farm, cashier, older_loan, newer_loan):
    """The ledger's own check (here: an amount above the cap it computes) undoes the first repayment too."""
    delivery = record(cocoa_farm, cashier, quantity="300.00", price="10.00")
    real_repay = credit_services.loan_repay

    def repay(**kwargs):
        if kwargs["loan"].pk == newer_loan.pk:
            kwargs["amount"] = kwargs["delivery_payment"]  # 100 % of the payment: above the 50 % cap
        return real_repay(**kwargs)

    monkeypatch.setattr(credit_services, "loan_repay", repay)

    with pytest.raises(ValidationError):
        settle(delivery, cashier)

    assert not Settlement.objects.exists()
    assert not LoanTransaction.objects.filter(kind=TransactionKind.HARVEST_DEDUCTION).exists()


def test_the_preview_shows_what_the_settlement_then_deducts_and_writes_nothing(
    cocoa_farm, cashier, older_loan, newer_loan
):
    delivery = record(cocoa_farm, cashier, quantity="300.00", price="10.00")
    others = [(DeductionKind.TRANSPORT, Decimal("30.00"), "")]

    plan = selectors.settlement_plan(delivery=delivery, paid_on=PAID_ON, other_deductions=others)

    assert not Settlement.objects.exists()
    assert harvest_deductions(older_loan) == []
    settlement = settle(delivery, cashier, other_deductions=others)
    assert credit_lines(settlement) == [(line.loan_id, line.amount) for line in plan.credit_lines]
    assert (settlement.total_deductions, settlement.net_paid) == (plan.total_deductions, plan.net_paid)


def test_the_database_checks_that_net_is_gross_minus_deductions(delivery, cashier):
    with (
        pytest.raises(IntegrityError, match="deliveries_settlement_net_is_gross_minus_deductions"),
        transaction.atomic(),
    ):
        Settlement.objects.create(
            delivery=delivery,
            paid_on=PAID_ON,
            gross_amount=Decimal("8500.00"),
            total_deductions=Decimal("100.00"),
            net_paid=Decimal("8500.00"),
            settled_by=cashier,
        )


def test_the_database_checks_that_a_credit_deduction_names_its_loan(delivery, cashier):
    settlement = settle(delivery, cashier)

    with pytest.raises(IntegrityError, match="deliveries_deduction_credit_names_loan"), transaction.atomic():
        SettlementDeduction.objects.create(
            settlement=settlement, kind=DeductionKind.CREDIT_REPAYMENT, amount=Decimal("1.00")
        )


def test_a_settlement_and_its_lines_cannot_be_edited_or_deleted(delivery, cashier, older_loan):
    settlement = settle(delivery, cashier)
    line = settlement.deductions.get()

    for row in (settlement, line):
        with pytest.raises(ValidationError, match="append-only"):
            row.save()
        with pytest.raises(ValidationError, match="append-only"):
            row.delete()


# -- reversal ------------------------------------------------------------------------------------------------


def test_reversing_a_settled_delivery_reverses_its_loan_repayments(delivery, cashier, older_loan, newer_loan):
    settle(delivery, cashier)
    reverse_on = datetime.date(2026, 10, 25)

    reversal = services.delivery_reverse(
        delivery=delivery, reversed_on=reverse_on, reason="Peso mal registrado", reversed_by=cashier
    )

    assert reversal.delivery == delivery
    for loan in (older_loan, newer_loan):
        loan.refresh_from_db()
        assert loan.status == LoanStatus.ACTIVE  # the deduction had closed it
        assert outstanding(loan) == LOAN_TOTAL
        [entry] = harvest_deductions(loan)
        assert entry.reversed_by.occurred_on == reverse_on
        assert delivery.reference in entry.reversed_by.note
    assert Settlement.objects.filter(delivery=delivery).exists()  # kept, marked reversed


def test_a_reversed_delivery_cannot_be_settled_nor_reversed_again(delivery, cashier):
    services.delivery_reverse(delivery=delivery, reversed_on=PAID_ON, reason="Duplicada", reversed_by=cashier)

    with pytest.raises(ValidationError, match="reversed"):
        settle(delivery, cashier)
    with pytest.raises(ValidationError, match="already been reversed"):
        services.delivery_reverse(delivery=delivery, reversed_on=PAID_ON, reason="Otra vez", reversed_by=cashier)
    assert DeliveryReversal.objects.count() == 1


@pytest.mark.parametrize(
    ("reason", "reversed_on", "field"),
    [
        ("  ", PAID_ON, "reason"),
        ("x" * 201, PAID_ON, "reason"),
        ("Duplicada", datetime.date(2026, 10, 19), "reversed_on"),  # before the payment
    ],
)
def test_a_reversal_needs_a_reason_and_a_date_after_the_payment(delivery, cashier, reason, reversed_on, field):
    settle(delivery, cashier)

    with pytest.raises(ValidationError) as error:
        services.delivery_reverse(delivery=delivery, reversed_on=reversed_on, reason=reason, reversed_by=cashier)

    assert field in error.value.message_dict
    assert not DeliveryReversal.objects.exists()
