"""EUDR pages: a farm's geometry (paste, upload, draw; preview; save) and its deforestation-free
declaration; the walked boundary in the field app; the map. The export for the EU information system is a
deliveries page (deliveries.views.eudr): it selects the farms that delivered in a period.

Roles (members.eudr.access): managers and technicians record geometries and declarations for the farms of
their regions; managers, technicians and ICS coordinators read the map. Another role: 403; a farm outside the
user's regions: 404. Writes go through members.eudr.geolocation.
"""

import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cooperative.access import has_role, role_required
from cooperative.forms import add_service_errors
from cooperative.selectors import programs_in_scope, regions_in_scope
from members.eudr import farm_map
from members.eudr.access import EUDR_EDITORS, EUDR_MAP_READERS
from members.eudr.geolocation import GeometryCheck, farm_declare_land_use, farm_geometry_check, farm_set_geometry
from members.eudr.readiness import eudr_readiness, readiness_farms
from members.eudr.status import EudrStatus, farm_eudr_status
from members.forms import DeclarationForm, GeometryForm
from members.geo_formats import (
    BYTES_PER_MB,
    MAX_UPLOAD_BYTES,
    ParsedGeometry,
    geometry_text,
    line_to_ring,
    parse_geometry,
)
from members.geometry import MAX_FEATURES, MAX_VERTICES, size_problem, swap_coordinates
from members.models import Farm, FarmDeforestationDeclaration
from members.selectors import farms_in_scope
from members.views.field import field_strings

# -- helpers ----------------------------------------------------------------------------------------------

# What the geometry page says a file may hold (members.geo_formats and members.geometry enforce it).
GEOMETRY_LIMITS = {
    "megabytes": MAX_UPLOAD_BYTES // BYTES_PER_MB,
    "vertices": MAX_VERTICES,
    "features": MAX_FEATURES,
}


def map_settings() -> dict:
    """Tiles only when settings.MAP_TILE_URL names a tile server; without, the map draws the plots on a plain
    background with a scale (field offices often have no connection to a tile server)."""
    return {
        "tileUrl": getattr(settings, "MAP_TILE_URL", "") or "",
        "tileAttribution": getattr(settings, "MAP_TILE_ATTRIBUTION", "") or "",
    }


def map_strings() -> dict:
    return {
        "ready": _("Ready"),
        "missing_geometry": _("Missing geometry"),
        "flagged": _("To review"),
        "truncated": _("Only the first %(limit)d farms are shown: zoom in to see the others.")
        % {"limit": farm_map.MAP_FEATURE_LIMIT},
        "loadFailed": _("The farms could not be loaded."),
        "draw": _("Draw the boundary"),
        "undo": _("Undo last point"),
        "finish": _("Finish the boundary"),
        "clear": _("Clear"),
        "drawHelp": _("Click the corners in order around the plot, then “Finish the boundary”."),
        "needThree": _("A boundary needs at least 3 corners."),
        "geometryPage": _("Geometry"),
        "current": _("Current geometry"),
        "preview": _("Preview"),
    }


def _geometry_codes(error: ValidationError) -> set[str]:
    errors = error.error_dict.get("geometry", []) if hasattr(error, "error_dict") else error.error_list
    return {item.code for item in errors if item.code}


def _farm_for_editing(request: HttpRequest, pk: int) -> Farm:
    return get_object_or_404(farms_in_scope(request.user, EUDR_EDITORS).select_related("region"), pk=pk)


def _farm_geometry(farm: Farm) -> dict | None:
    if farm.boundary:
        return farm.boundary
    if farm.latitude is not None:
        return {"type": "Point", "coordinates": [float(farm.longitude), float(farm.latitude)]}
    return None


# -- a farm's geometry --------------------------------------------------------------------------------------


@role_required(EUDR_EDITORS)
@require_http_methods(["GET", "POST"])
def farm_geometry(request: HttpRequest, pk: int) -> HttpResponse:
    """Paste, upload or draw the farm's geometry; "Preview" checks it (nothing saved), "Save" stores it.

    A refusal is explained under the input; coordinates given as [latitude, longitude] get a "Swap and
    retry" button carrying the swapped geometry.
    """
    farm = _farm_for_editing(request, pk)
    form = GeometryForm(request.POST or None, request.FILES or None)
    preview = None
    swapped_text = None
    if request.method == "POST" and form.is_valid():
        parsed: ParsedGeometry | None = None
        try:
            parsed = parse_geometry(form.content())
            source = (
                Farm.GeometrySource.DRAWN
                if form.cleaned_data["drawn"] and parsed.format == "geojson"
                else Farm.GeometrySource(parsed.format)
            )
            if request.POST.get("action") == "save":
                check = farm_set_geometry(farm=farm, geometry=parsed.geometry, source=source, recorded_by=request.user)
                messages.success(request, _("The geometry of %(farm)s was saved.") % {"farm": farm.name})
                for warning in check.warnings:
                    messages.warning(request, warning)
                return redirect("farm_geometry", pk=farm.pk)
            preview = farm_geometry_check(farm=farm, geometry=parsed.geometry)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                add_service_errors(form, error, renamed={"geometry": "text"})
            else:
                form.add_error("text", error)
            if parsed is not None and "swapped" in _geometry_codes(error):
                swapped_text = geometry_text(swap_coordinates(parsed.geometry))
    return _geometry_page(request, farm, form, preview=preview, swapped_text=swapped_text)


def _geometry_page(
    request: HttpRequest,
    farm: Farm,
    form: GeometryForm,
    *,
    declaration_form: DeclarationForm | None = None,
    preview: GeometryCheck | None = None,
    swapped_text: str | None = None,
) -> HttpResponse:
    status, reasons = farm_eudr_status(farm)
    try:
        declaration = farm.deforestation_declaration
    except FarmDeforestationDeclaration.DoesNotExist:
        declaration = None
    context = {
        "farm": farm,
        "form": form,
        "preview": preview,
        "swapped_text": swapped_text,
        "status": status,
        "status_label": EudrStatus(status).label,
        "reasons": reasons,
        "declaration": declaration,
        "declaration_form": declaration_form or DeclarationForm(instance=declaration),
        "geometry_limits": GEOMETRY_LIMITS,
        "map_config": {
            **map_settings(),
            "mode": "farm",
            "farmId": farm.pk,
            "dataUrl": reverse("eudr_map_data"),
            "current": _farm_geometry(farm),
            "preview": preview.geometry if preview else None,
            "strings": map_strings(),
        },
    }
    return render(request, "members/eudr/farm_geometry.html", context)


@role_required(EUDR_EDITORS)
@require_POST
def farm_declaration(request: HttpRequest, pk: int) -> HttpResponse:
    farm = _farm_for_editing(request, pk)
    form = DeclarationForm(request.POST)
    if form.is_valid():
        try:
            farm_declare_land_use(farm=farm, declared_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("The deforestation-free declaration of %(farm)s was saved.") % {"farm": farm.name}
            )
            return redirect("farm_geometry", pk=farm.pk)
    return _geometry_page(request, farm, GeometryForm(), declaration_form=form)


# -- the field app: walking the boundary ----------------------------------------------------------------------


def walk_strings() -> dict:
    return {
        "start": _("Start walking"),
        "stop": _("Stop"),
        "resume": _("Continue"),
        "points": _("Points recorded"),
        "accuracy": _("Accuracy"),
        "toStart": _("Distance to the starting point"),
        "poorAccuracy": _("Waiting for a better GPS signal (accuracy over %(max)d m)…") % {"max": 30},
        "denied": _("The position could not be read: allow location for this site and turn on the GPS."),
        "unsupported": _("This phone's browser cannot give the position."),
        "offline": _(
            "No connection: the boundary needs a connection to be sent. The points stay on this phone; send "
            "them when you are back online."
        ),
        "needThree": _("Walk at least 3 corners of the plot before sending."),
        "confirmDiscard": _("Discard the points recorded for this farm?"),
        "kept": _("Points kept on this phone from an earlier walk"),
    }


@role_required(EUDR_EDITORS)
@require_http_methods(["GET", "POST"])
def field_boundary_walk(request: HttpRequest, pk: int) -> HttpResponse:
    """Walk around the plot with the phone: static/js/boundary_walk.js records the positions (watchPosition)
    and keeps them on the phone; "Send" posts them here (a connection is needed). The line becomes the
    boundary when it ends within 25 m of its start, checked and saved like any geometry."""
    farm = get_object_or_404(farms_in_scope(request.user, EUDR_EDITORS).select_related("region"), pk=pk)
    errors: list[str] = []
    positions_text = ""
    if request.method == "POST":
        positions_text = request.POST.get("positions", "")
        try:
            geometry = _walked_geometry(positions_text)
            check = farm_set_geometry(
                farm=farm, geometry=geometry, source=Farm.GeometrySource.WALKED, recorded_by=request.user
            )
        except ValidationError as error:
            errors = list(error.messages)
        else:
            messages.success(
                request,
                _("The walked boundary of %(farm)s was saved: %(area)s ha measured.")
                % {"farm": farm.name, "area": check.area_ha.quantize(Decimal("0.01"))},
            )
            for warning in check.warnings:
                messages.warning(request, warning)
            return redirect(reverse("field_boundary_walk", args=[farm.pk]) + "?saved=1")
    context = {
        "farm": farm,
        "errors": errors,
        "positions_text": positions_text,
        "saved": request.GET.get("saved") == "1",
        "walk_strings": walk_strings(),
        "field_strings": field_strings(),
    }
    return render(request, "members/eudr/field_boundary_walk.html", context)


def _walked_geometry(text: str) -> dict:
    """The posted positions ([[longitude, latitude, accuracy], ...], numbers as written) as a Polygon."""
    try:
        positions = json.loads(text, parse_float=Decimal, parse_int=Decimal)
        if isinstance(positions, list):
            problem = size_problem(1, len(positions))  # before each position is read
            if problem:
                raise ValidationError(problem.message, code=problem.code)
        line = [[Decimal(position[0]), Decimal(position[1])] for position in positions]
    # RecursionError: positions nested thousands deep, which Python's JSON parser cannot read.
    except (ValueError, TypeError, IndexError, KeyError, InvalidOperation, RecursionError):
        raise ValidationError(_("No walked positions were received: walk the boundary and send it again.")) from None
    if len(line) < 3:
        raise ValidationError(_("Walk at least 3 corners of the plot before sending."))
    return {"type": "Polygon", "coordinates": [line_to_ring(line)]}


# -- the map ----------------------------------------------------------------------------------------------------


@role_required(EUDR_MAP_READERS)
@require_GET
def eudr_map(request: HttpRequest) -> HttpResponse:
    """The farms on a map, coloured by EUDR status (data from eudr_map_data); without JavaScript, the
    readiness table. Cost: the scope, and eudr_readiness (2 queries)."""
    regions = regions_in_scope(request.user, EUDR_MAP_READERS)
    readiness = eudr_readiness(farms_queryset=readiness_farms(regions=regions), programs=programs_in_scope(regions))
    # The geometry page's URL for any farm id, for the popups of users who may record geometries.
    edit_url = reverse("farm_geometry", args=[0]).replace("/0/", "/{id}/")
    config = {
        **map_settings(),
        "mode": "overview",
        "dataUrl": reverse("eudr_map_data"),
        "editUrl": edit_url if has_role(request.user, EUDR_EDITORS) else "",
        "strings": map_strings(),
    }
    return render(request, "members/eudr/map.html", {"eudr_readiness": readiness, "map_config": config})


def _bbox(value: str) -> tuple[float, float, float, float] | None:
    parts = value.split(",")
    if len(parts) != 4:
        return None
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        return None
    if not all(-180 <= x <= 180 for x in (west, east)) or not all(-90 <= y <= 90 for y in (south, north)):
        return None
    if west > east or south > north:
        return None
    return west, south, east, north


@role_required(EUDR_MAP_READERS)
@require_GET
def eudr_map_data(request: HttpRequest) -> JsonResponse:
    """GeoJSON FeatureCollection of the farms in the user's regions, with status and reasons; `bbox`
    (west,south,east,north) narrows to the map's view, `exclude` leaves one farm out (the geometry page
    shows it itself). At most MAP_FEATURE_LIMIT features (`truncated` says when more match). A bad
    `bbox` answers 400. Cost: 4 queries besides the session (user's roles, the scope, farms, overlaps)."""
    bbox = None
    if request.GET.get("bbox"):
        bbox = _bbox(request.GET["bbox"])
        if bbox is None:
            return JsonResponse({"bbox": [_("Give west,south,east,north in decimal degrees.")]}, status=400)
    exclude = request.GET.get("exclude", "")
    result = farm_map.eudr_map_features(
        farms_queryset=farms_in_scope(request.user, EUDR_MAP_READERS),
        bbox=bbox,
        exclude_pk=int(exclude) if exclude.isascii() and exclude.isdigit() and len(exclude) < 18 else None,
    )
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": result.features,
            "truncated": result.truncated,
            "limit": farm_map.MAP_FEATURE_LIMIT,
        },
        json_dumps_params={"ensure_ascii": False},
    )
