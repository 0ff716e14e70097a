"""EUDR geometry checks (members.geometry): the corpus of bad geometries, each refused with its message;
good Polygon, MultiPolygon and Point accepted; geodesic area against an independent reference."""

import math
from decimal import Decimal

import pytest

from members.geometry import (
    PERU_AREA,
    coordinate_decimals,
    eudr_geometry_problems,
    geodesic_area_ha,
    normalize_geometry,
    orient_polygons,
    swap_coordinates,
)
from tests.factories import eudr_rectangle, eudr_square

D = Decimal
TINGO = (-75.995, -9.295)  # Tingo María, Huánuco


def codes(geometry) -> list[str]:
    return [problem.code for problem in eudr_geometry_problems(geometry)]


def messages(geometry) -> str:
    return " ".join(problem.message for problem in eudr_geometry_problems(geometry))


def ring(*positions: tuple[str, str]) -> list[list[Decimal]]:
    return [[D(lon), D(lat)] for lon, lat in positions]


# -- accepted ---------------------------------------------------------------------------------------------


def test_a_polygon_with_6_decimals_in_peru_is_accepted():
    assert eudr_geometry_problems(eudr_square(*TINGO, 2.5)) == []


def test_a_multipolygon_of_two_separate_parts_is_accepted():
    first = eudr_square(*TINGO, 1)["coordinates"]
    second = eudr_square(TINGO[0] + 0.003, TINGO[1], 1)["coordinates"]

    assert eudr_geometry_problems({"type": "MultiPolygon", "coordinates": [first, second]}) == []


def test_a_point_with_6_decimals_is_accepted_and_more_decimals_too():
    assert eudr_geometry_problems({"type": "Point", "coordinates": [D("-75.995123"), D("-9.295123")]}) == []
    assert eudr_geometry_problems({"type": "Point", "coordinates": [D("-75.99512345"), D("-9.2951234")]}) == []


def test_trailing_zeros_written_in_the_text_count_as_decimals():
    assert coordinate_decimals(D("-9.300000")) == 6
    assert coordinate_decimals(-9.3) == 1  # a float has lost them
    assert coordinate_decimals(D("-76")) == 0


# -- the corpus of refusals -------------------------------------------------------------------------------


def test_a_bow_tie_is_refused_as_crossing_itself():
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            ring(
                ("-76.000000", "-9.300000"),
                ("-75.998500", "-9.298500"),
                ("-75.998500", "-9.300000"),
                ("-76.000000", "-9.298500"),
                ("-76.000000", "-9.300000"),
            )
        ],
    }

    assert codes(bow_tie) == ["self_intersection"]
    assert "crosses itself near longitude -75.99925, latitude -9.29925, like a bow tie" in messages(bow_tie)


def test_an_unclosed_ring_is_refused_naming_the_first_position():
    square = eudr_rectangle(-76.0, -9.3, -75.9985, -9.2985)
    square["coordinates"][0] = square["coordinates"][0][:-1]

    assert codes(square) == ["ring_not_closed"]
    assert "Polygon 1 is not closed: its last position must repeat the first one (longitude -76.0" in messages(square)


def test_a_ring_of_three_positions_is_refused():
    short = {"type": "Polygon", "coordinates": [ring(("-76.000000", "-9.300000"), ("-75.998500", "-9.300000"))]}
    short["coordinates"][0].append(short["coordinates"][0][0])

    assert codes(short) == ["ring_too_short"]


def test_a_polygon_with_a_hole_is_refused_explaining_the_eudr_takes_none():
    outer = eudr_rectangle(-76.0, -9.3, -75.997, -9.297)["coordinates"][0]
    hole = eudr_rectangle(-75.999, -9.299, -75.998, -9.298)["coordinates"][0][::-1]

    geometry = {"type": "Polygon", "coordinates": [outer, hole]}

    assert codes(geometry) == ["hole"]
    assert "has a hole (an inner ring). The EUDR accepts polygons without holes" in messages(geometry)


def test_swapped_coordinates_are_detected_and_the_swap_fixes_them():
    correct = eudr_square(*TINGO, 2.5)
    swapped = swap_coordinates(correct)

    assert codes(swapped) == ["swapped"]
    assert "look like [latitude, longitude]" in messages(swapped)
    assert "Swap each pair and try again" in messages(swapped)
    assert swap_coordinates(swapped) == correct
    assert eudr_geometry_problems(swap_coordinates(swapped)) == []


def test_a_swapped_point_is_detected_too():
    assert codes({"type": "Point", "coordinates": [D("-9.295123"), D("-75.995123")]}) == ["swapped"]


def test_coordinates_with_4_decimals_are_refused_explaining_why():
    coarse = {
        "type": "Polygon",
        "coordinates": [
            ring(
                ("-76.0000", "-9.3000"),
                ("-75.9985", "-9.3000"),
                ("-75.9985", "-9.2985"),
                ("-76.0000", "-9.2985"),
                ("-76.0000", "-9.3000"),
            )
        ],
    }

    assert codes(coarse) == ["precision"]
    text = messages(coarse)
    assert "Every coordinate needs at least 6 decimals (about 10 cm), as the EUDR asks; 10 have fewer" in text
    assert "can be 10 m off" in text


def test_a_single_coordinate_with_5_decimals_is_enough_to_refuse():
    geometry = eudr_square(*TINGO, 2.5)
    geometry["coordinates"][0][2][1] = D("-9.28070")

    assert codes(geometry) == ["precision"]
    assert "1 have fewer, such as -9.28070" in messages(geometry)


def test_a_polygon_outside_peru_is_refused_even_inside_the_bounding_box():
    quito = eudr_square(-78.47, -0.18, 2.5)  # within Peru's bounding box, but in Ecuador

    assert codes(quito) == ["outside_peru"]
    assert "lies outside Peru (checked against a simplified outline" in messages(quito)


@pytest.mark.parametrize(
    ("place", "lon", "lat"),
    [
        ("Aguas Verdes", -80.25, -3.48),
        ("Iñapari", -69.58, -10.95),
        ("Namballe", -79.08, -5.0),
        ("Tacna", -70.25, -18.01),
    ],
)
def test_border_towns_of_peru_are_inside_the_outline_with_its_margin(place, lon, lat):
    assert eudr_geometry_problems(eudr_square(lon, lat, 1)) == [], place


def test_a_plot_spanning_kilometres_is_refused_as_a_mistyped_position():
    geometry = eudr_rectangle(-76.0, -9.3, -75.9, -9.29)

    assert codes(geometry) == ["too_large"]


@pytest.mark.parametrize(
    "geometry",
    [
        {"type": "LineString", "coordinates": [[D("-76.000000"), D("-9.300000")]]},
        {"type": "Polygon", "coordinates": "nope"},
        {"type": "Point", "coordinates": [D("-76.000000")]},
        {"type": "Point", "coordinates": [True, D("-9.300000")]},
        None,
    ],
)
def test_unreadable_or_wrong_types_are_refused_with_one_message(geometry):
    problems = eudr_geometry_problems(geometry)

    assert len(problems) == 1
    assert problems[0].code in {"type", "unreadable"}


# -- normalizing and measuring -----------------------------------------------------------------------------


def test_normalizing_rounds_to_6_decimals_drops_altitude_and_orients_counterclockwise():
    clockwise = eudr_rectangle(-76.0, -9.3, -75.9985, -9.2985)
    clockwise["coordinates"][0] = [[lon, lat, D("1200")] for lon, lat in clockwise["coordinates"][0][::-1]]
    clockwise["coordinates"][0][1][0] = D("-76.0000004")

    normalized = orient_polygons(normalize_geometry(clockwise))

    exterior = normalized["coordinates"][0]
    assert all(len(position) == 2 for position in exterior)
    assert exterior[0] == exterior[-1]
    signed = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(exterior, exterior[1:], strict=False)) / 2
    assert signed > 0  # counterclockwise: RFC 7946's right-hand rule


def test_geodesic_area_of_a_1_km_square_is_within_1_percent_of_the_reference():
    # Reference, computed independently: the area of a latitude-longitude rectangle on the sphere of
    # WGS84's authalic radius, R² · Δλ · (sin φ2 − sin φ1).
    west, south, east, north = -76.0, -9.3, -75.99088, -9.29096  # about 1 km × 1 km
    radius = 6_371_007.181
    reference_m2 = (
        radius**2 * math.radians(east - west) * (math.sin(math.radians(north)) - math.sin(math.radians(south)))
    )

    measured_ha = geodesic_area_ha(eudr_rectangle(west, south, east, north))

    assert 99 < float(measured_ha) < 101
    assert float(measured_ha) == pytest.approx(reference_m2 / 10_000, rel=0.01)


def test_the_peru_outline_is_a_valid_polygon_holding_the_coffee_regions():
    assert PERU_AREA.is_valid
    assert eudr_geometry_problems({"type": "Point", "coordinates": [D("-75.995000"), D("-9.295000")]}) == []
