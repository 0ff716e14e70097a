"""reports/summary/: the dashboard's figures for the client's population, and the OpenAPI schema views.

The summary reuses reporting.selectors.dashboard_figures, so a partner's report and a manager's
dashboard count the same way; only the population differs (ApiScope.members(), narrowed by filters).
"""

import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.logging import LoggedApiMixin
from api.schema import TEXT
from api.serializers import SummaryParamsSerializer, SummarySerializer
from api.views import ScopedApiMixin
from certifications.models import StandardCode
from cooperative.models import AllianceProgram, Crop, ProgramEnrollment, Region
from members.eudr.readiness import EudrReadiness, eudr_readiness
from members.models import Farm, Member
from reporting.selectors import ZERO, DashboardFigures, dashboard_figures

# Standards reported as historical: UTZ merged into Rainforest Alliance (2018) and certifies nothing new.
HISTORICAL_STANDARDS = {StandardCode.UTZ}
# The period's default length (visits), as on the staff dashboard.
DEFAULT_PERIOD_DAYS = 30


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes BearerTokenAuthentication in the schema as an HTTP bearer security scheme."""

    target_class = "api.authentication.BearerTokenAuthentication"
    name = "partnerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A partner's API token: `Authorization: Bearer <token>`.",
        }


class SchemaView(LoggedApiMixin, SpectacularAPIView):
    """The OpenAPI 3 schema (YAML; `?format=json` for JSON), for the API's own clients."""


class DocsView(LoggedApiMixin, SpectacularSwaggerSplitView):
    """Swagger UI, its assets served from our static files (drf-spectacular-sidecar).

    The split view serves Swagger UI's start-up script from this URL (?script) instead of inline, and the
    template takes the page's styles from a static file: the Content-Security-Policy allows neither inline.
    """

    template_name = "api/docs.html"


@extend_schema(
    parameters=[
        OpenApiParameter("program", TEXT, description="Program code or id (within your scope)."),
        OpenApiParameter("region", TEXT, description="Region name or 2-digit ubigeo code."),
        OpenApiParameter("crop", OpenApiTypes.STR, enum=Crop.values),
        OpenApiParameter("from", OpenApiTypes.DATE, description="First day of the period (default: to − 29 days)."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Last day of the period (default: today)."),
    ],
    responses=SummarySerializer,
)
class SummaryView(ScopedApiMixin, APIView):
    """Members, farms, certifications, credit and visits of the client's members, narrowed by the filters.

    The period (`from`, `to`) bounds the visits; the other figures are the records' current state.
    `eudr` is the EUDR readiness of the active farms of the same members (members.eudr.readiness.eudr_readiness).
    Bad parameters answer 400 naming the parameter. Cost, on every request: dashboard_figures without the
    dashboard's own figures (6 queries, the visits included) and eudr_readiness (2), plus one for a
    `program` or `region` filter each, besides authentication and the request log.
    """

    pagination_class = None

    def get(self, request: Request) -> Response:
        params = SummaryParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        filters = params.validated_data
        today = timezone.localdate()
        period_to = filters.get("to", today)
        period_from = filters.get("from") or default_period_start(period_to)
        if period_from > period_to:
            raise serializers.ValidationError({"from": [_("Must not be after “to”.")]})

        regions = self.scope.regions if self.scope.regions is not None else Region.objects.all()
        members = self.scope.members()
        period = (period_from, period_to)
        if "program" in filters:
            program = self._program(filters["program"])
            enrolled = ProgramEnrollment.objects.visible_to_partners().filter(member=OuterRef("pk"), program=program)
            members = members.filter(Exists(enrolled))
        if "region" in filters:
            region = self._region(filters["region"], regions)
            regions = Region.objects.filter(pk=region.pk)
        crop = filters.get("crop")
        if crop:
            grows = Farm.objects.filter(member=OuterRef("pk"), crop=crop, status=Farm.Status.ACTIVE)
            members = members.filter(Exists(grows))

        figures = dashboard_figures(
            regions=regions, members=members, as_of=today, visits_period=period, with_dashboard_only=False
        )
        eudr_farms = Farm.objects.filter(
            member__region__in=regions, member__status=Member.Status.ACTIVE, member__in=members
        )
        if crop:
            eudr_farms = eudr_farms.filter(crop=crop)
        data = summary_data(figures, period=period, crop=crop)
        data["eudr"] = eudr_summary(eudr_readiness(farms_queryset=eudr_farms, programs=self.scope.programs()))
        return Response(SummarySerializer(data).data)

    def _program(self, value: str) -> AllianceProgram:
        match = Q(code=value) | Q(pk=int(value)) if (value.isascii() and value.isdigit()) else Q(code=value)
        program = self.scope.programs().filter(match).first()
        if program is None:
            raise serializers.ValidationError({"program": [_("Unknown program, or not one of yours.")]})
        return program

    @staticmethod
    def _region(value: str, in_scope: QuerySet[Region]) -> Region:
        region = in_scope.filter(Q(name__iexact=value) | Q(ubigeo_code=value)).first()
        if region is None:
            raise serializers.ValidationError({"region": [_("Unknown region, or outside your regions.")]})
        return region


def default_period_start(period_to: datetime.date) -> datetime.date:
    """The first day of the default period ending on `period_to` (the first day of the calendar, for a
    `to` in the first days of year 1: the schema allows any date)."""
    try:
        return period_to - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    except OverflowError:
        return datetime.date.min


def eudr_summary(readiness: EudrReadiness) -> dict:
    """The summary's `eudr` part: farms, located and ready, in total, per region and per program."""
    return {
        "farms": readiness.total,
        "located": readiness.located,
        "ready": readiness.ready,
        "ready_percent": readiness.ready_percent,
        "by_region": [
            {"region": row.key, "farms": row.total, "located": row.located, "ready": row.ready}
            for row in readiness.by_region
        ],
        "by_program": [
            {"program": row.key, "farms": row.total, "located": row.located, "ready": row.ready}
            for row in readiness.by_program
        ],
    }


def summary_data(figures: DashboardFigures, *, period: tuple[datetime.date, datetime.date], crop: str | None) -> dict:
    """The summary's shape from the dashboard's figures. With `crop`, farms of that crop only.

    Quintales and 69 kg bags are coffee measures: null for cocoa, reported in kg only.
    """
    crops = [row for row in figures.crops if not crop or row.crop == crop]
    return {
        "as_of": figures.as_of,
        "period": {"from": period[0], "to": period[1]},
        "members": {
            "total": figures.active_members,
            "by_region": [{"region": row.region, "members": row.members} for row in figures.members_by_region],
            "by_crop": [{"crop": row.crop, "label": row.label, "members": row.members} for row in crops],
            "by_gender": [
                {"gender": row.gender, "label": row.label, "members": row.members} for row in figures.members_by_gender
            ],
        },
        "farms": {
            "count": sum(row.farms for row in crops),
            "hectares": sum((row.hectares for row in crops), ZERO),
            "by_crop": [
                {
                    "crop": row.crop,
                    "label": row.label,
                    "farms": row.farms,
                    "hectares": row.hectares,
                    "production_kg": row.production_kg,
                    "production_quintales": row.production_quintales if row.crop == Crop.COFFEE else None,
                    "production_export_bags": row.production_export_bags if row.crop == Crop.COFFEE else None,
                }
                for row in crops
            ],
        },
        "certifications": [
            {
                "standard": row.standard_code,
                "standard_name": row.standard_name,
                "status": row.status,
                "status_label": row.status_label,
                "farms": row.farms,
                "historical": row.standard_code in HISTORICAL_STANDARDS,
            }
            for row in figures.certifications
        ],
        "credit": {
            "active_loans": figures.credit.active_loans,
            "total_outstanding": figures.credit.total_outstanding,
            "principal_outstanding": figures.credit.principal_outstanding,
            "loans_over_30_days": figures.credit.loans_over_30_days,
            "par30": figures.credit.par30,
        },
        "visits": {
            "count": figures.visits,
            "by_purpose": [
                {"purpose": row.purpose, "label": row.label, "visits": row.visits} for row in figures.visits_by_purpose
            ],
        },
    }
