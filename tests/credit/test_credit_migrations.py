"""Migrations 0002 and 0003 on a database with credit data written before them: existing rows default right."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tests import factories

BEFORE = [("credit", "0001_initial")]
AFTER = [("credit", "0003_loan_allocation_order_backfill")]
TERMS = {
    "interest_method": "flat",
    "annual_rate": Decimal("12.00"),
    "repayment_mode": "periodic",
    "number_of_repayments": 6,
    "grace_periods": 0,
    "max_deduction_percent": Decimal("30.00"),
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_existing_products_loans_and_transactions_get_the_right_defaults():
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        user = factories.UserFactory()
        product = old.get_model("credit", "CreditProduct").objects.create(name="Abono 2025", **TERMS)
        Loan = old.get_model("credit", "Loan")
        common = {"product_id": product.pk, "principal": Decimal("950.00"), "submitted_by_id": user.pk}
        submitted = Loan.objects.create(
            reference="CR-2025-00001",
            member_id=factories.MemberFactory().pk,
            status="submitted",
            submitted_on=datetime.date(2025, 9, 1),
            **common,
        )
        active = Loan.objects.create(
            reference="CR-2025-00002",
            member_id=factories.MemberFactory().pk,
            status="active",
            submitted_on=datetime.date(2025, 9, 1),
            approved_on=datetime.date(2025, 9, 2),
            approved_by_id=user.pk,
            disbursed_on=datetime.date(2025, 9, 3),
            arrears_tolerance=Decimal("0.00"),
            **TERMS,
            **common,
        )
        entry = old.get_model("credit", "LoanTransaction").objects.create(
            loan_id=active.pk,
            kind="repayment",
            occurred_on=datetime.date(2025, 10, 1),
            amount=Decimal("100.00"),
            principal_portion=Decimal("94.00"),
            interest_portion=Decimal("6.00"),
            recorded_by_id=user.pk,
        )

        executor.loader.build_graph()
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps

        assert new.get_model("credit", "CreditProduct").objects.get(pk=product.pk).allocation_order == (
            "penalty,fee,interest,principal"
        )
        orders = dict(new.get_model("credit", "Loan").objects.values_list("pk", "allocation_order"))
        # An approved loan copies the default, as approval copies the product's order now; a submitted one
        # has no terms yet.
        assert orders == {submitted.pk: "", active.pk: "penalty,fee,interest,principal"}
        migrated = new.get_model("credit", "LoanTransaction").objects.get(pk=entry.pk)
        assert (migrated.fee_portion, migrated.penalty_portion) == (Decimal("0"), Decimal("0"))
    finally:
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
