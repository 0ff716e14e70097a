"""Schedule arithmetic and payment allocation (pure functions, no database)."""

import datetime
from decimal import Decimal

import pytest

from credit import schedule
from credit.schedule import ScheduleRow

D = Decimal
JAN_15 = datetime.date(2026, 1, 15)


def build(**overrides) -> list[ScheduleRow]:
    terms = {
        "principal": D("1200.00"),
        "annual_rate": D("12.00"),
        "interest_method": "flat",
        "repayment_mode": "periodic",
        "number_of_repayments": 6,
        "grace_periods": 0,
        "disbursed_on": JAN_15,
    }
    return schedule.generate_schedule(**{**terms, **overrides})


def test_flat_schedule_spreads_principal_and_interest_evenly_over_monthly_instalments():
    rows = build()

    assert [row.number for row in rows] == [1, 2, 3, 4, 5, 6]
    assert [row.due_on for row in rows] == [datetime.date(2026, month, 15) for month in range(2, 8)]
    assert {row.principal_due for row in rows} == {D("200.00")}
    # 1,200 × 12 % × 6/12 = 72.00 interest, 12.00 per instalment.
    assert {row.interest_due for row in rows} == {D("12.00")}


def test_declining_balance_repays_equal_principal_and_charges_interest_on_the_remaining_balance():
    rows = build(interest_method="declining_balance")

    assert {row.principal_due for row in rows} == {D("200.00")}
    # 1 % a month on 1,200, 1,000, 800, 600, 400, 200.
    assert [row.interest_due for row in rows] == [D("12.00"), D("10.00"), D("8.00"), D("6.00"), D("4.00"), D("2.00")]


def test_the_last_instalment_absorbs_rounding_so_principal_and_interest_sum_exactly():
    rows = build(principal=D("1000.00"), annual_rate=D("10.00"), number_of_repayments=3)

    assert [row.principal_due for row in rows] == [D("333.33"), D("333.33"), D("333.34")]
    # 1,000 × 10 % × 3/12 = 25.00.
    assert [row.interest_due for row in rows] == [D("8.33"), D("8.33"), D("8.34")]


@pytest.mark.parametrize("method", ["flat", "declining_balance"])
@pytest.mark.parametrize("principal", ["0.07", "1.00", "99.99", "950.00", "1234.57", "100000.01"])
@pytest.mark.parametrize("repayments", [1, 5, 7, 12, 120])
def test_principal_due_always_sums_exactly_to_the_principal_with_no_negative_instalment(method, principal, repayments):
    rows = build(principal=D(principal), interest_method=method, number_of_repayments=repayments)

    assert sum(row.principal_due for row in rows) == D(principal)
    assert all(row.principal_due >= 0 and row.interest_due >= 0 for row in rows)
    assert all(row.principal_due == row.principal_due.quantize(D("0.01")) for row in rows)
    assert all(row.interest_due == row.interest_due.quantize(D("0.01")) for row in rows)


def test_amounts_are_rounded_half_up_to_centimos():
    assert schedule.to_cents(D("0.125")) == D("0.13")
    assert schedule.to_cents(D("2.675")) == D("2.68")
    assert schedule.to_cents(D("2.674999")) == D("2.67")
    # 100.50 over 4 = 25.125 -> 25.13 three times, the last one 25.11.
    rows = build(principal=D("100.50"), annual_rate=D("0"), number_of_repayments=4)
    assert [row.principal_due for row in rows] == [D("25.13"), D("25.13"), D("25.13"), D("25.11")]


def test_a_tiny_principal_over_many_instalments_never_leaves_the_last_one_negative():
    # 0.09 / 6 = 0.015 rounds half up to 0.02, and 5 × 0.02 > 0.09: the share is rounded down instead.
    rows = build(principal=D("0.09"), number_of_repayments=6)

    assert [row.principal_due for row in rows] == [D("0.01")] * 5 + [D("0.04")]


def test_monthly_due_dates_keep_the_day_of_month_clamped_to_short_months():
    rows = build(disbursed_on=datetime.date(2026, 1, 31), number_of_repayments=4)

    assert [row.due_on for row in rows] == [
        datetime.date(2026, 2, 28),
        datetime.date(2026, 3, 31),
        datetime.date(2026, 4, 30),
        datetime.date(2026, 5, 31),
    ]
    assert schedule.add_months(datetime.date(2027, 12, 31), 2) == datetime.date(2028, 2, 29)


def test_grace_months_delay_the_first_instalment_and_flat_interest_covers_them():
    rows = build(grace_periods=3)

    assert rows[0].due_on == datetime.date(2026, 5, 15)
    assert rows[-1].due_on == datetime.date(2026, 10, 15)
    # 1,200 × 12 % × 9/12 = 108.00 over 6 instalments.
    assert {row.interest_due for row in rows} == {D("18.00")}


def test_declining_balance_collects_the_grace_interest_with_the_first_instalment():
    rows = build(interest_method="declining_balance", grace_periods=2)

    # 3 months at 1 % on 1,200, then one month on each remaining balance.
    assert [row.interest_due for row in rows] == [D("36.00"), D("10.00"), D("8.00"), D("6.00"), D("4.00"), D("2.00")]


def test_harvest_bullet_is_one_instalment_due_six_months_later_when_no_grace_is_set():
    rows = build(repayment_mode="harvest_bullet", number_of_repayments=1, principal=D("1000.00"))

    assert rows == [ScheduleRow(1, datetime.date(2026, 7, 15), D("1000.00"), D("60.00"))]


def test_harvest_bullet_falls_due_after_the_grace_months_with_flat_interest_for_them():
    rows = build(
        repayment_mode="harvest_bullet",
        number_of_repayments=1,
        grace_periods=9,
        principal=D("1000.00"),
        interest_method="declining_balance",
    )

    assert rows == [ScheduleRow(1, datetime.date(2026, 10, 15), D("1000.00"), D("90.00"))]


@pytest.mark.parametrize(
    "overrides",
    [
        {"repayment_mode": "harvest_bullet", "number_of_repayments": 2},
        {"principal": D("0")},
        {"number_of_repayments": 0},
        {"annual_rate": D("-1")},
        {"interest_method": "compound"},
        {"repayment_mode": "weekly"},
    ],
)
def test_impossible_terms_raise(overrides):
    with pytest.raises(ValueError):
        build(**overrides)


def test_paid_amounts_are_allocated_to_the_oldest_instalment_first():
    rows = build(number_of_repayments=3, principal=D("600.00"), annual_rate=D("12.00"))  # 200 + 6 each

    allocation = schedule.allocate_paid(reversed(rows), principal_paid=D("250.00"), interest_paid=D("9.00"))

    assert [(paid.principal_paid, paid.interest_paid) for paid in allocation] == [
        (D("200.00"), D("6.00")),
        (D("50.00"), D("3.00")),
        (D("0.00"), D("0.00")),
    ]
    assert [paid.is_paid for paid in allocation] == [True, False, False]


def test_a_payment_is_split_interest_first_on_the_oldest_unpaid_instalment():
    rows = build(number_of_repayments=3, principal=D("600.00"))  # 200 + 6 each
    allocation = schedule.allocate_paid(rows, principal_paid=D("100.00"), interest_paid=D("6.00"))

    # Instalment 1 still owes 100 principal; instalment 2 owes 6 interest and 200 principal.
    assert schedule.split_payment(allocation, D("150.00")) == (D("144.00"), D("6.00"))
    with pytest.raises(ValueError):
        schedule.split_payment(allocation, D("512.01"))


def test_days_past_due_counts_from_the_oldest_instalment_unpaid_beyond_the_tolerance():
    rows = build(number_of_repayments=3, principal=D("600.00"))  # due 15 Feb, 15 Mar, 15 Apr
    allocation = schedule.allocate_paid(rows, principal_paid=D("199.50"), interest_paid=D("6.00"))

    assert schedule.days_past_due(allocation, tolerance=D("0"), as_of=datetime.date(2026, 3, 1)) == 14
    # 0.50 left on the first instalment is within a 1.00 tolerance: the second one is the late one.
    assert schedule.days_past_due(allocation, tolerance=D("1.00"), as_of=datetime.date(2026, 3, 20)) == 5
    assert schedule.days_past_due(allocation, tolerance=D("1.00"), as_of=datetime.date(2026, 3, 15)) == 0
