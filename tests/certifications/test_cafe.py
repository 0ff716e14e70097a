"""C.A.F.E. Practices: the tier of a scorecard (cafe_tier), recording a verification, and its page."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certifications.models import CafeTier, CafeVerification
from certifications.services.cafe import cafe_tier, cafe_verification_record
from tests import factories

D = Decimal
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# -- cafe_tier: a pure function, no database --------------------------------------------------------------


@pytest.mark.parametrize(
    ("social", "environmental", "tier"),
    [
        # Each dimension at the thresholds, the other one well above them.
        ("59.99", "95", "verified"),
        ("60", "95", "preferred"),
        ("60.00", "95", "preferred"),
        ("79.99", "95", "preferred"),
        ("80", "95", "strategic"),
        ("95", "59.99", "verified"),
        ("95", "60", "preferred"),
        ("95", "79.99", "preferred"),
        ("95", "80", "strategic"),
        # Both at the same threshold.
        ("80", "80", "strategic"),
        ("60", "60", "preferred"),
        ("59.99", "59.99", "verified"),
        # Mixed: the lower dimension decides.
        ("85", "59.99", "verified"),
        ("80", "79.99", "preferred"),
        ("79.99", "80", "preferred"),
        # The ends of the scale.
        ("0", "0", "verified"),
        ("100", "100", "strategic"),
    ],
)
def test_the_tier_follows_the_lower_of_the_two_percentages(social, environmental, tier):
    assert cafe_tier(D(social), D(environmental), 0) == tier


@pytest.mark.parametrize(("social", "environmental"), [("100", "100"), ("80", "80"), ("59.99", "59.99"), ("0", "0")])
@pytest.mark.parametrize("failures", [1, 3])
def test_any_zero_tolerance_failure_blocks_status_whatever_the_scores(social, environmental, failures):
    assert cafe_tier(D(social), D(environmental), failures) == CafeTier.BLOCKED == "blocked"


def test_whole_numbers_are_accepted_as_percentages():
    assert cafe_tier(80, 60, 0) == "preferred"


@pytest.mark.parametrize(
    ("social", "environmental", "failures", "errors"),
    [
        (D("-0.01"), D("80"), 0, {"social_percent": ["A percentage is between 0 and 100."]}),
        (D("80"), D("100.01"), 0, {"environmental_percent": ["A percentage is between 0 and 100."]}),
        (D("59.999"), D("80"), 0, {"social_percent": ["Give the percentage with at most two decimals."]}),
        (D("80"), D("79.995"), 0, {"environmental_percent": ["Give the percentage with at most two decimals."]}),
        (D("NaN"), D("80"), 0, {"social_percent": ["A percentage is between 0 and 100."]}),
        (80.5, D("80"), 0, {"social_percent": ["Give the percentage as a number with up to two decimals."]}),
        (
            D("80"),
            D("80"),
            -1,
            {"zero_tolerance_failures": ["The number of zero-tolerance failures cannot be negative."]},
        ),
        (
            D("101"),
            D("60.001"),
            0,
            {
                "social_percent": ["A percentage is between 0 and 100."],
                "environmental_percent": ["Give the percentage with at most two decimals."],
            },
        ),
    ],
)
def test_percentages_outside_0_to_100_or_with_more_than_two_decimals_are_refused(
    social, environmental, failures, errors
):
    with pytest.raises(ValidationError) as refused:
        cafe_tier(social, environmental, failures)

    assert refused.value.message_dict == errors


# -- cafe_verification_record ----------------------------------------------------------------------------


@pytest.fixture
def cafe_certification(coffee_farm, cafe, open_candidate):
    return open_candidate(farm=coffee_farm, standard=cafe)


def record(certification, staff, today, **changes):
    values = {
        "verified_on": today,
        "verifier": " SCS Global Services ",
        "social_percent": D("85.50"),
        "environmental_percent": D("79.99"),
        "zero_tolerance_failures": 0,
    }
    values.update(changes)
    return cafe_verification_record(certification=certification, recorded_by=staff, **values)


@pytest.mark.django_db
def test_a_verification_is_stored_with_the_tier_its_scorecard_gives(cafe_certification, staff, today):
    verification = record(cafe_certification, staff, today)

    verification.refresh_from_db()
    assert (verification.certification, verification.verified_on) == (cafe_certification, today)
    assert (verification.verifier, verification.tier) == ("SCS Global Services", "preferred")
    assert (verification.social_percent, verification.environmental_percent) == (D("85.50"), D("79.99"))
    assert verification.history.get().history_user == staff


@pytest.mark.django_db
def test_a_zero_tolerance_failure_is_stored_as_blocked(cafe_certification, staff, today):
    assert record(cafe_certification, staff, today, zero_tolerance_failures=1).tier == "blocked"


@pytest.mark.django_db
def test_a_verification_is_refused_on_a_certification_under_another_standard(
    farm, rainforest, open_candidate, staff, today
):
    other = open_candidate(farm=farm, standard=rainforest)

    with pytest.raises(ValidationError) as refused:
        record(other, staff, today)

    assert refused.value.message_dict == {
        "certification": [
            "C.A.F.E. Practices verifications are recorded only on a C.A.F.E. Practices certification; this one "
            "is Rainforest Alliance."
        ]
    }
    assert CafeVerification.objects.count() == 0


@pytest.mark.django_db
def test_bad_verification_inputs_are_refused_together_and_write_nothing(cafe_certification, staff, today):
    with pytest.raises(ValidationError) as refused:
        record(
            cafe_certification,
            staff,
            today,
            verified_on=today + datetime.timedelta(days=1),
            verifier=" ",
            social_percent=D("120"),
        )

    assert refused.value.message_dict == {
        "verified_on": ["The date cannot be in the future."],
        "verifier": ["Give the verifier (the verification organization)."],
        "social_percent": ["A percentage is between 0 and 100."],
    }
    assert CafeVerification.objects.count() == 0


# -- The page ---------------------------------------------------------------------------------------------


def cafe_form(**changes) -> dict:
    data = {
        "verified_on": "2026-06-01",
        "verifier": "SCS Global Services",
        "social_percent": "80",
        "environmental_percent": "80.00",
        "zero_tolerance_failures": "0",
    }
    data.update(changes)
    return data


@pytest.fixture
def page_certification(cafe):
    farm = factories.FarmFactory(crop="coffee", member=factories.MemberFactory(region=factories.region("Huánuco")))
    return factories.CertificationFactory(farm=farm, standard=cafe, status="certified")


@pytest.mark.django_db
@pytest.mark.parametrize("role_client", ["manager_client", "ics_client"])
def test_ics_managers_record_a_verification_from_the_page(request, role_client, page_certification):
    client = request.getfixturevalue(role_client)
    url = reverse("cafe_verification_create", args=[page_certification.pk])

    shown = client.get(url, **EN)
    posted = client.post(url, cafe_form(), **EN)

    assert shown.status_code == 200
    assert posted.status_code == 302
    assert posted["Location"] == reverse("certification_detail", args=[page_certification.pk])
    verification = CafeVerification.objects.get()
    assert (verification.tier, verification.certification) == ("strategic", page_certification)
    assert verification.history.get().history_user == client.user


@pytest.mark.django_db
def test_the_services_errors_show_on_the_form_fields_and_nothing_is_written(manager_client, page_certification):
    response = manager_client.post(
        reverse("cafe_verification_create", args=[page_certification.pk]),
        cafe_form(social_percent="59.999", environmental_percent="101"),
        **EN,
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors == {
        "social_percent": ["Give the percentage with at most two decimals."],
        "environmental_percent": ["A percentage is between 0 and 100."],
    }
    assert CafeVerification.objects.count() == 0


@pytest.mark.django_db
def test_a_non_cafe_certification_shows_the_services_refusal(manager_client, rainforest):
    certification = factories.CertificationFactory(standard=rainforest)
    url = reverse("cafe_verification_create", args=[certification.pk])

    shown = manager_client.get(url, **EN)
    posted = manager_client.post(url, cafe_form(), **EN)

    assert "C.A.F.E. Practices verifications are recorded only on a C.A.F.E. Practices certification" in (
        shown.content.decode()
    )
    assert posted.status_code == 200
    assert posted.context["form"].non_field_errors() == [
        "C.A.F.E. Practices verifications are recorded only on a C.A.F.E. Practices certification; this one is "
        "Rainforest Alliance."
    ]
    assert CafeVerification.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role_client", "expected"), [("technician_client", 403), ("credit_officer_client", 403), ("outsider_client", 403)]
)
def test_other_roles_are_refused_the_cafe_form_and_write_nothing(request, role_client, expected, page_certification):
    client = request.getfixturevalue(role_client)
    url = reverse("cafe_verification_create", args=[page_certification.pk])

    assert client.get(url).status_code == expected
    assert client.post(url, cafe_form()).status_code == expected
    assert CafeVerification.objects.count() == 0


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(client, page_certification):
    url = reverse("cafe_verification_create", args=[page_certification.pk])

    response = client.post(url, cafe_form())

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert CafeVerification.objects.count() == 0


@pytest.mark.django_db
def test_a_certification_outside_the_users_regions_is_not_found(ics_client, cafe):
    cusco = factories.FarmFactory(crop="coffee", member=factories.MemberFactory(region=factories.region("Cusco")))
    certification = factories.CertificationFactory(farm=cusco, standard=cafe)
    url = reverse("cafe_verification_create", args=[certification.pk])

    assert ics_client.get(url).status_code == 404
    assert ics_client.post(url, cafe_form()).status_code == 404
    assert CafeVerification.objects.count() == 0
