"""Partner API endpoints. Every view derives from ScopedApiMixin: logged, and scoped by ApiScope.

Authentication, permission and throttling come from settings.REST_FRAMEWORK (Bearer token or staff
session; IsPartnerOrStaff; per-client rate).
"""

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from api.logging import LoggedApiMixin
from api.negotiation import FormatNegotiation
from api.schema import ApiAutoSchema
from api.scope import ApiScope
from api.serializers import ProgramProgressSerializer, ProgramSerializer
from cooperative.models import AllianceProgram
from reporting.programs import program_progress


class IdCursorPagination(CursorPagination):
    """Cursor pages in primary key order: unique and stable while rows are added.

    A cursor that is not one of ours answers 400 under `cursor` (DRF answers 404, as if the list did not
    exist).
    """

    ordering = "id"
    page_size = 50

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]}) from None


class ScopedApiMixin(LoggedApiMixin):
    pagination_class = IdCursorPagination
    content_negotiation_class = FormatNegotiation
    schema = ApiAutoSchema()

    @property
    def scope(self) -> ApiScope:
        if not hasattr(self, "_scope"):
            self._scope = ApiScope.for_request(self.request)
        return self._scope


class ProgramViewSet(ScopedApiMixin, viewsets.ReadOnlyModelViewSet):
    """Alliance programs in the client's scope. Read-only: other methods answer 405.

    List: 3 queries (the page with partner joined, its regions, its standards), besides authentication
    and the request log.
    """

    serializer_class = ProgramSerializer
    # Any segment reaches the view, so that an id such as "0.5" answers the API's JSON 404 (DRF's default
    # pattern leaves out dots, for format suffixes this API does not use).
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[AllianceProgram]:
        return self.scope.programs().select_related("partner").prefetch_related("regions", "standards")

    @extend_schema(responses=ProgramProgressSerializer)
    @action(detail=True, pagination_class=None)
    def progress(self, request: Request, pk: str) -> Response:
        """Targets against the records (reporting.programs.program_progress), within the client's scope.

        A partner sees its whole program; a staff user the part of it in their regions (the targets stay
        the program's own). Out of scope: 404. Cost: 6 queries (see program_progress), besides authentication
        and the request log.
        """
        if not (pk.isascii() and pk.isdigit()):
            raise Http404
        rows = program_progress(self.scope.programs().filter(pk=int(pk)), regions=self.scope.regions)
        if not rows:
            raise Http404
        return Response(ProgramProgressSerializer(rows[0]).data)
