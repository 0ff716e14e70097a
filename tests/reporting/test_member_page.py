"""The member page (reporting.views.members.member_detail): profile, farms, certifications with their
history, loans with balances (for managers and credit officers only), recent visits and programs, and a query
count that does not grow with farms or visits. Who may open it: tests/reporting/test_member_list.py (staff
roles, regional scope) and tests/members/test_member_pages.py (refusals, its links to the members pages)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from certifications.models import CertificationStatus
from credit import services as credit_services
from members.models import Member
from tests.factories import (
    AllianceProgramFactory,
    CertificationEventFactory,
    CertificationFactory,
    CreditProductFactory,
    FarmFactory,
    FarmVisitFactory,
    InputItemFactory,
    LoanFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    region,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def disbursed_loan(member: Member):
    """S/ 1,200 over 6 monthly instalments of S/ 212 (flat 12 %), disbursed 15 Jan 2026; one instalment repaid."""
    maker, checker = UserFactory(username="maker"), UserFactory(username="checker")
    loan = credit_services.loan_create(
        member=member,
        product=CreditProductFactory(),
        lines=[(InputItemFactory(name="Guano de isla", unit_price=Decimal("120.00")), Decimal("10"))],
        submitted_by=maker,
        submitted_on=datetime.date(2026, 1, 10),
    )
    credit_services.loan_approve(loan=loan, approved_by=checker, approved_on=datetime.date(2026, 1, 12))
    credit_services.loan_disburse(loan=loan, disbursed_by=maker, disbursed_on=datetime.date(2026, 1, 15))
    credit_services.loan_repay(
        loan=loan, amount=Decimal("212.00"), occurred_on=datetime.date(2026, 2, 15), recorded_by=maker
    )
    return loan


def member_with_records(farms: int, visits: int) -> Member:
    member = MemberFactory(code="BA-00001", first_names="Teodoro", last_names="Espiritu Lino")
    decider = UserFactory(username="comite", first_name="Comité", last_name="SCI")
    for number in range(farms):
        farm = FarmFactory(member=member, name=f"Parcela {number + 1}", estimated_production_kg=Decimal("1380"))
        certification = CertificationFactory(farm=farm, status=CertificationStatus.CERTIFIED)
        CertificationEventFactory(certification=certification, to_status="candidate", reason="Registro inicial")
        CertificationEventFactory(
            certification=certification,
            from_status="candidate",
            to_status="certified",
            occurred_on=datetime.date(2026, 3, 1),
            reason="Auditoría aprobada",
            decided_by=decider,
        )
    for number in range(visits):
        FarmVisitFactory(farm=member.farms.first(), visited_on=datetime.date(2026, 10, 1) - datetime.timedelta(number))
    ProgramEnrollmentFactory(member=member, program=AllianceProgramFactory(code="LWR-2012", name="Cacao Huánuco"))
    disbursed_loan(member)
    return member


def test_the_member_page_shows_profile_farms_certifications_loans_visits_and_programs(manager_client):
    member = member_with_records(farms=1, visits=12)

    response = manager_client.get(reverse("member_detail", args=[member.pk]), **EN)

    content = response.content.decode()
    for text in [
        "Teodoro Espiritu Lino",
        "Parcela 1",
        "1380",  # kg
        "30.0",  # 1380 / 46 kg quintals
        "20.0",  # 1380 / 69 kg export bags
        "Rainforest Alliance",
        "Candidate → Certified",
        "Auditoría aprobada",
        "Comité SCI",
        "1200.00",  # principal
        "1060.00",  # outstanding: S/ 1,272 - S/ 212 repaid
        "03/15/2026",  # the second instalment is the next unpaid one
        "LWR-2012",
    ]:
        assert text in content, text
    profile = response.context["profile"]
    assert len(profile.recent_visits) == 10
    assert profile.loans[0].loan.total_outstanding == Decimal("1060.00")
    assert profile.loans[0].next_due_on == datetime.date(2026, 3, 15)


@pytest.mark.parametrize(("farms", "visits"), [(1, 1), (5, 12)])
def test_the_member_page_query_count_does_not_grow_with_farms_or_visits(
    manager_client, django_assert_num_queries, farms, visits
):
    member = member_with_records(farms=farms, visits=visits)

    # session, user, staff roles; scope (all regions?); the member with region; may the user write here
    # (manager roles covering all regions? covering this region?); farms with region; their certifications
    # with standard; the certifications' events with who decided; loans with balances; their instalments;
    # the latest visits with farm and technician; their pests of severity 2 or more; program enrolments with
    # program.
    with django_assert_num_queries(15):
        response = manager_client.get(reverse("member_detail", args=[member.pk]))

    assert len(response.context["profile"].farms) == farms


@pytest.mark.parametrize(
    ("fixture", "sees_loans"),
    [("manager_client", True), ("credit_officer_client", True), ("technician_client", False), ("ics_client", False)],
)
def test_loan_balances_on_the_member_page_are_for_managers_and_credit_officers_only(request, fixture, sees_loans):
    client = request.getfixturevalue(fixture)
    loan = LoanFactory(member=MemberFactory(region=region("Huánuco")), reference="CR-VISIBLE-1")

    response = client.get(reverse("member_detail", args=[loan.member.pk]))

    assert response.status_code == 200
    assert ("CR-VISIBLE-1" in response.content.decode()) is sees_loans
