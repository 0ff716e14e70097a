"""The loan read model (credit.read_models): each loan's balance now, stored on the loan
(Loan.outstanding_principal, outstanding_interest, outstanding_fees, outstanding_penalties, outstanding_total),
equals credit.selectors.annotate_balances with no date after every credit write, in the write's transaction;
the reconciler finds and repairs a loan a write outside the services left behind; the lists and figures that
read the stored columns give what the ledger gives.

The standard loan (see conftest): S/ 1,200 principal, six instalments of S/ 212.00 (S/ 72 interest in all) due
on the 15th from February to July 2026.
"""

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from cooperative.models import Region
from credit import read_models, selectors, services
from credit.models import ChargeKind, Loan, LoanStatus, TransactionKind
from tests import factories

D = Decimal
FEB_15 = datetime.date(2026, 2, 15)
PAID_ON = datetime.date(2026, 3, 1)
pytestmark = pytest.mark.django_db


def stored(loan: Loan) -> dict:
    return Loan.objects.filter(pk=loan.pk).values(*read_models.STORED_FIELDS).get()


def by_the_ledger(loan: Loan) -> dict:
    row = (
        selectors.annotate_balances(Loan.objects.filter(pk=loan.pk)).values(*read_models.STORED_BALANCE.values()).get()
    )
    values = {column: row[annotation] for column, annotation in read_models.STORED_BALANCE.items()}
    values["oldest_unpaid_due_on"] = selectors.loan_oldest_unpaid_due_on(loan)
    return values


def assert_in_step(loan: Loan, **expected: str) -> None:
    """The stored balance equals annotate_balances (and the expected amounts, where given)."""
    row = stored(loan)
    assert row == by_the_ledger(loan)
    for name, amount in expected.items():
        assert row[f"outstanding_{name}"] == D(amount), name


def test_the_stored_balance_follows_every_kind_of_write(approved_loan, maker, checker):
    assert_in_step(approved_loan, principal="0", total="0")  # nothing disbursed yet

    loan = services.loan_disburse(loan=approved_loan, disbursed_by=maker, disbursed_on=datetime.date(2026, 1, 15))
    assert_in_step(loan, principal="1200.00", interest="72.00", fees="0", penalties="0", total="1272.00")
    # The instance the service returns carries the values too (a later save of it keeps them).
    assert loan.outstanding_total == D("1272.00")

    repayment = services.loan_repay(loan=loan, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
    assert_in_step(loan, principal="1000.00", interest="60.00", total="1060.00")

    deduction = services.loan_repay(
        loan=loan,
        amount=D("100.00"),
        occurred_on=PAID_ON,
        recorded_by=maker,
        kind=TransactionKind.HARVEST_DEDUCTION,
    )
    assert_in_step(loan, total="960.00")

    fee = services.loan_charge_add(
        loan=loan, kind=ChargeKind.FEE, amount=D("5.00"), due_on=FEB_15, reason="Gastos", recorded_by=maker,
        occurred_on=PAID_ON,
    )  # fmt: skip
    assert_in_step(loan, fees="5.00", total="965.00")
    penalty = services.loan_charge_add(
        loan=loan, kind=ChargeKind.PENALTY, amount=D("3.00"), due_on=FEB_15, reason="Mora", recorded_by=maker,
        occurred_on=PAID_ON,
    )  # fmt: skip
    assert_in_step(loan, penalties="3.00", total="968.00")

    waiver = services.loan_waive(
        loan=loan, component="penalty", amount=D("3.00"), occurred_on=PAID_ON, recorded_by=maker, reason="Campaña"
    )
    assert_in_step(loan, penalties="0.00", total="965.00")

    services.loan_reverse(transaction=waiver, recorded_by=maker, occurred_on=PAID_ON, reason="Error")
    assert_in_step(loan, penalties="3.00", total="968.00")
    services.loan_reverse(transaction=deduction, recorded_by=maker, occurred_on=PAID_ON, reason="Error")
    assert_in_step(loan, total="1068.00")
    services.loan_reverse(transaction=repayment, recorded_by=maker, occurred_on=PAID_ON, reason="Cheque rechazado")
    assert_in_step(loan, principal="1200.00", interest="72.00", total="1280.00")
    services.loan_charge_reverse(charge=penalty, recorded_by=maker, occurred_on=PAID_ON, reason="Error")
    services.loan_charge_reverse(charge=fee, recorded_by=maker, occurred_on=PAID_ON, reason="Error")
    assert_in_step(loan, fees="0.00", penalties="0.00", total="1272.00")

    write_off = services.loan_write_off(loan=loan, recorded_by=checker, occurred_on=PAID_ON, reason="Incobrable")
    assert_in_step(loan, principal="0.00", interest="0.00", total="0.00")
    assert Loan.objects.get(pk=loan.pk).status == LoanStatus.WRITTEN_OFF
    services.loan_reverse(transaction=write_off, recorded_by=checker, occurred_on=PAID_ON, reason="Pagará")
    assert_in_step(loan, total="1272.00")


def test_paying_everything_closes_the_loan_with_nothing_stored_outstanding(active_loan, maker):
    services.loan_repay(loan=active_loan, amount=D("1272.00"), occurred_on=PAID_ON, recorded_by=maker)

    loan = Loan.objects.get(pk=active_loan.pk)
    assert loan.status == LoanStatus.CLOSED
    assert_in_step(loan, principal="0.00", interest="0.00", total="0.00")


def test_a_write_that_rolls_back_leaves_the_stored_balance_as_it_was(active_loan, maker):
    before = stored(active_loan)

    with pytest.raises(ValidationError), transaction.atomic():
        services.loan_repay(loan=active_loan, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
        assert stored(active_loan)["outstanding_total"] == D("1060.00")  # seen inside the transaction
        raise ValidationError("later step of the same request failed")

    assert stored(active_loan) == before
    # A refused write changes nothing either.
    with pytest.raises(ValidationError):
        services.loan_repay(loan=active_loan, amount=D("5000.00"), occurred_on=PAID_ON, recorded_by=maker)
    assert stored(active_loan) == before


def _insert_repayment_behind_the_services(loan: Loan, user) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO credit_loantransaction (loan_id, kind, occurred_on, amount, principal_portion,"
            " interest_portion, fee_portion, penalty_portion, note, recorded_by_id, created_at)"
            " VALUES (%s, 'repayment', %s, 212.00, 200.00, 12.00, 0, 0, '', %s, %s)",
            [loan.pk, PAID_ON, user.pk, timezone.now()],
        )


def test_the_reconciler_finds_a_raw_sql_repayment_and_repairs_only_that_loan(active_loan, make_active_loan, maker):
    untouched = make_active_loan()
    untouched_before = Loan.objects.values("updated_at").get(pk=untouched.pk)
    assert read_models.reconcile_loan_balances().differing == 0
    _insert_repayment_behind_the_services(active_loan, maker)

    drift = read_models.reconcile_loan_balances()

    assert (drift.checked, drift.differing, drift.fixed) == (2, 1, False)
    assert drift.examples == [
        f"Loan {active_loan.reference}: principal outstanding (S/) stored 1200.00, by the ledger 1000.00; "
        "interest outstanding (S/) stored 72.00, by the ledger 60.00; "
        "total outstanding (S/) stored 1272.00, by the ledger 1060.00; "
        "oldest unpaid due date stored 2026-02-15, by the ledger 2026-03-15"
    ]
    assert stored(active_loan)["outstanding_total"] == D("1272.00")  # without fix, nothing is written

    fixed = read_models.reconcile_loan_balances(fix=True)

    assert (fixed.differing, fixed.fixed) == (1, True)
    assert_in_step(active_loan, principal="1000.00", total="1060.00")
    assert stored(active_loan)["oldest_unpaid_due_on"] == datetime.date(2026, 3, 15)
    assert Loan.objects.values("updated_at").get(pk=untouched.pk) == untouched_before
    again = read_models.reconcile_loan_balances(fix=True)
    assert (again.checked, again.differing, again.examples, again.fixed) == (2, 0, [], False)


def test_the_reconciler_reads_loans_in_batches(make_active_loan, maker, monkeypatch, django_assert_num_queries):
    loans = [make_active_loan() for _ in range(5)]
    services.loan_charge_add(
        loan=loans[0], kind=ChargeKind.FEE, amount=D("5.00"), due_on=FEB_15, reason="Gastos", recorded_by=maker,
        occurred_on=PAID_ON,
    )  # fmt: skip
    Loan.objects.filter(pk=loans[4].pk).update(outstanding_fees=D("1.00"))
    monkeypatch.setattr(read_models, "RECONCILE_BATCH", 2)

    # Savepoint; per batch of 2 loans: the loans, their ledger summed per loan, their instalments, their
    # charges in force; then the empty batch that ends it; release.
    with django_assert_num_queries(1 + 4 * 3 + 1 + 1):
        drift = read_models.reconcile_loan_balances()

    assert (drift.checked, drift.differing) == (5, 1)
    assert drift.examples[0].startswith(f"Loan {loans[4].reference}: fees outstanding (S/) stored 1.00")


def test_the_migration_fills_the_stored_balance_in_one_update(active_loan, make_active_loan, maker):
    services.loan_repay(loan=active_loan, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
    other = make_active_loan()
    services.loan_charge_add(
        loan=other, kind=ChargeKind.PENALTY, amount=D("3.00"), due_on=FEB_15, reason="Mora", recorded_by=maker,
        occurred_on=PAID_ON,
    )  # fmt: skip
    submitted = factories.LoanFactory()
    Loan.objects.update(**dict.fromkeys(read_models.STORED_BALANCE, D("0")))

    importlib.import_module("credit.migrations.0006_loan_outstanding").fill(apps, None)

    for loan in (active_loan, other, submitted):
        assert_in_step(loan)
    assert stored(active_loan)["outstanding_total"] == D("1060.00")
    assert stored(other)["outstanding_penalties"] == D("3.00")


# -- the reads over many loans ---------------------------------------------------------------------------


@pytest.fixture
def portfolio(active_loan, make_active_loan, maker):
    """Today: one loan paid up to the last instalment but one, one with nothing paid (late since February),
    one with a penalty, one closed."""
    services.loan_repay(loan=active_loan, amount=D("848.00"), occurred_on=PAID_ON, recorded_by=maker)
    late = make_active_loan(quantity=D("20"))
    charged = make_active_loan()
    services.loan_repay(loan=charged, amount=D("212.00"), occurred_on=PAID_ON, recorded_by=maker)
    services.loan_charge_add(
        loan=charged, kind=ChargeKind.PENALTY, amount=D("3.00"), due_on=FEB_15, reason="Mora", recorded_by=maker,
        occurred_on=PAID_ON,
    )  # fmt: skip
    closed = make_active_loan()
    services.loan_repay(loan=closed, amount=D("1272.00"), occurred_on=PAID_ON, recorded_by=maker)
    return [active_loan, late, charged, closed]


def test_the_dashboard_figures_from_stored_columns_equal_the_ledger(portfolio):
    from reporting.selectors import _credit_figures

    today = timezone.localdate()
    figures = _credit_figures(Loan.objects.all(), today)

    active = selectors.annotate_balances(Loan.objects.filter(status=LoanStatus.ACTIVE))
    assert figures.active_loans == 3
    assert figures.total_outstanding == sum(loan.total_outstanding for loan in active)
    assert figures.principal_outstanding == sum(loan.principal_outstanding for loan in active)
    late = [loan for loan in active if selectors.days_past_due(loan, today) > 30]
    assert figures.loans_over_30_days == len(late) == 3
    assert figures.par30 == selectors.par_ratio(
        sum(loan.principal_outstanding for loan in late), figures.principal_outstanding
    )


def test_the_portfolio_of_today_from_stored_columns_equals_the_ledger_replay(portfolio, monkeypatch):
    today = timezone.localdate()
    for group_by in selectors.GROUP_BY:
        now = selectors.portfolio_report(as_of=today, regions=Region.objects.all(), group_by=group_by)
        # The same date read from the ledger: the report believes today is another day.
        monkeypatch.setattr("credit.selectors.portfolio.timezone.localdate", lambda: today + datetime.timedelta(1))
        replayed = selectors.portfolio_report(as_of=today, regions=Region.objects.all(), group_by=group_by)
        monkeypatch.undo()

        assert now == replayed
        assert now.total.loans == 3
    assert selectors.portfolio_at_risk_report(today) == {1: D("1.0000"), 30: D("1.0000"), 90: D("1.0000")}


def test_the_portfolio_of_today_takes_one_query(portfolio, django_assert_num_queries):
    # 1: the loans with something outstanding, grouped by region, summed in SQL.
    with django_assert_num_queries(1):
        report = selectors.portfolio_report(
            as_of=timezone.localdate(), regions=Region.objects.all(), group_by=selectors.GROUP_BY_REGION
        )

    assert report.total.total_outstanding == sum(
        loan.total_outstanding for loan in selectors.annotate_balances(Loan.objects.all())
    )


def test_the_api_loans_show_the_stored_balance(portfolio, manager_client):
    rows = {row["reference"]: row for row in manager_client.get("/api/v1/loans/").json()["results"]}

    for loan in selectors.annotate_balances(Loan.objects.all()):
        assert D(rows[loan.reference]["principal_outstanding"]) == loan.principal_outstanding
        assert D(rows[loan.reference]["total_outstanding"]) == loan.total_outstanding


def test_the_loan_list_overdue_filter_reads_the_stored_due_date(portfolio, credit_officer_client):
    response = credit_officer_client.get(reverse("loan_list"), {"overdue": "on"})

    listed = {loan.reference: loan for loan in response.context["page_obj"]}
    today = timezone.localdate()
    assert set(listed) == {loan.reference for loan in selectors.overdue_loans(Loan.objects.all(), today)}
    for reference, loan in listed.items():
        assert loan.days_past_due == selectors.days_past_due(loan, today), reference
        assert loan.outstanding_total == selectors.loan_balance(loan).total_outstanding


def test_the_seeded_dataset_stores_what_its_ledger_says():
    from bench.seeding.run import seed_scale

    seed_scale(members=120, progress=False)

    drift = read_models.reconcile_loan_balances()
    assert (drift.differing, drift.examples) == (0, [])
    assert drift.checked == Loan.objects.count() > 30
    statuses = set(Loan.objects.filter(outstanding_total__gt=0).values_list("status", flat=True))
    assert statuses == {LoanStatus.ACTIVE}
    assert Loan.objects.filter(status=LoanStatus.CLOSED, outstanding_total=0).exists()
