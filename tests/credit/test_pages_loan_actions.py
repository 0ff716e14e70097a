"""The loan action pages: approve, reject, withdraw, disburse, repay, reverse and write off. Each for every role and
out of region; each calls its service, shows the service's refusal on the form, and a refused or unconfirmed
action changes nothing. Maker-checker: whoever submitted a loan cannot approve it.

The standard loan (tests/credit/conftest.py): S/ 1,200 submitted 10 Jan 2026 by `maker`, approved 12 Jan by
`checker`, disbursed 15 Jan; six instalments of S/ 212 (S/ 1,272 in all).
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from credit import services
from credit.models import Instalment, Loan, LoanStatus, LoanTransaction, TransactionKind
from tests.credit.conftest import DISBURSED_ON, SUBMITTED_ON
from tests.factories import MemberFactory, region

pytestmark = pytest.mark.django_db

CREDIT_CLIENTS = ["manager_client", "credit_officer_client"]
REFUSED_CLIENTS = ["technician_client", "ics_client", "outsider_client"]
LOAN_ACTIONS = ["loan_approve", "loan_reject", "loan_withdraw", "loan_disburse", "loan_repay", "loan_write_off"]


@pytest.fixture
def repayment(active_loan, maker) -> LoanTransaction:
    return services.loan_repay(
        loan=active_loan, amount=Decimal("212.00"), occurred_on=datetime.date(2026, 2, 15), recorded_by=maker
    )


@pytest.fixture
def cusco_repayment(product, fertilizer, maker, checker) -> LoanTransaction:
    loan = services.loan_create(
        member=MemberFactory(region=region("Cusco")),
        product=product,
        lines=[(fertilizer, Decimal("5"))],
        submitted_by=maker,
        submitted_on=SUBMITTED_ON,
    )
    services.loan_approve(loan=loan, approved_by=checker, approved_on=SUBMITTED_ON)
    services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=DISBURSED_ON)
    return services.loan_repay(loan=loan, amount=Decimal("100.00"), occurred_on=DISBURSED_ON, recorded_by=maker)


def action_urls(loan: Loan, transaction: LoanTransaction) -> list[str]:
    return [*(reverse(name, args=[loan.pk]) for name in LOAN_ACTIONS), reverse("loan_reverse", args=[transaction.pk])]


def every_field(**overrides) -> dict:
    """A POST that every action form would accept."""
    data = {
        "approved_on": "2026-01-12",
        "disbursed_on": "2026-01-15",
        "occurred_on": "2026-03-01",
        "amount": "50.00",
        "kind": "repayment",
        "reason": "Prueba",
        "confirm": "on",
    }
    return data | overrides


def ledger_and_status(loan: Loan) -> tuple:
    loan.refresh_from_db()
    return loan.status, LoanTransaction.objects.filter(loan=loan).count(), Instalment.objects.filter(loan=loan).count()


# --- Who may act on what -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", CREDIT_CLIENTS)
def test_managers_and_credit_officers_open_every_action_page(request, role_client, repayment):
    client = request.getfixturevalue(role_client)

    for url in action_urls(repayment.loan, repayment):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", REFUSED_CLIENTS)
def test_other_roles_are_refused_every_action_and_change_nothing(request, role_client, repayment):
    client = request.getfixturevalue(role_client)
    loan = repayment.loan
    before = ledger_and_status(loan)

    for url in action_urls(loan, repayment):
        assert client.get(url).status_code == 403, url
        assert client.post(url, every_field()).status_code == 403, url

    assert ledger_and_status(loan) == before


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_changes_nothing(client, repayment):
    loan = repayment.loan
    before = ledger_and_status(loan)

    for url in action_urls(loan, repayment):
        for response in (client.get(url), client.post(url, every_field())):
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login") + "?next="), url

    assert ledger_and_status(loan) == before


@pytest.mark.parametrize("role_client", CREDIT_CLIENTS)
def test_a_loan_or_transaction_outside_the_users_regions_is_not_found_and_not_changed(
    request, role_client, cusco_repayment
):
    client = request.getfixturevalue(role_client)
    loan = cusco_repayment.loan
    before = ledger_and_status(loan)

    for url in action_urls(loan, cusco_repayment):
        assert client.get(url).status_code == 404, url
        assert client.post(url, every_field()).status_code == 404, url

    assert ledger_and_status(loan) == before


# --- Approve: maker-checker ----------------------------------------------------------------------------------


def test_a_credit_officer_approves_a_loan_someone_else_submitted(credit_officer_client, submitted_loan, product):
    response = credit_officer_client.post(
        reverse("loan_approve", args=[submitted_loan.pk]), {"approved_on": "2026-01-12"}, follow=True
    )

    submitted_loan.refresh_from_db()
    assert response.redirect_chain == [(reverse("loan_detail", args=[submitted_loan.pk]), 302)]
    assert f"Loan {submitted_loan.reference} approved." in response.content.decode()
    assert (submitted_loan.status, submitted_loan.approved_by, submitted_loan.approved_on) == (
        LoanStatus.APPROVED,
        credit_officer_client.user,
        datetime.date(2026, 1, 12),
    )
    assert (submitted_loan.annual_rate, submitted_loan.number_of_repayments) == (product.annual_rate, 6)


def test_the_approval_page_shows_the_terms_that_will_be_copied(credit_officer_client, submitted_loan):
    response = credit_officer_client.get(reverse("loan_approve", args=[submitted_loan.pk]))

    content = response.content.decode()
    for text in ["Terms of the product", "Flat", "12.00 %", "Guano de isla", "1200.00"]:
        assert text in content, text


def test_the_applicant_cannot_approve_their_own_loan_and_the_page_says_why(
    credit_officer_client, member, product, fertilizer
):
    loan = services.loan_create(
        member=member,
        product=product,
        lines=[(fertilizer, Decimal("2"))],
        submitted_by=credit_officer_client.user,
        submitted_on=SUBMITTED_ON,
    )
    url = reverse("loan_approve", args=[loan.pk])

    page = credit_officer_client.get(url)
    refused = credit_officer_client.post(url, {"approved_on": "2026-01-12"})

    assert "You applied for this loan, so you cannot approve it" in page.content.decode()
    assert '<form method="post" class="record-form">' not in page.content.decode()
    assert refused.status_code == 200
    assert refused.context["form"].non_field_errors() == [
        "A loan must be approved by someone other than who submitted it."
    ]
    assert "A loan must be approved by someone other than who submitted it." in refused.content.decode()
    loan.refresh_from_db()
    assert (loan.status, loan.approved_by, loan.approved_on) == (LoanStatus.SUBMITTED, None, None)


@pytest.mark.parametrize(
    ("approved_on", "field", "message"),
    [
        ("2026-01-09", "approved_on", "A loan cannot be approved before it was submitted."),
        ("2099-01-01", "approved_on", "The date cannot be in the future."),
        ("2026-13-01", "approved_on", "Enter a valid date."),
    ],
)
def test_a_bad_approval_date_is_refused_and_nothing_changes(
    credit_officer_client, submitted_loan, approved_on, field, message
):
    response = credit_officer_client.post(
        reverse("loan_approve", args=[submitted_loan.pk]), {"approved_on": approved_on}
    )

    assert response.context["form"].errors[field] == [message]
    assert ledger_and_status(submitted_loan) == (LoanStatus.SUBMITTED, 0, 0)


def test_an_active_loan_cannot_be_approved_again(credit_officer_client, active_loan):
    url = reverse("loan_approve", args=[active_loan.pk])

    page = credit_officer_client.get(url)
    refused = credit_officer_client.post(url, {"approved_on": "2026-02-01"})

    assert "Only a submitted loan can be approved." in page.content.decode()
    assert refused.context["form"].non_field_errors() == ["Only a submitted loan can be approved."]
    active_loan.refresh_from_db()
    assert (active_loan.status, active_loan.approved_on) == (LoanStatus.ACTIVE, datetime.date(2026, 1, 12))


# --- Reject and withdraw -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [("loan_reject", LoanStatus.REJECTED, "rejected"), ("loan_withdraw", LoanStatus.WITHDRAWN, "withdrawn")],
)
@pytest.mark.parametrize("fixture", ["submitted_loan", "approved_loan"])
def test_a_loan_not_yet_disbursed_is_rejected_or_withdrawn_with_a_reason(
    request, credit_officer_client, fixture, action, status, message
):
    loan = request.getfixturevalue(fixture)

    response = credit_officer_client.post(
        reverse(action, args=[loan.pk]), {"reason": "El socio ya no necesita el abono", "confirm": "on"}, follow=True
    )

    loan.refresh_from_db()
    assert loan.status == status
    assert f"Loan {loan.reference} {message}." in response.content.decode()
    assert loan.history.first().history_change_reason == "El socio ya no necesita el abono"
    assert loan.history.first().history_user == credit_officer_client.user


@pytest.mark.parametrize("action", ["loan_reject", "loan_withdraw"])
@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "Sin garantía"}, "confirm", "Tick the box to confirm."),
        ({"reason": "", "confirm": "on"}, "reason", "This field is required."),
        (
            {"reason": "x" * 101, "confirm": "on"},
            "reason",
            "Ensure this value has at most 100 characters (it has 101).",
        ),
    ],
)
def test_an_unconfirmed_or_unexplained_rejection_changes_nothing(
    credit_officer_client, submitted_loan, action, data, field, message
):
    response = credit_officer_client.post(reverse(action, args=[submitted_loan.pk]), data)

    assert response.context["form"].errors[field] == [message]
    assert ledger_and_status(submitted_loan) == (LoanStatus.SUBMITTED, 0, 0)


def test_a_disbursed_loan_cannot_be_rejected(credit_officer_client, active_loan):
    url = reverse("loan_reject", args=[active_loan.pk])

    assert "Only a submitted or approved loan can be rejected." in credit_officer_client.get(url).content.decode()
    response = credit_officer_client.post(url, {"reason": "Error", "confirm": "on"})

    assert response.context["form"].non_field_errors() == [
        "Only a submitted or approved loan can be rejected or withdrawn."
    ]
    assert ledger_and_status(active_loan) == (LoanStatus.ACTIVE, 1, 6)


# --- Disburse ----------------------------------------------------------------------------------------------------


def test_a_credit_officer_disburses_an_approved_loan(credit_officer_client, approved_loan):
    response = credit_officer_client.post(
        reverse("loan_disburse", args=[approved_loan.pk]), {"disbursed_on": "2026-01-15", "confirm": "on"}
    )

    assert response.status_code == 302
    assert response.url == reverse("loan_detail", args=[approved_loan.pk])
    assert ledger_and_status(approved_loan) == (LoanStatus.ACTIVE, 1, 6)
    disbursement = approved_loan.transactions.get()
    assert (disbursement.kind, disbursement.amount, disbursement.recorded_by) == (
        TransactionKind.DISBURSEMENT,
        Decimal("1200.00"),
        credit_officer_client.user,
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"disbursed_on": "2026-01-15"}, "confirm", "Tick the box to confirm the disbursement."),
        (
            {"disbursed_on": "2026-01-11", "confirm": "on"},
            "disbursed_on",
            "A loan cannot be disbursed before it was approved.",
        ),
        ({"disbursed_on": "2099-01-01", "confirm": "on"}, "disbursed_on", "The date cannot be in the future."),
    ],
)
def test_a_bad_disbursement_changes_nothing(credit_officer_client, approved_loan, data, field, message):
    response = credit_officer_client.post(reverse("loan_disburse", args=[approved_loan.pk]), data)

    assert response.context["form"].errors[field] == [message]
    assert ledger_and_status(approved_loan) == (LoanStatus.APPROVED, 0, 0)


def test_a_submitted_loan_cannot_be_disbursed(credit_officer_client, submitted_loan):
    url = reverse("loan_disburse", args=[submitted_loan.pk])

    assert "Only an approved loan can be disbursed." in credit_officer_client.get(url).content.decode()
    response = credit_officer_client.post(url, {"disbursed_on": "2026-01-15", "confirm": "on"})

    assert response.context["form"].non_field_errors() == ["Only an approved loan can be disbursed."]
    assert ledger_and_status(submitted_loan) == (LoanStatus.SUBMITTED, 0, 0)


# --- Repay ----------------------------------------------------------------------------------------------------


def test_a_credit_officer_records_a_repayment(credit_officer_client, active_loan):
    response = credit_officer_client.post(
        reverse("loan_repay", args=[active_loan.pk]),
        {"amount": "300.00", "occurred_on": "2026-02-15", "kind": "repayment", "note": "Recibo 0012"},
        follow=True,
    )

    row = active_loan.transactions.get(kind=TransactionKind.REPAYMENT)
    assert (row.amount, row.occurred_on, row.note, row.recorded_by) == (
        Decimal("300.00"),
        datetime.date(2026, 2, 15),
        "Recibo 0012",
        credit_officer_client.user,
    )
    assert f"Repayment of S/ 300.00 recorded on loan {active_loan.reference}." in response.content.decode()
    assert response.context["loan"].total_outstanding == Decimal("972.00")


def test_the_repayment_page_shows_what_is_outstanding(credit_officer_client, active_loan):
    content = credit_officer_client.get(reverse("loan_repay", args=[active_loan.pk])).content.decode()

    assert "S/ 1272.00" in content


def test_paying_everything_closes_the_loan(credit_officer_client, active_loan):
    response = credit_officer_client.post(
        reverse("loan_repay", args=[active_loan.pk]),
        {"amount": "1272.00", "occurred_on": "2026-07-15", "kind": "repayment"},
        follow=True,
    )

    active_loan.refresh_from_db()
    assert (active_loan.status, active_loan.closed_on) == (LoanStatus.CLOSED, datetime.date(2026, 7, 15))
    assert "Nothing is left to pay: the loan is closed." in response.content.decode()


def test_it_rejects_repayment_above_outstanding_balance_and_records_nothing(credit_officer_client, active_loan):
    response = credit_officer_client.post(
        reverse("loan_repay", args=[active_loan.pk]),
        {"amount": "1300.00", "occurred_on": "2026-02-15", "kind": "repayment"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["amount"] == [
        "S/ 1300.00 is more than the outstanding balance of S/ 1272.00."
    ]
    assert "S/ 1300.00 is more than the outstanding balance of S/ 1272.00." in response.content.decode()
    assert ledger_and_status(active_loan) == (LoanStatus.ACTIVE, 1, 6)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"amount": "0"}, "amount", "Ensure this value is greater than or equal to 0.01."),
        ({"amount": "10.005"}, "amount", "Ensure that there are no more than 2 decimal places."),
        ({"occurred_on": "2026-01-14"}, "occurred_on", "The date cannot be before the loan was disbursed."),
        ({"occurred_on": "2099-01-01"}, "occurred_on", "The date cannot be in the future."),
        ({"kind": "waiver"}, "kind", "Select a valid choice. waiver is not one of the available choices."),
        ({"delivery_payment": "500"}, "delivery_payment", "A delivery payment goes with a harvest deduction only."),
        (
            {"kind": "harvest_deduction", "amount": "200.00", "delivery_payment": "500.00"},
            "amount",
            "A harvest deduction can take at most 30.00% of the delivery payment: S/ 150.00.",
        ),
    ],
)
def test_a_bad_repayment_is_refused_and_records_nothing(credit_officer_client, active_loan, data, field, message):
    post = {"amount": "100.00", "occurred_on": "2026-02-15", "kind": "repayment"} | data

    response = credit_officer_client.post(reverse("loan_repay", args=[active_loan.pk]), post)

    assert response.context["form"].errors[field] == [message]
    assert ledger_and_status(active_loan) == (LoanStatus.ACTIVE, 1, 6)


def test_a_harvest_deduction_within_the_cap_is_recorded(credit_officer_client, active_loan):
    credit_officer_client.post(
        reverse("loan_repay", args=[active_loan.pk]),
        {"amount": "150.00", "occurred_on": "2026-05-02", "kind": "harvest_deduction", "delivery_payment": "500.00"},
    )

    assert active_loan.transactions.get(kind=TransactionKind.HARVEST_DEDUCTION).amount == Decimal("150.00")


def test_an_approved_loan_cannot_be_repaid(credit_officer_client, approved_loan):
    url = reverse("loan_repay", args=[approved_loan.pk])

    assert "Repayments can only be recorded on an active loan." in credit_officer_client.get(url).content.decode()
    response = credit_officer_client.post(url, {"amount": "10.00", "occurred_on": "2026-02-15", "kind": "repayment"})

    assert response.context["form"].non_field_errors() == ["Repayments can only be recorded on an active loan."]
    assert ledger_and_status(approved_loan) == (LoanStatus.APPROVED, 0, 0)


# --- Reverse -------------------------------------------------------------------------------------------------


def test_a_credit_officer_reverses_a_repayment_and_the_loan_page_marks_it(credit_officer_client, repayment):
    loan = repayment.loan
    response = credit_officer_client.post(
        reverse("loan_reverse", args=[repayment.pk]),
        {"occurred_on": "2026-02-20", "reason": "Cheque sin fondos", "confirm": "on"},
        follow=True,
    )

    reversal = LoanTransaction.objects.get(reverses=repayment)
    assert (reversal.kind, reversal.amount, reversal.note, reversal.recorded_by) == (
        TransactionKind.REVERSAL,
        Decimal("212.00"),
        "Cheque sin fondos",
        credit_officer_client.user,
    )
    assert response.redirect_chain == [(reverse("loan_detail", args=[loan.pk]), 302)]
    content = response.content.decode()
    assert f"reversed on loan {loan.reference}." in content
    assert "reversed on" in content
    assert response.context["loan"].total_outstanding == Decimal("1272.00")


def test_the_reversal_page_shows_the_transaction(credit_officer_client, repayment):
    content = credit_officer_client.get(reverse("loan_reverse", args=[repayment.pk])).content.decode()

    assert "S/ 212.00" in content
    assert "Repayment" in content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "Error de digitación"}, "confirm", "Tick the box to confirm the reversal."),
        ({"reason": "", "confirm": "on"}, "reason", "This field is required."),
        (
            {"reason": "Error", "confirm": "on", "occurred_on": "2026-02-14"},
            "occurred_on",
            "A reversal cannot be dated before the transaction it reverses.",
        ),
    ],
)
def test_an_unconfirmed_or_bad_reversal_changes_nothing(credit_officer_client, repayment, data, field, message):
    post = {"occurred_on": "2026-02-20"} | data

    response = credit_officer_client.post(reverse("loan_reverse", args=[repayment.pk]), post)

    assert response.context["form"].errors[field] == [message]
    assert not LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).exists()


def test_a_disbursement_cannot_be_reversed(credit_officer_client, active_loan):
    disbursement = active_loan.transactions.get()
    url = reverse("loan_reverse", args=[disbursement.pk])

    page = credit_officer_client.get(url)
    response = credit_officer_client.post(url, {"occurred_on": "2026-02-20", "reason": "Error", "confirm": "on"})

    message = "A Disbursement cannot be reversed; only repayments, harvest deductions, waivers and write-offs can."
    assert message in page.content.decode()
    assert response.context["form"].non_field_errors() == [message]
    assert ledger_and_status(active_loan) == (LoanStatus.ACTIVE, 1, 6)


def test_a_transaction_is_reversed_once_only(credit_officer_client, repayment, maker):
    services.loan_reverse(transaction=repayment, recorded_by=maker, occurred_on=datetime.date(2026, 2, 20), reason="x")
    url = reverse("loan_reverse", args=[repayment.pk])

    assert "This transaction has already been reversed." in credit_officer_client.get(url).content.decode()
    response = credit_officer_client.post(url, {"occurred_on": "2026-02-21", "reason": "Otra vez", "confirm": "on"})

    assert response.context["form"].non_field_errors() == ["This transaction has already been reversed."]
    assert LoanTransaction.objects.filter(kind=TransactionKind.REVERSAL).count() == 1


# --- Write off -------------------------------------------------------------------------------------------------


def test_a_credit_officer_writes_off_what_is_outstanding(credit_officer_client, repayment):
    loan = repayment.loan

    response = credit_officer_client.post(
        reverse("loan_write_off", args=[loan.pk]),
        {"occurred_on": "2026-10-01", "reason": "Socio fallecido", "confirm": "on"},
        follow=True,
    )

    loan.refresh_from_db()
    write_off = loan.transactions.get(kind=TransactionKind.WRITE_OFF)
    assert loan.status == LoanStatus.WRITTEN_OFF
    assert (write_off.amount, write_off.note) == (Decimal("1060.00"), "Socio fallecido")
    assert f"Loan {loan.reference} written off: S/ 1060.00." in response.content.decode()
    # The write-off can be reversed from the loan page (and only it).
    assert [row.can_reverse for row in response.context["transactions"]] == [False, False, True]


def test_the_write_off_page_says_how_much_will_be_written_off(credit_officer_client, active_loan):
    content = credit_officer_client.get(reverse("loan_write_off", args=[active_loan.pk])).content.decode()

    assert "Everything still owed, S/ 1272.00, is recorded as a write-off" in content


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": "Incobrable"}, "confirm", "Tick the box to confirm the write-off."),
        ({"reason": "", "confirm": "on"}, "reason", "This field is required."),
        ({"reason": "   ", "confirm": "on"}, "reason", "This field is required."),
        (
            {"reason": "Incobrable", "confirm": "on", "occurred_on": "2026-01-01"},
            "occurred_on",
            "The date cannot be before the loan was disbursed.",
        ),
    ],
)
def test_an_unconfirmed_or_bad_write_off_changes_nothing(credit_officer_client, active_loan, data, field, message):
    post = {"occurred_on": timezone.localdate().isoformat()} | data

    response = credit_officer_client.post(reverse("loan_write_off", args=[active_loan.pk]), post)

    assert response.context["form"].errors[field] == [message]
    assert ledger_and_status(active_loan) == (LoanStatus.ACTIVE, 1, 6)


def test_a_closed_loan_cannot_be_written_off(credit_officer_client, active_loan, maker):
    services.loan_repay(loan=active_loan, amount=Decimal("1272.00"), occurred_on=DISBURSED_ON, recorded_by=maker)
    url = reverse("loan_write_off", args=[active_loan.pk])

    assert "Only an active loan can be written off." in credit_officer_client.get(url).content.decode()
    response = credit_officer_client.post(url, {"occurred_on": "2026-03-01", "reason": "x", "confirm": "on"})

    assert response.context["form"].non_field_errors() == ["Only an active loan can be written off."]
    assert ledger_and_status(active_loan) == (LoanStatus.CLOSED, 2, 6)


def test_action_pages_only_accept_get_and_post(credit_officer_client, repayment):
    for url in action_urls(repayment.loan, repayment):
        assert credit_officer_client.put(url).status_code == 405, url
