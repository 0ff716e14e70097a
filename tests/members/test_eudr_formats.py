"""Reading geometries from GeoJSON, KML, KMZ and GPX (members.geo_formats)."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from members.geo_formats import geometry_text, parse_geometry
from members.geometry import eudr_geometry_problems

D = Decimal

KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2">
  <Document><Placemark><name>Parcela La Esperanza</name>
    <Polygon><outerBoundaryIs><LinearRing><coordinates>
      -76.000000,-9.300000,1200 -75.998500,-9.300000,1200 -75.998500,-9.298500,1200
      -76.000000,-9.298500,1200 -76.000000,-9.300000,1200
    </coordinates></LinearRing></outerBoundaryIs></Polygon>
  </Placemark></Document>
</kml>"""

KML_LINE = """<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><LineString><coordinates>
  -76.000000,-9.300000 -75.998500,-9.300000 -75.998500,-9.298500 -76.000000,-9.298500 -76.000050,-9.300030
</coordinates></LineString></Placemark></kml>"""

GPX_TRACK = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="GPS" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Linderos</name><trkseg>
    <trkpt lat="-9.3000000" lon="-76.0000000"><ele>1200</ele></trkpt>
    <trkpt lat="-9.3000000" lon="-75.9985000"/>
    <trkpt lat="-9.2985000" lon="-75.9985000"/>
    <trkpt lat="-9.2985000" lon="-76.0000000"/>
    <trkpt lat="-9.2999100" lon="-76.0000800"/>
  </trkseg></trk>
</gpx>"""


def test_a_kml_polygon_becomes_a_geojson_polygon_without_altitude_problems():
    parsed = parse_geometry(KML)

    assert parsed.format == "kml"
    assert parsed.geometry["type"] == "Polygon"
    assert parsed.geometry["coordinates"][0][0] == [D("-76.000000"), D("-9.300000")]
    assert eudr_geometry_problems(parsed.geometry) == []


def test_a_kml_linestring_that_comes_back_to_its_start_becomes_a_closed_polygon():
    parsed = parse_geometry(KML_LINE)

    ring = parsed.geometry["coordinates"][0]
    assert parsed.geometry["type"] == "Polygon"
    assert ring[0] == ring[-1] == [D("-76.000000"), D("-9.300000")]
    assert len(ring) == 5  # the last position, 6 m from the start, is taken as the start
    assert eudr_geometry_problems(parsed.geometry) == []


def test_a_kml_linestring_that_ends_far_from_its_start_is_refused_with_the_gap():
    far = KML_LINE.replace("-76.000050,-9.300030", "-75.999000,-9.298500")

    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(far)

    assert "does not come back to its start: it ends 199 m away (at most 25 m)" in excinfo.value.messages[0]


def test_a_kml_polygon_with_an_inner_boundary_keeps_the_hole_for_the_check_to_refuse():
    with_hole = KML.replace(
        "</outerBoundaryIs>",
        "</outerBoundaryIs><innerBoundaryIs><LinearRing><coordinates>-75.999500,-9.299500 -75.999500,-9.299000 "
        "-75.999000,-9.299000 -75.999500,-9.299500</coordinates></LinearRing></innerBoundaryIs>",
    )

    geometry = parse_geometry(with_hole).geometry

    assert [problem.code for problem in eudr_geometry_problems(geometry)] == ["hole"]


def test_a_kmz_is_unzipped_and_read():
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as kmz:
        kmz.writestr("doc.kml", KML)

    parsed = parse_geometry(archive.getvalue())

    assert (parsed.format, parsed.geometry["type"]) == ("kml", "Polygon")


def test_a_gpx_track_that_closes_becomes_a_polygon_with_the_decimals_written_in_the_file():
    parsed = parse_geometry(GPX_TRACK.encode())

    ring = parsed.geometry["coordinates"][0]
    assert (parsed.format, parsed.geometry["type"]) == ("gpx", "Polygon")
    assert ring[1] == [D("-75.9985000"), D("-9.3000000")]  # trailing zeros kept: 7 decimals
    assert ring[0] == ring[-1]
    assert eudr_geometry_problems(parsed.geometry) == []


def test_gpx_waypoints_at_the_corners_become_a_polygon():
    waypoints = """<gpx version="1.1" creator="eTrex" xmlns="http://www.topografix.com/GPX/1/1">
      <wpt lat="-9.300000" lon="-76.000000"/><wpt lat="-9.300000" lon="-75.998500"/>
      <wpt lat="-9.298500" lon="-75.998500"/><wpt lat="-9.298500" lon="-76.000000"/></gpx>"""

    geometry = parse_geometry(waypoints).geometry

    assert geometry["type"] == "Polygon"
    assert len(geometry["coordinates"][0]) == 5
    assert eudr_geometry_problems(geometry) == []


def test_a_single_gpx_waypoint_is_a_point():
    one = (
        '<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1">'
        '<wpt lat="-9.295123" lon="-75.995123"/></gpx>'
    )

    assert parse_geometry(one).geometry == {"type": "Point", "coordinates": [D("-75.995123"), D("-9.295123")]}


def test_xml_with_a_dtd_is_refused_before_any_entity_is_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
        '<gpx version="1.1" creator="&lol2;" xmlns="http://www.topografix.com/GPX/1/1"/>'
    )

    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(bomb)

    assert "DTD or entities" in excinfo.value.messages[0]


def test_geojson_numbers_keep_their_written_decimals():
    text = '{"type": "Point", "coordinates": [-75.995100, -9.295000]}'

    geometry = parse_geometry(text).geometry

    assert geometry["coordinates"] == [D("-75.995100"), D("-9.295000")]
    assert eudr_geometry_problems(geometry) == []


def test_a_feature_collection_of_two_polygons_becomes_a_multipolygon():
    first = geometry_text(_square())
    second = first.replace("-76.000000", "-75.997000").replace("-75.998500", "-75.995500")
    features = [f'{{"type": "Feature", "properties": {{}}, "geometry": {text}}}' for text in (first, second)]
    text = '{"type": "FeatureCollection", "features": [' + ", ".join(features) + "]}"

    geometry = parse_geometry(text).geometry

    assert geometry["type"] == "MultiPolygon"
    assert len(geometry["coordinates"]) == 2
    assert eudr_geometry_problems(geometry) == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "Paste or upload a geometry"),
        ("{not json", "not valid GeoJSON"),
        ("<html></html>", "neither KML nor GPX"),
        ('{"type": "FeatureCollection", "features": []}', "No point, line or polygon was found"),
        ("<kml><Placemark><Point><coordinates>abc</coordinates></Point></Placemark></kml>", "not longitude,latitude"),
        (b"\xff\xfe\x00", "not text in UTF-8"),
    ],
)
def test_unreadable_content_is_refused_with_a_message(content, message):
    with pytest.raises(ValidationError) as excinfo:
        parse_geometry(content)

    assert message in excinfo.value.messages[0]


def test_geometry_text_writes_numbers_as_given():
    text = geometry_text({"type": "Point", "coordinates": [D("-75.995100"), D("-9.295000")]})

    assert text == '{"type": "Point", "coordinates": [-75.995100, -9.295000]}'


def _square() -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [
                [D("-76.000000"), D("-9.300000")],
                [D("-75.998500"), D("-9.300000")],
                [D("-75.998500"), D("-9.298500")],
                [D("-76.000000"), D("-9.298500")],
                [D("-76.000000"), D("-9.300000")],
            ]
        ],
    }
