"""Reading a plot's geometry from GeoJSON, KML (or KMZ) and GPX, as GeoJSON with Decimal coordinates.

- GeoJSON: json with parse_float=Decimal, so the decimals a coordinate was written with are kept (the
  EUDR's 6-decimal rule is checked on them). A Geometry, a Feature or a FeatureCollection.
- KML: the XML is read by defusedxml (no DTD, no entity expansion); Placemarks' Polygon, LineString and
  Point elements are taken. KMZ (a zipped KML, as Google Earth saves) is opened first.
- GPX: gpxpy reads tracks, routes and waypoints, after defusedxml has checked that the document carries
  no DTD (gpxpy uses the standard XML parser, or lxml). gpxpy gives floats; each position is matched back
  to the text of its `lat`/`lon` attributes, so its decimals are those written in the file.

What a file may cost is bounded before it is read in full: at most MAX_UPLOAD_BYTES, a KMZ's KML at most
MAX_KML_BYTES once unzipped, XML of at most MAX_XML_ELEMENTS elements, and members.geometry's MAX_FEATURES
and MAX_VERTICES, counted while the XML is read (and stopping it there) or from the parsed JSON's list
lengths, before any coordinate is looked at.
Numbers that are not finite (NaN, Infinity) and JSON nested too deeply to be a geometry are refused too.

Lines (GeoJSON LineString, KML LineString, GPX track segments and routes) become a polygon when they end
within CLOSING_TOLERANCE_M of their start; GPX waypoints alone (a GPS's marked corners, 3 or more) are
taken in order as a polygon's corners. Several polygons make a MultiPolygon. Nothing here validates the
polygon: members.geometry.eudr_geometry_problems does, and explains any refusal.
"""

import io
import json
import re
import zipfile
import zlib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import gpxpy
import gpxpy.gpx
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from members.geometry import (
    CLOSING_TOLERANCE_M,
    MAX_VERTICES,
    OutOfRange,
    geodesic_distance_m,
    geometry_size,
    position_values,
    size_problem,
)

# A boundary at MAX_VERTICES is about 0.5 MB of GeoJSON or KML and 1 MB of GPX (with elevation and time);
# 5 MB leaves room for pretty-printed files and GPS extensions, and reads in well under a second.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# A KMZ is a ZIP: its KML is read up to this size, the same as a KML uploaded as it is (a zip bomb stops
# there). Its declared size is checked first, and the read is bounded as well, since the header can lie.
MAX_KML_BYTES = MAX_UPLOAD_BYTES
BYTES_PER_MB = 1024 * 1024
# Reading XML costs per element, whatever it holds: 5 MB of empty elements took 2.7 s. A GPX track at
# MAX_VERTICES, each point with elevation, time and a GPS's extensions (heart rate, cadence, temperature),
# has under 100,000 elements.
MAX_XML_ELEMENTS = 20 * MAX_VERTICES


class Format:
    GEOJSON = "geojson"
    KML = "kml"
    GPX = "gpx"


@dataclass(frozen=True)
class ParsedGeometry:
    geometry: dict  # GeoJSON Point, Polygon or MultiPolygon (or what the file held), Decimal coordinates
    format: str  # Format.*


def _error(message: str, code: str = "unreadable") -> ValidationError:
    return ValidationError(message, code=code)


def parse_geometry(content: str | bytes) -> ParsedGeometry:
    """Read GeoJSON, KML, KMZ or GPX (recognised by content, not by file name). Raises ValidationError
    with a translated message when the content is none of them or holds no usable geometry."""
    if isinstance(content, bytes):
        if len(content) > MAX_UPLOAD_BYTES:
            raise _error(_("The file is larger than 5 MB."), "too_large")
        if content[:2] == b"PK":
            content = _kmz_document(content)
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _error(_("The file is not text in UTF-8: upload GeoJSON, KML, KMZ or GPX.")) from None
    else:
        if len(content) > MAX_UPLOAD_BYTES:  # the page's form caps it lower; other callers may not
            raise _error(
                _("The text is larger than %(max)d MB.") % {"max": MAX_UPLOAD_BYTES // BYTES_PER_MB}, "too_large"
            )
        text = content.lstrip("\ufeff")
    text = text.strip()
    if not text:
        raise _error(_("Paste or upload a geometry: GeoJSON, KML or GPX."), "required")
    if text.startswith("<"):
        root = _safe_xml(text)
        name = root.tag.rsplit("}", 1)[-1].lower()
        if name == "kml":
            return ParsedGeometry(_kml_geometry(root), Format.KML)
        if name == "gpx":
            return ParsedGeometry(_gpx_geometry(text, root), Format.GPX)
        raise _error(_("This XML is neither KML nor GPX."))
    return ParsedGeometry(_geojson_geometry(text), Format.GEOJSON)


def _kmz_document(content: bytes) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = [name for name in archive.namelist() if name.lower().endswith(".kml")]
            if not names:
                raise _error(_("The ZIP (KMZ) file holds no KML document."))
            name = "doc.kml" if "doc.kml" in names else names[0]
            if archive.getinfo(name).file_size > MAX_KML_BYTES:
                raise _kml_too_large()
            with archive.open(name) as document:
                data = document.read(MAX_KML_BYTES + 1)
    # Encrypted members (RuntimeError), unknown compression (NotImplementedError), corrupt data (zlib.error,
    # EOFError) are all a file that cannot be read.
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, NotImplementedError, EOFError, zlib.error):
        raise _error(_("The file is not a readable KMZ (ZIP) file.")) from None
    if len(data) > MAX_KML_BYTES:
        raise _kml_too_large()
    return data


def _kml_too_large() -> ValidationError:
    return _error(
        _("The KML inside the KMZ is larger than %(max)d MB once unzipped.") % {"max": MAX_KML_BYTES // BYTES_PER_MB},
        "too_large",
    )


# Elements that are one feature, and elements that are one position, in KML and GPX.
_FEATURE_TAGS = frozenset({"Polygon", "LineString", "Point", "trkseg", "rte"})
_POINT_TAGS = ("trkpt", "rtept", "wpt")


def _refuse_too_big(features: int, positions: int) -> None:
    problem = size_problem(features, positions)
    if problem:
        raise _error(problem.message, problem.code)


def _safe_xml(text: str):
    """The document's root, read by defusedxml, counting features and positions as the elements end: a
    file past the limits is refused there, without reading the rest."""
    features = positions = 0
    try:
        elements = SafeElementTree.iterparse(io.StringIO(text), events=("end",), forbid_dtd=True)
        for count, (_event, element) in enumerate(elements, start=1):
            if count > MAX_XML_ELEMENTS:
                raise _error(
                    _("The file has more than %(max)s XML elements; a plot's boundary needs far fewer.")
                    % {"max": intcomma(MAX_XML_ELEMENTS)},
                    "too_many_elements",
                )
            name = _local(element.tag)
            if name == "coordinates":
                # "lon,lat[,alt]" tuples separated by white space; split no further than the limit needs.
                room = MAX_VERTICES - positions
                positions += len((element.text or "").split(maxsplit=room))
            elif name in _POINT_TAGS:
                positions += 1
            elif name in _FEATURE_TAGS:
                features += 1
            else:
                continue
            _refuse_too_big(features, positions)
        return elements.root
    except DefusedXmlException:
        raise _error(_("The XML declares a DTD or entities, which are not accepted.")) from None
    except SafeElementTree.ParseError as exc:
        raise _error(_("The XML is not well formed: %(reason)s") % {"reason": exc}) from None


# -- lines and polygons -----------------------------------------------------------------------------------


def line_to_ring(positions: list[list], *, corners: bool = False) -> list[list]:
    """A closed ring from a line: as is when its last position repeats the first; when it ends within
    CLOSING_TOLERANCE_M of its start, the last position is taken as the start come back to (GPS error), so
    the closing edge cannot double back over the first one; GPS waypoints at the corners (`corners`) are
    closed as they are. Raises ValidationError when the line does not come back to its start."""
    try:
        for position in positions:
            position_values(position)
    except OutOfRange as exc:
        raise _error(exc.message(), "out_of_range") from None
    except (TypeError, ValueError, InvalidOperation):
        raise _error(_("The coordinates are not readable: each position is [longitude, latitude].")) from None
    first, last = positions[0], positions[-1]
    if list(first[:2]) == list(last[:2]):
        ring = [list(position) for position in positions]
    elif corners:
        ring = [*(list(position) for position in positions), list(first)]
    else:
        gap = geodesic_distance_m(first, last)
        if gap > CLOSING_TOLERANCE_M:
            raise _error(
                _(
                    "The line does not come back to its start: it ends %(gap)d m away (at most %(tolerance)d m). "
                    "A boundary must end where it began; walk or draw it round to the starting point."
                )
                % {"gap": round(gap), "tolerance": CLOSING_TOLERANCE_M},
                "line_not_closed",
            )
        ring = [*(list(position) for position in positions[:-1]), list(first)]
    if len({tuple(position[:2]) for position in ring}) < 3:
        raise _error(_("A boundary needs at least 3 different positions."), "too_few_points")
    return ring


def _combine(polygons: list[list], points: list[list]) -> dict:
    """One Polygon, a MultiPolygon of several, or a single Point. Points beside polygons are left out."""
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    if polygons:
        return {"type": "MultiPolygon", "coordinates": polygons}
    if len(points) == 1:
        return {"type": "Point", "coordinates": points[0]}
    if points:
        raise _error(
            _("The file holds %(count)d separate points and no boundary: send one plot's point or its boundary.")
            % {"count": len(points)},
            "several_points",
        )
    raise _error(_("No point, line or polygon was found."), "empty")


# -- GeoJSON --------------------------------------------------------------------------------------------


class _NotANumber(ValueError):
    pass


def _not_a_number(constant: str):
    raise _NotANumber(constant)


def _geojson_geometry(text: str) -> dict:
    try:
        # NaN and Infinity are not JSON (RFC 8259), though Python reads them; no coordinate can be one.
        data = json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_not_a_number)
    except _NotANumber as exc:
        raise _error(
            _("“%(value)s” is not a number: coordinates are decimal degrees.") % {"value": exc.args[0]}
        ) from None
    except RecursionError:
        # Python's parser recurses once per [ or {: a geometry is nested 4 deep, a FeatureCollection 7.
        raise _error(_("The JSON is nested too deeply to be a geometry.")) from None
    except (ValueError, InvalidOperation) as exc:
        raise _error(_("The text is not valid GeoJSON (JSON): %(reason)s") % {"reason": exc}) from None
    if not isinstance(data, dict):
        raise _error(_("The GeoJSON must be an object with a “type”."))
    if data.get("type") == "FeatureCollection":
        features = data.get("features")
        if not isinstance(features, list):
            raise _error(_("The FeatureCollection has no list of features."))
        _refuse_too_big(len(features), 0)
        geometries = [feature.get("geometry") for feature in features if isinstance(feature, dict)]
    elif data.get("type") == "Feature":
        geometries = [data.get("geometry")]
    else:
        geometries = [data]
    geometries = [geometry for geometry in geometries if isinstance(geometry, dict)]
    sizes = [geometry_size(geometry) for geometry in geometries]
    _refuse_too_big(sum(features for features, _positions in sizes), sum(positions for _features, positions in sizes))
    if len(geometries) == 1 and geometries[0].get("type") not in ("LineString", "MultiLineString"):
        return geometries[0]  # checked as it is, so the refusal names what is wrong with it
    polygons, points = [], []
    for geometry in geometries:
        kind, coordinates = geometry.get("type"), geometry.get("coordinates")
        try:
            if kind == "Polygon":
                polygons.append(coordinates)
            elif kind == "MultiPolygon":
                polygons.extend(coordinates)
            elif kind == "LineString":
                polygons.append([line_to_ring(coordinates)])
            elif kind == "MultiLineString":
                polygons.extend([line_to_ring(line)] for line in coordinates)
            elif kind == "Point":
                points.append(coordinates)
            else:
                raise _error(
                    _("A %(type)s cannot describe a plot: use a Point, Polygon or MultiPolygon.") % {"type": kind},
                    "type",
                )
        except (TypeError, IndexError, KeyError):
            raise _error(_("The coordinates are not readable: each position is [longitude, latitude].")) from None
    return _combine(polygons, points)


# -- KML ------------------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _kml_positions(element) -> list[list[Decimal]]:
    """The positions of a <coordinates> element: "lon,lat[,alt]" tuples separated by white space."""
    coordinates = next((child for child in element.iter() if _local(child.tag) == "coordinates"), None)
    if coordinates is None or not (coordinates.text or "").strip():
        raise _error(_("A KML geometry has no coordinates."))
    positions = []
    for item in coordinates.text.split():
        parts = item.split(",")
        if len(parts) not in (2, 3):
            raise _error(_("The KML coordinate “%(item)s” is not longitude,latitude[,altitude].") % {"item": item})
        try:
            values = [Decimal(part) for part in parts[:2]]
        except InvalidOperation:
            values = []
        if len(values) != 2 or not all(value.is_finite() for value in values):  # Decimal reads "NaN" and "Inf"
            raise _error(_("The KML coordinate “%(item)s” is not a number.") % {"item": item})
        positions.append(values)
    return positions


def _kml_geometry(root) -> dict:
    polygons, points = [], []
    for element in root.iter():
        name = _local(element.tag)
        if name == "Polygon":
            outer = [_kml_positions(child) for child in element if _local(child.tag) == "outerBoundaryIs"]
            inner = [_kml_positions(child) for child in element if _local(child.tag) == "innerBoundaryIs"]
            if outer:
                polygons.append(outer[:1] + inner)  # inner rings are holes: the check refuses them
        elif name == "LineString":
            polygons.append([line_to_ring(_kml_positions(element))])
        elif name == "Point":
            points.append(_kml_positions(element)[0])
    return _combine(polygons, points)


# -- GPX ------------------------------------------------------------------------------------------------


def _gpx_written_positions(root) -> dict[tuple[float, float], list[Decimal]]:
    """(latitude, longitude) as gpxpy reads them -> [longitude, latitude] as written in the file."""
    written = {}
    for element in root.iter():
        if _local(element.tag) in _POINT_TAGS:
            lat, lon = element.get("lat", "").strip(), element.get("lon", "").strip()
            try:
                written[(float(lat), float(lon))] = [Decimal(lon), Decimal(lat)]
            except (ValueError, InvalidOperation):
                continue  # gpxpy reports the bad value, or line_to_ring and the EUDR checks do
    return written


def _gpx_geometry(text: str, root) -> dict:
    try:
        gpx = gpxpy.parse(text)
    except gpxpy.gpx.GPXException as exc:
        raise _error(_("The GPX file is not readable: %(reason)s") % {"reason": exc}) from None
    written = _gpx_written_positions(root)

    def positions(points) -> list[list]:
        return [
            written.get((point.latitude, point.longitude))
            or [Decimal(repr(point.longitude)), Decimal(repr(point.latitude))]
            for point in points
        ]

    lines = [positions(segment.points) for track in gpx.tracks for segment in track.segments if segment.points]
    lines += [positions(route.points) for route in gpx.routes if route.points]
    if lines:
        return _combine([[line_to_ring(line)] for line in lines], [])
    waypoints = positions(gpx.waypoints)
    if len(waypoints) >= 3:
        return _combine([[line_to_ring(waypoints, corners=True)]], [])
    return _combine([], waypoints)


# -- writing --------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def geometry_text(geometry: dict) -> str:
    """GeoJSON text of a geometry whose numbers keep the decimals they were given with (Decimal as
    written, floats by repr): what the page shows back, e.g. with swapped coordinates to retry."""

    def number(value) -> str:
        text = str(value) if isinstance(value, Decimal) else repr(value)
        if not _NUMBER.match(text):
            raise ValueError(value)
        return text

    def node(value) -> str:
        if isinstance(value, list | tuple):
            return "[" + ", ".join(node(child) for child in value) + "]"
        return number(value)

    return json.dumps({"type": geometry["type"]})[:-1] + ', "coordinates": ' + node(geometry["coordinates"]) + "}"
