"""The EUDR staff pages and the field app's boundary walk, for every role; what they write; query counts."""

import datetime
import json
from decimal import Decimal

import pytest
from django.test import Client

from members.eudr import farm_map
from members.eudr.geolocation import farm_set_geometry
from members.geo_formats import geometry_text
from members.geometry import swap_coordinates
from members.models import Farm, FarmDeforestationDeclaration
from tests.factories import (
    DeforestationDeclarationFactory,
    FarmFactory,
    MemberFactory,
    UserFactory,
    eudr_square,
    region,
)

pytestmark = [pytest.mark.django_db]

D = Decimal
TINGO = (-75.995, -9.295)
ROLE_CLIENTS = ["manager_client", "technician_client", "credit_officer_client", "ics_client", "outsider_client"]


@pytest.fixture
def farm():
    """A 2.5 ha cocoa farm in Huánuco (every staff fixture's region)."""
    return FarmFactory(member=MemberFactory(region=region("Huánuco")), name="La Esperanza")


def geometry_url(farm) -> str:
    return f"/farms/{farm.pk}/geometry/"


def walk_url(farm) -> str:
    return f"/field/farms/{farm.pk}/boundary/"


PAGES = {
    # page: the roles that may open it (others: 403)
    "geometry": {"manager_client", "technician_client"},
    "walk": {"manager_client", "technician_client"},
    "export": {"manager_client"},
    "map": {"manager_client", "technician_client", "ics_client"},
    "map_data": {"manager_client", "technician_client", "ics_client"},
}


def page_url(page: str, farm) -> str:
    return {
        "geometry": geometry_url(farm),
        "walk": walk_url(farm),
        "export": "/eudr/export/",
        "map": "/eudr/map/",
        "map_data": "/eudr/map/data/",
    }[page]


@pytest.mark.parametrize("page", list(PAGES))
@pytest.mark.parametrize("client_name", ROLE_CLIENTS)
def test_each_role_gets_the_page_or_403(request, page, client_name, farm):
    client = request.getfixturevalue(client_name)

    response = client.get(page_url(page, farm))

    assert response.status_code == (200 if client_name in PAGES[page] else 403)


@pytest.mark.parametrize("page", list(PAGES))
def test_anonymous_users_are_sent_to_the_login_page(page, farm):
    response = Client().get(page_url(page, farm))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ["geometry", "walk"])
@pytest.mark.parametrize(
    ("client_name", "region_name"), [("technician_client", "San Martín"), ("manager_client", "Cusco")]
)
def test_a_farm_outside_the_user_s_regions_is_404(request, page, client_name, region_name):
    client = request.getfixturevalue(client_name)
    elsewhere = FarmFactory(member=MemberFactory(region=region(region_name)))

    assert client.get(page_url(page, elsewhere)).status_code == 404
    assert client.post(page_url(page, elsewhere), {"text": "{}"}).status_code == 404


# -- the geometry page ----------------------------------------------------------------------------------


def test_the_geometry_page_shows_the_status_reasons_and_forms(technician_client, farm):
    response = technician_client.get(geometry_url(farm))

    content = response.content.decode()
    assert "EUDR status" in content and "To review" in content
    assert "No deforestation-free declaration" in content
    assert 'id="geometry-form"' in content and 'id="declaration-form"' in content
    config = response.context["map_config"]
    assert config["current"] == {"type": "Point", "coordinates": [-75.995, -9.295]}
    assert config["tileUrl"] == ""  # no tile server configured: plain background


def test_the_tile_url_comes_from_the_setting(manager_client, farm, settings):
    settings.MAP_TILE_URL = "https://tiles.example.org/{z}/{x}/{y}.png"

    response = manager_client.get(geometry_url(farm))

    assert response.context["map_config"]["tileUrl"] == "https://tiles.example.org/{z}/{x}/{y}.png"


def test_preview_checks_without_saving(manager_client, farm):
    text = geometry_text(eudr_square(*TINGO, 2.5))

    response = manager_client.post(geometry_url(farm), {"text": text, "action": "preview"})

    assert response.status_code == 200
    assert "Preview: the geometry is accepted." in response.content.decode()
    assert response.context["map_config"]["preview"]["type"] == "Polygon"
    farm.refresh_from_db()
    assert farm.boundary is None


def test_save_stores_the_pasted_geojson_and_redirects(manager_client, farm):
    text = geometry_text(eudr_square(*TINGO, 2.5))

    response = manager_client.post(geometry_url(farm), {"text": text, "action": "save"})

    assert response.status_code == 302 and response["Location"] == geometry_url(farm)
    farm.refresh_from_db()
    assert farm.boundary["type"] == "Polygon"
    assert (farm.geometry_source, farm.geometry_recorded_by) == ("geojson", manager_client.user)


def test_a_geometry_drawn_on_the_map_is_recorded_as_drawn(technician_client, farm):
    text = geometry_text(eudr_square(*TINGO, 2.5))

    technician_client.post(geometry_url(farm), {"text": text, "drawn": "True", "action": "save"})

    farm.refresh_from_db()
    assert farm.geometry_source == "drawn"


def test_an_uploaded_gpx_file_is_read(manager_client, farm):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.members.test_eudr_formats import GPX_TRACK

    upload = SimpleUploadedFile("linderos.gpx", GPX_TRACK.encode(), content_type="application/gpx+xml")

    response = manager_client.post(geometry_url(farm), {"file": upload, "action": "save"})

    assert response.status_code == 302
    farm.refresh_from_db()
    assert (farm.geometry_source, farm.boundary["type"]) == ("gpx", "Polygon")


def test_swapped_coordinates_offer_a_swap_and_retry_that_works(manager_client, farm):
    swapped = geometry_text(swap_coordinates(eudr_square(*TINGO, 2.5)))

    response = manager_client.post(geometry_url(farm), {"text": swapped, "action": "save"})

    content = response.content.decode()
    assert response.status_code == 200
    assert "look like [latitude, longitude]" in content
    assert "Swap and retry" in content
    retry_text = response.context["swapped_text"]
    assert json.loads(retry_text) == json.loads(geometry_text(eudr_square(*TINGO, 2.5)))
    farm.refresh_from_db()
    assert farm.boundary is None
    retried = manager_client.post(geometry_url(farm), {"text": retry_text, "action": "preview"})
    assert "Preview: the geometry is accepted." in retried.content.decode()


def test_a_refused_geometry_shows_why_under_the_input(manager_client, farm):
    coarse = '{"type": "Point", "coordinates": [-75.9951, -9.2951]}'

    response = manager_client.post(geometry_url(farm), {"text": coarse, "action": "save"})

    assert "at least 6 decimals" in str(response.context["form"].errors["text"])
    farm.refresh_from_db()
    assert farm.latitude == D("-9.295000")


def test_an_empty_form_asks_for_a_geometry(manager_client, farm):
    response = manager_client.post(geometry_url(farm), {"text": "", "action": "save"})

    assert "Paste a geometry, upload a file or draw the boundary" in response.content.decode()


def test_a_warning_is_shown_after_saving_a_point_for_a_large_farm(manager_client):
    large = FarmFactory(hectares=D("6.00"))
    point = '{"type": "Point", "coordinates": [-75.991234, -9.291234]}'

    response = manager_client.post(geometry_url(large), {"text": point, "action": "save"}, follow=True)

    assert "over 4 ha the EUDR needs a polygon" in response.content.decode()


def test_the_declaration_form_saves_the_declaration(technician_client, farm):
    response = technician_client.post(
        f"/farms/{farm.pk}/geometry/declaration/",
        {
            "land_use_2020": "coffee_cocoa_agroforestry",
            "evidence_note": "Cacao desde 2015",
            "declared_on": "2026-03-01",
        },
    )

    assert response.status_code == 302
    declaration = FarmDeforestationDeclaration.objects.get(farm=farm)
    assert (declaration.land_use_2020, declaration.declared_by) == ("coffee_cocoa_agroforestry", technician_client.user)


def test_a_declaration_in_the_future_is_refused_on_the_form(manager_client, farm):
    tomorrow = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()

    response = manager_client.post(
        f"/farms/{farm.pk}/geometry/declaration/",
        {"land_use_2020": "pasture", "evidence_note": "x", "declared_on": tomorrow},
    )

    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not FarmDeforestationDeclaration.objects.exists()


def test_the_declaration_page_is_post_only(manager_client, farm):
    assert manager_client.get(f"/farms/{farm.pk}/geometry/declaration/").status_code == 405


# -- the boundary walk -------------------------------------------------------------------------------------


def walk(*corners: tuple[float, float], end_offset: float = 0.00005) -> str:
    """Positions as boundary_walk.js posts them: [longitude, latitude, accuracy], 7 decimals, ending near the start."""
    positions = [*corners, (corners[0][0] + end_offset, corners[0][1])]
    return "[" + ",".join(f"[{lon:.7f},{lat:.7f},8]" for lon, lat in positions) + "]"


def test_a_walked_boundary_ending_near_its_start_is_saved(technician_client, farm):
    positions = walk((-76.0, -9.3), (-75.9985, -9.3), (-75.9985, -9.2985), (-76.0, -9.2985))

    response = technician_client.post(walk_url(farm), {"positions": positions})

    assert response.status_code == 302 and response["Location"] == walk_url(farm) + "?saved=1"
    farm.refresh_from_db()
    assert (farm.geometry_source, farm.boundary["type"]) == ("walked", "Polygon")
    assert farm.boundary["coordinates"][0][0] == farm.boundary["coordinates"][0][-1]


def test_a_walk_that_does_not_come_back_is_refused_and_the_points_are_sent_back(technician_client, farm):
    positions = walk((-76.0, -9.3), (-75.9985, -9.3), (-75.9985, -9.2985), end_offset=0.001)

    response = technician_client.post(walk_url(farm), {"positions": positions})

    content = response.content.decode()
    assert response.status_code == 200
    assert "does not come back to its start" in content
    assert response.context["positions_text"] == positions
    farm.refresh_from_db()
    assert farm.boundary is None


def test_the_walk_page_says_a_connection_is_needed_to_send(technician_client, farm):
    response = technician_client.get(walk_url(farm))

    assert "sending needs a connection" in response.content.decode()
    assert "the boundary needs a connection to be sent" in response.context["walk_strings"]["offline"]


# -- the export page ---------------------------------------------------------------------------------------


def test_the_export_page_previews_then_downloads(manager_client, farm):
    DeforestationDeclarationFactory(farm=farm)
    missing = FarmFactory(name="Sin punto", latitude=None, longitude=None)

    response = manager_client.get("/eudr/export/", {"region": region("Huánuco").pk})

    content = response.content.decode()
    assert "1 EUDR-ready farm will be exported." in content
    assert "1 farm is left out:" in content and "Sin punto" in content
    assert missing.pk
    download = manager_client.get("/eudr/export/", {"region": region("Huánuco").pk, "download": "1"})
    assert download["Content-Type"] == "application/geo+json"
    data = json.loads(b"".join(download.streaming_content))
    assert [feature["properties"]["ProductionPlace"] for feature in data["features"]] == [
        f"{farm.member.code}-P{farm.pk}"
    ]


def test_the_export_page_refuses_bad_farm_ids_and_regions_outside_the_scope(manager_client):
    response = manager_client.get("/eudr/export/", {"farms": "12, abc", "region": region("Cusco").pk})

    form = response.context["form"]
    assert "“abc” is not a farm id" in str(form.errors["farms"])
    assert "region" in form.errors
    assert response.context["preview"] is None


@pytest.mark.parametrize("farms", [1, 20])
def test_the_export_download_query_count_is_the_same_for_1_and_20_farms(
    manager_client, farms, django_assert_num_queries
):
    for _ in range(farms):
        DeforestationDeclarationFactory(farm=FarmFactory())
    # 1 session, 2 user, 3 staff roles, 4 whether a role covers all regions, 5 the farms.
    with django_assert_num_queries(5):
        response = manager_client.get("/eudr/export/", {"download": "1"})
    assert len(json.loads(b"".join(response.streaming_content))["features"]) == farms


# -- the map and its data ----------------------------------------------------------------------------------


def test_the_map_page_shows_the_readiness_without_javascript(ics_client, farm):
    DeforestationDeclarationFactory(farm=farm)

    response = ics_client.get("/eudr/map/")

    content = response.content.decode()
    assert "EUDR-ready farms" in content and "1 of 1 active farms" in content
    assert response.context["map_config"]["editUrl"] == ""  # ICS coordinators read the map only


def test_the_map_data_are_geojson_features_with_status_and_reasons(technician_client, farm):
    DeforestationDeclarationFactory(farm=farm)
    FarmFactory(name="Sin declaración")
    FarmFactory(member=MemberFactory(region=region("San Martín")))  # outside the technician's region

    body = technician_client.get("/eudr/map/data/").json()

    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    by_name = {feature["properties"]["name"]: feature for feature in body["features"]}
    assert set(by_name) == {"La Esperanza", "Sin declaración"}
    assert by_name["La Esperanza"]["properties"]["status"] == "ready"
    assert by_name["Sin declaración"]["properties"]["status"] == "flagged"
    assert by_name["Sin declaración"]["properties"]["reasons"] == [
        "No deforestation-free declaration (the land use on 31 December 2020)."
    ]


def test_the_map_data_keep_to_the_bounding_box_and_the_cap(manager_client, farm, monkeypatch):
    FarmFactory(latitude=D("-6.500000"), longitude=D("-76.400000"))  # Moyobamba, far from Tingo María

    inside = manager_client.get("/eudr/map/data/", {"bbox": "-76.1,-9.4,-75.9,-9.2"}).json()
    monkeypatch.setattr(farm_map, "MAP_FEATURE_LIMIT", 1)
    capped = manager_client.get("/eudr/map/data/").json()

    assert [feature["id"] for feature in inside["features"]] == [farm.pk]
    assert capped["truncated"] is True and len(capped["features"]) == 1


def test_a_polygon_is_found_by_its_box_in_the_map_data(manager_client, farm):
    farm_set_geometry(farm=farm, geometry=eudr_square(*TINGO, 2.5), source="geojson", recorded_by=UserFactory())

    body = manager_client.get("/eudr/map/data/", {"bbox": "-75.9951,-9.2951,-75.9949,-9.2949"}).json()

    assert [feature["geometry"]["type"] for feature in body["features"]] == ["Polygon"]


@pytest.mark.parametrize("bbox", ["1,2,3", "a,b,c,d", "-75,-9,-76,-10", "-200,-9,-75,-8"])
def test_a_bad_bounding_box_is_a_400(manager_client, bbox):
    response = manager_client.get("/eudr/map/data/", {"bbox": bbox})

    assert response.status_code == 400
    assert list(response.json()) == ["bbox"]


@pytest.mark.parametrize("farms", [1, 20])
def test_the_map_data_query_count_is_the_same_for_1_and_20_farms(manager_client, farms, django_assert_num_queries):
    for _ in range(farms):
        DeforestationDeclarationFactory(farm=FarmFactory())
    # 1 session, 2 user, 3 staff roles, 4 whether a role covers all regions, 5 the farms with member and
    # declaration, 6 their overlaps.
    with django_assert_num_queries(6):
        response = manager_client.get("/eudr/map/data/")
    assert len(response.json()["features"]) == farms


def test_farms_of_retired_status_are_not_on_the_map(manager_client):
    FarmFactory(status=Farm.Status.RETIRED)

    assert manager_client.get("/eudr/map/data/").json()["features"] == []
