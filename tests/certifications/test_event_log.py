"""The certification event log is append-only: an event is never edited nor deleted, by the model, the
admin or the committee's pages.

QuerySet.update() and QuerySet.delete() are refused by the model's AppendOnlyQuerySet, and on PostgreSQL a
trigger refuses UPDATE and DELETE even in raw SQL. An event linked to a sanction is also protected by its
foreign key (on_delete=PROTECT).
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.urls import reverse

from certifications.models import CertificationEvent
from certifications.services.sanctions import sanction_impose


@pytest.fixture
def event(farm, rainforest, open_candidate) -> CertificationEvent:
    return open_candidate(farm=farm, standard=rainforest).events.get()


@pytest.mark.django_db
def test_saving_an_existing_event_raises_and_changes_nothing(event):
    event.reason = "Rewritten afterwards"
    event.to_status = "withdrawn"

    with pytest.raises(ValidationError, match="append-only and cannot be changed"):
        event.save()

    stored = CertificationEvent.objects.get(pk=event.pk)
    assert (stored.reason, stored.to_status) == ("Registered in the member census", "candidate")


@pytest.mark.django_db
def test_deleting_an_event_raises_and_keeps_it(event):
    with pytest.raises(ValidationError, match="append-only and cannot be deleted"):
        event.delete()

    assert CertificationEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_a_new_event_can_still_be_appended(event):
    appended = CertificationEvent(
        certification=event.certification,
        from_status="candidate",
        to_status="withdrawn",
        occurred_on=event.occurred_on,
        reason="Left",
    )
    appended.save()

    assert event.certification.events.count() == 2


@pytest.mark.django_db
def test_an_event_linked_to_a_sanction_cannot_be_deleted_even_in_bulk(
    certify, farm, rainforest, open_candidate, staff, today
):
    certification = certify(open_candidate(farm=farm, standard=rainforest))
    sanction = sanction_impose(
        certification=certification,
        kind="suspension",
        starts_on=today,
        ends_on=None,
        reason="Herbicide in the store",
        decided_by=staff,
    )

    with pytest.raises((ProtectedError, ValidationError)), transaction.atomic():
        CertificationEvent.objects.filter(pk=sanction.event_id).delete()

    assert CertificationEvent.objects.filter(pk=sanction.event_id).exists()


@pytest.mark.django_db
def test_a_bulk_queryset_delete_is_refused(event):
    with pytest.raises(ValidationError, match="append-only"), transaction.atomic():
        CertificationEvent.objects.filter(pk=event.pk).delete()

    assert CertificationEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_a_bulk_queryset_update_is_refused(event):
    with pytest.raises(ValidationError, match="append-only"), transaction.atomic():
        CertificationEvent.objects.filter(pk=event.pk).update(reason="Rewritten")

    assert CertificationEvent.objects.get(pk=event.pk).reason == "Registered in the member census"


# -- The admin --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_changelist_offers_no_delete_action_nor_add_even_to_a_superuser(superuser_client, event):
    response = superuser_client.get(reverse("admin:certifications_certificationevent_changelist"))

    assert response.status_code == 200
    content = response.content.decode()
    assert "delete_selected" not in content
    assert response.context["cl"].model_admin.get_actions(response.wsgi_request) == {}
    assert reverse("admin:certifications_certificationevent_add") not in content


@pytest.mark.django_db
def test_a_bulk_delete_posted_to_the_changelist_deletes_nothing(superuser_client, event):
    response = superuser_client.post(
        reverse("admin:certifications_certificationevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    assert response.status_code in (200, 302)
    assert CertificationEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.django_db
def test_the_admin_change_view_is_read_only_for_a_superuser(superuser_client, event):
    url = reverse("admin:certifications_certificationevent_change", args=[event.pk])

    shown = superuser_client.get(url)
    posted = superuser_client.post(url, {"reason": "Rewritten", "to_status": "withdrawn"})
    added = superuser_client.get(reverse("admin:certifications_certificationevent_add"))
    deleted = superuser_client.post(
        reverse("admin:certifications_certificationevent_delete", args=[event.pk]), {"post": "yes"}
    )

    assert shown.status_code == 200
    assert shown.context["adminform"].form.fields == {}
    assert not shown.context["has_change_permission"] and not shown.context["has_delete_permission"]
    assert 'name="_save"' not in shown.content.decode()
    assert (posted.status_code, added.status_code, deleted.status_code) == (403, 403, 403)
    assert CertificationEvent.objects.get(pk=event.pk).reason == "Registered in the member census"


@pytest.mark.django_db
def test_the_events_inline_on_a_certification_cannot_be_edited_or_deleted(superuser_client, event):
    response = superuser_client.get(reverse("admin:certifications_certification_change", args=[event.certification_id]))

    (inline,) = response.context["inline_admin_formsets"]
    assert inline.formset.model is CertificationEvent
    assert not (inline.has_add_permission or inline.has_change_permission or inline.has_delete_permission)


@pytest.mark.django_db
def test_the_certification_page_offers_no_way_to_edit_an_event(manager_client, farm, rainforest, open_candidate):
    certification = open_candidate(farm=farm, standard=rainforest)

    content = manager_client.get(reverse("certification_detail", args=[certification.pk])).content.decode()

    assert "certificationevent" not in content
    assert "Registered in the member census" in content


@pytest.mark.django_db
def test_on_postgresql_raw_sql_cannot_change_or_delete_an_event(on_postgres, event):
    from django.db import DatabaseError, connection

    for sql in (
        "UPDATE certifications_certificationevent SET reason = 'x' WHERE id = %s",
        "DELETE FROM certifications_certificationevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])

    assert CertificationEvent.objects.get(pk=event.pk).reason == "Registered in the member census"
