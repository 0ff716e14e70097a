"""Non-conformity pages: closing one after confirming (not by the inspector who raised it, not twice), and the
list of open, overdue and closed ones with its filters. Who may open them: test_inspections_pages.py."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from certifications.models import NonConformity
from certifications.services.non_conformities import non_conformity_close
from tests.certifications.conftest import make_inspector, nc_details, record

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# -- non-conformities -------------------------------------------------------------------------------------------


def test_the_manager_closes_a_non_conformity_after_confirming(manager_client, nc):
    today = timezone.localdate()
    url = reverse("nonconformity_close", args=[nc.pk])

    unconfirmed = manager_client.post(url, {"closed_on": today.isoformat(), "closing_note": "Verificado"})
    nc.refresh_from_db()
    assert unconfirmed.context["form"].errors["confirm"] == ["Tick the box to confirm the closing."]
    assert nc.is_open

    response = manager_client.post(url, {"closed_on": today.isoformat(), "closing_note": "Verificado", "confirm": "on"})

    assert response.status_code == 302
    assert response.url == reverse("inspection_detail", args=[nc.inspection_id])
    nc.refresh_from_db()
    assert (nc.closed_on, nc.verified_by, nc.closing_note) == (today, manager_client.user, "Verificado")


def test_the_inspector_who_raised_it_cannot_close_it_from_the_page(ics_client, candidate_farm):
    inspection = record(candidate_farm, "organic", inspector=ics_client.user, non_compliant=("ORG-08",))
    nc = inspection.non_conformities.get()

    response = ics_client.post(
        reverse("nonconformity_close", args=[nc.pk]),
        {"closed_on": timezone.localdate().isoformat(), "closing_note": "Listo", "confirm": "on"},
        **EN,
    )

    assert response.status_code == 200
    assert "another person must verify its correction" in response.content.decode()
    nc.refresh_from_db()
    assert nc.is_open


def test_a_closed_non_conformity_shows_who_closed_it_and_cannot_be_closed_again(manager_client, nc):
    today = timezone.localdate()
    coordinator = make_inspector("coordinadora", role="ics_coordinator")
    non_conformity_close(non_conformity=nc, closed_on=today, verified_by=coordinator, closing_note="Verificado")

    page = manager_client.get(reverse("nonconformity_close", args=[nc.pk]), **EN)
    response = manager_client.post(
        reverse("nonconformity_close", args=[nc.pk]),
        {"closed_on": today.isoformat(), "closing_note": "Otra vez", "confirm": "on"},
        **EN,
    )

    assert "This non-conformity was closed on" in page.content.decode()
    assert "Coordinadora Quispe" in page.content.decode()
    assert response.status_code == 200
    nc.refresh_from_db()
    assert (nc.verified_by, nc.closing_note) == (coordinator, "Verificado")


def _ncs(client, query: str = "") -> list[str]:
    return [nc.requirement.code for nc in client.get(reverse("nonconformity_list") + query).context["page_obj"]]


def test_the_non_conformity_list_shows_open_ones_by_default_and_overdue_ones_on_request(
    ics_client, candidate_farm, inspector
):
    today = timezone.localdate()
    record(
        candidate_farm,
        "organic",
        inspector=inspector,
        inspected_on=today - 60 * DAY,
        non_compliant=("ORG-08", "ORG-10", "ORG-12"),
        non_conformities=nc_details("ORG-08", "ORG-10", "ORG-12", deadline=today - DAY)
        | nc_details("ORG-12", deadline=today + 10 * DAY),
    )
    org_10 = NonConformity.objects.get(requirement__code="ORG-10")
    NonConformity.objects.filter(pk=org_10.pk).update(
        closed_on=today, verified_by=make_inspector("verificadora", role="ics_coordinator")
    )

    assert _ncs(ics_client) == ["ORG-08", "ORG-12"]
    assert _ncs(ics_client, "?state=overdue") == ["ORG-08"]
    assert _ncs(ics_client, "?state=closed") == ["ORG-10"]
    assert sorted(_ncs(ics_client, "?state=all")) == ["ORG-08", "ORG-10", "ORG-12"]
    assert _ncs(ics_client, "?severity=critical") == []
    assert _ncs(ics_client, "?standard=rainforest_alliance") == []
    assert _ncs(ics_client, "?state=bogus") == ["ORG-08", "ORG-12"]
    overdue_page = ics_client.get(reverse("nonconformity_list") + "?state=overdue", **EN).content.decode()
    assert "Overdue non-conformities" in overdue_page
