import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from certifications.models import Certification, CertificationEvent
from certifications.services.certifications import certification_change_status
from tests import factories


@pytest.fixture
def certification(farm, rainforest, open_candidate):
    return open_candidate(farm=farm, standard=rainforest)


def change_form_data(certification, **changes):
    data = {
        "certificate_number": certification.certificate_number,
        "certifier": certification.certifier,
        "valid_from": certification.valid_from or "",
        "valid_until": certification.valid_until or "",
        # The read-only events inline still posts its management form.
        "events-TOTAL_FORMS": "0",
        "events-INITIAL_FORMS": "0",
        "events-MIN_NUM_FORMS": "0",
        "events-MAX_NUM_FORMS": "1000",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_the_change_form_shows_status_and_stage_read_only_with_the_events(admin_client, certification):
    response = admin_client.get(
        reverse("admin:certifications_certification_change", args=[certification.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields and "conversion_stage" not in form.fields
    assert "certificate_number" in form.fields
    assert "The status and conversion stage change only through a status change" in response.content.decode()
    assert "Registered in the member census" in response.content.decode()


@pytest.mark.django_db
def test_posting_a_status_in_the_change_form_does_not_change_it(admin_client, certification):
    url = reverse("admin:certifications_certification_change", args=[certification.pk])

    response = admin_client.post(
        url, change_form_data(certification, status="certified", conversion_stage="c3", certifier="Control Union")
    )

    assert response.status_code == 302
    certification.refresh_from_db()
    assert (certification.status, certification.conversion_stage) == ("candidate", "")
    assert certification.certifier == "Control Union"
    assert certification.events.count() == 1


@pytest.mark.django_db
def test_the_admin_neither_adds_nor_deletes_certifications(admin_client, certification):
    add = admin_client.get(reverse("admin:certifications_certification_add"))
    delete = admin_client.post(
        reverse("admin:certifications_certification_delete", args=[certification.pk]), {"post": "yes"}
    )

    assert (add.status_code, delete.status_code) == (403, 403)
    assert Certification.objects.filter(pk=certification.pk).exists()


@pytest.mark.django_db
def test_an_old_version_cannot_be_posted_back_from_the_history(admin_client, certification, staff, today):
    first_version = certification.history.earliest()
    certification_change_status(
        certification=certification, to_status="withdrawn", occurred_on=today, reason="Left", decided_by=staff
    )
    url = reverse(
        "admin:certifications_certification_simple_history",
        args=[certification.pk, first_version.history_id],
    )

    shown = admin_client.get(url)
    posted = admin_client.post(url, change_form_data(certification))

    assert (shown.status_code, posted.status_code) == (200, 403)
    certification.refresh_from_db()
    assert certification.status == "withdrawn"
    assert certification.events.count() == 2


@pytest.mark.django_db
def test_events_are_read_only_in_the_admin(admin_client, certification):
    event = certification.events.get()
    change_url = reverse("admin:certifications_certificationevent_change", args=[event.pk])

    listed = admin_client.get(reverse("admin:certifications_certificationevent_changelist"))
    shown = admin_client.get(change_url)
    posted = admin_client.post(change_url, {"reason": "Rewritten"})
    deleted = admin_client.post(
        reverse("admin:certifications_certificationevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert (listed.status_code, shown.status_code, posted.status_code, deleted.status_code) == (200, 200, 403, 403)
    assert CertificationEvent.objects.get(pk=event.pk).reason == "Registered in the member census"


ADMIN_LISTS = ("admin:certifications_certification_changelist", "admin:certifications_certificationevent_changelist")


@pytest.mark.django_db
def test_the_admin_lists_take_the_same_queries_for_1_and_20_certifications(admin_client, rainforest, today):
    def queries_per_list() -> list[int]:
        counts = []
        for url_name in ADMIN_LISTS:
            with CaptureQueriesContext(connection) as captured:
                assert admin_client.get(reverse(url_name)).status_code == 200
            counts.append(len(captured))
        return counts

    def add_certifications(count: int) -> None:
        for certification in factories.CertificationFactory.create_batch(count, standard=rainforest):
            factories.CertificationEventFactory(certification=certification, occurred_on=today)

    add_certifications(1)
    with_one = queries_per_list()
    add_certifications(19)
    with_twenty = queries_per_list()

    assert with_one == with_twenty
    assert Certification.objects.count() == 20
