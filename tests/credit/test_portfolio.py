"""The portfolio report (credit.selectors.portfolio_report) and its page /credit/portfolio/.

Every loan here is the standard shape (see conftest): S/ 1,200.00 in six instalments of 200.00 + 12.00 interest
due on the 15th from February to July 2026, disbursed 15 January 2026.
"""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperative.models import Region
from credit import selectors, services
from tests import factories
from tests.credit.conftest import APPROVED_ON, DISBURSED_ON, SUBMITTED_ON

D = Decimal
AS_OF = datetime.date(2026, 6, 1)
URL = reverse("credit_portfolio")
pytestmark = pytest.mark.django_db


@pytest.fixture
def lend(product, fertilizer, maker, checker):
    """Disburse a standard loan to a new member of `region`."""

    def make(region="Huánuco", loan_product=None, program=None, disbursed_on=DISBURSED_ON):
        loan = services.loan_create(
            member=factories.MemberFactory(region=factories.region(region)),
            product=loan_product or product,
            program=program,
            lines=[(fertilizer, D("10"))],
            submitted_by=maker,
            submitted_on=SUBMITTED_ON,
        )
        services.loan_approve(loan=loan, approved_by=checker, approved_on=APPROVED_ON)
        return services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=disbursed_on)

    return make


def pay(loan, amount, on, user):
    return services.loan_repay(loan=loan, amount=D(amount), occurred_on=on, recorded_by=user)


def direct_par(loans: list[tuple[Decimal, int]], days: int) -> Decimal:
    """PAR<days> straight from its definition, over (outstanding principal, days past due) pairs."""
    total = sum(principal for principal, _late in loans)
    late = sum(principal for principal, late_days in loans if late_days > days)
    return (late / total).quantize(D("0.0001"), rounding=ROUND_HALF_UP)


@pytest.fixture
def portfolio(lend, product, maker, checker):
    """Seven loans outstanding on 1 June 2026 with known days past due, and five that are not.

    Outstanding then (principal, total): A 400/424 on time; B 1,000/1,060 78 days late (15 March);
    C 1,200/1,272 106 days (15 February); D 800/848 47 days (15 April); E 600/636 17 days (15 May);
    H 1,000/1,060 78 days (repaid in full only on 1 July); W 1,200/1,272 106 days (written off on 1 July).
    """
    coffee = factories.CreditProductFactory(name="Café 2026")
    product.name = "Abono 2026"
    product.save()
    x = factories.AllianceProgramFactory(code="PRG-X", name="Cacao", regions=Region.objects.all())
    y = factories.AllianceProgramFactory(code="PRG-Y", name="Café", regions=Region.objects.all())
    loans = {
        "A": lend("Huánuco", product, x),
        "B": lend("Huánuco", product, None),
        "E": lend("Huánuco", coffee, x),
        "C": lend("San Martín", coffee, x),
        "D": lend("San Martín", product, y),
        "H": lend("San Martín", coffee, None),
        "W": lend("San Martín", product, y),
    }
    pay(loans["A"], "848.00", datetime.date(2026, 5, 10), maker)
    pay(loans["A"], "212.00", datetime.date(2026, 6, 10), maker)  # after the date: not counted
    pay(loans["B"], "212.00", datetime.date(2026, 2, 10), maker)
    pay(loans["D"], "424.00", datetime.date(2026, 3, 10), maker)
    pay(loans["E"], "636.00", datetime.date(2026, 4, 10), maker)
    pay(loans["H"], "212.00", datetime.date(2026, 2, 10), maker)
    pay(loans["H"], "1060.00", datetime.date(2026, 7, 1), maker)
    services.loan_write_off(loan=loans["W"], recorded_by=checker, occurred_on=datetime.date(2026, 7, 1), reason="X")
    # Not in the portfolio on 1 June: repaid in full, written off, disbursed later, outside the regions.
    pay(lend("Huánuco"), "1272.00", datetime.date(2026, 5, 1), maker)
    written_off = lend("San Martín")
    services.loan_write_off(loan=written_off, recorded_by=checker, occurred_on=datetime.date(2026, 5, 20), reason="X")
    lend("Huánuco", disbursed_on=datetime.date(2026, 6, 10))
    lend("Cusco")
    return loans


EXPECTED = {  # loan: (region, product, program, principal outstanding, total outstanding, days past due)
    "A": ("Huánuco", "Abono 2026", "PRG-X – Cacao", D("400.00"), D("424.00"), 0),
    "B": ("Huánuco", "Abono 2026", None, D("1000.00"), D("1060.00"), 78),
    "E": ("Huánuco", "Café 2026", "PRG-X – Cacao", D("600.00"), D("636.00"), 17),
    "C": ("San Martín", "Café 2026", "PRG-X – Cacao", D("1200.00"), D("1272.00"), 106),
    "D": ("San Martín", "Abono 2026", "PRG-Y – Café", D("800.00"), D("848.00"), 47),
    "H": ("San Martín", "Café 2026", None, D("1000.00"), D("1060.00"), 78),
    "W": ("San Martín", "Abono 2026", "PRG-Y – Café", D("1200.00"), D("1272.00"), 106),
}
SCOPE = ("Huánuco", "San Martín")


def report(group_by="region", as_of=AS_OF, regions=SCOPE):
    return selectors.portfolio_report(as_of=as_of, regions=Region.objects.filter(name__in=regions), group_by=group_by)


def test_the_days_past_due_of_the_portfolio_are_the_known_ones(portfolio):
    for name, loan in portfolio.items():
        assert selectors.days_past_due(loan, AS_OF) == EXPECTED[name][5], name
        balance = selectors.loan_balance(loan, as_of=AS_OF)
        assert (balance.principal_outstanding, balance.total_outstanding) == EXPECTED[name][3:5], name


def test_par_figures_equal_a_direct_computation(portfolio):
    total = report().total

    # 400 + 1,000 + 600 + 1,200 + 800 + 1,000 + 1,200 = 6,200 outstanding principal.
    # PAR1: all but A, 5,800 / 6,200; PAR30: B, C, D, H, W, 5,200 / 6,200; PAR90: C and W, 2,400 / 6,200.
    assert (total.loans, total.principal_outstanding, total.total_outstanding) == (7, D("6200.00"), D("6572.00"))
    assert (total.par1, total.par30, total.par90) == (D("0.9355"), D("0.8387"), D("0.3871"))
    pairs = [(principal, late) for _r, _p, _g, principal, _t, late in EXPECTED.values()]
    assert [total.par(days) for days in (1, 30, 90)] == [direct_par(pairs, days) for days in (1, 30, 90)]
    assert total.par_percents == [D("93.55"), D("83.87"), D("38.71")]


@pytest.mark.parametrize(("group_by", "column"), [("region", 0), ("product", 1), ("program", 2)])
def test_each_group_and_the_total_equal_a_direct_computation(portfolio, group_by, column):
    result = report(group_by)

    groups: dict = {}
    for expected in EXPECTED.values():
        groups.setdefault(expected[column] or "No program", []).append(expected)
    # Sorted by name; loans without a program come last.
    assert [row.label for row in result.rows] == sorted(groups, key=lambda label: (label == "No program", label))
    for row in result.rows:
        members = groups[row.label]
        pairs = [(principal, late) for *_rest, principal, _total, late in members]
        assert row.loans == len(members)
        assert row.principal_outstanding == sum(principal for principal, _late in pairs)
        assert row.total_outstanding == sum(entry[4] for entry in members)
        assert [row.par1, row.par30, row.par90] == [direct_par(pairs, days) for days in (1, 30, 90)]
    assert result.total.loans == 7
    assert result.total.principal_outstanding == sum(row.principal_outstanding for row in result.rows)


def test_the_region_rows_worked_out_by_hand(portfolio):
    huanuco, san_martin = report("region").rows

    # Huánuco: A 400 on time, B 1,000 78 days, E 600 17 days.
    assert (huanuco.label, huanuco.loans, huanuco.principal_outstanding) == ("Huánuco", 3, D("2000.00"))
    assert (huanuco.par1, huanuco.par30, huanuco.par90) == (D("0.8000"), D("0.5000"), D("0.0000"))
    # San Martín: C 1,200 and W 1,200 over 90 days, D 800 47 days, H 1,000 78 days.
    assert (san_martin.label, san_martin.loans, san_martin.total_outstanding) == ("San Martín", 4, D("4452.00"))
    assert (san_martin.par1, san_martin.par30, san_martin.par90) == (D("1.0000"), D("1.0000"), D("0.5714"))


def test_only_the_regions_asked_for_count(portfolio):
    result = report(regions=("Huánuco",))

    assert [row.label for row in result.rows] == ["Huánuco"]
    assert result.total.principal_outstanding == D("2000.00")
    # Cusco's one loan, unpaid since 15 February.
    cusco = report(regions=("Cusco",)).total
    assert (cusco.loans, cusco.principal_outstanding, cusco.par90) == (1, D("1200.00"), D("1.0000"))


def test_a_later_date_sees_later_payments_write_offs_and_disbursements(portfolio):
    july = report(as_of=datetime.date(2026, 7, 2)).total

    # A paid its fifth instalment on 10 June (200 left, on time); H was repaid and W written off on 1 July
    # (both gone); the loan disbursed on 10 June (1,200, first due 10 July) now counts. B, C, D, E unchanged.
    assert july.loans == 6
    assert july.principal_outstanding == D("200.00") + D("1000.00") + D("600.00") + D("1200.00") + D("800.00") + D(
        "1200.00"
    )
    # More than 30 days late: B (since 15 March), C (15 February), D (15 April), E (15 May): 3,600 / 5,000.
    assert july.par30 == D("0.7200")


def test_a_reversal_dated_after_the_date_does_not_cancel_its_original_yet(lend, maker, checker):
    loan = lend()
    payment = pay(loan, "1272.00", datetime.date(2026, 5, 1), maker)
    services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=datetime.date(2026, 7, 1), reason="X")

    # On 1 June the loan was repaid in full: not in the portfolio. On 2 July it owes everything again.
    assert report(as_of=AS_OF).total.loans == 0
    july = report(as_of=datetime.date(2026, 7, 2)).total
    assert (july.loans, july.total_outstanding, july.par90) == (1, D("1272.00"), D("1.0000"))


def test_fees_and_penalties_count_from_their_date_and_make_a_loan_late(lend, maker):
    loan = lend()
    pay(loan, "848.00", datetime.date(2026, 5, 10), maker)  # on time on 1 June
    services.loan_charge_add(
        loan=loan,
        kind="penalty",
        amount=D("10.00"),
        due_on=datetime.date(2026, 3, 15),
        reason="Pago atrasado",
        recorded_by=maker,
        occurred_on=datetime.date(2026, 5, 20),
    )

    before = report(as_of=datetime.date(2026, 5, 19)).total
    after = report(as_of=AS_OF).total

    assert (before.total_outstanding, before.par1) == (D("424.00"), D("0.0000"))
    # The penalty, owed with instalment 2 (15 March), makes the loan 78 days late; the principal is unchanged.
    assert (after.total_outstanding, after.principal_outstanding, after.par30) == (
        D("434.00"),
        D("400.00"),
        D("1.0000"),
    )


def test_an_unknown_grouping_is_refused():
    with pytest.raises(ValueError):
        report("member")


@pytest.mark.parametrize("count", [1, 20])
def test_the_report_takes_three_queries_however_many_loans(lend, maker, count, django_assert_num_queries):
    for index in range(count):
        loan = lend("Huánuco" if index % 2 else "San Martín", program=None)
        services.loan_charge_add(
            loan=loan,
            kind="fee",
            amount=D("1.00"),
            due_on=DISBURSED_ON,
            reason="Gasto",
            recorded_by=maker,
            occurred_on=DISBURSED_ON,
        )

    # 1: loans with balances on the date and the region joined; 2: their instalments; 3: their charges.
    with django_assert_num_queries(3):
        result = report("region")

    assert result.total.loans == count
    assert result.total.total_outstanding == D("1273.00") * count


# -- the page -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["manager_client", "credit_officer_client"])
def test_managers_and_credit_officers_see_the_report(request, role_client, portfolio):
    client = request.getfixturevalue(role_client)

    response = client.get(URL, {"as_of": "2026-06-01"})

    assert response.status_code == 200
    assert response.context["report"].as_of == AS_OF
    assert "Huánuco" in response.text


@pytest.mark.parametrize("role_client", ["technician_client", "ics_client", "outsider_client"])
def test_other_roles_are_refused(request, role_client):
    response = request.getfixturevalue(role_client).get(URL)

    assert response.status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client):
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role_client", "regions", "principal"),
    [
        # The manager covers Huánuco and San Martín; the credit officer Huánuco; nobody Cusco.
        ("manager_client", ["Huánuco", "San Martín"], D("6200.00")),
        ("credit_officer_client", ["Huánuco"], D("2000.00")),
    ],
)
def test_the_report_covers_only_the_users_credit_regions(request, portfolio, role_client, regions, principal):
    client = request.getfixturevalue(role_client)

    result = client.get(URL, {"as_of": "2026-06-01"}).context["report"]

    assert [row.label for row in result.rows] == regions
    assert result.total.principal_outstanding == principal


def test_the_page_opens_on_today_by_region(manager_client):
    response = manager_client.get(URL)

    report_ = response.context["report"]
    assert (report_.as_of, report_.group_by) == (timezone.localdate(), "region")
    assert response.context["form"]["as_of"].value() == timezone.localdate().isoformat()
    assert "No loans were outstanding on that date." in response.text


def test_the_table_shows_each_group_and_the_total(portfolio, manager_client):
    response = manager_client.get(URL, {"as_of": "2026-06-01", "group_by": "program"}, HTTP_ACCEPT_LANGUAGE="en")

    assert [row.label for row in response.context["report"].rows] == ["PRG-X – Cacao", "PRG-Y – Café", "No program"]
    content = response.text
    assert "PRG-Y – Café" in content
    assert "6200.00" in content  # the total's outstanding principal
    assert "93.55" in content  # the total's PAR1, in percent


@pytest.mark.parametrize("query", [{"as_of": "1 de junio"}, {"group_by": "member"}])
def test_a_bad_date_or_grouping_shows_the_error_and_no_report(manager_client, query):
    response = manager_client.get(URL, query)

    assert response.status_code == 200
    assert response.context["report"] is None
    assert response.context["form"].errors


@pytest.mark.parametrize("count", [1, 20])
def test_the_page_query_count_does_not_grow_with_the_loans(
    lend, maker, manager_client, count, django_assert_num_queries
):
    for index in range(count):
        loan = lend("Huánuco" if index % 2 else "San Martín")
        services.loan_charge_add(
            loan=loan,
            kind="penalty",
            amount=D("2.00"),
            due_on=DISBURSED_ON,
            reason="Mora",
            recorded_by=maker,
            occurred_on=DISBURSED_ON,
        )

    # 1 session, 2 user, 3 staff roles, 4 "covers all regions?"; the report (regions as a subquery): 5 loans
    # with balances and regions, 6 their instalments, 7 their charges.
    with django_assert_num_queries(7):
        response = manager_client.get(URL, {"as_of": "2026-06-01"})

    assert response.context["report"].total.loans == count
