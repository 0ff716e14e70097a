"""Partner API endpoints. Every view derives from ScopedApiMixin: logged, and scoped by ApiScope.

Authentication, permission and throttling come from settings.REST_FRAMEWORK (Bearer token or staff
session; IsPartnerOrStaff; per-client rate).
"""

from django.db.models import QuerySet
from rest_framework import viewsets
from rest_framework.pagination import CursorPagination

from cooperative.api.logging import LoggedApiMixin
from cooperative.api.scope import ApiScope
from cooperative.api.serializers import ProgramSerializer
from cooperative.models import AllianceProgram


class IdCursorPagination(CursorPagination):
    """Cursor pages in primary key order: unique and stable while rows are added."""

    ordering = "id"
    page_size = 50


class ScopedApiMixin(LoggedApiMixin):
    pagination_class = IdCursorPagination

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

    def get_queryset(self) -> QuerySet[AllianceProgram]:
        return self.scope.programs().select_related("partner").prefetch_related("regions", "standards")
