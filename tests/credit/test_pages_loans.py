"""Staff pages for loans: the list (scope, filters, balance columns, pages), the application form, the loan page and
the approvals queue, for every role, with pinned query counts.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the credit officer Huánuco; Cusco is out of
everybody's scope. The standard loan (tests/credit/conftest.py) is S/ 1,200 of guano over six monthly instalments
of S/ 212, disbursed 15 Jan 2026, so every test run after 15 Feb 2026 finds it overdue.
"""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cooperative.services import staff_role_grant
from credit import services
from credit.models import Loan, LoanLine, LoanStatus
from members.models import Member
from tests.credit.conftest import APPROVED_ON, DISBURSED_ON, SUBMITTED_ON
from tests.factories import (
    AllianceProgramFactory,
    CreditProductFactory,
    InputItemFactory,
    LoanFactory,
    MemberFactory,
    UserFactory,
    region,
)

pytestmark = pytest.mark.django_db

CREDIT_CLIENTS = ["manager_client", "credit_officer_client"]
REFUSED_CLIENTS = ["technician_client", "ics_client", "outsider_client"]
FIRST_DUE_ON = datetime.date(2026, 2, 15)


@pytest.fixture
def cusco_loan(product, fertilizer, maker) -> Loan:
    return services.loan_create(
        member=MemberFactory(code="CU-00001", region=region("Cusco")),
        product=product,
        lines=[(fertilizer, Decimal("5"))],
        submitted_by=maker,
        submitted_on=SUBMITTED_ON,
    )


def listed(response) -> list[str]:
    return [loan.reference for loan in response.context["page_obj"]]


def read_urls(loan: Loan) -> list[str]:
    return [
        reverse("loan_list"),
        reverse("loan_create"),
        reverse("loan_create") + f"?member={loan.member_id}",
        reverse("loan_approvals"),
        reverse("loan_detail", args=[loan.pk]),
    ]


def application_data(applicant: Member, credit_product, lines: list[tuple], **overrides) -> dict:
    """The application form's POST: `lines` are (item, quantity[, unit price seen]) on the first rows."""
    data = {
        "member": applicant.code,
        "product": credit_product.pk,
        "program": "",
        "submitted_on": "2026-03-02",
        "notes": "",
        "lines-TOTAL_FORMS": "5",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "1",
        "lines-MAX_NUM_FORMS": "20",
    }
    for index, line in enumerate(lines):
        item, quantity, *price = line
        data[f"lines-{index}-item"] = item.pk if item else ""
        data[f"lines-{index}-quantity"] = quantity
        data[f"lines-{index}-unit_price"] = price[0] if price else ""
    data.update(overrides)
    return data


# --- Who may open what -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", CREDIT_CLIENTS)
def test_managers_and_credit_officers_open_every_loan_page(request, role_client, active_loan):
    client = request.getfixturevalue(role_client)

    for url in read_urls(active_loan):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", REFUSED_CLIENTS)
def test_other_roles_are_refused_every_loan_page_and_submit_nothing(
    request, role_client, submitted_loan, product, fertilizer
):
    client = request.getfixturevalue(role_client)

    for url in read_urls(submitted_loan):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("loan_create"), application_data(submitted_loan.member, product, [(fertilizer, "3")])
    )

    assert response.status_code == 403
    assert Loan.objects.count() == 1


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, submitted_loan, product, fertilizer):
    for url in read_urls(submitted_loan):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url
    client.post(reverse("loan_create"), application_data(submitted_loan.member, product, [(fertilizer, "3")]))
    assert Loan.objects.count() == 1


@pytest.mark.parametrize("role_client", CREDIT_CLIENTS)
def test_a_loan_outside_the_users_regions_is_not_found_and_not_listed(request, role_client, submitted_loan, cusco_loan):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("loan_detail", args=[cusco_loan.pk])).status_code == 404
    assert client.get(reverse("loan_create") + f"?member={cusco_loan.member_id}").status_code == 404
    assert listed(client.get(reverse("loan_list"))) == [submitted_loan.reference]
    assert listed(client.get(reverse("loan_approvals"))) == [submitted_loan.reference]


def test_each_role_sees_the_loans_of_its_own_regions(request, product, fertilizer, maker):
    san_martin = LoanFactory(member=MemberFactory(region=region("San Martín")), product=product)
    huanuco = LoanFactory(product=product)

    manager = request.getfixturevalue("manager_client")
    assert sorted(listed(manager.get(reverse("loan_list")))) == sorted([san_martin.reference, huanuco.reference])
    officer = request.getfixturevalue("credit_officer_client")
    assert listed(officer.get(reverse("loan_list"))) == [huanuco.reference]
    assert officer.get(reverse("loan_detail", args=[san_martin.pk])).status_code == 404


def test_a_role_of_another_kind_does_not_widen_the_credit_scope(credit_officer_client, cusco_loan):
    staff_role_grant(user=credit_officer_client.user, role="technician", regions=[region("Cusco")])

    assert credit_officer_client.get(reverse("loan_detail", args=[cusco_loan.pk])).status_code == 404
    assert listed(credit_officer_client.get(reverse("loan_list"))) == []


# --- The list ------------------------------------------------------------------------------------------------


def test_the_list_shows_outstanding_and_days_past_due(credit_officer_client, active_loan, maker):
    submitted_loan = LoanFactory()
    services.loan_repay(
        loan=active_loan, amount=Decimal("212.00"), occurred_on=datetime.date(2026, 2, 15), recorded_by=maker
    )
    today = timezone.localdate()

    response = credit_officer_client.get(reverse("loan_list"))

    rows = {loan.reference: loan for loan in response.context["page_obj"]}
    active = rows[active_loan.reference]
    assert active.outstanding_total == Decimal("1060.00")
    # The first instalment is paid; the second, due 15 March 2026, is the oldest unpaid.
    assert active.days_past_due == (today - datetime.date(2026, 3, 15)).days
    assert rows[submitted_loan.reference].days_past_due is None
    content = response.content.decode()
    assert "1060.00" in content
    assert f"<strong>{active.days_past_due}</strong>" in content


def test_the_list_filters_by_status_region_product_and_program(manager_client, product, fertilizer):
    program = AllianceProgramFactory(code="PRG-CACAO", regions=[region("Huánuco")])
    other_product = CreditProductFactory(name="Secadores")
    by_program = LoanFactory(product=product, program=program)
    by_other_product = LoanFactory(product=other_product)
    in_san_martin = LoanFactory(product=product, member=MemberFactory(region=region("San Martín")))
    rejected = LoanFactory(product=product, status=LoanStatus.REJECTED)
    url = reverse("loan_list")

    assert listed(manager_client.get(url, {"status": "rejected"})) == [rejected.reference]
    assert listed(manager_client.get(url, {"region": region("San Martín").pk})) == [in_san_martin.reference]
    assert listed(manager_client.get(url, {"product": other_product.pk})) == [by_other_product.reference]
    assert listed(manager_client.get(url, {"program": program.pk})) == [by_program.reference]
    assert len(listed(manager_client.get(url))) == 4


def test_the_list_searches_member_names_codes_and_references(credit_officer_client, product):
    wanted = LoanFactory(reference="CR-2026-00042", member=MemberFactory(code="BA-01234", last_names="Quispe Huamán"))
    LoanFactory(member=MemberFactory(code="BA-09999", last_names="Mendoza"))
    url = reverse("loan_list")

    for search in ["quispe", "BA-01234", "00042", "Quispe BA-01"]:
        assert listed(credit_officer_client.get(url, {"q": search})) == [wanted.reference], search


def test_overdue_only_lists_the_active_loans_past_due_beyond_tolerance(
    credit_officer_client, active_loan, make_active_loan
):
    LoanFactory()  # submitted: nothing is due yet
    recent = make_active_loan(disbursed_on=timezone.localdate() - datetime.timedelta(days=10))
    tolerant = make_active_loan(arrears_tolerance=Decimal("5000.00"))

    response = credit_officer_client.get(reverse("loan_list"), {"overdue": "on"})

    assert listed(response) == [active_loan.reference]
    assert len(listed(credit_officer_client.get(reverse("loan_list")))) == 4
    assert recent.status == tolerant.status == LoanStatus.ACTIVE


def test_a_bad_filter_value_is_shown_and_the_list_still_answers(credit_officer_client, submitted_loan):
    response = credit_officer_client.get(reverse("loan_list"), {"status": "lost", "region": "x"})

    assert response.status_code == 200
    assert set(response.context["filterset"].form.errors) == {"status", "region"}
    assert listed(response) == [submitted_loan.reference]


def test_the_list_shows_fifty_loans_a_page(credit_officer_client, product):
    LoanFactory.create_batch(51, product=product)

    first = credit_officer_client.get(reverse("loan_list"))
    second = credit_officer_client.get(reverse("loan_list"), {"page": 2})

    assert len(listed(first)) == 50
    assert len(listed(second)) == 1
    assert "Page 1 of 2" in first.content.decode()


@pytest.mark.parametrize("loans", [1, 20])
def test_the_list_query_count_does_not_grow_with_its_rows(
    credit_officer_client, django_assert_num_queries, make_active_loan, maker, loans
):
    for _ in range(loans):
        loan = make_active_loan()
        services.loan_repay(loan=loan, amount=Decimal("100.00"), occurred_on=DISBURSED_ON, recorded_by=maker)

    # session, user, staff roles; credit scope (a role covering all regions?); the region, product and program
    # selects of the filters; COUNT for the paginator; the page of loans with member, region, product and
    # program (balances and the oldest unpaid due date are stored on the loan).
    with django_assert_num_queries(9):
        response = credit_officer_client.get(reverse("loan_list"))

    assert len(listed(response)) == loans


@pytest.mark.parametrize("loans", [1, 20])
def test_the_overdue_filter_adds_no_query_whatever_the_rows(
    credit_officer_client, django_assert_num_queries, make_active_loan, loans
):
    for _ in range(loans):
        make_active_loan()

    # As the plain list: the filter is a condition on the stored oldest unpaid due date.
    with django_assert_num_queries(9):
        response = credit_officer_client.get(reverse("loan_list"), {"overdue": "on"})

    assert len(listed(response)) == loans


# --- The application ---------------------------------------------------------------------------------------


def test_the_form_comes_filled_in_with_the_member_and_the_catalogue_prices(credit_officer_client, member, fertilizer):
    InputItemFactory(name="Secador retirado", is_active=False)

    response = credit_officer_client.get(reverse("loan_create"), {"member": member.pk})

    content = response.content.decode()
    assert f'value="{member.code}"' in content
    assert f'data-price="{fertilizer.unit_price}"' in content
    assert "Secador retirado" not in content


@pytest.mark.parametrize("value", ["1 OR 1", "²", "99999999999999999999999", "-1"])
def test_a_member_that_is_not_a_primary_key_is_not_found(credit_officer_client, value):
    assert credit_officer_client.get(reverse("loan_create"), {"member": value}).status_code == 404


def test_a_credit_officer_submits_an_application(credit_officer_client, member, product, fertilizer):
    dryer = InputItemFactory(name="Secador solar", unit="unidad", unit_price=Decimal("850.00"))
    program = AllianceProgramFactory(code="PRG-CAFE")

    response = credit_officer_client.post(
        reverse("loan_create"),
        application_data(
            member,
            product,
            [(fertilizer, "10", "120.00"), (dryer, "1")],
            program=program.pk,
            notes="Campaña 2026",
        ),
    )

    loan = Loan.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("loan_detail", args=[loan.pk])
    assert (loan.member, loan.product, loan.program, loan.status) == (member, product, program, LoanStatus.SUBMITTED)
    assert (loan.principal, loan.submitted_on, loan.submitted_by) == (
        Decimal("2050.00"),
        datetime.date(2026, 3, 2),
        credit_officer_client.user,
    )
    assert loan.notes == "Campaña 2026"
    assert [(line.item, line.quantity, line.unit_price) for line in loan.lines.order_by("id")] == [
        (fertilizer, Decimal("10"), Decimal("120.00")),
        (dryer, Decimal("1"), Decimal("850.00")),
    ]
    detail = credit_officer_client.get(response.url).content.decode()
    assert f"Loan {loan.reference} of S/ 2050.00 submitted. Another officer must approve it." in detail


def test_a_price_changed_since_the_form_was_shown_is_pointed_out_and_nothing_is_submitted(
    credit_officer_client, member, product, fertilizer
):
    response = credit_officer_client.post(
        reverse("loan_create"), application_data(member, product, [(fertilizer, "10", "110.00")])
    )

    line = response.context["formset"].forms[0]
    assert line.errors["unit_price"] == [
        "The catalogue price of Guano de isla is now S/ 120.00. Check the amount with the member."
    ]
    # The form comes back with the catalogue price, so submitting it again goes through.
    assert 'value="120.00"' in str(line["unit_price"])
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    ("lines", "overrides", "error"),
    [
        ([], {}, "Please submit at least 1 form."),
        ([("fertilizer", "0")], {}, "Ensure this value is greater than or equal to 0.01."),
        ([("fertilizer", "abc")], {}, "Enter a number."),
        ([("fertilizer", "2"), ("fertilizer", "3")], {}, "Each item goes on one line only: add up its quantities."),
        ([("fertilizer", "2")], {"member": "XX-404"}, "No member in your regions has this code."),
        ([("fertilizer", "2")], {"product": ""}, "This field is required."),
        ([("fertilizer", "2")], {"submitted_on": "2099-01-01"}, "The date cannot be in the future."),
    ],
)
def test_a_bad_application_is_refused_and_nothing_is_submitted(
    credit_officer_client, member, product, fertilizer, lines, overrides, error
):
    lines = [(fertilizer, quantity) for _, quantity in lines]

    response = credit_officer_client.post(reverse("loan_create"), application_data(member, product, lines, **overrides))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not Loan.objects.exists()
    assert not LoanLine.objects.exists()


def test_a_member_of_another_region_cannot_be_named_by_code(credit_officer_client, product, fertilizer, cusco_loan):
    response = credit_officer_client.post(
        reverse("loan_create"), application_data(cusco_loan.member, product, [(fertilizer, "2")])
    )

    assert response.context["form"].errors["member"] == ["No member in your regions has this code."]
    assert Loan.objects.count() == 1


def test_the_services_refusal_is_shown_under_the_member(credit_officer_client, product, fertilizer):
    inactive = MemberFactory(status=Member.Status.INACTIVE)

    response = credit_officer_client.post(
        reverse("loan_create"), application_data(inactive, product, [(fertilizer, "2")])
    )

    assert response.context["form"].errors["member"] == ["Only an active member can apply for credit."]
    assert not Loan.objects.exists()


def test_an_item_withdrawn_from_the_catalogue_cannot_be_lent(credit_officer_client, member, product, fertilizer):
    fertilizer.is_active = False
    fertilizer.save()

    response = credit_officer_client.post(
        reverse("loan_create"), application_data(member, product, [(fertilizer, "2")])
    )

    assert "item" in response.context["formset"].forms[0].errors
    assert not Loan.objects.exists()


# --- The loan page -------------------------------------------------------------------------------------------


def test_the_loan_page_shows_terms_lines_schedule_ledger_and_balance(credit_officer_client, active_loan, maker):
    repayment = services.loan_repay(
        loan=active_loan, amount=Decimal("212.00"), occurred_on=datetime.date(2026, 2, 15), recorded_by=maker
    )
    services.loan_reverse(
        transaction=repayment, recorded_by=maker, occurred_on=datetime.date(2026, 2, 20), reason="Cheque sin fondos"
    )
    services.loan_repay(
        loan=active_loan, amount=Decimal("100.00"), occurred_on=datetime.date(2026, 2, 21), recorded_by=maker
    )

    response = credit_officer_client.get(reverse("loan_detail", args=[active_loan.pk]))

    content = response.content.decode()
    loan = response.context["loan"]
    assert (loan.total_outstanding, loan.principal_outstanding) == (Decimal("1172.00"), Decimal("1112.00"))
    assert response.context["days_past_due"] == (timezone.localdate() - FIRST_DUE_ON).days
    assert len(response.context["allocation"]) == 6
    for text in ["Flat", "12.00 %", "Monthly instalments", "Guano de isla", "1200.00", "1172.00", "Cheque sin fondos"]:
        assert text in content, text
    rows = {row.pk: row for row in response.context["transactions"]}
    assert rows[repayment.pk].is_reversed and not rows[repayment.pk].can_reverse
    assert "reversed on" in content
    assert [row.can_reverse for row in response.context["transactions"]] == [False, False, False, True]
    assert [action.url_name for action in response.context["actions"]] == ["loan_repay", "loan_write_off"]
    assert reverse("credit_statement", kwargs={"member_pk": active_loan.member_id}) in content


@pytest.mark.parametrize(
    ("fixture", "actions"),
    [
        ("submitted_loan", ["loan_approve", "loan_reject", "loan_withdraw"]),
        ("approved_loan", ["loan_disburse", "loan_reject", "loan_withdraw"]),
        ("active_loan", ["loan_repay", "loan_write_off"]),
    ],
)
def test_the_loan_page_offers_the_actions_of_its_status(request, credit_officer_client, fixture, actions):
    loan = request.getfixturevalue(fixture)

    response = credit_officer_client.get(reverse("loan_detail", args=[loan.pk]))

    assert [action.url_name for action in response.context["actions"]] == actions
    for name in actions:
        assert reverse(name, args=[loan.pk]) in response.content.decode()


def test_the_applicant_is_told_they_cannot_approve_their_own_loan(credit_officer_client, member, product, fertilizer):
    loan = services.loan_create(
        member=member,
        product=product,
        lines=[(fertilizer, Decimal("1"))],
        submitted_by=credit_officer_client.user,
        submitted_on=SUBMITTED_ON,
    )

    response = credit_officer_client.get(reverse("loan_detail", args=[loan.pk]))

    assert [action.url_name for action in response.context["actions"]] == ["loan_reject", "loan_withdraw"]
    assert "you cannot approve it: another credit officer or manager must (maker-checker)" in response.content.decode()


def test_a_rejected_loan_shows_who_rejected_it_and_why(credit_officer_client, submitted_loan, checker):
    services.loan_reject(loan=submitted_loan, rejected_by=checker, reason="Deuda vencida con otra entidad")

    response = credit_officer_client.get(reverse("loan_detail", args=[submitted_loan.pk]))

    changes = response.context["status_changes"]
    assert [(record.status, record.history_change_reason) for record in changes] == [
        ("submitted", None),
        ("rejected", "Deuda vencida con otra entidad"),
    ]
    assert response.context["actions"] == []


@pytest.mark.parametrize("repayments", [1, 10])
def test_the_loan_page_query_count_does_not_grow_with_its_rows(
    credit_officer_client, django_assert_num_queries, active_loan, maker, repayments
):
    for day in range(repayments):
        services.loan_repay(
            loan=active_loan,
            amount=Decimal("10.00"),
            occurred_on=DISBURSED_ON + datetime.timedelta(days=day),
            recorded_by=maker,
        )

    # session, user, staff roles; credit scope; the loan with member, region, product, program, users and balance;
    # its transactions with user and reversal links; its charges likewise; instalment allocation (balance,
    # instalments); days past due (balance, instalments); status history with users; the lines with their items.
    with django_assert_num_queries(13):
        response = credit_officer_client.get(reverse("loan_detail", args=[active_loan.pk]))

    assert len(response.context["transactions"]) == repayments + 1


# --- Approvals ---------------------------------------------------------------------------------------------------


def test_the_approvals_queue_lists_submitted_loans_and_flags_the_users_own(
    credit_officer_client, member, product, fertilizer, submitted_loan, make_active_loan
):
    make_active_loan()
    LoanFactory(status=LoanStatus.WITHDRAWN)
    own = services.loan_create(
        member=member,
        product=product,
        lines=[(fertilizer, Decimal("1"))],
        submitted_by=credit_officer_client.user,
        submitted_on=APPROVED_ON,
    )

    response = credit_officer_client.get(reverse("loan_approvals"))

    rows = {loan.reference: loan.is_own_application for loan in response.context["page_obj"]}
    assert rows == {submitted_loan.reference: False, own.reference: True}
    content = response.content.decode()
    assert reverse("loan_approve", args=[submitted_loan.pk]) in content
    assert reverse("loan_approve", args=[own.pk]) not in content
    assert "You submitted it: another officer approves" in content


@pytest.mark.parametrize("loans", [1, 20])
def test_the_approvals_query_count_does_not_grow_with_its_rows(
    credit_officer_client, django_assert_num_queries, product, loans
):
    for _ in range(loans):
        LoanFactory(product=product, submitted_by=UserFactory())

    # session, user, staff roles; credit scope; COUNT for the paginator; the page of loans with member, region,
    # product, program and applicant.
    with django_assert_num_queries(6):
        response = credit_officer_client.get(reverse("loan_approvals"))

    assert len(response.context["page_obj"]) == loans


@pytest.mark.spanish
def test_the_pages_answer_in_spanish_by_default(credit_officer_client, active_loan):
    response = credit_officer_client.get(reverse("loan_detail", args=[active_loan.pk]))

    assert response.status_code == 200
    assert '<html lang="es">' in response.content.decode()


def test_fees_and_penalties_show_on_the_loan_page_and_make_a_loan_overdue(
    credit_officer_client, make_active_loan, maker
):
    """The first instalment is paid in full, but a penalty owed with it leaves S/ 15 of it unpaid: late."""
    disbursed_on = timezone.localdate() - datetime.timedelta(days=40)
    loan = make_active_loan(disbursed_on=disbursed_on)
    penalty = services.loan_charge_add(
        loan=loan,
        kind="penalty",
        amount=Decimal("15.00"),
        due_on=disbursed_on + datetime.timedelta(days=20),
        reason="Pago tardío",
        recorded_by=maker,
    )
    services.loan_repay(loan=loan, amount=Decimal("212.00"), occurred_on=timezone.localdate(), recorded_by=maker)

    detail = credit_officer_client.get(reverse("loan_detail", args=[loan.pk]))
    overdue = credit_officer_client.get(reverse("loan_list"), {"overdue": "on"})

    assert detail.context["charges"] == [penalty]
    assert "Pago tardío" in detail.content.decode()
    first_due_on = detail.context["allocation"][0].due_on
    assert detail.context["days_past_due"] == (timezone.localdate() - first_due_on).days > 0
    assert detail.context["loan"].total_outstanding == Decimal("1075.00")
    assert listed(overdue) == [loan.reference]
    assert overdue.context["page_obj"][0].days_past_due == detail.context["days_past_due"]
