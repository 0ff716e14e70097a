"""Repayments, harvest deductions, reversals and write-offs on the append-only ledger.

The standard active loan (see conftest): six instalments of S/ 200.00 principal + S/ 12.00 interest,
S/ 1,272.00 in all, disbursed 15 Jan 2026.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from credit import selectors, services
from credit.models import LoanStatus, LoanTransaction, TransactionKind
from tests import factories
from tests.credit.conftest import DISBURSED_ON

D = Decimal
PAID_ON = datetime.date(2026, 2, 14)
pytestmark = pytest.mark.django_db


def repay(loan, amount, user, **kwargs):
    kwargs.setdefault("occurred_on", PAID_ON)
    return services.loan_repay(loan=loan, amount=D(amount), recorded_by=user, **kwargs)


def test_a_repayment_goes_to_interest_before_principal_of_the_oldest_instalment(active_loan, maker):
    first = repay(active_loan, "100.00", maker)

    first.refresh_from_db()
    assert (first.kind, first.amount) == (TransactionKind.REPAYMENT, D("100.00"))
    assert (first.interest_portion, first.principal_portion) == (D("12.00"), D("88.00"))

    # 112 finishes instalment 1's principal, then 12 interest and 26 principal of instalment 2.
    second = repay(active_loan, "150.00", maker)

    second.refresh_from_db()
    assert (second.interest_portion, second.principal_portion) == (D("12.00"), D("138.00"))
    allocation = selectors.instalment_allocation(active_loan)
    assert [(paid.interest_paid, paid.principal_paid, paid.is_paid) for paid in allocation[:3]] == [
        (D("12.00"), D("200.00"), True),
        (D("12.00"), D("26.00"), False),
        (D("0.00"), D("0.00"), False),
    ]
    balance = selectors.loan_balance(active_loan)
    assert (balance.principal_paid, balance.interest_paid) == (D("226.00"), D("24.00"))
    assert balance.total_outstanding == D("1022.00")
    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.ACTIVE


def test_it_rejects_repayment_above_outstanding_balance_and_writes_nothing(active_loan, maker):
    repay(active_loan, "272.00", maker)
    transactions_before = LoanTransaction.objects.count()

    with pytest.raises(ValidationError) as excinfo:
        repay(active_loan, "1000.01", maker)

    assert excinfo.value.message_dict == {"amount": ["S/ 1000.01 is more than the outstanding balance of S/ 1000.00."]}
    assert LoanTransaction.objects.count() == transactions_before
    assert selectors.loan_balance(active_loan).total_outstanding == D("1000.00")


def test_paying_everything_closes_the_loan(active_loan, maker):
    repay(active_loan, "272.00", maker)
    last = repay(active_loan, "1000.00", maker, occurred_on=datetime.date(2026, 6, 30))

    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.CLOSED
    assert active_loan.closed_on == datetime.date(2026, 6, 30)
    assert last.loan.status == LoanStatus.CLOSED
    assert selectors.loan_balance(active_loan).total_outstanding == D("0.00")
    assert all(paid.is_paid for paid in selectors.instalment_allocation(active_loan))
    with pytest.raises(ValidationError):
        repay(active_loan, "1.00", maker)


@pytest.mark.parametrize(
    ("amount", "occurred_on", "field"),
    [
        ("0.00", PAID_ON, "amount"),
        ("-5.00", PAID_ON, "amount"),
        ("10.005", PAID_ON, "amount"),
        ("10.00", DISBURSED_ON - datetime.timedelta(days=1), "occurred_on"),
        ("10.00", None, "occurred_on"),
    ],
    ids=["zero", "negative", "fraction-of-centimo", "before-disbursement", "future"],
)
def test_invalid_repayments_are_refused(active_loan, maker, amount, occurred_on, field):
    occurred_on = occurred_on or timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as excinfo:
        repay(active_loan, amount, maker, occurred_on=occurred_on)

    assert field in excinfo.value.message_dict
    assert LoanTransaction.objects.filter(kind=TransactionKind.REPAYMENT).count() == 0


def test_repayments_need_an_active_loan(approved_loan, maker):
    with pytest.raises(ValidationError, match="active loan"):
        repay(approved_loan, "10.00", maker)

    assert LoanTransaction.objects.count() == 0


def test_a_harvest_deduction_is_capped_by_the_products_share_of_the_delivery_payment(active_loan, maker):
    with pytest.raises(ValidationError) as excinfo:
        repay(active_loan, "150.01", maker, kind=TransactionKind.HARVEST_DEDUCTION, delivery_payment=D("500.00"))
    assert "S/ 150.00" in excinfo.value.message_dict["amount"][0]

    deduction = repay(active_loan, "150.00", maker, kind=TransactionKind.HARVEST_DEDUCTION, delivery_payment=D("500"))

    deduction.refresh_from_db()
    assert deduction.kind == TransactionKind.HARVEST_DEDUCTION
    assert (deduction.interest_portion, deduction.principal_portion) == (D("12.00"), D("138.00"))
    assert LoanTransaction.objects.filter(kind=TransactionKind.HARVEST_DEDUCTION).count() == 1


def test_a_repayment_cannot_be_recorded_as_another_kind(active_loan, maker):
    with pytest.raises(ValidationError):
        repay(active_loan, "10.00", maker, kind=TransactionKind.WAIVER)

    assert LoanTransaction.objects.exclude(kind=TransactionKind.DISBURSEMENT).count() == 0


def test_a_reversal_restores_the_balance_and_reopens_a_closed_loan(active_loan, maker, checker):
    part = repay(active_loan, "272.00", maker)
    rest = repay(active_loan, "1000.00", maker)
    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.CLOSED

    reversal = services.loan_reverse(
        transaction=rest, recorded_by=checker, occurred_on=datetime.date(2026, 2, 20), reason="Cheque sin fondos"
    )

    reversal.refresh_from_db()
    assert reversal.kind == TransactionKind.REVERSAL
    assert reversal.reverses == rest
    assert (reversal.amount, reversal.principal_portion, reversal.interest_portion) == (
        rest.amount,
        rest.principal_portion,
        rest.interest_portion,
    )
    assert reversal.note == "Cheque sin fondos"
    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.ACTIVE
    assert active_loan.closed_on is None
    balance = selectors.loan_balance(active_loan)
    assert balance.total_outstanding == D("1000.00")
    assert (balance.principal_paid, balance.interest_paid) == (part.principal_portion, part.interest_portion)
    # Both entries stay in the ledger.
    assert LoanTransaction.objects.filter(loan=active_loan).count() == 4


def test_after_reversing_an_older_payment_later_payments_count_for_the_oldest_instalment(active_loan, maker, checker):
    first = repay(active_loan, "212.00", maker)  # instalment 1 in full
    repay(active_loan, "12.00", maker)  # interest of instalment 2
    services.loan_reverse(transaction=first, recorded_by=checker, occurred_on=PAID_ON, reason="Error de digitación")

    # The remaining 12.00 of interest paid now covers instalment 1's interest, so its principal is next.
    allocation = selectors.instalment_allocation(active_loan)
    assert [(paid.interest_paid, paid.principal_paid) for paid in allocation[:2]] == [
        (D("12.00"), D("0.00")),
        (D("0.00"), D("0.00")),
    ]
    refill = repay(active_loan, "30.00", maker)

    refill.refresh_from_db()
    assert (refill.interest_portion, refill.principal_portion) == (D("0.00"), D("30.00"))
    allocation = selectors.instalment_allocation(active_loan)
    assert [(paid.interest_paid, paid.principal_paid) for paid in allocation[:2]] == [
        (D("12.00"), D("30.00")),
        (D("0.00"), D("0.00")),
    ]


def test_a_transaction_cannot_be_reversed_twice(active_loan, maker, checker):
    payment = repay(active_loan, "50.00", maker)
    services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Duplicado")

    with pytest.raises(ValidationError, match="already been reversed"):
        services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Otra vez")

    assert LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 1
    assert selectors.loan_balance(active_loan).total_outstanding == D("1272.00")


def test_disbursements_and_reversals_cannot_be_reversed(active_loan, maker, checker):
    disbursement = LoanTransaction.objects.get(kind=TransactionKind.DISBURSEMENT)
    payment = repay(active_loan, "50.00", maker)
    reversal = services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Error")

    for entry in (disbursement, reversal):
        with pytest.raises(ValidationError, match="cannot be reversed"):
            services.loan_reverse(transaction=entry, recorded_by=checker, occurred_on=PAID_ON, reason="Error")

    assert LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 1


def test_a_reversal_needs_a_reason_and_cannot_predate_the_original(active_loan, maker, checker):
    payment = repay(active_loan, "50.00", maker)

    with pytest.raises(ValidationError):
        services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason=" ")
    with pytest.raises(ValidationError):
        services.loan_reverse(
            transaction=payment, recorded_by=checker, occurred_on=PAID_ON - datetime.timedelta(days=1), reason="X"
        )

    assert LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 0


def test_ledger_entries_cannot_be_edited_or_deleted(active_loan, maker):
    payment = repay(active_loan, "50.00", maker)

    payment.amount = D("5.00")
    with pytest.raises(ValidationError):
        payment.save()
    with pytest.raises(ValidationError):
        payment.delete()

    payment.refresh_from_db()
    assert payment.amount == D("50.00")
    assert LoanTransaction.objects.filter(pk=payment.pk).exists()


def test_a_write_off_clears_the_whole_outstanding_balance(active_loan, maker, checker):
    repay(active_loan, "100.00", maker)

    write_off = services.loan_write_off(
        loan=active_loan, recorded_by=checker, occurred_on=datetime.date(2026, 11, 1), reason="Socio fallecido"
    )

    write_off.refresh_from_db()
    assert write_off.kind == TransactionKind.WRITE_OFF
    assert (write_off.amount, write_off.principal_portion, write_off.interest_portion) == (
        D("1172.00"),
        D("1112.00"),
        D("60.00"),
    )
    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.WRITTEN_OFF
    assert selectors.loan_balance(active_loan).total_outstanding == D("0.00")
    with pytest.raises(ValidationError):
        repay(active_loan, "10.00", maker)


def test_only_an_active_loan_can_be_written_off(approved_loan, checker):
    with pytest.raises(ValidationError, match="active loan"):
        services.loan_write_off(loan=approved_loan, recorded_by=checker, occurred_on=DISBURSED_ON, reason="X")

    approved_loan.refresh_from_db()
    assert approved_loan.status == LoanStatus.APPROVED
    assert LoanTransaction.objects.count() == 0


def test_reversing_a_write_off_makes_the_loan_active_again(active_loan, checker, maker):
    write_off = services.loan_write_off(loan=active_loan, recorded_by=checker, occurred_on=PAID_ON, reason="X")
    payment_before = factories.UserFactory()  # a payment can no longer be recorded while written off
    with pytest.raises(ValidationError):
        repay(active_loan, "10.00", payment_before)

    services.loan_reverse(transaction=write_off, recorded_by=checker, occurred_on=PAID_ON, reason="Socio pagará")

    active_loan.refresh_from_db()
    assert active_loan.status == LoanStatus.ACTIVE
    assert selectors.loan_balance(active_loan).total_outstanding == D("1272.00")
    repay(active_loan, "10.00", maker)
    assert selectors.loan_balance(active_loan).total_outstanding == D("1262.00")


def test_a_repayment_of_a_written_off_loan_cannot_be_reversed(active_loan, maker, checker):
    payment = repay(active_loan, "100.00", maker)
    services.loan_write_off(loan=active_loan, recorded_by=checker, occurred_on=PAID_ON, reason="X")

    with pytest.raises(ValidationError):
        services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=PAID_ON, reason="Error")

    assert LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 0


@pytest.mark.django_db
def test_the_database_checks_portions_to_the_centimo_even_where_decimals_add_in_floating_point():
    from django.db import IntegrityError, transaction

    from tests.factories import LoanTransactionFactory

    row = LoanTransactionFactory(
        kind="repayment", amount=Decimal("15.30"), principal_portion=Decimal("12.10"), interest_portion=Decimal("3.20")
    )
    assert row.pk is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanTransactionFactory(
            kind="repayment",
            amount=Decimal("15.31"),
            principal_portion=Decimal("12.10"),
            interest_portion=Decimal("3.20"),
        )


@pytest.mark.django_db
def test_bulk_update_and_delete_of_ledger_entries_are_refused():
    from django.core.exceptions import ValidationError

    from credit.models import LoanCharge, LoanTransaction

    for model in (LoanTransaction, LoanCharge):
        with pytest.raises(ValidationError, match="append-only"):
            model.objects.all().update(note="x") if model is LoanTransaction else model.objects.all().update(reason="x")
        with pytest.raises(ValidationError, match="append-only"):
            model.objects.all().delete()


@pytest.mark.django_db
def test_on_postgresql_raw_sql_cannot_change_the_ledger(on_postgres, active_loan):
    from django.db import DatabaseError, connection, transaction

    for sql in (
        "UPDATE credit_loantransaction SET note = 'x' WHERE loan_id = %s",
        "DELETE FROM credit_loantransaction WHERE loan_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [active_loan.pk])

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_trigger WHERE tgname = 'credit_loancharge_append_only'")
        assert cursor.fetchone()[0] == 1
