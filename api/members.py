"""Partner API lists of members, farms and farm visits, scoped by ApiScope; and the one write of the API:
`POST /api/v1/visits/`, by which the technicians' phones upload the visits recorded offline."""

import datetime
import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

import django_filters
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, Exists, Func, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, parsers, serializers, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from api.lists import (
    EXPORT_CHUNK_SIZE,
    ApiFilterSet,
    CsvExport,
    ProgramFilter,
    RegionFilter,
    ScopedListViewSet,
)
from api.parsers import JSONParser
from api.schema import TEXT
from api.scope import ApiScope
from cooperative.access import VISIT_RECORDERS, has_role
from cooperative.models import AllianceProgram, Crop, ProgramEnrollment
from cooperative.search import folded_contains
from members.field_selectors import field_farm
from members.models import MAX_VISIT_PHOTOS, Farm, FarmVisit, Member, Pest, Practice
from members.services import VisitOutcome, visit_record

PERSONAL_FIELDS = ("first_names", "last_names", "dni", "phone", "birth_date")
# Two decimals of a degree: about 1.1 km, enough for a map of a district, not to find the house.
COARSE_COORDINATES = Decimal("0.01")


def _scope(serializer: serializers.Serializer):
    return serializer.context["view"].scope


def enrolled_in(program: AllianceProgram, member_path: str = "") -> Exists:
    """Rows whose member (at `member_path`, e.g. "farm__member"; "" for a member) has an active or
    completed enrolment in `program`."""
    enrolled = ProgramEnrollment.objects.visible_to_partners().filter(
        member=OuterRef(member_path or "pk"), program=program
    )
    return Exists(enrolled)


# -- members ------------------------------------------------------------------------------------------


class MemberSerializer(serializers.ModelSerializer):
    region = serializers.CharField(source="region.name")
    programs = serializers.SerializerMethodField()

    class Meta:
        model = Member
        fields = [
            "code",
            *PERSONAL_FIELDS,
            "gender",
            "region",
            "district",
            "community",
            "status",
            "joined_on",
            "consents_to_share",
            "programs",
            "updated_at",
        ]
        read_only_fields = fields
        # Null for partners when the member has not consented to share personal data.
        extra_kwargs = {name: {"allow_null": True} for name in PERSONAL_FIELDS}

    def get_programs(self, member: Member) -> list[str]:
        """Codes of the scope's programs the member is enrolled in (prefetched as `scope_enrollments`)."""
        return sorted(enrollment.program.code for enrollment in member.scope_enrollments)

    def to_representation(self, member: Member) -> dict:
        data = super().to_representation(member)
        if not _scope(self).can_see_personal_data(member):
            data.update(dict.fromkeys(PERSONAL_FIELDS))
        return data


@extend_schema_field(
    {
        **TEXT,
        "maxLength": 100,
        "description": "Words that must all appear in the member's names (accents and case ignored), code or DNI.",
    }
)
class SearchFilter(django_filters.CharFilter):
    """Free text of at most 100 characters, split into words (see MemberFilterSet.filter_search)."""


class MemberFilterSet(ApiFilterSet):
    region = RegionFilter(field_name="region")
    crop = django_filters.ChoiceFilter(choices=Crop.choices, method="filter_crop")
    status = django_filters.ChoiceFilter(choices=Member.Status.choices)
    program = ProgramFilter(method="filter_program")
    joined_after = django_filters.DateFilter(field_name="joined_on", lookup_expr="gte")
    joined_before = django_filters.DateFilter(field_name="joined_on", lookup_expr="lte")
    search = SearchFilter(method="filter_search", max_length=100)

    class Meta:
        model = Member
        fields = [
            "region",
            "crop",
            "status",
            "program",
            "joined_after",
            "joined_before",
            "updated_since",
            "search",
        ]

    def filter_crop(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        """Members with at least one farm (active or not) of that crop."""
        return queryset.filter(Exists(Farm.objects.filter(member=OuterRef("pk"), crop=value)))

    def filter_program(self, queryset: QuerySet[Member], name: str, value) -> QuerySet[Member]:
        return queryset.filter(enrolled_in(value))

    def filter_search(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        """As the staff members list: every word in the names (accents and case ignored), code or DNI (at most
        five words). A partner's words match names and DNI only of members who consented to share them (the
        fields it sees), so a search cannot reveal what the response hides; the code matches for everyone."""
        partner = self.request.parser_context["view"].scope.is_partner
        for word in value.split()[:5]:
            personal = folded_contains("first_names", "last_names", word=word) | Q(dni__icontains=word)
            if partner:
                personal &= Q(consents_to_share=True)
            queryset = queryset.filter(personal | Q(code__icontains=word))
        return queryset


class MemberViewSet(ScopedListViewSet):
    """Members in scope. Personal data (names, DNI, phone, birth date) null for a partner when the
    member has not consented to share it.

    Cost: 2 queries (the page with region joined, the scope's enrolments with their programs).
    """

    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet
    export_basename = "members"

    def get_queryset(self) -> QuerySet[Member]:
        enrolments = (
            ProgramEnrollment.objects.visible_to_partners()
            .filter(program__in=self.scope.programs())
            .select_related("program")
        )
        return (
            self.scope.members()
            .select_related("region")
            .prefetch_related(Prefetch("enrollments", queryset=enrolments, to_attr="scope_enrollments"))
        )

    def csv_export(self, queryset: QuerySet[Member]) -> CsvExport:
        """`?format=csv`: the filtered members as `member_csv_export` writes them."""
        return member_csv_export(queryset, scope=self.scope)


# -- members as CSV -----------------------------------------------------------------------------------


class IsoDate(Func):
    """A date as the text DRF's DateField writes ("2026-11-29"), made by the database: PostgreSQL's
    `to_char` (whatever its DateStyle); SQLite stores dates as that text."""

    output_field = CharField()
    template = "CAST(%(expressions)s AS TEXT)"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra_context)


def member_csv_export(queryset: QuerySet[Member], *, scope: ApiScope) -> CsvExport:
    """The members of `queryset` (scoped and filtered) as the CSV of the JSON list: MemberSerializer's
    fields and values, each cell as api.lists._cell writes it (tests/api/test_members_csv_stream.py holds
    them equal, field by field).

    Cost: two queries, whatever the number of members, read side by side in member id order and merged:
    the members with their region's name, and the codes of the scope's programs they are enrolled in (as
    MemberViewSet's `scope_enrollments`). Each is read through a server-side cursor on PostgreSQL
    (QuerySet.iterator: a named cursor, WITH HOLD in autocommit, so that the server keeps the result and
    hands it over EXPORT_CHUNK_SIZE rows at a time): memory stays flat. With DISABLE_SERVER_SIDE_CURSORS (a
    transaction-pooling pgbouncer) the driver receives each whole result at once, and memory grows with it.
    """
    members = (
        queryset.prefetch_related(None)
        .order_by("id")
        .values_list(
            "id",
            "code",
            "first_names",
            "last_names",
            "dni",
            "phone",
            IsoDate("birth_date"),
            "gender",
            "region__name",
            "district",
            "community",
            "status",
            IsoDate("joined_on"),
            "consents_to_share",
            "updated_at",
        )
    )
    enrolments = (
        ProgramEnrollment.objects.visible_to_partners()
        .filter(program__in=scope.programs(), member__in=queryset.values("pk"))
        .order_by("member_id")
        .values_list("member_id", "program__code")
    )
    rows = _member_csv_rows(
        members.iterator(chunk_size=EXPORT_CHUNK_SIZE),
        enrolments.iterator(chunk_size=EXPORT_CHUNK_SIZE),
        hide_without_consent=scope.is_partner,
    )
    return CsvExport(header=list(MemberSerializer.Meta.fields), rows=rows)


def _member_csv_rows(
    members: Iterator[tuple], enrolments: Iterator[tuple[int, str]], *, hide_without_consent: bool
) -> Iterator[tuple]:
    """The cells of each member row, in MemberSerializer's field order, its program codes taken from
    `enrolments` (both in member id order). Personal data are left empty as
    MemberSerializer.to_representation does (ApiScope.can_see_personal_data: a partner sees them only
    with the member's consent). An enrolment of a member not in `members` (registered between the two
    queries) is skipped."""
    zone = timezone.get_current_timezone()
    enrolment = next(enrolments, None)
    for (
        member_id,
        code,
        first_names,
        last_names,
        dni,
        phone,
        birth_date,
        gender,
        region,
        district,
        community,
        member_status,
        joined_on,
        consents,
        updated_at,
    ) in members:
        programs = None
        if enrolment is not None and enrolment[0] <= member_id:
            codes = []
            while enrolment is not None and enrolment[0] <= member_id:
                if enrolment[0] == member_id:
                    codes.append(enrolment[1])
                enrolment = next(enrolments, None)
            # Sorted in Python, as MemberSerializer.get_programs does (the database's collation differs).
            programs = "; ".join(sorted(codes)) or None
        if hide_without_consent and not consents:
            first_names = last_names = dni = phone = birth_date = None
        yield (
            code,
            first_names,
            last_names,
            dni,
            phone,
            birth_date,
            gender,
            region,
            district,
            community,
            member_status,
            joined_on,
            "true" if consents else "false",
            programs,
            _iso_datetime(updated_at, zone),
        )


def _iso_datetime(value: datetime.datetime, zone: datetime.tzinfo) -> str:
    """As DRF's DateTimeField writes it: in the current time zone, ISO 8601, "Z" for UTC."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# -- farms --------------------------------------------------------------------------------------------


class FarmSerializer(serializers.ModelSerializer):
    member = serializers.CharField(source="member.code")
    region = serializers.CharField(source="region.name")

    class Meta:
        model = Farm
        fields = [
            "id",
            "member",
            "name",
            "region",
            "crop",
            "hectares",
            "varieties",
            "altitude_m",
            "latitude",
            "longitude",
            "estimated_production_kg",
            "status",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, farm: Farm) -> dict:
        data = super().to_representation(farm)
        if not _scope(self).can_see_personal_data(farm.member):
            for field in ("latitude", "longitude"):
                value = getattr(farm, field)
                data[field] = None if value is None else str(value.quantize(COARSE_COORDINATES, ROUND_HALF_UP))
        return data


class FarmFilterSet(ApiFilterSet):
    region = RegionFilter(field_name="region")
    crop = django_filters.ChoiceFilter(choices=Crop.choices)
    status = django_filters.ChoiceFilter(choices=Farm.Status.choices)
    program = ProgramFilter(method="filter_program")

    class Meta:
        model = Farm
        fields = ["region", "crop", "status", "program", "updated_since"]

    def filter_program(self, queryset: QuerySet[Farm], name: str, value) -> QuerySet[Farm]:
        return queryset.filter(enrolled_in(value, "member"))


class FarmViewSet(ScopedListViewSet):
    """Farms of the members in scope. Exact coordinates only where the member consented (for partners);
    otherwise rounded to 0.01° (about 1 km).

    Cost: 1 query (the page with member and region joined).
    """

    serializer_class = FarmSerializer
    filterset_class = FarmFilterSet
    export_basename = "farms"

    def get_queryset(self) -> QuerySet[Farm]:
        return self.scope.farms().select_related("member", "region")


# -- visits -------------------------------------------------------------------------------------------


class PestSerializer(serializers.Serializer):
    pest = serializers.CharField()
    severity = serializers.IntegerField()


class FarmVisitSerializer(serializers.ModelSerializer):
    farm = serializers.IntegerField(source="farm_id")
    member = serializers.CharField(source="farm.member.code")
    pests = PestSerializer(source="pest_observations", many=True)
    technician = serializers.SerializerMethodField()

    class Meta:
        model = FarmVisit
        fields = [
            "id",
            "client_uuid",
            "farm",
            "member",
            "visited_on",
            "purpose",
            "practices_observed",
            "pests",
            "estimated_yield_kg",
            "follow_up_on",
            "technician",
            "updated_at",
        ]
        read_only_fields = fields

    def get_technician(self, visit: FarmVisit) -> str | None:
        """The technician's username for staff; partners get no staff identity."""
        return None if _scope(self).is_partner else visit.technician.username


class FarmVisitFilterSet(ApiFilterSet):
    region = RegionFilter(field_name="farm__region")
    crop = django_filters.ChoiceFilter(field_name="farm__crop", choices=Crop.choices)
    purpose = django_filters.ChoiceFilter(choices=FarmVisit.Purpose.choices)
    program = ProgramFilter(method="filter_program")
    visited_after = django_filters.DateFilter(field_name="visited_on", lookup_expr="gte")
    visited_before = django_filters.DateFilter(field_name="visited_on", lookup_expr="lte")

    class Meta:
        model = FarmVisit
        fields = ["region", "crop", "purpose", "program", "visited_after", "visited_before", "updated_since"]

    def filter_program(self, queryset: QuerySet[FarmVisit], name: str, value) -> QuerySet[FarmVisit]:
        return queryset.filter(enrolled_in(value, "farm__member"))


class CanRecordVisits(BasePermission):
    """A logged-in technician or manager; partners' tokens and other staff roles get 403."""

    message = _("Only field technicians and managers can record visits.")

    def has_permission(self, request: Request, view) -> bool:
        return has_role(request.user, VISIT_RECORDERS)


class PestInputSerializer(serializers.Serializer):
    pest = serializers.ChoiceField(choices=Pest.choices)
    severity = serializers.IntegerField(
        min_value=0,
        max_value=3,
        error_messages={
            "min_value": _("Severity goes from 0 (absent) to 3 (severe)."),
            "max_value": _("Severity goes from 0 (absent) to 3 (severe)."),
        },
    )


class CoordinateField(serializers.DecimalField):
    """WGS84 degrees with 6 decimals (about 0.1 m). Phones report 15: they are rounded, not refused."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=9, decimal_places=6, required=False, allow_null=True, **kwargs)

    def to_internal_value(self, data):
        try:
            rounded = Decimal(str(data).strip()).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        except (ArithmeticError, ValueError, TypeError):
            self.fail("invalid")
        return super().to_internal_value(str(rounded))


class FarmVisitInputSerializer(serializers.Serializer):
    """A visit as the phone sends it. Field checks here; the rest (dates, pests of the crop, retired farm)
    in members.services.visit_record, whose errors answer 400 under the same field names."""

    client_uuid = serializers.UUIDField()
    farm = serializers.IntegerField(min_value=1)
    visited_on = serializers.DateField()
    purpose = serializers.ChoiceField(choices=FarmVisit.Purpose.choices)
    practices_observed = serializers.ListField(
        child=serializers.ChoiceField(choices=Practice.choices), required=False, max_length=len(Practice.choices)
    )
    pests = PestInputSerializer(many=True, required=False, max_length=len(Pest.choices))
    estimated_yield_kg = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False, allow_null=True
    )
    recommendations = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    follow_up_on = serializers.DateField(required=False, allow_null=True)
    latitude = CoordinateField()
    longitude = CoordinateField()

    def validate_pests(self, pests: list[dict]) -> dict[str, int]:
        codes = [item["pest"] for item in pests]
        if len(set(codes)) != len(codes):
            raise serializers.ValidationError(_("A pest or disease is listed twice."))
        return {item["pest"]: item["severity"] for item in pests}


class VisitConflictSerializer(serializers.Serializer):
    """The 409 answers of the visit upload (for the schema): see FarmVisitViewSet."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=[VisitOutcome.REPLAY_DIFFERS.value, VisitOutcome.UUID_TAKEN.value])
    visit = FarmVisitSerializer(allow_null=True)


class FarmVisitViewSet(ScopedListViewSet):
    """Farm visits to the farms in scope, with the pests observed.

    List cost: 2 queries (the page with farm, member and technician joined; the pest observations).

    Create (`POST`, technicians and managers with their session): a visit recorded on a phone, once per
    `client_uuid`. JSON, or multipart with the visit as JSON in the `visit` part and up to 3 `photos`.
    Checked in this order: the role (403), the input (400), the farm in the user's regions (404, a replay
    too), then members.services.visit_record, which alone decides what a known `client_uuid` means:
    - 201 and the stored visit when it is new.
    - 200 and the stored visit, untouched, when the same user already stored that UUID with the same
      content (a retry after a lost answer, or two uploads at once). Photos are not compared: a retry
      may or may not resend them, and the stored ones stay.
    - 409 `{"detail": "...", "code": "replay_differs", "visit": {...}}` when the same user already stored
      that UUID with other content: nothing is changed, and `visit` is the stored visit as the list shows
      it (null if its farm has left the user's regions since).
    - 409 `{"detail": "...", "code": "uuid_taken", "visit": null}` for a UUID of another user's visit, which
      is never shown.
    - 400 with field errors for bad input (a future date, a severity outside 0-3, a pest of another crop,
      a retired farm, a `visit` part that is not a JSON object).
    """

    serializer_class = FarmVisitSerializer
    filterset_class = FarmVisitFilterSet
    export_basename = "visits"
    # The bounded JSON parser (deep nesting and out-of-range numbers answer 400), or multipart with photos.
    parser_classes = [JSONParser, parsers.MultiPartParser]

    def get_permissions(self):
        if self.action == "create":
            return [*super().get_permissions(), CanRecordVisits()]
        return super().get_permissions()

    def get_queryset(self) -> QuerySet[FarmVisit]:
        return self.scope.visits().select_related("farm__member", "technician").prefetch_related("pest_observations")

    @extend_schema(
        request=FarmVisitInputSerializer,
        responses={
            201: FarmVisitSerializer,
            200: OpenApiResponse(FarmVisitSerializer, description=_("Already stored: the stored visit.")),
            409: OpenApiResponse(
                VisitConflictSerializer,
                description=_(
                    "Not stored. Code replay_differs: this UUID was already stored with other content; the stored "
                    "visit is returned unchanged. Code uuid_taken: the UUID is another user's (no visit returned)."
                ),
            ),
        },
    )
    def create(self, request: Request, *args, **kwargs) -> Response:
        serializer = FarmVisitInputSerializer(data=self._visit_data(request))
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        photos = request.FILES.getlist("photos") if request.FILES else []
        if len(photos) > MAX_VISIT_PHOTOS:
            raise exceptions.ValidationError(
                {"photos": [_("At most %(max)d photos per visit.") % {"max": MAX_VISIT_PHOTOS}]}
            )
        farm_id = values.pop("farm")
        farm = field_farm(user=request.user, pk=farm_id)
        if farm is None:
            raise exceptions.NotFound(_("There is no farm %(farm)s in your regions.") % {"farm": farm_id})
        try:
            result = visit_record(
                farm=farm, technician=request.user, pests=values.pop("pests", {}), photos=photos, **values
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_field_errors(error)) from None
        if result.outcome is VisitOutcome.CREATED:
            return Response(self._representation(result.visit), status=status.HTTP_201_CREATED)
        if result.outcome is VisitOutcome.REPLAYED:
            return Response(self._representation(result.visit), status=status.HTTP_200_OK)
        if result.outcome is VisitOutcome.REPLAY_DIFFERS:
            body = {
                "detail": _("This visit was already stored with other data; the stored visit is returned unchanged."),
                "code": VisitOutcome.REPLAY_DIFFERS.value,
                "visit": self._representation(result.visit),
            }
            return Response(body, status=status.HTTP_409_CONFLICT)
        body = {"detail": _UUID_TAKEN, "code": VisitOutcome.UUID_TAKEN.value, "visit": None}
        return Response(body, status=status.HTTP_409_CONFLICT)

    def _visit_data(self, request: Request) -> dict:
        if request.content_type.startswith("multipart/"):
            raw = request.data.get("visit")
            try:
                data = json.loads(raw) if isinstance(raw, str) else None
            except (ValueError, RecursionError):
                # RecursionError: a part nested thousands of levels deep ("[[[[...") exhausts the parser's
                # stack; it is bad input like any other, not a server error.
                data = None
            if not isinstance(data, dict):
                raise exceptions.ValidationError({"visit": [_("Send the visit as a JSON object in this part.")]})
            return data
        if not isinstance(request.data, dict):
            raise exceptions.ValidationError(
                {api_settings.NON_FIELD_ERRORS_KEY: [_("Send the visit as a JSON object.")]}
            )
        return request.data

    def _representation(self, visit: FarmVisit) -> dict | None:
        """The stored visit as the list shows it, read through the user's scope (one query for the visit,
        one for its pests); None when it is no longer in scope."""
        visit = self.get_queryset().filter(pk=visit.pk).first()
        if visit is None:
            return None
        return FarmVisitSerializer(visit, context=self.get_serializer_context()).data


_UUID_TAKEN = _("This visit identifier is already used by another user's visit.")


def _field_errors(error: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as DRF's field errors (non-field ones under the usual key)."""
    if hasattr(error, "error_dict"):
        return {
            (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): messages
            for name, messages in error.message_dict.items()
        }
    return {api_settings.NON_FIELD_ERRORS_KEY: error.messages}
