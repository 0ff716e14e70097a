"""POST /api/v1/visits/: the technicians' phones upload visits, each stored once per client UUID."""

import datetime
import io
import json
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from members.models import Farm, FarmVisit, VisitPestObservation, VisitPhoto
from tests.conftest import run_together
from tests.factories import FarmFactory, MemberFactory, region

URL = "/api/v1/visits/"

pytestmark = pytest.mark.django_db


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

    # The same visit, as a phone may serialise it again: practices and pests in another order, 850.5.
    again = post(
        technician_client,
        {
            **data,
            "practices_observed": list(reversed(data["practices_observed"])),
            "pests": list(reversed(data["pests"])),
            "estimated_yield_kg": "850.5",
        },
    )

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert FarmVisit.objects.count() == 1
    assert VisitPestObservation.objects.count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"recommendations": "changed on the phone after upload"},
        {"pests": [{"pest": "frosty_pod_rot", "severity": 3}, {"pest": "black_pod", "severity": 0}]},
        {"visited_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()},
        {"purpose": "training"},
        {"follow_up_on": None},
        {"latitude": -9.31, "longitude": -75.99},
    ],
)
def test_a_replay_with_other_content_answers_409_with_the_stored_visit_and_changes_nothing(
    technician_client, farm, change
):
    data = payload(farm)
    first = post(technician_client, data)

    again = post(technician_client, {**data, **change})

    assert again.status_code == 409, again.content
    assert again.json() == {
        "detail": "This visit was already stored with other data; the stored visit is returned unchanged.",
        "code": "replay_differs",
        "visit": first.json(),
    }
    visit = FarmVisit.objects.get()
    assert visit.recommendations == "Poda sanitaria de mazorcas enfermas."
    assert (visit.purpose, str(visit.latitude)) == ("follow_up", "-9.301235")
    assert dict(visit.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2, "black_pod": 0}


def test_a_replay_naming_another_farm_of_the_region_answers_409_with_the_stored_visit(technician_client, farm):
    data = payload(farm)
    first = post(technician_client, data)
    other_farm = FarmFactory(member=farm.member, crop="cocoa")

    again = post(technician_client, {**data, "farm": other_farm.pk})

    assert again.status_code == 409
    assert again.json()["visit"] == first.json()
    assert FarmVisit.objects.get().farm == farm


def test_a_replay_naming_a_farm_outside_the_regions_answers_404_without_the_stored_visit(technician_client, farm):
    data = payload(farm)
    post(technician_client, data)
    cusco_farm = FarmFactory(member=MemberFactory(region=region("Cusco")), crop="cocoa")

    response = post(technician_client, {**data, "farm": cusco_farm.pk})

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
    assert FarmVisit.objects.get().farm == farm


def test_an_identical_replay_after_the_farm_left_the_regions_answers_404(technician_client, farm):
    data = payload(farm)
    post(technician_client, data)
    farm.member.region = region("Cusco")
    farm.member.save()

    response = post(technician_client, data)

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}


def test_a_differing_replay_whose_stored_farm_left_the_regions_answers_409_without_the_visit(technician_client, farm):
    data = payload(farm)
    post(technician_client, data)
    still_here = FarmFactory(member=MemberFactory(region=region("Huánuco")), crop="cocoa")
    farm.member.region = region("Cusco")
    farm.member.save()

    response = post(technician_client, {**data, "farm": still_here.pk})

    assert response.status_code == 409
    assert response.json()["code"] == "replay_differs"
    assert response.json()["visit"] is None


@pytest.mark.parametrize(("first_photos", "retry_photos"), [(1, 0), (0, 1), (2, 1)])
def test_a_replay_with_or_without_photos_answers_200_and_keeps_the_stored_photos(
    technician_client, farm, first_photos, retry_photos
):
    data = payload(farm)

    def upload(count):
        if not count:
            return post(technician_client, data)
        return technician_client.post(
            URL, data={"visit": json.dumps(data), "photos": [jpeg((60, 40)) for _ in range(count)]}
        )

    first = upload(first_photos)

    again = upload(retry_photos)

    assert (first.status_code, again.status_code) == (201, 200)
    assert VisitPhoto.objects.count() == first_photos


def test_an_identical_retry_is_answered_even_after_the_farm_was_retired(technician_client, farm):
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
    clients = [Client(headers={"Accept-Language": "en"}) for _ in range(4)]
    for client in clients:
        client.force_login(user)

    def upload(client):
        return lambda: post(client, data).status_code

    statuses, errors = run_together(*(upload(client) for client in clients))

    assert errors == []
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
    assert response.json() == {
        "detail": "This visit identifier is already used by another user's visit.",
        "code": "uuid_taken",
        "visit": None,
    }


def test_bad_input_is_refused_before_the_farm_scope_is_checked(technician_client):
    cusco_farm = FarmFactory(member=MemberFactory(region=region("Cusco")), crop="coffee")

    response = post(technician_client, payload(cusco_farm, pests=[], purpose="picnic"))

    assert response.status_code == 400
    assert set(response.json()) == {"purpose"}


def test_a_role_without_visits_is_refused_before_the_input_is_read(credit_officer_client):
    response = credit_officer_client.post(URL, data="{not json", content_type="application/json")

    assert response.status_code == 403


def test_the_schema_documents_the_409_answers_of_the_upload(manager_client):
    schema = manager_client.get("/api/v1/schema/", {"format": "json"}).json()

    conflict = schema["paths"]["/api/v1/visits/"]["post"]["responses"]["409"]
    reference = conflict["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    component = schema["components"]["schemas"][reference]
    assert set(component["properties"]) == {"detail", "code", "visit"}
    assert "replay_differs" in conflict["description"] and "uuid_taken" in conflict["description"]


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


@pytest.mark.parametrize("part", [None, "{broken", "[]", "[" * 50_000 + "]" * 50_000, '{"a": ' + "[" * 50_000])
def test_a_multipart_upload_without_a_json_visit_part_answers_400(technician_client, part):
    data = {"photos": [jpeg((50, 50))]}
    if part is not None:
        data["visit"] = part

    response = technician_client.post(URL, data=data)

    assert response.status_code == 400
    assert "visit" in response.json()
