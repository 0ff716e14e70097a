"""POST /api/v1/visits/: the technicians' phones upload visits, each stored once per client UUID."""

import datetime
import io
import json
import threading
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from members.models import Farm, FarmVisit, VisitPestObservation, VisitPhoto
from tests.factories import FarmFactory, MemberFactory, region

URL = "/api/v1/visits/"

pytestmark = pytest.mark.django_db


@pytest.fixture
def farm(db):
    return FarmFactory(member=MemberFactory(region=region("Huánuco")), crop="cocoa")


def payload(farm_obj, **overrides) -> dict:
    values = {
        "client_uuid": str(uuid.uuid4()),
        "farm": farm_obj.pk,
        "visited_on": timezone.localdate().isoformat(),
        "purpose": "follow_up",
        "practices_observed": ["composting", "integrated_pest_management"],
        "pests": [{"pest": "frosty_pod_rot", "severity": 2}, {"pest": "black_pod", "severity": 0}],
        "estimated_yield_kg": "850.50",
        "recommendations": "Poda sanitaria de mazorcas enfermas.",
        "follow_up_on": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
        "latitude": -9.3012345678901,
        "longitude": -75.9987654321,
    }
    values.update(overrides)
    return values


def post(client, data):
    return client.post(URL, data=json.dumps(data), content_type="application/json")


def jpeg(size=(3000, 2000), colour="green") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "foto.jpg"
    return buffer


def test_a_technician_uploads_a_visit_and_gets_it_back_stored(technician_client, farm):
    data = payload(farm)

    response = post(technician_client, data)

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["client_uuid"] == data["client_uuid"]
    assert body["technician"] == "tecnico"
    visit = FarmVisit.objects.get()
    assert visit.farm == farm and visit.technician == technician_client.user
    assert str(visit.latitude) == "-9.301235" and str(visit.longitude) == "-75.998765"
    assert dict(visit.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2, "black_pod": 0}


def test_the_same_visit_posted_twice_is_stored_once_and_the_retry_answers_the_stored_visit(technician_client, farm):
    data = payload(farm)
    first = post(technician_client, data)

    again = post(technician_client, {**data, "recommendations": "changed on the phone after upload"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert FarmVisit.objects.count() == 1
    assert FarmVisit.objects.get().recommendations == "Poda sanitaria de mazorcas enfermas."
    assert VisitPestObservation.objects.count() == 2


def test_a_retry_is_answered_even_after_the_farm_was_retired(technician_client, farm):
    data = payload(farm)
    post(technician_client, data)
    Farm.objects.filter(pk=farm.pk).update(status="retired")

    assert post(technician_client, data).status_code == 200


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_visit_posted_twice_concurrently_creates_one_row(on_postgres, reference_data):
    from cooperative.services import staff_role_grant
    from tests.factories import UserFactory

    user = UserFactory(username="tecnico")
    staff_role_grant(user=user, role="technician", regions=[region("Huánuco")])
    farm = FarmFactory(member=MemberFactory(region=region("Huánuco")), crop="cocoa")
    data = payload(farm)
    barrier = threading.Barrier(4)
    statuses = []

    def upload():
        client = Client(headers={"Accept-Language": "en"})
        client.force_login(user)
        barrier.wait()
        try:
            statuses.append(post(client, data).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [200, 200, 200, 201]
    assert FarmVisit.objects.filter(client_uuid=data["client_uuid"]).count() == 1
    assert VisitPestObservation.objects.count() == 2


def test_a_farm_outside_the_technicians_regions_answers_404_and_stores_nothing(technician_client):
    cusco_farm = FarmFactory(member=MemberFactory(region=region("Cusco")), crop="coffee")

    response = post(technician_client, payload(cusco_farm, pests=[]))

    assert response.status_code == 404
    assert "farm" in response.json()["detail"]
    assert not FarmVisit.objects.exists()


def test_a_technician_cannot_read_visits_or_farms_of_other_regions(technician_client):
    cusco_farm = FarmFactory(member=MemberFactory(region=region("Cusco")), crop="coffee")
    from tests.factories import FarmVisitFactory

    FarmVisitFactory(farm=cusco_farm)

    assert technician_client.get(URL).json()["results"] == []
    assert technician_client.get("/api/v1/farms/").json()["results"] == []


def test_a_visit_dated_tomorrow_answers_400_with_the_field_error(technician_client, farm):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = post(technician_client, payload(farm, visited_on=tomorrow.isoformat(), follow_up_on=None))

    assert response.status_code == 400
    assert response.json() == {"visited_on": ["The visit date cannot be in the future."]}
    assert not FarmVisit.objects.exists()


def test_severity_7_answers_400_naming_the_pest_entry(technician_client, farm):
    response = post(technician_client, payload(farm, pests=[{"pest": "black_pod", "severity": 7}]))

    assert response.status_code == 400
    assert response.json() == {"pests": {"0": {"severity": ["Severity goes from 0 (absent) to 3 (severe)."]}}}
    assert not FarmVisit.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": "picnic"}, "purpose"),
        ({"client_uuid": "not-a-uuid"}, "client_uuid"),
        ({"practices_observed": ["juggling"]}, "practices_observed"),
        ({"pests": [{"pest": "leaf_rust", "severity": 1}]}, "pests"),  # a coffee disease on a cocoa farm
        ({"pests": [{"pest": "black_pod", "severity": 1}, {"pest": "black_pod", "severity": 2}]}, "pests"),
        ({"estimated_yield_kg": "-5"}, "estimated_yield_kg"),
        ({"follow_up_on": "2020-01-01"}, "follow_up_on"),
        ({"latitude": 40.0, "longitude": -3.7}, "latitude"),  # Madrid
        ({"latitude": -9.3, "longitude": None}, "longitude"),
        ({"visited_on": "03/10/2026"}, "visited_on"),
        ({"farm": "abc"}, "farm"),
    ],
)
def test_bad_input_answers_400_with_the_field_named(technician_client, farm, overrides, field):
    response = post(technician_client, payload(farm, **overrides))

    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not FarmVisit.objects.exists()


def test_a_retired_farm_is_refused_with_the_reason(technician_client, farm):
    Farm.objects.filter(pk=farm.pk).update(status="retired")

    response = post(technician_client, payload(farm))

    assert response.status_code == 400
    assert response.json() == {"farm": ["The farm is retired; visits can no longer be recorded on it."]}


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "{not json"])
def test_a_body_that_is_not_a_json_object_answers_400(technician_client, body):
    response = technician_client.post(URL, data=body, content_type="application/json")

    assert response.status_code == 400


def test_another_users_uuid_answers_409_and_reveals_nothing(technician_client, farm):
    from cooperative.services import staff_role_grant
    from tests.factories import UserFactory

    data = payload(farm)
    other = UserFactory(username="otro")
    staff_role_grant(user=other, role="technician", regions=[region("Huánuco")])
    other_client = Client(headers={"Accept-Language": "en"})
    other_client.force_login(other)
    post(other_client, data)

    response = post(technician_client, data)

    assert response.status_code == 409
    assert "id" not in response.json()


@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("manager_client", 201),
        ("technician_client", 201),
        ("credit_officer_client", 403),
        ("ics_client", 403),
        ("outsider_client", 403),
        ("client", 401),
    ],
)
def test_who_may_upload_visits(request, farm, client_name, expected):
    client = request.getfixturevalue(client_name)

    assert post(client, payload(farm)).status_code == expected


def test_a_partner_token_cannot_upload_visits(partner_a_client, farm):
    response = post(partner_a_client, payload(farm))

    assert response.status_code == 403
    assert not FarmVisit.objects.exists()


def test_a_session_upload_without_the_csrf_token_is_refused(farm):
    from cooperative.services import staff_role_grant
    from tests.factories import UserFactory

    user = UserFactory(username="tecnico")
    staff_role_grant(user=user, role="technician", regions=[region("Huánuco")])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)

    assert post(client, payload(farm)).status_code == 403


def test_photos_are_uploaded_with_the_visit_resized_on_the_server(technician_client, farm):
    data = payload(farm)

    response = technician_client.post(
        URL, data={"visit": json.dumps(data), "photos": [jpeg(), jpeg((800, 600), "brown")]}
    )

    assert response.status_code == 201, response.content
    photos = list(VisitPhoto.objects.order_by("position"))
    assert [(p.position, p.width, p.height) for p in photos] == [(1, 1600, 1067), (2, 800, 600)]
    with photos[0].image.open() as stored, Image.open(stored) as image:
        assert image.format == "JPEG"


def test_four_photos_are_refused_and_nothing_is_stored(technician_client, farm):
    response = technician_client.post(
        URL, data={"visit": json.dumps(payload(farm)), "photos": [jpeg((50, 50)) for _ in range(4)]}
    )

    assert response.status_code == 400
    assert "photos" in response.json()
    assert not FarmVisit.objects.exists()


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_stored(technician_client, farm):
    fake = io.BytesIO(b"%PDF-1.4 not a photo")
    fake.name = "foto.jpg"

    response = technician_client.post(URL, data={"visit": json.dumps(payload(farm)), "photos": [fake]})

    assert response.status_code == 400
    assert response.json() == {"photos": ["Photo 1 is not a readable image (JPEG, PNG or WebP)."]}
    assert not FarmVisit.objects.exists()
    assert not VisitPhoto.objects.exists()


@pytest.mark.parametrize("part", [None, "{broken", "[]"])
def test_a_multipart_upload_without_a_json_visit_part_answers_400(technician_client, part):
    data = {"photos": [jpeg((50, 50))]}
    if part is not None:
        data["visit"] = part

    response = technician_client.post(URL, data=data)

    assert response.status_code == 400
    assert "visit" in response.json()
