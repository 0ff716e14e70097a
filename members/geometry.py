"""Checks on a farm's geometry, done by shapely (WGS84, [longitude, latitude]); geodesic measures by pyproj.

`boundary_errors` is the structural check Farm.clean() runs on any boundary. The EUDR checks
(`eudr_geometry_problems`) are stricter: what the EU information system accepts (GeoJSON Point, Polygon or
MultiPolygon; closed rings, valid, no self-intersection, no holes; at least 6 decimals) and what is
plausible for a plot in Peru. members.eudr.geolocation.farm_set_geometry runs them before anything is stored.
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.translation import gettext as _
from pyproj import Geod
from shapely import prepared
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import Polygon, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from shapely.geometry.polygon import orient
from shapely.validation import explain_validity

from members.validators import PERU_LATITUDE, PERU_LONGITUDE

_PERU_BOX = box(float(PERU_LONGITUDE[0]), float(PERU_LATITUDE[0]), float(PERU_LONGITUDE[1]), float(PERU_LATITUDE[1]))


def boundary_errors(geojson: object) -> str | None:
    """Return a translated message describing what is wrong with a boundary, or None when it is valid."""
    if not isinstance(geojson, dict) or geojson.get("type") not in ("Polygon", "MultiPolygon"):
        return _("The boundary must be a GeoJSON Polygon or MultiPolygon.")
    polygons = geojson.get("coordinates")
    if geojson["type"] == "Polygon":
        polygons = [polygons]
    try:
        rings = [ring for polygon in polygons for ring in polygon]
        if not rings or any(len(ring) < 4 or list(ring[0]) != list(ring[-1]) for ring in rings):
            return _("Every ring of the boundary must be closed: the last point repeats the first.")
        geometry = shape(geojson)
    except (ShapelyError, GEOSException, ValueError, TypeError, KeyError, IndexError, AttributeError):
        return _("The boundary is not readable GeoJSON.")
    if geometry.is_empty:
        return _("The boundary is empty.")
    if not geometry.is_valid:
        return _("The boundary is not a valid polygon: %(reason)s") % {"reason": explain_validity(geometry)}
    if not _PERU_BOX.contains(geometry):
        return _("The boundary lies outside Peru (coordinates are [longitude, latitude]).")
    return None


# -- EUDR ----------------------------------------------------------------------------------------------

# Peru's outline from Natural Earth's 1:110m Admin 0 countries (public domain, naturalearthdata.com), as
# shipped in geopandas 0.14's `naturalearth_lowres` dataset, rounded to 4 decimals (76 vertices). At that
# scale the border can be kilometres off, so plots are checked against the outline grown by
# PERU_MARGIN_DEGREES (about 11 km) and cut to the bounding box the coordinate columns enforce: every
# Peruvian border town tried (Aguas Verdes, Iñapari, Namballe, Santa Rosa, Tacna...) falls inside, and a
# few neighbouring ones within the margin (Leticia, Tabatinga) do too. It catches wrong signs, swapped
# coordinates and plots in another country, not a border dispute.
PERU_OUTLINE = (
    (-69.8936, -4.2982),
    (-70.7948, -4.2513),
    (-70.9288, -4.4016),
    (-71.7484, -4.594),
    (-72.8919, -5.2746),
    (-72.9645, -5.7413),
    (-73.2197, -6.0892),
    (-73.12, -6.6299),
    (-73.7245, -6.9186),
    (-73.7234, -7.341),
    (-73.9872, -7.5238),
    (-73.5711, -8.4244),
    (-73.0154, -9.0328),
    (-73.2267, -9.4622),
    (-72.563, -9.5202),
    (-72.1849, -10.0536),
    (-71.3024, -10.0794),
    (-70.4819, -9.4901),
    (-70.5487, -11.0091),
    (-70.0938, -11.124),
    (-69.5297, -10.9517),
    (-68.6651, -12.5613),
    (-68.8801, -12.8997),
    (-68.9292, -13.6027),
    (-68.9489, -14.4536),
    (-69.3395, -14.9532),
    (-69.1603, -15.324),
    (-69.3898, -15.6601),
    (-68.9596, -16.5007),
    (-69.5904, -17.58),
    (-69.8584, -18.0927),
    (-70.3726, -18.348),
    (-71.3753, -17.7738),
    (-71.462, -17.3635),
    (-73.4445, -16.3594),
    (-75.2379, -15.2657),
    (-76.0092, -14.6493),
    (-76.4235, -13.8232),
    (-76.2592, -13.535),
    (-77.1062, -12.2227),
    (-78.0922, -10.3777),
    (-79.037, -8.3866),
    (-79.4459, -7.9308),
    (-79.7606, -7.1943),
    (-80.5375, -6.5417),
    (-81.25, -6.1368),
    (-80.9263, -5.6906),
    (-81.4109, -4.7368),
    (-81.0997, -4.0364),
    (-80.3026, -3.4049),
    (-80.184, -3.8212),
    (-80.4693, -4.0593),
    (-80.4422, -4.4257),
    (-80.0289, -4.3461),
    (-79.625, -4.4542),
    (-79.2053, -4.9591),
    (-78.6399, -4.5478),
    (-78.4507, -3.8731),
    (-77.8379, -3.003),
    (-76.6354, -2.6087),
    (-75.545, -1.5616),
    (-75.2337, -0.9114),
    (-75.3732, -0.152),
    (-75.1066, -0.0572),
    (-74.4416, -0.5308),
    (-74.1224, -1.0028),
    (-73.6595, -1.2605),
    (-73.0704, -2.309),
    (-72.3258, -2.4342),
    (-71.7748, -2.1698),
    (-71.4136, -2.3428),
    (-70.8135, -2.2569),
    (-70.0477, -2.7252),
    (-70.6927, -3.7429),
    (-70.394, -3.7666),
    (-69.8936, -4.2982),
)
PERU_MARGIN_DEGREES = 0.1
PERU_AREA = Polygon(PERU_OUTLINE).buffer(PERU_MARGIN_DEGREES).intersection(_PERU_BOX)
_PERU_AREA_PREPARED = prepared.prep(PERU_AREA)

# The EUDR asks for at least 6 decimals of a degree (about 0.11 m); exports carry exactly 6.
MIN_DECIMALS = 6
EXPORT_QUANTUM = Decimal("0.000001")
# A plot of at most 100 ha fits within far less than 0.05 degree (about 5.5 km) each way. The overlap
# search relies on this bound (see members.eudr.geolocation.overlapping_farms), and it catches a mistyped vertex.
MAX_PLOT_SPAN_DEGREES = 0.05
# A GPX track, a KML or GeoJSON LineString or a walked boundary is a polygon when it ends within this
# distance of its start (a handheld GPS under trees is rarely better than 10 to 20 m).
CLOSING_TOLERANCE_M = 25

# What one geometry may cost to check. A plot's boundary walked with a GPS logging every second around a
# 100 ha plot (about 4 km, an hour's walk) has some 3,600 positions; drawn or surveyed ones have tens to
# hundreds. 10,000 leaves room for dense logging and is checked in well under a second, where the
# 900,000-position ring of a 62 kB KMZ kept a worker busy for over 30 s. The count comes before any check
# that looks at each coordinate (members.geo_formats counts while reading the file, too).
MAX_VERTICES = 10_000
# One plot is one polygon, or a few when a road or a stream cuts it; 100 polygons, lines or points (GeoJSON
# Features, MultiPolygon parts, KML Placemark geometries, GPX track segments and routes) is far more than one
# farm needs, and keeps a file of thousands of tiny parts from reaching the overlap search.
MAX_FEATURES = 100
# A longitude is within ±180 and a latitude within ±90; anything beyond is a typing or export error (or
# 1e309, which no Decimal context can round to 6 decimals).
LONGITUDE_LIMIT = Decimal(180)
LATITUDE_LIMIT = Decimal(90)

GEOD = Geod(ellps="WGS84")
GEOMETRY_TYPES = ("Point", "Polygon", "MultiPolygon")
SQUARE_METRES_PER_HECTARE = 10_000
HECTARE_QUANTUM = Decimal("0.0001")


@dataclass(frozen=True)
class GeometryProblem:
    """Why a geometry is refused: a stable code (for the page and the tests) and a translated message."""

    code: str
    message: str


def iter_positions(geometry: dict) -> Iterator[list]:
    """Every position ([longitude, latitude, ...]) of a Point, Polygon or MultiPolygon."""
    coordinates = geometry.get("coordinates")
    kind = geometry.get("type")
    if kind == "Point":
        yield coordinates
    elif kind == "Polygon":
        for ring in coordinates:
            yield from ring
    elif kind == "MultiPolygon":
        for polygon in coordinates:
            for ring in polygon:
                yield from ring


def _number(value: object) -> Decimal:
    """A coordinate as Decimal, keeping the decimals it was written with when it is a Decimal or text.

    A float has lost trailing zeros (-9.2951 may have been written -9.295100): its decimals are those of
    its shortest repr. The parsers in members.geo_formats hand over Decimals for that reason.
    """
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float | str):
        raise TypeError(value)
    result = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not result.is_finite():
        raise ValueError(value)
    return result


def position_values(position: object) -> tuple[Decimal, Decimal]:
    """A position's longitude and latitude as finite Decimals within ±180 and ±90.

    Raises TypeError or ValueError (InvalidOperation is one) for a value that is no number or not finite,
    and OutOfRange for a finite one beyond the limits.
    """
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise TypeError(position)
    longitude, latitude = _number(position[0]), _number(position[1])
    for value, limit in ((longitude, LONGITUDE_LIMIT), (latitude, LATITUDE_LIMIT)):
        if abs(value) > limit:
            raise OutOfRange(value)
    return longitude, latitude


class OutOfRange(ValueError):
    """A finite coordinate beyond ±180 (longitude) or ±90 (latitude); args[0] is the value."""

    def message(self) -> str:
        text = str(self.args[0])
        return _(
            "The coordinate %(value)s is out of range: a longitude is between -180 and 180 and a latitude between "
            "-90 and 90."
        ) % {"value": text if len(text) <= 24 else text[:20] + "…"}


def geometry_size(geometry: object) -> tuple[int, int]:
    """(features, positions) of a GeoJSON Point, LineString, Polygon or their Multi- forms, counted without
    reading a coordinate: a few list lengths per ring, so a file can be refused before any costly check.
    Parts that are not lists count as nothing (the structure check refuses them)."""
    if not isinstance(geometry, dict):
        return 0, 0
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if not isinstance(coordinates, list | tuple):
        return 0, 0
    if kind == "Point":
        return 1, 1
    if kind == "MultiPoint":
        return len(coordinates), len(coordinates)
    if kind == "LineString":
        return 1, len(coordinates)
    # Polygon: a list of rings; MultiLineString: a list of lines, one feature each; MultiPolygon: of polygons.
    if kind == "Polygon":
        parts = [coordinates]
    elif kind == "MultiLineString":
        parts = [[line] for line in coordinates]
    elif kind == "MultiPolygon":
        parts = coordinates
    else:
        return 0, 0
    positions = sum(
        len(line) for part in parts if isinstance(part, list | tuple) for line in part if isinstance(line, list | tuple)
    )
    return len(parts), positions


def size_problem(features: int, positions: int) -> GeometryProblem | None:
    """The refusal of a geometry (or a file) with more than MAX_FEATURES features or MAX_VERTICES positions.
    The message names the limit, not the count: a file is refused as soon as the count passes it."""
    if features > MAX_FEATURES:
        return GeometryProblem(
            "too_many_features",
            _("The geometry has more than %(max)s polygons, lines or points: send the geometry of one plot.")
            % {"max": intcomma(MAX_FEATURES)},
        )
    if positions > MAX_VERTICES:
        return GeometryProblem(
            "too_many_vertices",
            _(
                "The geometry has more than %(max)s positions; a plot's boundary has at most a few thousand. "
                "Simplify it in the mapping app, or record the boundary with fewer points."
            )
            % {"max": intcomma(MAX_VERTICES)},
        )
    return None


def coordinate_decimals(value: object) -> int:
    """How many decimals a coordinate was written with: Decimal("-9.300000") has 6, -9.3 (a float) has 1."""
    exponent = _number(value).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _structure_problem(geometry: object) -> GeometryProblem | None:
    if not isinstance(geometry, dict) or geometry.get("type") not in GEOMETRY_TYPES:
        found = geometry.get("type") if isinstance(geometry, dict) else None
        return GeometryProblem(
            "type",
            _("The geometry must be a GeoJSON Point, Polygon or MultiPolygon (found: %(found)s).")
            % {"found": found or _("nothing readable")},
        )
    try:
        coordinates = geometry["coordinates"]
        depth = {"Point": 0, "Polygon": 2, "MultiPolygon": 3}[geometry["type"]]

        def check(node: object, level: int) -> None:
            if not isinstance(node, list | tuple) or not node:
                raise ValueError(node)
            if level == 0:
                if len(node) not in (2, 3):
                    raise ValueError(node)
                position_values(node)
                for value in node[2:]:
                    _number(value)  # an altitude: any finite number (it is dropped)
                return
            for child in node:
                check(child, level - 1)

        check(coordinates, depth)
    except OutOfRange as exc:
        return GeometryProblem("out_of_range", exc.message())
    except (KeyError, TypeError, ValueError, InvalidOperation):
        return GeometryProblem(
            "unreadable", _("The coordinates are not readable: each position is [longitude, latitude].")
        )
    return None


def looks_swapped(geometry: dict) -> bool:
    """True when every position reads as [latitude, longitude] of a place in Peru: the first value within
    Peru's latitudes (-18.4 to 0.05) and the second within its longitudes (-81.4 to -68.6). Those ranges do
    not meet, so a correct position can never match."""
    lat_low, lat_high = PERU_LATITUDE
    lon_low, lon_high = PERU_LONGITUDE
    return all(
        lat_low <= _number(position[0]) <= lat_high and lon_low <= _number(position[1]) <= lon_high
        for position in iter_positions(geometry)
    )


def swap_coordinates(geometry: dict) -> dict:
    """The same geometry with each position's first two values exchanged (the numbers kept as given)."""

    def swap(node):
        if node and not isinstance(node[0], list | tuple):
            return [node[1], node[0], *node[2:]]
        return [swap(child) for child in node]

    return {"type": geometry["type"], "coordinates": swap(geometry["coordinates"])}


def normalize_geometry(geometry: dict) -> dict:
    """Positions rounded to 6 decimals (floats), altitude dropped: what is checked, stored and exported.

    Needs a geometry that passed _structure_problem. Polygons keep their ring order; orient_polygons()
    applies the right-hand rule once they are known to be valid.
    """

    def rounded(node):
        if node and not isinstance(node[0], list | tuple):
            return [float(_number(value).quantize(EXPORT_QUANTUM, rounding=ROUND_HALF_EVEN)) for value in node[:2]]
        return [rounded(child) for child in node]

    return {"type": geometry["type"], "coordinates": rounded(geometry["coordinates"])}


def _as_lists(node):
    if isinstance(node, list | tuple) and node and isinstance(node[0], list | tuple):
        return [_as_lists(child) for child in node]
    return [float(value) for value in node]


def orient_polygons(geometry: dict) -> dict:
    """Polygons with the exterior ring counterclockwise (RFC 7946's right-hand rule). Points unchanged."""
    if geometry["type"] == "Point":
        return geometry
    shaped = shape(geometry)
    parts = [orient(polygon, sign=1.0) for polygon in getattr(shaped, "geoms", [shaped])]
    if geometry["type"] == "Polygon":
        return {"type": "Polygon", "coordinates": _as_lists(mapping(parts[0])["coordinates"])}
    return {"type": "MultiPolygon", "coordinates": [_as_lists(mapping(part)["coordinates"]) for part in parts]}


def _ring_problems(geometry: dict) -> list[GeometryProblem]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    problems = []
    for number, polygon in enumerate(polygons, start=1):
        for ring in polygon:
            if len(ring) < 4:
                problems.append(
                    GeometryProblem(
                        "ring_too_short",
                        _("Polygon %(number)d has a ring of fewer than 4 positions (3 corners and the first repeated).")
                        % {"number": number},
                    )
                )
            elif list(ring[0]) != list(ring[-1]):
                problems.append(
                    GeometryProblem(
                        "ring_not_closed",
                        _("Polygon %(number)d is not closed: its last position must repeat the first one (%(first)s).")
                        % {"number": number, "first": _position_text(ring[0])},
                    )
                )
        if len(polygon) > 1:
            problems.append(
                GeometryProblem(
                    "hole",
                    _(
                        "Polygon %(number)d has a hole (an inner ring). The EUDR accepts polygons without holes: "
                        "send the plot's outer edge only, or the parts around the hole as separate polygons "
                        "(a MultiPolygon)."
                    )
                    % {"number": number},
                )
            )
    return problems


def _position_text(position) -> str:
    return _("longitude %(longitude)s, latitude %(latitude)s") % {"longitude": position[0], "latitude": position[1]}


def _validity_problem(shaped: BaseGeometry) -> GeometryProblem | None:
    if shaped.is_empty:
        return GeometryProblem("empty", _("The geometry is empty."))
    if shaped.is_valid:
        if shaped.geom_type != "Point" and shaped.area == 0:
            return GeometryProblem("empty", _("The polygon has no area: its points lie on one line or repeat."))
        return None
    reason = explain_validity(shaped)
    if "Self-intersection" in reason:
        where = reason[reason.find("[") + 1 : reason.find("]")].split()
        place = _position_text(where) if len(where) == 2 else reason
        return GeometryProblem(
            "self_intersection",
            _(
                "The boundary crosses itself near %(place)s, like a bow tie. Give the corners in order around "
                "the plot, without crossing."
            )
            % {"place": place},
        )
    return GeometryProblem(
        "invalid", _("The boundary is not a valid polygon (%(reason)s): correct it and try again.") % {"reason": reason}
    )


def eudr_geometry_problems(geometry: object) -> list[GeometryProblem]:
    """Everything that keeps a geometry out of an EUDR statement, as translated messages; [] when none.

    Checked in this order, stopping where later checks would only repeat the cause: the size (MAX_FEATURES,
    MAX_VERTICES: counted from list lengths, before any coordinate is read); the GeoJSON type and structure
    (finite numbers, longitude within ±180 and latitude within ±90); at least 6 decimals on every
    coordinate (on the numbers as given); [latitude, longitude] order (stops: the fix is offered with
    swap_coordinates); then, on the positions rounded to 6 decimals, closed rings of at least 4 positions,
    no holes, a valid polygon without self-intersection, inside Peru (PERU_AREA) and at most
    MAX_PLOT_SPAN_DEGREES across.
    """
    problem = size_problem(*geometry_size(geometry)) or _structure_problem(geometry)
    if problem:
        return [problem]
    problems = []
    imprecise = [
        value
        for position in iter_positions(geometry)
        for value in position[:2]
        if coordinate_decimals(value) < MIN_DECIMALS
    ]
    if imprecise:
        problems.append(
            GeometryProblem(
                "precision",
                _(
                    "Every coordinate needs at least 6 decimals (about 10 cm), as the EUDR asks; %(count)d have "
                    "fewer, such as %(example)s. A coordinate rounded to 4 decimals can be 10 m off: export the "
                    "positions again from the GPS or mapping app with full precision."
                )
                % {"count": len(imprecise), "example": imprecise[0]},
            )
        )
    if looks_swapped(geometry):
        problems.append(
            GeometryProblem(
                "swapped",
                _(
                    "The coordinates look like [latitude, longitude]; GeoJSON and the EUDR use [longitude, "
                    "latitude]. Swap each pair and try again."
                ),
            )
        )
        return problems
    rounded = normalize_geometry(geometry)
    if rounded["type"] != "Point":
        ring_problems = _ring_problems(rounded)
        if ring_problems:
            return problems + ring_problems
    try:
        shaped = shape(rounded)
    except (ShapelyError, GEOSException, ValueError, TypeError):
        return [*problems, GeometryProblem("unreadable", _("The geometry is not readable GeoJSON."))]
    validity = _validity_problem(shaped)
    if validity:
        return [*problems, validity]
    if not _PERU_AREA_PREPARED.contains(shaped):
        problems.append(
            GeometryProblem(
                "outside_peru",
                _(
                    "The plot lies outside Peru (checked against a simplified outline of Peru with a margin of "
                    "about 11 km). Check the signs: in Peru both longitude and latitude are negative."
                ),
            )
        )
    else:
        min_lon, min_lat, max_lon, max_lat = shaped.bounds
        span = max(max_lon - min_lon, max_lat - min_lat)
        if span > MAX_PLOT_SPAN_DEGREES:
            problems.append(
                GeometryProblem(
                    "too_large",
                    _(
                        "The plot spans about %(km)s km, far more than a plot of at most 100 ha: check the "
                        "coordinates for a mistyped position."
                    )
                    % {"km": round(span * 111)},
                )
            )
    return problems


def geodesic_area_ha(geometry: dict | BaseGeometry) -> Decimal:
    """Area on the WGS84 ellipsoid (pyproj.Geod), in hectares to 4 decimals; 0 for a point."""
    shaped = geometry if isinstance(geometry, BaseGeometry) else shape(geometry)
    if shaped.is_empty or shaped.geom_type in ("Point", "MultiPoint", "LineString", "MultiLineString"):
        return Decimal("0.0000")
    area_m2, _perimeter = GEOD.geometry_area_perimeter(shaped)
    return (Decimal(repr(abs(area_m2))) / SQUARE_METRES_PER_HECTARE).quantize(HECTARE_QUANTUM)


def geodesic_distance_m(start, end) -> float:
    """Distance in metres on the WGS84 ellipsoid between two [longitude, latitude] positions."""
    _forward, _back, distance = GEOD.inv(float(start[0]), float(start[1]), float(end[0]), float(end[1]))
    return abs(distance)


def area_difference_share(measured_ha: Decimal, declared_ha: Decimal) -> float:
    """|measured - declared| / declared, e.g. 0.25 for a plot measured 25 % larger or smaller."""
    if not declared_ha:
        return math.inf
    return float(abs(measured_ha - declared_ha) / declared_ha)
