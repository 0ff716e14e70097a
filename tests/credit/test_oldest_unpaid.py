"""Loan.oldest_unpaid_due_on, which the dashboard and the summary report count late loans with: every credit
service keeps it equal to what the schedule, the ledger and the charges say, and the days past due it gives
equal credit.selectors.days_past_due.

The standard loan (see conftest): six instalments of S/ 212.00 due on the 15th from February to July 2026.
"""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone

from credit import selectors, services
from credit.models import ChargeKind, Loan, LoanStatus

D = Decimal
FEB_15, MAR_15, APR_15 = datetime.date(2026, 2, 15), datetime.date(2026, 3, 15), datetime.date(2026, 4, 15)
PAID_ON = datetime.date(2026, 3, 1)
JUNE_1 = datetime.date(2026, 6, 1)
pytestmark = pytest.mark.django_db


def assert_kept(loan: Loan, expected: datetime.date | None) -> None:
    """The stored date is the expected one, what the selector computes, and gives the selector's days past
    due (every ledger row and charge here is dated 1 March, before JUNE_1)."""
    stored = Loan.objects.get(pk=loan.pk).oldest_unpaid_due_on
    assert stored == expected
    assert stored == selectors.loan_oldest_unpaid_due_on(loan)
    assert selectors.days_past_due(loan, JUNE_1) == (max((JUNE_1 - stored).days, 0) if stored else 0)


def test_each_service_keeps_the_oldest_unpaid_due_date(active_loan, maker):
    assert_kept(active_loan, FEB_15)

    first = services.loan_repay(loan=active_loan, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
    assert_kept(active_loan, MAR_15)

    # A penalty owed with the first instalment makes it unpaid again; reversing it settles it.
    penalty = services.loan_charge_add(
        loan=active_loan,
        kind=ChargeKind.PENALTY,
        amount=D("3.00"),
        due_on=FEB_15,
        reason="Pago atrasado",
        recorded_by=maker,
        occurred_on=PAID_ON,
    )
    assert_kept(active_loan, FEB_15)
    services.loan_charge_reverse(charge=penalty, recorded_by=maker, occurred_on=PAID_ON, reason="Error de registro")
    assert_kept(active_loan, MAR_15)

    # Interest waived on the second instalment leaves its principal owed.
    services.loan_waive(
        loan=active_loan,
        component="interest",
        amount=D("12.00"),
        occurred_on=PAID_ON,
        recorded_by=maker,
        reason="Campaña de apoyo",
    )
    assert_kept(active_loan, MAR_15)

    services.loan_reverse(transaction=first, recorded_by=maker, occurred_on=PAID_ON, reason="Cheque rechazado")
    assert_kept(active_loan, FEB_15)

    outstanding = selectors.loan_balance(active_loan).total_outstanding
    services.loan_repay(loan=active_loan, amount=outstanding, occurred_on=PAID_ON, recorded_by=maker)
    assert Loan.objects.get(pk=active_loan.pk).status == LoanStatus.CLOSED
    assert_kept(active_loan, None)


def test_a_loan_not_yet_disbursed_has_none(approved_loan):
    assert Loan.objects.get(pk=approved_loan.pk).oldest_unpaid_due_on is None


def test_the_days_past_due_it_gives_equal_the_selector_on_any_date(active_loan, maker):
    services.loan_repay(loan=active_loan, amount=D("300.00"), occurred_on=PAID_ON, recorded_by=maker)
    stored = Loan.objects.get(pk=active_loan.pk).oldest_unpaid_due_on
    assert stored == MAR_15
    for as_of in (MAR_15, datetime.date(2026, 3, 16), APR_15, datetime.date(2026, 11, 29)):
        assert selectors.days_past_due(active_loan, as_of) == max((as_of - stored).days, 0)


def test_the_migration_fills_loans_recorded_before_the_field(active_loan, maker):
    services.loan_repay(loan=active_loan, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
    Loan.objects.filter(pk=active_loan.pk).update(oldest_unpaid_due_on=None)

    importlib.import_module("credit.migrations.0005_loan_oldest_unpaid_due_on").fill(apps, None)

    assert Loan.objects.get(pk=active_loan.pk).oldest_unpaid_due_on == MAR_15


def test_the_api_reports_days_past_due_with_fees_and_penalties(active_loan, maker, manager_client):
    services.loan_repay(loan=active_loan, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
    services.loan_charge_add(
        loan=active_loan,
        kind=ChargeKind.PENALTY,
        amount=D("3.00"),
        due_on=FEB_15,
        reason="Pago atrasado",
        recorded_by=maker,
        occurred_on=PAID_ON,
    )
    today = timezone.localdate()

    row = manager_client.get("/api/v1/loans/").json()["results"][0]

    # The first instalment is paid but for its penalty: it is the one overdue.
    assert row["days_past_due"] == (today - FEB_15).days == selectors.days_past_due(active_loan, today)
