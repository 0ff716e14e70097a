"""GET /api/v1/eudr/geojson/: the EUDR geolocation file of the client's farms (deliveries.eudr selects them,
members.eudr.geojson writes the file).

Partners (Bearer token) get the farms of their programs' members, staff (session) those of their regions,
as ApiScope decides. The same selection as the staff export page, as query parameters; a bad one answers
400 naming it. Only EUDR-ready farms are in the file; ProducerName only with `producer_name=true` and the
member's consent to share personal data.
"""

from django.db.models import Q
from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from api.schema import TEXT
from api.serializers import QueryParamsSerializer
from api.views import ScopedApiMixin
from cooperative.models import AllianceProgram, Region
from deliveries.eudr import EudrSelection, eudr_export_build, parse_farm_ids
from members.eudr.geojson import GEOJSON_CONTENT_TYPE, ZIP_CONTENT_TYPE


class GeoJSONRenderer(renderers.BaseRenderer):
    """Lets a client ask for `Accept: application/geo+json` (the view answers with the file itself)."""

    media_type = GEOJSON_CONTENT_TYPE
    format = "geojson"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        return renderers.JSONRenderer().render(data)


class ZipRenderer(GeoJSONRenderer):
    media_type = ZIP_CONTENT_TYPE
    format = "zip"


class EudrParamsSerializer(QueryParamsSerializer):
    program = serializers.CharField(required=False, help_text="Program code or id (within your scope).")
    region = serializers.CharField(required=False, help_text="The plots' region: name or 2-digit ubigeo code.")
    farms = serializers.CharField(required=False, help_text="Farm ids, separated by commas.")
    delivered_from = serializers.DateField(required=False, help_text="Farms with a delivery on or after this day.")
    delivered_to = serializers.DateField(required=False, help_text="Farms with a delivery on or before this day.")
    producer_name = serializers.BooleanField(
        required=False, default=False, help_text="Add ProducerName for members who consented to share it."
    )

    def validate_farms(self, value: str) -> tuple[int, ...]:
        try:
            return parse_farm_ids(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, data: dict) -> dict:
        start, end = data.get("delivered_from"), data.get("delivered_to")
        if start and end and start > end:
            raise serializers.ValidationError({"delivered_from": [_("Must not be after “delivered_to”.")]})
        return data


@extend_schema(
    parameters=[
        OpenApiParameter("program", TEXT, description="Program code or id (within your scope)."),
        OpenApiParameter("region", TEXT, description="The plots' region: name or ubigeo code."),
        OpenApiParameter("farms", TEXT, description="Farm ids, separated by commas or spaces (at most 10,000)."),
        OpenApiParameter("delivered_from", OpenApiTypes.DATE, description="Farms with a delivery since this day."),
        OpenApiParameter("delivered_to", OpenApiTypes.DATE, description="Farms with a delivery until this day."),
        OpenApiParameter("producer_name", OpenApiTypes.BOOL, description="ProducerName where the member consents."),
    ],
    responses={
        (200, GEOJSON_CONTENT_TYPE): OpenApiResponse(
            OpenApiTypes.OBJECT, description="A GeoJSON FeatureCollection (RFC 7946), one Feature per plot."
        ),
        (200, ZIP_CONTENT_TYPE): OpenApiResponse(
            OpenApiTypes.BINARY, description="Several FeatureCollections of at most 25 MB each, zipped."
        ),
    },
)
class EudrGeoJsonView(ScopedApiMixin, APIView):
    """The EUDR-ready farms of the selection as GeoJSON (a ZIP of several files past 25 MB each).

    Cost: the export's one query (read in chunks), plus one for each of `program`, `region` and `farms`
    given, besides authentication and the request log.
    """

    pagination_class = None
    renderer_classes = [renderers.JSONRenderer, GeoJSONRenderer, ZipRenderer]

    def handle_exception(self, exc):
        # Errors are JSON, whatever file type was asked for.
        request = self.request
        if getattr(getattr(request, "accepted_renderer", None), "format", None) in ("geojson", "zip"):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = request.accepted_renderer.media_type
        return super().handle_exception(exc)

    def get(self, request: Request) -> FileResponse:
        params = EudrParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        farms = self.scope.farms()
        farm_ids = data.get("farms", ())
        if farm_ids:
            known = set(farms.filter(pk__in=farm_ids).values_list("pk", flat=True))
            unknown = [str(pk) for pk in farm_ids if pk not in known]
            if unknown:
                raise serializers.ValidationError(
                    {"farms": [_("Unknown farms, or outside your scope: %(ids)s") % {"ids": ", ".join(unknown[:20])}]}
                )
        selection = EudrSelection(
            program=self._program(data["program"]) if "program" in data else None,
            region=self._region(data["region"]) if "region" in data else None,
            farm_ids=farm_ids,
            delivered_from=data.get("delivered_from"),
            delivered_to=data.get("delivered_to"),
        )
        export = eudr_export_build(farms_queryset=farms, selection=selection, producer_name=data["producer_name"])
        return FileResponse(export.file, as_attachment=True, filename=export.filename, content_type=export.content_type)

    def _program(self, value: str) -> AllianceProgram:
        match = (
            Q(code=value) | Q(pk=int(value))
            if (value.isascii() and value.isdigit() and len(value) < 18)
            else Q(code=value)
        )
        program = self.scope.programs().filter(match).first()
        if program is None:
            raise serializers.ValidationError({"program": [_("Unknown program, or not one of yours.")]})
        return program

    def _region(self, value: str) -> Region:
        regions = self.scope.regions if self.scope.regions is not None else Region.objects.all()
        region = regions.filter(Q(name__iexact=value) | Q(ubigeo_code=value)).first()
        if region is None:
            raise serializers.ValidationError({"region": [_("Unknown region, or outside your regions.")]})
        return region
