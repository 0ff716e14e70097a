"""What one geometry may cost: files past the vertex, feature and size limits, numbers that are no
coordinate and JSON nested too deeply are refused with a message, quickly, and nothing is written."""

import io
import math
import struct
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

import members.geometry
from members.geo_formats import MAX_KML_BYTES, MAX_UPLOAD_BYTES, MAX_XML_ELEMENTS, parse_geometry
from members.geometry import MAX_FEATURES, MAX_VERTICES, eudr_geometry_problems
from tests.factories import FarmFactory, MemberFactory, eudr_square, region

D = Decimal
DEEP = "[" * 50_000 + "]" * 50_000


def ring(positions: int, lon: float = -76.0, lat: float = -9.3) -> list[tuple[str, str]]:
    """A closed ring of `positions` positions (the last repeats the first) on a circle about 450 m across."""
    corners = [
        (
            f"{lon + 0.004 * math.cos(2 * math.pi * i / (positions - 1)):.6f}",
            f"{lat + 0.004 * math.sin(2 * math.pi * i / (positions - 1)):.6f}",
        )
        for i in range(positions - 1)
    ]
    return [*corners, corners[0]]


def geojson_polygon(positions: list[tuple[str, str]]) -> str:
    return '{"type": "Polygon", "coordinates": [[' + ", ".join(f"[{x}, {y}]" for x, y in positions) + "]]}"


def kml_polygon(positions: list[tuple[str, str]], padding: str = "") -> str:
    coordinates = " ".join(f"{x},{y}" for x, y in positions)
    return (
        f'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark>{padding}<Polygon><outerBoundaryIs><LinearRing>'
        f"<coordinates>{coordinates}</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"
    )


def gpx_track(positions: list[tuple[str, str]]) -> str:
    points = "".join(f'<trkpt lat="{y}" lon="{x}"><ele>1200</ele></trkpt>' for x, y in positions)
    return f'<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{points}</trkseg></trk></gpx>'


def kmz(document: str) -> bytes:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as kmz_file:
        kmz_file.writestr("doc.kml", document)
    return archive.getvalue()


def refusal_code(content) -> str:
    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(content)
    return excinfo.value.error_list[0].code


@pytest.fixture
def coordinates_never_read(monkeypatch):
    """Fails the test when a coordinate's decimals are read (the costly per-coordinate checks)."""

    def fail(value):
        raise AssertionError("a coordinate was read before the size was checked")

    monkeypatch.setattr(members.geometry, "coordinate_decimals", fail)


# -- at the limit ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [geojson_polygon, kml_polygon, gpx_track, lambda p: kmz(kml_polygon(p))])
def test_a_boundary_of_exactly_the_maximum_positions_is_accepted(build):
    parsed = parse_geometry(build(ring(MAX_VERTICES)))

    assert sum(len(r) for r in parsed.geometry["coordinates"]) == MAX_VERTICES
    assert eudr_geometry_problems(parsed.geometry) == []


# -- past the limits --------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [geojson_polygon, kml_polygon, gpx_track, lambda p: kmz(kml_polygon(p))])
def test_a_file_with_one_position_too_many_is_refused_before_a_coordinate_is_read(build, coordinates_never_read):
    assert refusal_code(build(ring(MAX_VERTICES + 1))) == "too_many_vertices"


def test_a_gpx_past_the_limit_is_refused_while_it_is_read_before_gpxpy_sees_it(monkeypatch):
    monkeypatch.setattr("gpxpy.parse", lambda text: pytest.fail("gpxpy parsed a file past the limit"))

    assert refusal_code(gpx_track(ring(3 * MAX_VERTICES)).encode()) == "too_many_vertices"  # 2 MB


def test_a_kmz_holding_a_900000_position_ring_is_refused_by_its_declared_size_before_unzipping(monkeypatch):
    content = kmz(kml_polygon([("-76.1", "-9.1")] * 900_000))
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda *args, **kwargs: pytest.fail("the KML was unzipped"))

    assert len(content) < 100_000  # what arrives is small: the size that counts is the KML's
    assert refusal_code(content) == "too_large"


def test_a_kmz_whose_kml_is_over_the_unzipped_limit_is_refused_though_its_ring_is_small():
    padding = f"<description>{' ' * MAX_KML_BYTES}</description>"

    assert refusal_code(kmz(kml_polygon(ring(5), padding=padding))) == "too_large"


def test_a_kmz_that_understates_its_kml_size_is_not_read_past_it():
    document = kml_polygon(ring(5), padding=f"<description>{' ' * (2 * MAX_KML_BYTES)}</description>")
    content = bytearray(kmz(document))
    # Claim 1,000 bytes in both headers (local: offset 22, central directory: offset 24, little-endian).
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = content.index(signature) + offset
        content[start : start + 4] = struct.pack("<I", 1000)

    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(bytes(content))

    assert excinfo.value.error_list[0].code in ("unreadable", "too_large")


def corrupted(content: bytes) -> bytes:
    data = bytearray(content)
    start = data.index(b"doc.kml") + len("doc.kml") + 10  # inside the compressed KML
    data[start : start + 200] = bytes(byte ^ 0x5A for byte in data[start : start + 200])
    return bytes(data)


def with_headers(content: bytes, local_offset: int, central_offset: int, change) -> bytes:
    """The KMZ with one byte of the KML's local and central directory headers changed."""
    data = bytearray(content)
    for signature, offset in ((b"PK\x03\x04", local_offset), (b"PK\x01\x02", central_offset)):
        position = data.index(signature) + offset
        data[position] = change(data[position])
    return bytes(data)


@pytest.mark.parametrize(
    "damage",
    [
        corrupted,
        lambda content: with_headers(content, 6, 8, lambda flags: flags | 1),  # "encrypted"
        lambda content: with_headers(content, 8, 10, lambda method: 99),  # an unknown compression method
    ],
    ids=["corrupt data", "encrypted", "unknown compression"],
)
def test_a_damaged_kmz_is_refused_as_unreadable(damage):
    assert refusal_code(damage(kmz(kml_polygon(ring(500))))) == "unreadable"


def test_pasted_text_over_the_size_limit_is_refused_before_it_is_read():
    assert refusal_code(" " * (MAX_UPLOAD_BYTES + 1)) == "too_large"


def test_a_feature_collection_of_more_than_the_maximum_plots_is_refused(coordinates_never_read):
    squares = [eudr_square(-76.0 + 0.001 * n, -9.3, 0.5) for n in range(MAX_FEATURES + 1)]
    features = ", ".join(
        '{"type": "Feature", "properties": {}, "geometry": ' + geojson_polygon(square["coordinates"][0]) + "}"
        for square in squares
    )

    assert refusal_code('{"type": "FeatureCollection", "features": [' + features + "]}") == "too_many_features"


def test_a_feature_collection_is_refused_by_its_length_before_its_features_are_looked_at():
    features = ", ".join(['{"type": "Feature", "properties": {}, "geometry": null}'] * (MAX_FEATURES + 1))

    assert refusal_code('{"type": "FeatureCollection", "features": [' + features + "]}") == "too_many_features"


def test_xml_of_more_elements_than_any_boundary_needs_is_refused_while_it_is_read():
    content = "<kml>" + "<a/>" * (MAX_XML_ELEMENTS + 1) + "</kml>"

    assert refusal_code(content) == "too_many_elements"


def test_a_kml_of_more_than_the_maximum_placemarks_is_refused():
    placemarks = "".join(
        f"<Placemark><Point><coordinates>-76.{n:06d},-9.300000</coordinates></Point></Placemark>"
        for n in range(MAX_FEATURES + 1)
    )

    assert refusal_code(f'<kml xmlns="http://www.opengis.net/kml/2.2">{placemarks}</kml>') == "too_many_features"


def test_a_geometry_handed_to_the_checks_directly_is_counted_first(coordinates_never_read):
    too_long = {"type": "Polygon", "coordinates": [[[D(x), D(y)] for x, y in ring(MAX_VERTICES + 1)]]}
    too_many = {"type": "MultiPolygon", "coordinates": [eudr_square(-76.0, -9.3, 0.1)["coordinates"]] * 101}

    assert [problem.code for problem in eudr_geometry_problems(too_long)] == ["too_many_vertices"]
    assert [problem.code for problem in eudr_geometry_problems(too_many)] == ["too_many_features"]


# -- numbers that are no coordinate, and deep nesting ----------------------------------------------------

SQUARE = "[-76.000000, -9.300000], [-75.998500, -9.300000], [-75.998500, -9.298500]"


@pytest.mark.parametrize(
    "content",
    [
        '{"type": "Point", "coordinates": [1e309, -9]}',
        '{"type": "Polygon", "coordinates": [[[1e309, -9.300000], ' + SQUARE + ", [1e309, -9.300000]]]}",
        '{"type": "LineString", "coordinates": [[1e309, -9.300000], ' + SQUARE + "]}",
        '{"type": "Point", "coordinates": [-75.995123, ' + "9" * 5000 + "]}",
        '{"type": "Point", "coordinates": [NaN, -9.295123]}',
        '{"type": "Point", "coordinates": [-Infinity, -9.295123]}',
        '{"type": "LineString", "coordinates": [["a", "b"], [-76.0, -9.3], [-76.1, -9.3]]}',
        "<kml><Placemark><Point><coordinates>1e309,-9.300000</coordinates></Point></Placemark></kml>",
        "<kml><Placemark><LineString><coordinates>sNaN,-9 -76.1,-9.1 -76.2,-9.0 sNaN,-9</coordinates>"
        "</LineString></Placemark></kml>",
        '<gpx version="1.1"><wpt lat="-9.295123" lon="1e309"/></gpx>',
        '<gpx version="1.1"><trk><trkseg><trkpt lat="-9.3" lon="inf"/><trkpt lat="-9.1" lon="-76.1"/>'
        '<trkpt lat="-9.2" lon="-76.2"/></trkseg></trk></gpx>',
    ],
)
def test_a_number_that_is_no_coordinate_is_refused_with_a_message(content):
    try:
        problems = eudr_geometry_problems(parse_geometry(content).geometry)
    except ValidationError as error:
        problems = error.messages
    assert problems  # refused, and no other exception on the way


def test_a_kml_coordinate_that_is_not_finite_is_named():
    kml = (
        "<kml><Placemark><Polygon><outerBoundaryIs><LinearRing><coordinates>NaN,-9.300000 -75.998500,-9.300000 "
        "-75.998500,-9.298500 NaN,-9.300000</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark></kml>"
    )

    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(kml)

    assert excinfo.value.messages == ["The KML coordinate “NaN,-9.300000” is not a number."]


def test_nan_in_geojson_is_named_as_no_number():
    with pytest.raises(ValidationError) as excinfo:
        parse_geometry('{"type": "Point", "coordinates": [NaN, -9.295123]}')

    assert excinfo.value.messages == ["“NaN” is not a number: coordinates are decimal degrees."]


def test_a_coordinate_beyond_180_degrees_names_the_range():
    problems = eudr_geometry_problems({"type": "Point", "coordinates": [D("1e309"), D("-9.295123")]})

    assert [problem.code for problem in problems] == ["out_of_range"]
    assert "between -180 and 180" in problems[0].message


@pytest.mark.parametrize("content", [DEEP, '{"type": "Point", "coordinates": ' + DEEP + "}"])
def test_json_nested_too_deeply_is_refused_with_a_message(content):
    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(content)

    assert "nested too deeply" in excinfo.value.messages[0]


# -- the pages --------------------------------------------------------------------------------------------


@pytest.fixture
def farm(db):
    return FarmFactory(member=MemberFactory(region=region("Huánuco")), name="La Esperanza")


def assert_nothing_written(farm) -> None:
    before = (farm.latitude, farm.longitude)
    farm.refresh_from_db()
    assert farm.boundary is None and farm.geometry_source == ""
    assert (farm.latitude, farm.longitude) == before


def test_the_geometry_page_states_the_limits(technician_client, farm):
    response = technician_client.get(f"/farms/{farm.pk}/geometry/")

    assert "up to 5 MB (a KMZ also once unzipped), 10,000 positions and 100 polygons" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("huge.kmz", kmz(kml_polygon([("-76.1", "-9.1")] * 900_000)), "larger than 5 MB once unzipped"),
        ("dense.kmz", kmz(kml_polygon(ring(10 * MAX_VERTICES))), "more than 10,000 positions"),
        ("point.geojson", b'{"type": "Point", "coordinates": [1e309, -9]}', "out of range"),
        ("deep.geojson", DEEP.encode(), "nested too deeply"),
    ],
)
def test_an_upload_past_the_limits_is_a_form_error_and_writes_nothing(manager_client, farm, name, content, message):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    response = manager_client.post(f"/farms/{farm.pk}/geometry/", {"file": upload, "action": "save"})

    assert response.status_code == 200
    assert message in str(response.context["form"].errors["text"])
    assert_nothing_written(farm)


@pytest.mark.parametrize(
    ("positions", "message"),
    [
        (DEEP, "No walked positions were received"),
        ("[[1e309, -9.3, 8], [-76.0, -9.3, 8], [-76.1, -9.3, 8], [1e309, -9.3, 8]]", "out of range"),
        ("[" + ",".join(["[-76.0000001, -9.3000001, 8]"] * (MAX_VERTICES + 1)) + "]", "more than 10,000 positions"),
    ],
)
def test_a_walk_that_cannot_be_a_boundary_is_refused_and_writes_nothing(technician_client, farm, positions, message):
    response = technician_client.post(f"/field/farms/{farm.pk}/boundary/", {"positions": positions})

    assert response.status_code == 200
    assert message in " ".join(response.context["errors"])
    assert_nothing_written(farm)
