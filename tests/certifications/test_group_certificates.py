"""Group certificates: the services' rules (crops, dates, UTZ accepts nothing new, unique number) and the
pages (list with the days left and the warning, record, edit), for every role, with the pinned query count.
Group certificates are cooperative-wide: no region applies."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from certifications.models import GroupCertificate
from certifications.services.group_certificates import group_certificate_create, group_certificate_update
from tests import factories

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
DAY = datetime.timedelta(days=1)


def values(**changes) -> dict:
    data = {
        "standard": factories.standard("rainforest_alliance"),
        "number": " RA-C-2026-0042 ",
        "certification_body": " Control Union Perú ",
        "valid_from": datetime.date(2026, 1, 15),
        "valid_until": datetime.date(2029, 1, 14),
        "crops": ["cocoa", "coffee"],
        "notes": "",
    }
    data.update(changes)
    return data


# -- Services ---------------------------------------------------------------------------------------------


def test_it_records_a_certificate_with_its_crops_in_order(staff):
    certificate = group_certificate_create(recorded_by=staff, **values(crops=["cocoa", "coffee", "cocoa"]))

    certificate.refresh_from_db()
    assert (certificate.number, certificate.certification_body) == ("RA-C-2026-0042", "Control Union Perú")
    assert certificate.crops == ["coffee", "cocoa"]
    assert certificate.history.get().history_user == staff


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"crops": []}, {"crops": ["Choose the crops the certificate covers."]}),
        (
            {"crops": ["coffee", "tea"]},
            {"crops": ["Unknown crop: tea. A certificate covers coffee, cocoa or both."]},
        ),
        (
            {"valid_until": datetime.date(2026, 1, 14)},
            {"valid_until": ["The end of validity cannot be before its start."]},
        ),
        (
            {"number": " ", "certification_body": ""},
            {"number": ["Give the certificate number."], "certification_body": ["Give the certification body."]},
        ),
    ],
)
def test_it_refuses_bad_values_and_writes_nothing(staff, changes, errors):
    with pytest.raises(ValidationError) as refused:
        group_certificate_create(recorded_by=staff, **values(**changes))

    assert refused.value.message_dict == errors
    assert GroupCertificate.objects.count() == 0


def test_it_refuses_a_new_utz_certificate(staff):
    with pytest.raises(ValidationError) as refused:
        group_certificate_create(recorded_by=staff, **values(standard=factories.standard("utz")))

    assert refused.value.message_dict == {
        "standard": [
            "UTZ Certified merged into Rainforest Alliance and accepts nothing new: record the Rainforest Alliance "
            "certificate instead."
        ]
    }
    assert GroupCertificate.objects.count() == 0


def test_it_refuses_a_number_already_recorded_for_the_standard(staff):
    group_certificate_create(recorded_by=staff, **values())

    with pytest.raises(ValidationError) as refused:
        group_certificate_create(
            recorded_by=staff, **values(valid_from=datetime.date(2029, 1, 15), valid_until=datetime.date(2032, 1, 14))
        )

    assert "A certificate with this number is already recorded for this standard." in refused.value.messages
    assert GroupCertificate.objects.count() == 1


def test_it_updates_a_certificate(staff):
    certificate = factories.GroupCertificateFactory(number="RA-1")

    group_certificate_update(
        certificate=certificate, recorded_by=staff, **values(number="RA-2", crops=["coffee"], notes=" Renewed ")
    )

    certificate.refresh_from_db()
    assert (certificate.number, certificate.crops, certificate.notes) == ("RA-2", ["coffee"], "Renewed")


def test_a_certificate_cannot_be_moved_to_utz_and_a_utz_one_is_read_only(staff):
    certificate = factories.GroupCertificateFactory(number="RA-1")
    utz_certificate = factories.GroupCertificateFactory(standard=factories.standard("utz"), number="UTZ-1")

    with pytest.raises(ValidationError) as moved:
        group_certificate_update(
            certificate=certificate, recorded_by=staff, **values(standard=utz_certificate.standard)
        )
    with pytest.raises(ValidationError) as edited:
        group_certificate_update(
            certificate=utz_certificate, recorded_by=staff, **values(standard=utz_certificate.standard, number="UTZ-2")
        )

    assert "accepts nothing new" in moved.value.message_dict["standard"][0]
    assert edited.value.messages == ["UTZ Certified certificates are read-only history."]
    assert GroupCertificate.objects.get(pk=certificate.pk).standard.code == "rainforest_alliance"
    assert GroupCertificate.objects.get(pk=utz_certificate.pk).number == "UTZ-1"


# -- Pages ------------------------------------------------------------------------------------------------


def form_data(**changes) -> dict:
    data = {
        "standard": factories.standard("rainforest_alliance").pk,
        "number": "RA-C-2026-0042",
        "certification_body": "Control Union Perú",
        "valid_from": "2026-01-15",
        "valid_until": "2029-01-14",
        "crops": ["coffee", "cocoa"],
        "notes": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def certificate():
    return factories.GroupCertificateFactory(number="RA-0001")


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client", "technician_client"])
def test_ics_readers_read_the_certificate_list(request, role_client, certificate):
    response = request.getfixturevalue(role_client).get(reverse("group_certificate_list"))

    assert response.status_code == 200
    assert [row.certificate for row in response.context["rows"]] == [certificate]


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client"])
def test_ics_managers_open_the_certificate_forms(request, role_client, certificate):
    client = request.getfixturevalue(role_client)

    assert client.get(reverse("group_certificate_create")).status_code == 200
    assert client.get(reverse("group_certificate_edit", args=[certificate.pk])).status_code == 200


@pytest.mark.parametrize("role_client", ["technician_client", "credit_officer_client", "outsider_client"])
def test_other_roles_are_refused_the_certificate_forms_and_write_nothing(request, role_client, certificate):
    client = request.getfixturevalue(role_client)
    edit_url = reverse("group_certificate_edit", args=[certificate.pk])

    assert client.get(reverse("group_certificate_create")).status_code == 403
    assert client.post(reverse("group_certificate_create"), form_data(number="RA-9")).status_code == 403
    assert client.get(edit_url).status_code == 403
    assert client.post(edit_url, form_data(number="RA-9")).status_code == 403
    assert list(GroupCertificate.objects.values_list("number", flat=True)) == ["RA-0001"]


@pytest.mark.parametrize("role_client", ["credit_officer_client", "outsider_client"])
def test_credit_officers_and_users_without_a_role_cannot_read_the_list(request, role_client, certificate):
    assert request.getfixturevalue(role_client).get(reverse("group_certificate_list")).status_code == 403


def test_anonymous_visitors_are_sent_to_the_login_page(client, certificate):
    for url in [
        reverse("group_certificate_list"),
        reverse("group_certificate_create"),
        reverse("group_certificate_edit", args=[certificate.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_an_unknown_certificate_is_not_found(manager_client):
    assert manager_client.get(reverse("group_certificate_edit", args=[999])).status_code == 404


def test_the_manager_links_the_forms_the_technician_does_not(manager_client, certificate):
    content = manager_client.get(reverse("group_certificate_list")).content.decode()

    assert reverse("group_certificate_create") in content
    assert reverse("group_certificate_edit", args=[certificate.pk]) in content


def test_the_technician_sees_no_form_links(technician_client, certificate):
    content = technician_client.get(reverse("group_certificate_list")).content.decode()

    assert reverse("group_certificate_create") not in content
    assert reverse("group_certificate_edit", args=[certificate.pk]) not in content


@pytest.mark.parametrize("role_client", ["manager_client", "ics_client"])
def test_ics_managers_record_a_certificate(request, role_client):
    client = request.getfixturevalue(role_client)

    response = client.post(reverse("group_certificate_create"), form_data())

    assert response.status_code == 302
    assert response["Location"] == reverse("group_certificate_list")
    certificate = GroupCertificate.objects.get()
    assert (certificate.number, certificate.crops) == ("RA-C-2026-0042", ["coffee", "cocoa"])
    assert certificate.history.get().history_user == client.user


def test_the_services_errors_show_under_their_inputs(ics_client):
    response = ics_client.post(
        reverse("group_certificate_create"),
        form_data(standard=factories.standard("utz").pk, crops=[], valid_until="2025-01-01"),
        **EN,
    )

    errors = response.context["form"].errors
    assert errors["standard"] == [
        "UTZ Certified merged into Rainforest Alliance and accepts nothing new: record the Rainforest Alliance "
        "certificate instead."
    ]
    assert errors["crops"] == ["Choose the crops the certificate covers."]
    assert errors["valid_until"] == ["The end of validity cannot be before its start."]
    assert GroupCertificate.objects.count() == 0


def test_ics_managers_edit_a_certificate(ics_client, certificate):
    url = reverse("group_certificate_edit", args=[certificate.pk])

    shown = ics_client.get(url)
    posted = ics_client.post(url, form_data(number="RA-0002", crops=["cocoa"]))

    assert shown.context["form"].initial["number"] == "RA-0001"
    assert posted.status_code == 302
    certificate.refresh_from_db()
    assert (certificate.number, certificate.crops) == ("RA-0002", ["cocoa"])


def test_the_list_shows_days_left_and_warns_within_60_days_or_once_ended(ics_client, today):
    comfortable = factories.GroupCertificateFactory(
        number="RA-A", valid_from=today - 400 * DAY, valid_until=today + 61 * DAY
    )
    soon = factories.GroupCertificateFactory(number="RA-B", valid_from=today - 400 * DAY, valid_until=today + 60 * DAY)
    last_day = factories.GroupCertificateFactory(number="RA-C", valid_from=today - 400 * DAY, valid_until=today)
    ended = factories.GroupCertificateFactory(number="RA-D", valid_from=today - 400 * DAY, valid_until=today - DAY)
    older = factories.GroupCertificateFactory(
        number="RA-E", valid_from=today - 900 * DAY, valid_until=today - 500 * DAY
    )

    response = ics_client.get(reverse("group_certificate_list"), **EN)

    rows = response.context["rows"]
    assert [row.certificate for row in rows] == [last_day, soon, comfortable, ended, older]
    assert [(row.days_left, row.warning) for row in rows] == [
        (0, True),
        (60, True),
        (61, False),
        (-1, True),
        (-500, True),
    ]
    content = response.content.decode()
    assert content.count('class="row-warning"') == 4
    assert f'<tr data-certificate="{comfortable.pk}">' in content
    assert "Expired" in content


@pytest.mark.parametrize("rows", [1, 20])
def test_the_list_query_count_does_not_grow_with_its_rows(ics_client, django_assert_num_queries, rows):
    factories.GroupCertificateFactory.create_batch(rows)

    # session, user, staff roles; the certificates with their standard.
    with django_assert_num_queries(4):
        response = ics_client.get(reverse("group_certificate_list"))

    assert len(response.context["rows"]) == rows
