"""The sanction pages: impose (an exclusion needs the confirmation), lift, and the list (sanctions in force
by default). Every page for every role, regional scope, filters and the pinned query count."""

import datetime

import pytest
from django.urls import reverse

from certifications.models import Certification, CertificationEvent, Sanction
from certifications.services.certifications import certification_change_status, certification_create
from certifications.services.sanctions import sanction_impose
from cooperative.models import Region
from tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DAY = datetime.timedelta(days=1)


def certified_in(region_name: str, decider, today, **farm) -> Certification:
    member = factories.MemberFactory(region=factories.region(region_name))
    certification = certification_create(
        farm=factories.FarmFactory(member=member, **farm),
        standard=factories.standard("rainforest_alliance"),
        decided_by=decider,
        occurred_on=today - 400 * DAY,
        reason="Registered in the member census",
    )
    return certification_change_status(
        certification=certification,
        to_status="certified",
        occurred_on=today - 30 * DAY,
        reason="External audit passed",
        decided_by=decider,
        certificate_number="RA-PE-0042",
        valid_from=today - 30 * DAY,
    )


@pytest.fixture
def certified(decider, today) -> Certification:
    return certified_in("Huánuco", decider, today, name="La Esperanza")


@pytest.fixture
def cusco_certified(decider, today) -> Certification:
    return certified_in("Cusco", decider, today)


def impose(certification, decider, kind, starts_on, **kwargs) -> Sanction:
    return sanction_impose(
        certification=certification,
        kind=kind,
        starts_on=starts_on,
        ends_on=kwargs.pop("ends_on", None),
        reason=kwargs.pop("reason", f"Committee: {kind}"),
        decided_by=decider,
        **kwargs,
    )


def sanction_form(today, **changes) -> dict:
    data = {"kind": "suspension", "starts_on": today.isoformat(), "ends_on": "", "reason": "Herbicide in the store"}
    data.update(changes)
    return data


def lift_form(today, **changes) -> dict:
    data = {"ends_on": today.isoformat(), "reason": "Corrective action verified", "reinstate": "on"}
    data.update(changes)
    return data


def status_of(certification) -> str:
    return Certification.objects.get(pk=certification.pk).status


def listed(response) -> list:
    return list(response.context["page_obj"])


# -- Access -----------------------------------------------------------------------------------------------


def write_urls(certification, sanction) -> list[str]:
    return [reverse("sanction_create", args=[certification.pk]), reverse("sanction_lift", args=[sanction.pk])]


@pytest.fixture
def suspension(certified, decider, today) -> Sanction:
    return impose(certified, decider, "suspension", today - 5 * DAY)


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client", "technician_client"])
def test_ics_readers_read_the_sanction_list(request, role_client, suspension):
    response = request.getfixturevalue(role_client).get(reverse("sanction_list"))

    assert response.status_code == 200
    assert listed(response) == [suspension]


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client"])
def test_ics_managers_open_the_sanction_forms(request, role_client, certified, suspension):
    client = request.getfixturevalue(role_client)

    for url in write_urls(certified, suspension):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role_client", ["technician_client", "credit_officer_client", "outsider_client"])
def test_other_roles_are_refused_the_sanction_forms_and_change_nothing(
    request, role_client, certified, suspension, today
):
    client = request.getfixturevalue(role_client)
    create_url, lift_url = write_urls(certified, suspension)

    assert client.get(create_url).status_code == 403
    assert client.post(create_url, sanction_form(today, kind="exclusion", confirm_exclusion="on")).status_code == 403
    assert client.get(lift_url).status_code == 403
    assert client.post(lift_url, lift_form(today)).status_code == 403
    assert Sanction.objects.get().ends_on is None
    assert status_of(certified) == "suspended"


@pytest.mark.parametrize("role_client", ["credit_officer_client", "outsider_client"])
def test_credit_officers_and_users_without_a_role_cannot_read_the_list(request, role_client, suspension):
    assert request.getfixturevalue(role_client).get(reverse("sanction_list")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, certified, suspension, today):
    for url in [reverse("sanction_list"), *write_urls(certified, suspension)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))
    client.post(write_urls(certified, suspension)[1], lift_form(today))
    assert Sanction.objects.get().ends_on is None


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client"])
def test_a_certification_outside_the_users_regions_is_not_found_and_its_sanctions_not_listed(
    request, role_client, cusco_certified, suspension, decider, today
):
    client = request.getfixturevalue(role_client)
    cusco_sanction = impose(cusco_certified, decider, "suspension", today)

    for url in write_urls(cusco_certified, cusco_sanction):
        assert client.get(url).status_code == 404, url
        assert client.post(url, sanction_form(today) | lift_form(today)).status_code == 404, url
    assert listed(client.get(reverse("sanction_list"))) == [suspension]
    assert status_of(cusco_certified) == "suspended"
    assert Sanction.objects.filter(certification=cusco_certified).count() == 1


# -- Imposing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client"])
def test_ics_managers_impose_a_suspension_which_is_a_decision_event(request, role_client, certified, today):
    client = request.getfixturevalue(role_client)
    finding = factories.NonConformityFactory(inspection__farm=certified.farm, standard=certified.standard)

    response = client.post(
        reverse("sanction_create", args=[certified.pk]), sanction_form(today, non_conformity=finding.pk)
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("certification_detail", args=[certified.pk])
    sanction = Sanction.objects.get()
    assert (sanction.kind, sanction.decided_by, sanction.non_conformity) == ("suspension", client.user, finding)
    assert status_of(certified) == "suspended"
    assert (sanction.event.to_status, sanction.event.decided_by) == ("suspended", client.user)


def test_the_sanction_form_explains_the_exclusion_before_it_is_imposed(manager_client, certified):
    content = manager_client.get(reverse("sanction_create", args=[certified.pk]), **EN).content.decode()

    assert "An exclusion is final" in content
    assert 'name="confirm_exclusion"' in content


def test_an_exclusion_needs_the_confirmation(manager_client, certified, today):
    url = reverse("sanction_create", args=[certified.pk])

    refused = manager_client.post(url, sanction_form(today, kind="exclusion"), **EN)

    assert refused.context["form"].errors == {
        "confirm_exclusion": ["An exclusion is final: tick the box to confirm it."]
    }
    assert (Sanction.objects.count(), status_of(certified)) == (0, "certified")

    confirmed = manager_client.post(url, sanction_form(today, kind="exclusion", confirm_exclusion="on"))

    assert confirmed.status_code == 302
    assert status_of(certified) == "excluded"


def test_a_sanction_the_lifecycle_refuses_shows_the_message_under_the_kind(manager_client, certified, decider, today):
    impose(certified, decider, "sales_block", today - DAY)
    events = CertificationEvent.objects.count()

    response = manager_client.post(
        reverse("sanction_create", args=[certified.pk]), sanction_form(today, kind="sales_block"), **EN
    )

    assert response.context["form"].errors == {
        "kind": [
            "Sales block refused: A certification cannot go from “Sanctioned” to “Sanctioned”. From “Sanctioned” "
            "it can go to: “In conversion”, “Certified”, “Suspended”, “Excluded”, “Withdrawn”, “Expired”."
        ]
    }
    assert (Sanction.objects.count(), CertificationEvent.objects.count()) == (1, events)


def test_the_services_field_errors_show_under_their_inputs(manager_client, certified, today):
    response = manager_client.post(
        reverse("sanction_create", args=[certified.pk]),
        sanction_form(today, starts_on=(today + DAY).isoformat(), ends_on=(today + 90 * DAY).isoformat()),
        **EN,
    )

    errors = response.context["form"].errors
    assert errors == {
        "starts_on": ["The date cannot be in the future."],
        "ends_on": ["A suspension holds until the committee lifts it: leave the end date empty."],
    }
    assert Sanction.objects.count() == 0


def test_only_the_farms_non_conformities_under_the_standard_are_offered(manager_client, certified):
    own = factories.NonConformityFactory(inspection__farm=certified.farm, standard=certified.standard)
    factories.NonConformityFactory(inspection__farm=certified.farm, standard=factories.standard("organic"))
    factories.NonConformityFactory(standard=certified.standard)

    response = manager_client.get(reverse("sanction_create", args=[certified.pk]))

    assert list(response.context["form"].fields["non_conformity"].queryset) == [own]


# -- Lifting ----------------------------------------------------------------------------------------------


def test_lifting_a_suspension_reinstates_the_certification(ics_client, certified, suspension, today):
    response = ics_client.post(reverse("sanction_lift", args=[suspension.pk]), lift_form(today))

    assert response.status_code == 302
    suspension.refresh_from_db()
    assert suspension.ends_on == today
    assert status_of(certified) == "certified"
    event = certified.events.latest("id")
    assert (event.to_status, event.reason, event.decided_by) == (
        "certified",
        "Corrective action verified",
        ics_client.user,
    )


def test_lifting_without_reinstatement_leaves_the_status(ics_client, certified, suspension, today):
    response = ics_client.post(reverse("sanction_lift", args=[suspension.pk]), lift_form(today, reinstate=""))

    assert response.status_code == 302
    assert status_of(certified) == "suspended"
    assert Sanction.objects.get().ends_on == today


def test_a_refused_reinstatement_shows_the_reason_and_lifts_nothing(ics_client, certified, suspension, today):
    factories.NonConformityFactory(
        inspection__farm=certified.farm, standard=certified.standard, severity="critical", requirement__code="RA-1.5"
    )

    response = ics_client.post(reverse("sanction_lift", args=[suspension.pk]), lift_form(today), **EN)

    (message,) = response.context["form"].errors["reinstate"]
    assert "open critical non-conformity under Rainforest Alliance: RA-1.5" in message
    assert Sanction.objects.get().ends_on is None
    assert status_of(certified) == "suspended"


def test_an_exclusion_cannot_be_lifted_from_the_page(ics_client, certified, decider, today):
    exclusion = impose(certified, decider, "exclusion", today)

    response = ics_client.post(reverse("sanction_lift", args=[exclusion.pk]), lift_form(today), **EN)

    assert response.context["form"].non_field_errors() == [
        "An exclusion is final and cannot be lifted: if the farm is admitted again, open a new certification."
    ]
    assert status_of(certified) == "excluded"


def test_the_certification_page_links_the_lift_of_a_sanction_in_force(
    ics_client, certified, suspension, decider, today
):
    ended = impose(certified, decider, "warning", today - 20 * DAY, ends_on=today - 10 * DAY)

    content = ics_client.get(reverse("certification_detail", args=[certified.pk])).content.decode()

    assert reverse("sanction_lift", args=[suspension.pk]) in content
    assert reverse("sanction_lift", args=[ended.pk]) not in content


# -- The list ---------------------------------------------------------------------------------------------


@pytest.fixture
def sanctions(certified, decider, today) -> dict[str, Sanction]:
    other = certified_in("San Martín", decider, today)
    return {
        "ended_warning": impose(certified, decider, "warning", today - 20 * DAY, ends_on=today - 10 * DAY),
        "warning": impose(certified, decider, "warning", today - 8 * DAY, ends_on=today + 30 * DAY),
        "suspension": impose(certified, decider, "suspension", today - 5 * DAY),
        "sales_block": impose(other, decider, "sales_block", today - 3 * DAY),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["sales_block", "suspension", "warning"]),
        ({"state": "active"}, ["sales_block", "suspension", "warning"]),
        ({"state": "ended"}, ["ended_warning"]),
        ({"state": "all"}, ["sales_block", "suspension", "warning", "ended_warning"]),
        ({"kind": "warning", "state": "all"}, ["warning", "ended_warning"]),
        ({"standard": "organic"}, []),
        ({"region": "San Martín"}, ["sales_block"]),
    ],
)
def test_the_list_shows_sanctions_in_force_by_default_and_filters(manager_client, sanctions, params, expected):
    if "region" in params:
        params = {**params, "region": Region.objects.get(name=params["region"]).pk}

    response = manager_client.get(reverse("sanction_list"), params)

    assert listed(response) == [sanctions[name] for name in expected]


def test_the_list_shows_each_sanctions_columns(ics_client, suspension):
    content = ics_client.get(reverse("sanction_list"), **EN).content.decode()

    for text in ["Suspension", "La Esperanza", "Huánuco", "Rainforest Alliance", "Suspended", "Rosa Quispe"]:
        assert text in content, text
    assert f'href="{reverse("certification_detail", args=[suspension.certification_id])}"' in content


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_query_count_does_not_grow_with_its_rows(ics_client, django_assert_num_queries, decider, today, rows):
    for _ in range(rows):
        certification = certified_in("Huánuco", decider, today)
        finding = factories.NonConformityFactory(inspection__farm=certification.farm, standard=certification.standard)
        impose(certification, decider, "suspension", today, non_conformity=finding)

    # session, user, staff roles; scope (does an ICS role cover all regions?); COUNT for the paginator; the page
    # of sanctions with certification, farm, member, region, standard, who decided and the requirement; the
    # choices of the standard and region selects.
    with django_assert_num_queries(8):
        response = ics_client.get(reverse("sanction_list"))

    assert len(listed(response)) == rows
