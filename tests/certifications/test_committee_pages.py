"""The approval committee's pages: the list of open certifications, a certification's page and the status
decision. Every page for every role, regional scope, filters, forms and pinned query counts.

Roles (tests/conftest.py): the manager covers Huánuco and San Martín, the ICS coordinator and the technician
Huánuco; Cusco is out of everybody's scope.
"""

import datetime

import pytest
from django.urls import reverse

from certifications.models import Certification, CertificationEvent
from certifications.services.certifications import certification_change_status, certification_create
from certifications.services.sanctions import sanction_impose
from cooperative.models import Region
from tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DAY = datetime.timedelta(days=1)
READERS = ["manager_client", "ics_client", "technician_client"]
DECIDERS = ["manager_client", "ics_client"]


def farm_in(region_name: str, member_code: str | None = None, **kwargs):
    member_values = {"code": member_code} if member_code else {}
    member = factories.MemberFactory(region=factories.region(region_name), **member_values)
    return factories.FarmFactory(member=member, **kwargs)


def open_certification(farm, code: str, decider, today, **kwargs) -> Certification:
    return certification_create(
        farm=farm,
        standard=factories.standard(code),
        decided_by=decider,
        occurred_on=today - 400 * DAY,
        reason="Registered in the member census",
        **kwargs,
    )


@pytest.fixture
def candidate(decider, today) -> Certification:
    farm = farm_in("Huánuco", "BA-00001", name="La Esperanza")
    return open_certification(farm, "rainforest_alliance", decider, today)


@pytest.fixture
def cusco_certification(decider, today) -> Certification:
    return open_certification(farm_in("Cusco", name="Santa Rosa"), "rainforest_alliance", decider, today)


def decide_form(**changes) -> dict:
    data = {"to_status": "withdrawn", "conversion_stage": "", "occurred_on": "", "reason": "Left the group"}
    data.update(changes)
    return data


def listed(response) -> list:
    return list(response.context["page_obj"])


# -- Access -----------------------------------------------------------------------------------------------


def read_urls(certification) -> list[str]:
    return [reverse("committee"), reverse("certification_detail", args=[certification.pk])]


def decide_url(certification) -> str:
    return reverse("certification_decide", args=[certification.pk])


@pytest.mark.parametrize("role_client", READERS)
def test_ics_readers_read_the_committee_list_and_the_certification_page(request, role_client, candidate):
    client = request.getfixturevalue(role_client)

    for url in read_urls(candidate):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", DECIDERS)
def test_ics_managers_open_the_decision_form(request, role_client, candidate):
    assert request.getfixturevalue(role_client).get(decide_url(candidate)).status_code == 200


@pytest.mark.parametrize("role_client", ["technician_client", "credit_officer_client", "outsider_client"])
def test_other_roles_are_refused_the_decision_and_change_nothing(request, role_client, candidate, today):
    client = request.getfixturevalue(role_client)

    assert client.get(decide_url(candidate)).status_code == 403
    assert client.post(decide_url(candidate), decide_form(occurred_on=today.isoformat())).status_code == 403
    assert Certification.objects.get(pk=candidate.pk).status == "candidate"
    assert candidate.events.count() == 1


@pytest.mark.parametrize("role_client", ["credit_officer_client", "outsider_client"])
def test_credit_officers_and_users_without_a_role_are_refused_the_reading_pages(request, role_client, candidate):
    client = request.getfixturevalue(role_client)

    for url in read_urls(candidate):
        assert client.get(url).status_code == 403, url


def test_anonymous_visitors_are_sent_to_the_login_page(client, candidate, today):
    for url in [*read_urls(candidate), decide_url(candidate)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    client.post(decide_url(candidate), decide_form(occurred_on=today.isoformat()))
    assert Certification.objects.get(pk=candidate.pk).status == "candidate"


@pytest.mark.parametrize("role_client", READERS)
def test_a_certification_outside_the_users_regions_is_not_found_and_not_listed(
    request, role_client, candidate, cusco_certification, today
):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("certification_detail", args=[cusco_certification.pk])).status_code == 404
    assert listed(client.get(reverse("committee"))) == [candidate]


@pytest.mark.parametrize("role_client", DECIDERS)
def test_a_decision_outside_the_users_regions_is_not_found(request, role_client, cusco_certification, today):
    client = request.getfixturevalue(role_client)

    assert client.get(decide_url(cusco_certification)).status_code == 404
    assert client.post(decide_url(cusco_certification), decide_form(occurred_on=today.isoformat())).status_code == 404
    assert Certification.objects.get(pk=cusco_certification.pk).status == "candidate"


@pytest.mark.parametrize(("role_client", "expected"), [("manager_client", 200), ("ics_client", 404)])
def test_san_martin_is_in_the_managers_scope_only(request, role_client, expected, decider, today):
    san_martin = open_certification(farm_in("San Martín"), "rainforest_alliance", decider, today)
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("certification_detail", args=[san_martin.pk])).status_code == expected


@pytest.mark.spanish
def test_the_pages_render_in_spanish_by_default(ics_client, candidate):
    for url in read_urls(candidate):
        assert '<html lang="es">' in ics_client.get(url).content.decode(), url


# -- The committee list -----------------------------------------------------------------------------------


def test_the_list_shows_open_certifications_with_their_latest_inspection_and_open_findings(
    ics_client, candidate, decider, today
):
    rainforest = candidate.standard
    factories.InspectionFactory(
        farm=candidate.farm, standards=[rainforest], inspected_on=today - 300 * DAY, recommendation="exclude"
    )
    factories.InspectionFactory(
        farm=candidate.farm, standards=[rainforest], inspected_on=today - 20 * DAY, recommendation="conditions"
    )
    # A later inspection under another standard only.
    factories.InspectionFactory(
        farm=candidate.farm, standards=[factories.standard("organic")], inspected_on=today, recommendation="sanction"
    )
    finding = factories.NonConformityFactory(inspection__farm=candidate.farm, standard=rainforest, severity="critical")
    factories.NonConformityFactory(inspection=finding.inspection, standard=rainforest, severity="minor")
    closed = factories.NonConformityFactory(inspection=finding.inspection, standard=rainforest)
    closed.closed_on, closed.verified_by = today, decider
    closed.save()
    withdrawn = open_certification(candidate.farm, "organic", decider, today)
    certification_change_status(
        certification=withdrawn, to_status="withdrawn", occurred_on=today, reason="Left", decided_by=decider
    )

    response = ics_client.get(reverse("committee"), **EN)

    (row,) = listed(response)
    assert row == candidate
    assert (row.latest_inspection_on, row.latest_recommendation) == (today - 20 * DAY, "conditions")
    assert (row.open_non_conformities, row.open_critical_non_conformities) == (2, 1)
    content = response.content.decode()
    for text in ["BA-00001", "La Esperanza", "Huánuco", "Rainforest Alliance", "Candidate", "Approve with conditions"]:
        assert text in content
    assert "(1 critical)" in content
    assert f'href="{reverse("certification_detail", args=[candidate.pk])}"' in content


def test_a_certification_without_inspection_shows_dashes_and_zero(ics_client, candidate):
    (row,) = listed(ics_client.get(reverse("committee")))

    assert (row.latest_inspection_on, row.latest_recommendation, row.open_non_conformities) == (None, None, 0)


@pytest.fixture
def three_certifications(candidate, decider, today):
    organic = open_certification(
        farm_in("Huánuco"), "organic", decider, today, status="in_conversion", conversion_stage="c1"
    )
    san_martin = open_certification(farm_in("San Martín"), "rainforest_alliance", decider, today)
    return candidate, organic, san_martin


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, [0, 1, 2]),
        ({"standard": "organic"}, [1]),
        ({"status": "in_conversion"}, [1]),
        ({"status": "candidate", "standard": "rainforest_alliance"}, [0, 2]),
        ({"region": "San Martín"}, [2]),
    ],
)
def test_it_filters_by_standard_status_and_region(manager_client, three_certifications, params, expected):
    if "region" in params:
        params = {**params, "region": Region.objects.get(name=params["region"]).pk}

    response = manager_client.get(reverse("committee"), params)

    assert set(listed(response)) == {three_certifications[index] for index in expected}


def test_a_region_outside_the_scope_is_a_filter_error_and_shows_no_outsider(ics_client, candidate, cusco_certification):
    response = ics_client.get(reverse("committee"), {"region": Region.objects.get(name="Cusco").pk}, **EN)

    assert "region" in response.context["filterset"].form.errors
    assert cusco_certification not in listed(response)


def test_a_closed_status_is_not_a_filter_choice(ics_client, candidate):
    response = ics_client.get(reverse("committee"), {"status": "withdrawn"})

    assert "status" in response.context["filterset"].form.errors


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_query_count_does_not_grow_with_its_rows(ics_client, django_assert_num_queries, decider, today, rows):
    for _ in range(rows):
        farm = farm_in("Huánuco")
        certification = open_certification(farm, "rainforest_alliance", decider, today)
        factories.InspectionFactory(farm=farm, standards=[certification.standard], inspected_on=today)
        factories.NonConformityFactory(inspection__farm=farm, standard=certification.standard)

    # session, user, staff roles; scope (does an ICS role cover all regions?); COUNT for the paginator; the page
    # of certifications with farm, member, region and standard, the latest inspection and the open findings as
    # subqueries; the choices of the standard and region selects.
    with django_assert_num_queries(8):
        response = ics_client.get(reverse("committee"))

    assert len(listed(response)) == rows


# -- The certification page -------------------------------------------------------------------------------


def test_the_page_shows_the_certification_its_decisions_newest_first_sanctions_and_findings(
    ics_client, candidate, decider, today
):
    certified = certification_change_status(
        certification=candidate,
        to_status="certified",
        occurred_on=today - 10 * DAY,
        reason="External audit passed",
        decided_by=decider,
        certificate_number="RA-PE-0042",
        valid_from=today - 10 * DAY,
    )
    sanction_impose(
        certification=certified,
        kind="sales_block",
        starts_on=today,
        ends_on=None,
        reason="Glyphosate found in the store",
        decided_by=decider,
    )
    factories.NonConformityFactory(
        inspection__farm=candidate.farm, standard=candidate.standard, severity="critical", requirement__code="RA-1.5"
    )

    response = ics_client.get(reverse("certification_detail", args=[candidate.pk]), **EN)

    assert response.status_code == 200
    events = response.context["dossier"].events
    assert [event.to_status for event in events] == ["sanctioned", "certified", "candidate"]
    content = response.content.decode()
    for text in [
        "La Esperanza",
        "BA-00001",
        "Rainforest Alliance",
        "Sanctioned",
        "RA-PE-0042",
        "Glyphosate found in the store",
        "External audit passed",
        "Rosa Quispe",
        "Sales block",
        "RA-1.5",
        "1 critical non-conformity is open",
    ]:
        assert text in content, text
    assert content.index("Glyphosate found in the store") < content.index("External audit passed")


def test_the_page_links_the_decisions_for_ics_managers(ics_client, candidate):
    response = ics_client.get(reverse("certification_detail", args=[candidate.pk]))

    content = response.content.decode()
    assert response.context["can_decide"]
    assert decide_url(candidate) in content
    assert reverse("sanction_create", args=[candidate.pk]) in content


def test_the_page_hides_the_decisions_from_technicians(technician_client, candidate):
    content = technician_client.get(reverse("certification_detail", args=[candidate.pk])).content.decode()

    assert decide_url(candidate) not in content
    assert reverse("sanction_create", args=[candidate.pk]) not in content


def test_a_cafe_certification_shows_its_verifications_and_the_link_to_record_one(manager_client, decider, today):
    certification = open_certification(farm_in("Huánuco", crop="coffee"), "cafe_practices", decider, today)
    factories.CafeVerificationFactory(certification=certification, tier="strategic")

    response = manager_client.get(reverse("certification_detail", args=[certification.pk]), **EN)

    content = response.content.decode()
    assert "Strategic (80% or more)" in content
    assert reverse("cafe_verification_create", args=[certification.pk]) in content


@pytest.mark.parametrize("rows", [1, 20])
def test_the_page_query_count_does_not_grow_with_its_history(
    ics_client, django_assert_num_queries, decider, today, rows
):
    farm = farm_in("Huánuco", crop="coffee")
    certification = open_certification(farm, "cafe_practices", decider, today)
    for index in range(rows):
        factories.CertificationEventFactory(
            certification=certification, from_status="candidate", to_status="withdrawn", occurred_on=today
        )
        factories.SanctionFactory(certification=certification, decided_by=decider)
        factories.CafeVerificationFactory(certification=certification)
        factories.NonConformityFactory(inspection__farm=farm, standard=certification.standard)
        factories.InspectionFactory(farm=farm, standards=[certification.standard], inspected_on=today - index * DAY)

    # session, user, staff roles; scope for reading; the certification with farm, member, regions, standard and
    # the committee facts as subqueries; the ICS managers' scope and whether it holds the certification (the
    # actions); its events with who decided and their sanction; its sanctions; its C.A.F.E. verifications; the
    # open non-conformities with requirement and inspection.
    with django_assert_num_queries(11):
        response = ics_client.get(reverse("certification_detail", args=[certification.pk]))

    assert len(response.context["dossier"].events) == rows + 1
    assert len(response.context["dossier"].cafe_verifications) == rows


# -- Deciding ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", DECIDERS)
def test_ics_managers_certify_with_the_certificate_and_the_decision_is_an_event(request, role_client, candidate, today):
    client = request.getfixturevalue(role_client)

    response = client.post(
        decide_url(candidate),
        decide_form(
            to_status="certified",
            occurred_on=today.isoformat(),
            reason="External audit passed",
            certificate_number="RA-PE-0042",
            valid_from=today.isoformat(),
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("certification_detail", args=[candidate.pk])
    candidate.refresh_from_db()
    assert (candidate.status, candidate.certificate_number, candidate.valid_from) == ("certified", "RA-PE-0042", today)
    event = candidate.events.latest("id")
    assert (event.from_status, event.to_status, event.reason, event.decided_by) == (
        "candidate",
        "certified",
        "External audit passed",
        client.user,
    )


def test_an_illegal_transition_is_refused_with_its_message_under_the_status(manager_client, candidate, today):
    response = manager_client.post(
        decide_url(candidate), decide_form(to_status="expired", occurred_on=today.isoformat()), **EN
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "to_status": [
            "A certification cannot go from “Candidate” to “Expired”. From “Candidate” it can go to: "
            "“In conversion”, “Certified”, “Excluded”, “Withdrawn”."
        ]
    }
    assert candidate.events.count() == 1


def test_certifying_with_an_open_critical_non_conformity_is_refused_on_the_form(manager_client, candidate, today):
    factories.NonConformityFactory(
        inspection__farm=candidate.farm,
        standard=candidate.standard,
        severity="critical",
        requirement__code="RA-1.5",
        deadline=datetime.date(2027, 1, 31),
    )

    response = manager_client.post(
        decide_url(candidate),
        decide_form(
            to_status="certified",
            occurred_on=today.isoformat(),
            certificate_number="RA-PE-0042",
            valid_from=today.isoformat(),
        ),
        **EN,
    )

    (message,) = response.context["form"].errors["to_status"]
    assert "open critical non-conformity under Rainforest Alliance: RA-1.5 (corrective action due 01/31/2027)" in (
        message
    )
    candidate.refresh_from_db()
    assert (candidate.status, candidate.certificate_number) == ("candidate", "")
    assert candidate.events.count() == 1


def test_the_services_field_errors_show_under_their_inputs(manager_client, candidate, today):
    response = manager_client.post(
        decide_url(candidate),
        decide_form(to_status="certified", occurred_on=(today + DAY).isoformat(), reason=" "),
        **EN,
    )

    errors = response.context["form"].errors
    assert errors["reason"] == ["This field is required."]
    assert CertificationEvent.objects.filter(certification=candidate).count() == 1

    response = manager_client.post(
        decide_url(candidate), decide_form(to_status="certified", occurred_on=(today + DAY).isoformat()), **EN
    )

    errors = response.context["form"].errors
    assert errors["occurred_on"] == ["The date cannot be in the future."]
    assert errors["certificate_number"] == ["Give the certificate number."]
    assert errors["valid_from"] == ["Give the date the certificate is valid from."]
    assert Certification.objects.get(pk=candidate.pk).status == "candidate"


def test_organic_conversion_is_decided_with_its_stage(manager_client, decider, today):
    certification = open_certification(farm_in("Huánuco"), "organic", decider, today)

    response = manager_client.post(
        decide_url(certification),
        decide_form(to_status="in_conversion", conversion_stage="c1", occurred_on=today.isoformat()),
    )

    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.status, certification.conversion_stage) == ("in_conversion", "c1")


def test_a_final_status_says_so_on_the_decision_page(manager_client, candidate, decider, today):
    certification_change_status(
        certification=candidate, to_status="withdrawn", occurred_on=today, reason="Left", decided_by=decider
    )

    response = manager_client.get(decide_url(candidate), **EN)

    assert "“Withdrawn” is final" in response.content.decode()
