"""The EUDR GeoJSON export (deliveries.eudr.eudr_export_build): RFC 7946 structure written out in the checks
below, the EUDR rules (ready farms only, properties, 6 decimals, consent for names), selections and the
splitting of large exports into several files in a ZIP."""

import datetime
import io
import json
import re
import zipfile
from decimal import Decimal

import pytest
from django.utils import timezone

from cooperative.models import ProgramEnrollment
from deliveries.eudr import EudrSelection, eudr_export_build, eudr_export_preview
from members.eudr.geojson import EudrExport, feature_text
from members.eudr.geolocation import farm_declare_land_use, farm_set_geometry
from members.models import Farm
from tests.factories import (
    AllianceProgramFactory,
    DeforestationDeclarationFactory,
    DeliveryFactory,
    FarmFactory,
    MemberFactory,
    ProgramEnrollmentFactory,
    UserFactory,
    eudr_square,
    region,
)

pytestmark = pytest.mark.django_db

D = Decimal
TINGO = (-75.995, -9.295)
NO_SELECTION = EudrSelection()


# -- an RFC 7946 / EUDR checker, written out so that the test does not trust the code it checks -----------


def _positions_of(geometry: dict) -> list[list]:
    if geometry["type"] == "Point":
        return [geometry["coordinates"]]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [position for polygon in polygons for ring in polygon for position in ring]


def _signed_area(ring: list[list]) -> float:
    return sum(float(a[0]) * float(b[1]) - float(b[0]) * float(a[1]) for a, b in zip(ring, ring[1:], strict=False)) / 2


def assert_eudr_geojson(content: bytes) -> dict:
    """Check one file against RFC 7946 and the EUDR's rules; return it parsed (numbers as Decimal)."""
    text = content.decode("utf-8")
    data = json.loads(text, parse_float=Decimal)
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data  # RFC 7946 § 4: no crs member, WGS84 implied
    assert isinstance(data["features"], list)
    for feature in data["features"]:
        assert feature["type"] == "Feature"
        assert set(feature) <= {"type", "geometry", "properties", "id"}
        geometry = feature["geometry"]
        assert geometry["type"] in ("Point", "Polygon", "MultiPolygon")
        assert "crs" not in geometry
        for position in _positions_of(geometry):
            assert len(position) == 2  # [longitude, latitude], no altitude
            longitude, latitude = position
            assert isinstance(longitude, Decimal) and isinstance(latitude, Decimal)
            assert longitude.as_tuple().exponent == -6 and latitude.as_tuple().exponent == -6  # exactly 6 decimals
            assert D("-81.4") <= longitude <= D("-68.6"), "first value is the longitude (Peru)"
            assert D("-18.4") <= latitude <= D("0.05"), "second value is the latitude (Peru)"
        if geometry["type"] != "Point":
            polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
            for polygon in polygons:
                assert len(polygon) == 1, "no holes"
                exterior = polygon[0]
                assert len(exterior) >= 4 and exterior[0] == exterior[-1], "closed ring"
                assert _signed_area(exterior) > 0, "right-hand rule: exterior counterclockwise"
        properties = feature["properties"]
        assert set(properties) <= {"ProductionPlace", "ProducerCountry", "Area", "ProducerName"}
        assert properties["ProducerCountry"] == "PE"
        assert re.fullmatch(r".+-P\d+", properties["ProductionPlace"])
        assert ("Area" in properties) == (geometry["type"] == "Point"), "Area (ha) for points only"
    # The numbers are written with exactly 6 decimals in the text itself, not only once parsed.
    assert not re.search(r"-?\d+\.\d{1,5}[,\]]|-?\d+\.\d{7,}[,\]]", text.split('"geometry"', 1)[-1])
    return data


def places(data: dict) -> list[str]:
    return [feature["properties"]["ProductionPlace"] for feature in data["features"]]


def export(**kwargs) -> EudrExport:
    kwargs.setdefault("farms_queryset", Farm.objects.all())
    kwargs.setdefault("selection", NO_SELECTION)
    return eudr_export_build(**kwargs)


@pytest.fixture
def user():
    return UserFactory(username="gerente.eudr")


def ready_farm(user=None, *, polygon: bool = False, offset: int = 0, **kwargs) -> Farm:
    farm = FarmFactory(**kwargs)
    DeforestationDeclarationFactory(farm=farm)
    if polygon:
        geometry = eudr_square(TINGO[0] + 0.01 * offset, TINGO[1], float(farm.hectares))
        farm_set_geometry(farm=farm, geometry=geometry, source="geojson", recorded_by=user or UserFactory())
    return farm


# -- content ----------------------------------------------------------------------------------------------


def test_the_export_is_rfc_7946_geojson_with_one_feature_per_ready_plot(user):
    point = ready_farm(hectares=D("2.50"))
    polygon = ready_farm(user, polygon=True, hectares=D("6.00"))
    FarmFactory(hectares=D("6.00"))  # a point for 6 ha, no declaration: left out
    forest = ready_farm()
    farm_declare_land_use(farm=forest, land_use_2020="forest", evidence_note="Bosque en 2020.", declared_by=user)

    result = export()

    assert (result.filename, result.content_type) == (
        f"eudr-{timezone.localdate().isoformat()}.geojson",
        "application/geo+json",
    )
    data = assert_eudr_geojson(result.file.read())
    assert places(data) == [f"{point.member.code}-P{point.pk}", f"{polygon.member.code}-P{polygon.pk}"]
    point_feature, polygon_feature = data["features"]
    assert point_feature["geometry"] == {"type": "Point", "coordinates": [D("-75.995000"), D("-9.295000")]}
    assert point_feature["properties"]["Area"] == D("2.5")
    assert polygon_feature["geometry"]["type"] == "Polygon"
    assert polygon_feature["geometry"]["coordinates"][0][0] == [D("-75.995000"), D("-9.295000")]
    assert result.feature_count == 2


def test_a_multipolygon_farm_is_exported_as_a_multipolygon(user):
    farm = FarmFactory(hectares=D("2.00"))
    DeforestationDeclarationFactory(farm=farm)
    first = eudr_square(*TINGO, 1)["coordinates"]
    second = eudr_square(TINGO[0] + 0.003, TINGO[1], 1)["coordinates"]
    farm_set_geometry(
        farm=farm, geometry={"type": "MultiPolygon", "coordinates": [first, second]}, source="kml", recorded_by=user
    )

    data = assert_eudr_geojson(export().file.read())

    assert data["features"][0]["geometry"]["type"] == "MultiPolygon"


def test_producer_names_only_when_asked_and_the_member_consents():
    consenting = ready_farm(member=MemberFactory(consents_to_share=True, consent_date=datetime.date(2024, 1, 1)))
    private = ready_farm(member=MemberFactory(consents_to_share=False))

    without = assert_eudr_geojson(export().file.read())
    named = assert_eudr_geojson(export(producer_name=True).file.read())

    assert all("ProducerName" not in feature["properties"] for feature in without["features"])
    by_place = {feature["properties"]["ProductionPlace"]: feature["properties"] for feature in named["features"]}
    assert by_place[f"{consenting.member.code}-P{consenting.pk}"]["ProducerName"] == consenting.member.full_name
    assert "ProducerName" not in by_place[f"{private.member.code}-P{private.pk}"]


def test_an_empty_selection_is_an_empty_feature_collection():
    data = assert_eudr_geojson(export().file.read())

    assert data == {"type": "FeatureCollection", "features": []}


# -- selection --------------------------------------------------------------------------------------------


def test_the_selection_narrows_by_program_region_and_farm_ids():
    program = AllianceProgramFactory()
    enrolled = ready_farm()
    ProgramEnrollmentFactory(program=program, member=enrolled.member)
    withdrawn = ready_farm()
    ProgramEnrollmentFactory(program=program, member=withdrawn.member, status=ProgramEnrollment.Status.WITHDRAWN)
    elsewhere = ready_farm(member=MemberFactory(region=region("San Martín")))

    def selected(**selection) -> list[int]:
        content = export(selection=EudrSelection(**selection)).file.read()
        return [int(place.rsplit("-P", 1)[1]) for place in places(assert_eudr_geojson(content))]

    assert selected(program=program) == [enrolled.pk]
    assert selected(region=region("San Martín")) == [elsewhere.pk]
    assert selected(farm_ids=(withdrawn.pk, elsewhere.pk)) == [withdrawn.pk, elsewhere.pk]


def test_the_delivery_period_keeps_farms_with_a_delivery_in_it_not_reversed():
    delivered = ready_farm()
    DeliveryFactory(farm=delivered, delivered_on=datetime.date(2026, 5, 10))
    earlier = ready_farm()
    DeliveryFactory(farm=earlier, delivered_on=datetime.date(2025, 5, 10))
    ready_farm()  # never delivered

    selection = EudrSelection(delivered_from=datetime.date(2026, 1, 1), delivered_to=datetime.date(2026, 12, 31))

    assert places(assert_eudr_geojson(export(selection=selection).file.read())) == [
        f"{delivered.member.code}-P{delivered.pk}"
    ]


def test_the_preview_counts_and_explains_the_farms_left_out(django_assert_num_queries):
    ready_farm()
    missing = FarmFactory(latitude=None, longitude=None)
    DeforestationDeclarationFactory(farm=missing)

    with django_assert_num_queries(3):  # counts, the farms left out, their overlaps
        preview = eudr_export_preview(farms_queryset=Farm.objects.all(), selection=NO_SELECTION)

    assert (preview.ready, preview.not_ready) == (1, 1)
    assert preview.not_ready_farms == [(missing, ["No geolocation: record the plot's point or its boundary."])]


# -- splitting --------------------------------------------------------------------------------------------


def test_an_export_past_the_size_limit_is_split_into_files_under_it_in_a_zip(user):
    farms = [ready_farm(user, polygon=True, offset=n) for n in range(5)]
    stored = Farm.objects.select_related("member").get(pk=farms[0].pk)
    one_feature = len(feature_text(stored, producer_name=False).encode())
    limit = 2 * one_feature + 100  # two features per file

    result = export(max_file_bytes=limit)

    assert (result.filename.endswith(".zip"), result.content_type) == (True, "application/zip")
    assert result.file_sizes == [size for size in result.file_sizes if size <= limit]
    with zipfile.ZipFile(io.BytesIO(result.file.read())) as archive:
        names = archive.namelist()
        contents = [archive.read(name) for name in names]
    today = timezone.localdate().isoformat()
    assert names == [f"eudr-{today}-01.geojson", f"eudr-{today}-02.geojson", f"eudr-{today}-03.geojson"]
    assert all(len(content) <= limit for content in contents)
    exported = [place for content in contents for place in places(assert_eudr_geojson(content))]
    assert exported == [f"{farm.member.code}-P{farm.pk}" for farm in farms]


def test_an_export_under_the_limit_is_one_geojson_file(user, settings):
    settings.EUDR_EXPORT_MAX_FILE_BYTES = 10_000
    ready_farm(user, polygon=True)

    result = export()

    assert result.filename.endswith(".geojson") and result.file_sizes[0] <= 10_000


def test_the_export_reads_the_farms_in_one_query_whatever_their_number(user, django_assert_num_queries):
    ready_farm(user, polygon=True)
    with django_assert_num_queries(1):
        assert export().feature_count == 1
    for n in range(1, 20):
        ready_farm(user, polygon=True, offset=n)
    with django_assert_num_queries(1):
        assert export().feature_count == 20
