"""The cap rule of deliveries.settlement, as arithmetic (no database): oldest loan first, each loan at most its
own cap and what it owes, the whole at most the largest cap and what the other deductions left."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from deliveries.settlement import LoanDue, OtherDeduction, clean_other_deductions, plan_settlement

GROSS = Decimal("1000.00")


def due(loan_id: int, percent: str, outstanding: str, disbursed_on: datetime.date) -> LoanDue:
    return LoanDue(
        loan=SimpleNamespace(pk=loan_id),
        disbursed_on=disbursed_on,
        loan_id=loan_id,
        outstanding=Decimal(outstanding),
        max_deduction_percent=Decimal(percent),
    )


JAN, MAR = datetime.date(2026, 1, 15), datetime.date(2026, 3, 1)


def taken(plan) -> dict[int, Decimal]:
    return {line.loan_id: line.amount for line in plan.credit_lines}


def test_one_loan_takes_its_cap_when_it_owes_more():
    plan = plan_settlement(
        gross_amount=GROSS, loans=[due(1, "30", "1272.00", JAN)], other_deductions=(), apply_credit=True
    )

    assert taken(plan) == {1: Decimal("300.00")}
    assert plan.net_paid == Decimal("700.00")


def test_one_loan_takes_no_more_than_it_owes():
    plan = plan_settlement(
        gross_amount=GROSS, loans=[due(1, "30", "120.50", JAN)], other_deductions=(), apply_credit=True
    )

    assert taken(plan) == {1: Decimal("120.50")}
    assert plan.net_paid == Decimal("879.50")


def test_the_oldest_loan_is_repaid_first_whatever_the_order_given():
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(2, "30", "1000.00", MAR), due(1, "30", "1000.00", JAN)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {1: Decimal("300.00")}


def test_loans_disbursed_the_same_day_go_by_id():
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(7, "30", "1000.00", JAN), due(3, "30", "1000.00", JAN)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {3: Decimal("300.00")}


def test_what_the_oldest_loan_does_not_need_spills_to_the_next():
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(1, "30", "100.00", JAN), due(2, "30", "1000.00", MAR)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {1: Decimal("100.00"), 2: Decimal("200.00")}
    assert plan.credit_total == Decimal("300.00")


def test_with_different_caps_each_loan_keeps_to_its_own_and_the_whole_to_the_largest():
    # Older 20 % owes 500, newer 40 % owes 500: the largest cap is 400; the older takes its 200, the newer the
    # 200 left of the 400 (its own cap would allow 400).
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(1, "20", "500.00", JAN), due(2, "40", "500.00", MAR)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {1: Decimal("200.00"), 2: Decimal("200.00")}
    assert plan.credit_limit == Decimal("400.00")


def test_an_older_loan_with_the_larger_cap_can_take_the_whole_limit():
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(1, "40", "500.00", JAN), due(2, "20", "500.00", MAR)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {1: Decimal("400.00")}


def test_a_later_loan_takes_its_own_cap_when_the_older_one_owes_little():
    # Older 40 % owes 50, newer 20 % owes 500: the newer takes its own cap, 200; 250 in all, within 400.
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(1, "40", "50.00", JAN), due(2, "20", "500.00", MAR)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {1: Decimal("50.00"), 2: Decimal("200.00")}


def test_the_cap_is_rounded_half_up_to_the_centimo():
    # 30 % of S/ 333.35 = 100.005
    plan = plan_settlement(
        gross_amount=Decimal("333.35"), loans=[due(1, "30", "1000.00", JAN)], other_deductions=(), apply_credit=True
    )

    assert taken(plan) == {1: Decimal("100.01")}


def test_loans_owing_nothing_are_left_out_and_do_not_raise_the_limit():
    plan = plan_settlement(
        gross_amount=GROSS,
        loans=[due(1, "90", "0.00", JAN), due(2, "30", "1000.00", MAR)],
        other_deductions=(),
        apply_credit=True,
    )

    assert taken(plan) == {2: Decimal("300.00")}
    assert [row.loan_id for row in plan.loans] == [2]


def test_without_credit_nothing_is_taken_for_the_loans():
    plan = plan_settlement(
        gross_amount=GROSS, loans=[due(1, "30", "1000.00", JAN)], other_deductions=(), apply_credit=False
    )

    assert plan.credit_lines == ()
    assert plan.net_paid == GROSS


def test_other_deductions_are_subtracted_and_credit_keeps_within_what_they_left():
    others = (OtherDeduction("association_fee", Decimal("850.00")), OtherDeduction("transport", Decimal("50.00")))

    plan = plan_settlement(
        gross_amount=GROSS, loans=[due(1, "30", "1000.00", JAN)], other_deductions=others, apply_credit=True
    )

    assert taken(plan) == {1: Decimal("100.00")}
    assert plan.total_deductions == GROSS
    assert plan.net_paid == Decimal("0.00")


def test_other_deductions_above_the_gross_are_refused():
    others = (OtherDeduction("transport", Decimal("1000.01")),)

    with pytest.raises(ValidationError) as error:
        plan_settlement(gross_amount=GROSS, loans=[], other_deductions=others, apply_credit=True)

    assert "more than the gross amount" in error.value.message_dict["other_deductions"][0]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (("credit_repayment", Decimal("10.00"), ""), "computed from the loans"),
        (("gift", Decimal("10.00"), ""), "Unknown kind"),
        (("transport", Decimal("0.00"), ""), "greater than zero"),
        (("transport", Decimal("1.005"), ""), "whole céntimos"),
    ],
)
def test_it_refuses_a_bad_other_deduction(line, message):
    with pytest.raises(ValidationError) as error:
        clean_other_deductions([line])

    assert message in error.value.message_dict["other_deductions"][0]


def test_the_fingerprint_changes_with_the_amounts():
    one = plan_settlement(
        gross_amount=GROSS, loans=[due(1, "30", "1000.00", JAN)], other_deductions=(), apply_credit=True
    )
    other = plan_settlement(
        gross_amount=GROSS, loans=[due(1, "30", "100.00", JAN)], other_deductions=(), apply_credit=True
    )

    assert one.fingerprint != other.fingerprint
    assert (
        one.fingerprint
        == plan_settlement(
            gross_amount=GROSS, loans=[due(1, "30", "1000.00", JAN)], other_deductions=(), apply_credit=True
        ).fingerprint
    )
