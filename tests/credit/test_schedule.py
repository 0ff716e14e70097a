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
    assert schedule.split_payment(allocation, D("150.00")) == schedule.Portions(
        principal=D("144.00"), interest=D("6.00")
    )
    with pytest.raises(ValueError):
        schedule.split_payment(allocation, D("512.01"))


def test_days_past_due_counts_from_the_oldest_instalment_unpaid_beyond_the_tolerance():
    rows = build(number_of_repayments=3, principal=D("600.00"))  # due 15 Feb, 15 Mar, 15 Apr
    allocation = schedule.allocate_paid(rows, principal_paid=D("199.50"), interest_paid=D("6.00"))

    assert schedule.days_past_due(allocation, tolerance=D("0"), as_of=datetime.date(2026, 3, 1)) == 14
    # 0.50 left on the first instalment is within a 1.00 tolerance: the second one is the late one.
    assert schedule.days_past_due(allocation, tolerance=D("1.00"), as_of=datetime.date(2026, 3, 20)) == 5
    assert schedule.days_past_due(allocation, tolerance=D("1.00"), as_of=datetime.date(2026, 3, 15)) == 0


# -- generate_schedule against hand-computed schedules -------------------------------------------------------


def monthly(first: datetime.date, count: int) -> list[datetime.date]:
    return [schedule.add_months(first, k) for k in range(count)]


def rows_of(dues: list[datetime.date], principal: list[str], interest: list[str]) -> list[tuple]:
    return list(zip(dues, [D(p) for p in principal], [D(i) for i in interest], strict=True))


# Each case: the terms (principal, rate, method, mode, repayments, grace; disbursed 15 Jan 2026) and the
# schedule worked out by hand: (due on, principal due, interest due) per instalment, in céntimos.
HAND_COMPUTED = {
    # 1,000 × 12 % × 1/12 = 10.00.
    "flat-1": (
        ("1000.00", "12", "flat", "periodic", 1, 0),
        rows_of([datetime.date(2026, 2, 15)], ["1000.00"], ["10.00"]),
    ),
    # Grace 2: due 3 months later; 500 × 18 % × 3/12 = 22.50.
    "flat-1-grace": (
        ("500.00", "18", "flat", "periodic", 1, 2),
        rows_of([datetime.date(2026, 4, 15)], ["500.00"], ["22.50"]),
    ),
    # 1,000 / 12 = 83.333 -> 83.33 × 11, the last 1,000 - 916.63 = 83.37.
    # Interest 1,000 × 10 % × 12/12 = 100.00 -> 8.33 × 11, the last 100 - 91.63 = 8.37.
    "flat-12": (
        ("1000.00", "10", "flat", "periodic", 12, 0),
        rows_of(monthly(datetime.date(2026, 2, 15), 12), ["83.33"] * 11 + ["83.37"], ["8.33"] * 11 + ["8.37"]),
    ),
    # Grace 3: first due 15 May. Interest 1,000 × 10 % × 15/12 = 125.00 -> 10.4167 -> 10.42 × 11 = 114.62,
    # the last 10.38.
    "flat-12-grace": (
        ("1000.00", "10", "flat", "periodic", 12, 3),
        rows_of(monthly(datetime.date(2026, 5, 15), 12), ["83.33"] * 11 + ["83.37"], ["10.42"] * 11 + ["10.38"]),
    ),
    # One month at 1 % on 1,000.
    "declining-1": (
        ("1000.00", "12", "declining_balance", "periodic", 1, 0),
        rows_of([datetime.date(2026, 2, 15)], ["1000.00"], ["10.00"]),
    ),
    # Grace 3: four months at 1 % on 1,000 = 40.00, due 15 May.
    "declining-1-grace": (
        ("1000.00", "12", "declining_balance", "periodic", 1, 3),
        rows_of([datetime.date(2026, 5, 15)], ["1000.00"], ["40.00"]),
    ),
    # Equal principal 83.33 (the last 83.37); 1 % a month on the balance still owed:
    # 1,000.00 -> 10.00; 916.67 -> 9.1667 -> 9.17; 833.34 -> 8.33; 750.01 -> 7.50; 666.68 -> 6.67;
    # 583.35 -> 5.83; 500.02 -> 5.00; 416.69 -> 4.17; 333.36 -> 3.33; 250.03 -> 2.50; 166.70 -> 1.67;
    # 83.37 -> 0.83. In all 65.00.
    "declining-12": (
        ("1000.00", "12", "declining_balance", "periodic", 12, 0),
        rows_of(
            monthly(datetime.date(2026, 2, 15), 12),
            ["83.33"] * 11 + ["83.37"],
            ["10.00", "9.17", "8.33", "7.50", "6.67", "5.83", "5.00", "4.17", "3.33", "2.50", "1.67", "0.83"],
        ),
    ),
    # Grace 2: 3 months at 1 % on 1,200 = 36.00 with the first instalment (15 April), then 1 % on
    # 1,100, 1,000, ..., 100. In all 36 + 66 = 102.00.
    "declining-12-grace": (
        ("1200.00", "12", "declining_balance", "periodic", 12, 2),
        rows_of(
            monthly(datetime.date(2026, 4, 15), 12),
            ["100.00"] * 12,
            ["36.00", "11.00", "10.00", "9.00", "8.00", "7.00", "6.00", "5.00", "4.00", "3.00", "2.00", "1.00"],
        ),
    ),
    # The rounding mode shows: 1 % of 1,250.50 = 12.505 -> 12.51 half up (banker's rounding would give 12.50).
    "declining-2-half-up": (
        ("2501.00", "12", "declining_balance", "periodic", 2, 0),
        rows_of(monthly(datetime.date(2026, 2, 15), 2), ["1250.50", "1250.50"], ["25.01", "12.51"]),
    ),
    # No grace: due after 6 months; 2,500 × 15 % × 6/12 = 187.50.
    "bullet": (
        ("2500.00", "15", "flat", "harvest_bullet", 1, 0),
        rows_of([datetime.date(2026, 7, 15)], ["2500.00"], ["187.50"]),
    ),
    # Grace 4: due after 4 months; 2,500 × 15 % × 4/12 = 125.00; the method makes no difference.
    "bullet-grace": (
        ("2500", "15", "declining_balance", "harvest_bullet", 1, 4),
        rows_of([datetime.date(2026, 5, 15)], ["2500.00"], ["125.00"]),
    ),
    # 333.33 × 13.5 % × 5/12 = 18.7498... -> 18.75.
    "bullet-odd-amounts": (
        ("333.33", "13.5", "flat", "harvest_bullet", 1, 5),
        rows_of([datetime.date(2026, 6, 15)], ["333.33"], ["18.75"]),
    ),
}


@pytest.mark.parametrize(("terms", "expected"), HAND_COMPUTED.values(), ids=HAND_COMPUTED.keys())
def test_generate_schedule_matches_the_hand_computed_schedule(terms, expected):
    principal, rate, method, mode, repayments, grace = terms

    rows = build(
        principal=D(principal),
        annual_rate=D(rate),
        interest_method=method,
        repayment_mode=mode,
        number_of_repayments=repayments,
        grace_periods=grace,
    )

    assert [(row.due_on, row.principal_due, row.interest_due) for row in rows] == expected
    assert [row.number for row in rows] == list(range(1, repayments + 1))
    # Every amount is in céntimos (two places, also when the principal was given as 2500), and the rows sum
    # exactly to principal + interest: rounding neither loses nor creates a céntimo.
    for row in rows:
        assert row.principal_due.as_tuple().exponent == -2
        assert row.interest_due.as_tuple().exponent == -2
    assert sum(row.principal_due for row in rows) == D(principal)
    total_interest = sum(D(interest) for _due, _principal, interest in expected)
    assert sum(row.total_due for row in rows) == D(principal) + total_interest


def test_a_principal_with_a_fraction_of_a_centimo_is_refused():
    with pytest.raises(ValueError, match="céntimos"):
        build(principal=D("100.005"))


# -- charges on the schedule, allocation orders -------------------------------------------------------------


class Charge:
    def __init__(self, kind: str, amount: str, due_on: datetime.date):
        self.kind, self.amount, self.due_on = kind, D(amount), due_on


def three_instalments() -> list[ScheduleRow]:
    return build(number_of_repayments=3, principal=D("600.00"))  # 200 + 6 each, due 15 Feb, 15 Mar, 15 Apr


def test_a_charge_is_owed_with_the_first_instalment_due_on_or_after_its_due_date():
    charges = [
        Charge("fee", "5.00", datetime.date(2026, 1, 20)),  # before the first instalment: with it
        Charge("penalty", "3.00", datetime.date(2026, 2, 15)),  # on its due date: with it
        Charge("penalty", "2.00", datetime.date(2026, 2, 16)),  # a day later: with the second
    ]

    allocation = schedule.allocate_paid(
        three_instalments(), principal_paid=D("0"), interest_paid=D("0"), charges=charges
    )

    assert [(row.fee_due, row.penalty_due) for row in allocation] == [
        (D("5.00"), D("3.00")),
        (D("0.00"), D("2.00")),
        (D("0.00"), D("0.00")),
    ]
    assert [row.total_due for row in allocation] == [D("214.00"), D("208.00"), D("206.00")]
    assert not any(row.charges_only for row in allocation)


def test_charges_due_after_the_last_instalment_are_owed_on_their_own_dates():
    late = datetime.date(2026, 6, 1)
    charges = [
        Charge("penalty", "4.00", late),
        Charge("fee", "1.50", late),
        Charge("fee", "2.00", datetime.date(2026, 5, 1)),
    ]

    allocation = schedule.allocate_paid(
        three_instalments(), principal_paid=D("600.00"), interest_paid=D("18.00"), fee_paid=D("2.00"), charges=charges
    )

    assert [(row.instalment.number, row.due_on, row.charges_only) for row in allocation[3:]] == [
        (4, datetime.date(2026, 5, 1), True),
        (5, late, True),
    ]
    assert [(row.fee_due, row.fee_paid, row.penalty_due, row.total_unpaid) for row in allocation[3:]] == [
        (D("2.00"), D("2.00"), D("0.00"), D("0.00")),
        (D("1.50"), D("0.00"), D("4.00"), D("5.50")),
    ]
    # Late from 1 June, not from the last instalment's 15 April.
    assert schedule.days_past_due(allocation, tolerance=D("0"), as_of=datetime.date(2026, 6, 11)) == 10


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        # Instalment 1 owes penalty 3, fee 5, interest 6, principal 200; 10.00 paid in each order.
        ("penalty,fee,interest,principal", schedule.Portions(penalty=D("3.00"), fee=D("5.00"), interest=D("2.00"))),
        ("fee,penalty,interest,principal", schedule.Portions(fee=D("5.00"), penalty=D("3.00"), interest=D("2.00"))),
        ("interest,fee,penalty,principal", schedule.Portions(interest=D("6.00"), fee=D("4.00"))),
        ("principal,interest,fee,penalty", schedule.Portions(principal=D("10.00"))),
        ("interest,principal,fee,penalty", schedule.Portions(interest=D("6.00"), principal=D("4.00"))),
    ],
)
def test_a_payment_pays_the_oldest_instalment_in_the_allocation_order(order, expected):
    charges = [Charge("penalty", "3.00", datetime.date(2026, 2, 1)), Charge("fee", "5.00", datetime.date(2026, 2, 1))]
    allocation = schedule.allocate_paid(
        three_instalments(), principal_paid=D("0"), interest_paid=D("0"), charges=charges
    )

    portions = schedule.split_payment(allocation, D("10.00"), schedule.parse_allocation_order(order))

    assert portions == expected
    assert portions.total == D("10.00")


def test_only_a_fully_paid_instalment_lets_the_payment_reach_the_next_one():
    charges = [Charge("penalty", "3.00", datetime.date(2026, 3, 1))]  # owed with instalment 2
    allocation = schedule.allocate_paid(
        three_instalments(), principal_paid=D("0"), interest_paid=D("0"), charges=charges
    )

    # Principal first: instalment 1's 200 principal and 6 interest, then instalment 2's principal.
    portions = schedule.split_payment(allocation, D("216.00"), ("principal", "interest", "fee", "penalty"))

    assert portions == schedule.Portions(principal=D("210.00"), interest=D("6.00"))


@pytest.mark.parametrize(
    "value",
    [
        "",
        "penalty,fee,interest",
        "penalty,fee,fee,principal",
        "penalty, fee, interest, principal",
        "principal,interest,fee,penalty,fee",
    ],
)
def test_an_allocation_order_must_name_each_component_once(value):
    with pytest.raises(ValueError):
        schedule.parse_allocation_order(value)


def test_there_are_24_allocation_orders_and_the_default_is_fineracts():
    assert len(set(schedule.ALLOCATION_ORDERS)) == 24
    assert schedule.parse_allocation_order(schedule.DEFAULT_ALLOCATION_ORDER) == (
        "penalty",
        "fee",
        "interest",
        "principal",
    )
