"""`manage.py reconcile_figures`: writes made in SQL behind the application's back leave the read models behind
their source rows; the command shows the drift per read model, repairs it with --fix, and then finds none."""

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from certifications.models import CertificationStatus
from credit.models import LoanTransaction
from reporting.read_models import RECONCILERS, reconcile_all
from tests.factories import (
    CertificationEventFactory,
    CertificationFactory,
    FarmFactory,
    MemberFactory,
    standard,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(reference_data, disburse):
    """A member with a located farm, two closed certifications of it under one standard, and a loan of S/ 1,000
    disbursed 40 days ago;
    the read models brought in line with them first (factories write rows, not read models)."""
    member = MemberFactory(code="BA-00001")
    farm = FarmFactory(member=member, name="La Loma", hectares=Decimal("2.00"))
    older = CertificationFactory(farm=farm, standard=standard("organic"), status=CertificationStatus.EXPIRED)
    CertificationEventFactory(
        certification=older, to_status=CertificationStatus.EXPIRED, occurred_on=datetime.date(2024, 3, 1)
    )
    newer = CertificationFactory(farm=farm, standard=standard("organic"), status=CertificationStatus.WITHDRAWN)
    CertificationEventFactory(
        certification=newer, to_status=CertificationStatus.WITHDRAWN, occurred_on=datetime.date(2025, 3, 1)
    )
    loan = disburse(member, days_ago=40)
    reconcile_all(fix=True)
    assert all(drift.differing == 0 for drift in reconcile_all())
    return farm, older, loan


def run(*args: str) -> str:
    output = StringIO()
    call_command("reconcile_figures", *args, stdout=output)
    return output.getvalue()


def write_behind_the_applications_back(farm, older, loan) -> None:
    """One source-row change per read model, in SQL: the farm's hectares, its geolocation, the older
    certification reopened (an open one is the current one) and a repayment appended to the ledger."""
    repayment = LoanTransaction(
        loan=loan,
        kind="repayment",
        occurred_on=datetime.date(2026, 3, 1),
        amount=Decimal("200.00"),
        principal_portion=Decimal("200.00"),
        recorded_by_id=loan.submitted_by_id,
    )
    with connection.cursor() as cursor:
        cursor.execute("UPDATE members_farm SET hectares = %s WHERE id = %s", [Decimal("3.50"), farm.pk])
        cursor.execute("UPDATE members_farm SET latitude = NULL, longitude = NULL WHERE id = %s", [farm.pk])
        cursor.execute(
            "UPDATE certifications_certification SET status = %s WHERE id = %s",
            [CertificationStatus.CANDIDATE, older.pk],
        )
        cursor.execute(
            "INSERT INTO credit_loantransaction (loan_id, kind, occurred_on, amount, principal_portion,"
            " interest_portion, fee_portion, penalty_portion, note, recorded_by_id, created_at)"
            " VALUES (%s, %s, %s, %s, %s, 0, 0, 0, '', %s, %s)",
            [
                loan.pk,
                repayment.kind,
                repayment.occurred_on,
                repayment.amount,
                repayment.principal_portion,
                repayment.recorded_by_id,
                datetime.datetime(2026, 3, 1, 12, tzinfo=datetime.UTC),
            ],
        )


def test_with_nothing_written_behind_its_back_every_read_model_agrees(records):
    output = run()

    assert output.count("no drift") + output.count("sin diferencias") == len(RECONCILERS)


def test_sql_writes_show_as_drift_in_every_read_model_and_fix_repairs_them(records):
    farm, older, loan = records
    write_behind_the_applications_back(farm, older, loan)

    drifts = reconcile_all()
    # Rows that differ: the member, the farm, both certifications (the reopened one is now the current one, the
    # other no longer) and the loan.
    assert [drift.differing for drift in drifts] == [1, 1, 2, 1], [
        (str(drift.name), drift.differing) for drift in drifts
    ]
    assert all(drift.examples for drift in drifts)
    with pytest.raises(CommandError):
        run()

    output = run("--fix")
    assert all(drift.differing == 0 for drift in reconcile_all()), output
    run()  # exit 0: nothing left

    farm.member.refresh_from_db()
    loan.refresh_from_db()
    assert farm.member.active_hectares == Decimal("3.50")
    assert loan.outstanding_principal == Decimal("800.00")


def test_the_report_names_each_read_model_and_shows_an_example(records):
    farm, older, loan = records
    write_behind_the_applications_back(farm, older, loan)

    output = StringIO()
    with pytest.raises(CommandError):
        call_command("reconcile_figures", stdout=output)
    report = output.getvalue()
    for drift in reconcile_all():
        assert str(drift.name) in report
        assert drift.examples[0] in report
    assert loan.reference in report and "BA-00001" in report
