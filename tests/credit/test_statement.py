"""A member's statement of account: /credit/members/<member_pk>/statement/ and credit.selectors.member_statement.

The member of Huánuco (conftest `member`) has the standard loan: 10 sacks of Guano de isla at S/ 120.00,
six instalments of S/ 200.00 + S/ 12.00 due on the 15th from February to July 2026.
"""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import timezone

from credit import selectors, services
from tests import factories
from tests.credit.conftest import SUBMITTED_ON

D = Decimal
pytestmark = pytest.mark.django_db


def url(member) -> str:
    return reverse("credit_statement", args=[member.pk])


@pytest.fixture
def history(active_loan, maker, checker):
    """The standard loan with a penalty, a fee (reversed), two repayments (the second reversed)."""
    services.loan_charge_add(
        loan=active_loan,
        kind="penalty",
        amount=D("3.00"),
        due_on=datetime.date(2026, 2, 15),
        reason="Pago atrasado",
        recorded_by=maker,
        occurred_on=datetime.date(2026, 2, 20),
    )
    fee = services.loan_charge_add(
        loan=active_loan,
        kind="fee",
        amount=D("5.00"),
        due_on=datetime.date(2026, 3, 15),
        reason="Gasto de cobranza",
        recorded_by=maker,
        occurred_on=datetime.date(2026, 2, 20),
    )
    services.loan_charge_reverse(
        charge=fee, recorded_by=checker, occurred_on=datetime.date(2026, 2, 21), reason="No correspondía"
    )
    services.loan_repay(loan=active_loan, amount=D("215.00"), occurred_on=datetime.date(2026, 2, 25), recorded_by=maker)
    wrong = services.loan_repay(
        loan=active_loan, amount=D("100.00"), occurred_on=datetime.date(2026, 3, 1), recorded_by=maker
    )
    services.loan_reverse(
        transaction=wrong, recorded_by=checker, occurred_on=datetime.date(2026, 3, 2), reason="Cheque sin fondos"
    )
    return active_loan


# -- who may see it ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["manager_client", "credit_officer_client"])
def test_managers_and_credit_officers_of_the_region_see_the_statement(request, role_client, history, member):
    response = request.getfixturevalue(role_client).get(url(member))

    assert response.status_code == 200
    assert response.context["statement"].member == member


@pytest.mark.parametrize("role_client", ["technician_client", "ics_client", "outsider_client"])
def test_other_roles_are_refused_even_in_their_region(request, role_client, member):
    response = request.getfixturevalue(role_client).get(url(member))

    assert response.status_code == 403


def test_anonymous_users_are_sent_to_the_login_page(client, member):
    response = client.get(url(member))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role_client", "region"),
    [("manager_client", "Cusco"), ("credit_officer_client", "San Martín"), ("credit_officer_client", "Cusco")],
)
def test_a_member_outside_the_users_credit_regions_is_not_found(request, role_client, region):
    outside = factories.MemberFactory(region=factories.region(region))

    response = request.getfixturevalue(role_client).get(url(outside))

    assert response.status_code == 404


def test_an_unknown_member_is_not_found(manager_client):
    assert manager_client.get(reverse("credit_statement", args=[999999])).status_code == 404


# -- what it shows ------------------------------------------------------------------------------------------


def text_of(response) -> str:
    """The page's text with tags and runs of whitespace collapsed, for reading it as a person would."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_statement_shows_the_lines_schedule_charges_transactions_and_balance(manager_client, history, member):
    response = manager_client.get(url(member), {"language": "en"})  # dates month first

    (loan_statement,) = response.context["statement"].loans
    assert loan_statement.loan == history
    text = text_of(response)
    assert member.full_name in text and member.code in text
    assert f"Loan {history.reference}" in text
    # The line: item, quantity, unit, unit price, amount.
    assert "Guano de isla 10.00 saco 50 kg 120.00 1200.00" in text
    # Instalment 1: 200 + 12 + the 3.00 penalty, all paid; instalment 2 (the fee was reversed) 0.00 charges.
    assert "1 02/15/2026 200.00 12.00 3.00 215.00 215.00 0.00" in text
    assert "2 03/15/2026 200.00 12.00 0.00 212.00 0.00 212.00" in text
    assert "Total 1200.00 72.00 3.00 1275.00 215.00 1060.00" in text
    # Transactions with their portions (amount, principal, interest, fees, penalties), the reversal marked.
    assert "02/25/2026 Repayment 215.00 200.00 12.00 0.00 3.00" in text
    assert "03/02/2026 Reversal of the repayment of 03/01/2026 100.00 88.00 12.00" in text
    assert "(reversed on 03/02/2026)" in text
    assert text.count("reversed on") == 2  # the repayment and the fee
    assert "Reversal of the fee of 02/20/2026" in text
    assert "Total outstanding (S/) 1060.00" in text
    assert response.content.decode().count('class="reversed"') == 2


def test_the_statement_is_printable_and_in_spanish_by_default(manager_client, history, member):
    response = manager_client.get(url(member), HTTP_ACCEPT_LANGUAGE="en")

    assert response["Content-Language"] == "es"
    content = response.content.decode()
    assert '<html lang="es">' in content
    assert "Estado" in content and "Capital (S/)" in content  # "Status", "Principal (S/)"
    assert "15/02/2026" in content  # day first
    # The print layout is in the page's own style sheet (the Content-Security-Policy allows no inline style).
    assert 'href="/static/css/statement.css"' in content
    print_styles = Path(finders.find("css/statement.css")).read_text(encoding="utf-8")
    assert "@media print" in print_styles and "@page" in print_styles
    # The page offers the other language.
    assert 'href="?language=en"' in content


def test_the_statement_can_be_had_in_english(manager_client, history, member):
    response = manager_client.get(url(member), {"language": "en"})

    assert response["Content-Language"] == "en"
    assert '<html lang="en">' in response.content.decode()
    assert "Status" in response.content.decode()


def test_rejected_and_withdrawn_loans_are_left_out_and_pending_ones_kept(
    manager_client, member, product, fertilizer, maker, checker
):
    def apply():
        return services.loan_create(
            member=member, product=product, lines=[(fertilizer, D("1"))], submitted_by=maker, submitted_on=SUBMITTED_ON
        )

    services.loan_reject(loan=apply(), rejected_by=checker, reason="Sin aval")
    services.loan_withdraw(loan=apply(), withdrawn_by=maker, reason="Ya compró")
    pending = apply()

    response = manager_client.get(url(member))

    assert [item.loan for item in response.context["statement"].loans] == [pending]
    assert pending.reference in response.content.decode()


def test_a_member_without_loans_gets_an_empty_statement(manager_client, member):
    response = manager_client.get(url(member), {"language": "en"})

    assert response.status_code == 200
    assert response.context["statement"].loans == []
    assert "No loans." in response.content.decode()


def test_the_selector_pairs_reversals_and_sums_the_schedule(history, member):
    statement = selectors.member_statement(member=member, as_of=datetime.date(2026, 4, 1))

    (item,) = statement.loans
    kinds = [(line.entry.kind, line.reversed_by is not None, line.is_reversal) for line in item.transactions]
    assert kinds == [
        ("disbursement", False, False),
        ("repayment", False, False),
        ("repayment", True, False),
        ("reversal", False, True),
    ]
    assert [(line.entry.kind, line.reversed_by is not None) for line in item.charges] == [
        ("penalty", False),
        ("fee", True),
        ("reversal", False),
    ]
    assert item.schedule_totals == {
        "principal_due": D("1200.00"),
        "interest_due": D("72.00"),
        "charges_due": D("3.00"),
        "total_due": D("1275.00"),
        "total_paid": D("215.00"),
        "total_unpaid": D("1060.00"),
    }
    assert item.days_past_due == 17  # instalment 2, due 15 March
    assert statement.total_outstanding == D("1060.00")


@pytest.mark.parametrize("loans", [1, 5])
def test_the_page_query_count_does_not_grow_with_loans_and_their_rows(
    loans, manager_client, member, product, fertilizer, maker, checker, django_assert_num_queries
):
    for index in range(loans):
        loan = services.loan_create(
            member=member,
            product=product,
            lines=[(fertilizer, D("2"))] * 2,
            submitted_by=maker,
            submitted_on=SUBMITTED_ON,
        )
        services.loan_approve(loan=loan, approved_by=checker, approved_on=SUBMITTED_ON)
        services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=SUBMITTED_ON)
        services.loan_charge_add(
            loan=loan,
            kind="fee",
            amount=D("1.00"),
            due_on=SUBMITTED_ON,
            reason="Gasto",
            recorded_by=maker,
            occurred_on=SUBMITTED_ON,
        )
        for _payment in range(index + 1):
            payment = services.loan_repay(loan=loan, amount=D("10.00"), occurred_on=SUBMITTED_ON, recorded_by=maker)
        services.loan_reverse(transaction=payment, recorded_by=checker, occurred_on=SUBMITTED_ON, reason="Error")

    # 1 session, 2 user, 3 staff roles, 4 "covers all regions?", 5 the member with its region; the statement:
    # 6 loans with balances, product and program, 7 their lines with items, 8 instalments, 9 charges,
    # 10 transactions.
    with django_assert_num_queries(10):
        response = manager_client.get(url(member))

    assert response.status_code == 200
    assert len(response.context["statement"].loans) == loans
    assert timezone.localdate() == response.context["statement"].as_of
