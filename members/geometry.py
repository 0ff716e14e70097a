"""Checks on a farm's GeoJSON boundary, done by shapely (WGS84, [longitude, latitude])."""

from django.utils.translation import gettext as _
from shapely.errors import GEOSException, ShapelyError
from shapely.geometry import box, shape
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
