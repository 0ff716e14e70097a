"""Partner API lists of members, farms and farm visits (read-only). Scoped by ApiScope."""

from decimal import ROUND_HALF_UP, Decimal

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from rest_framework import serializers

from cooperative.api.lists import ApiFilterSet, ProgramFilter, RegionFilter, ScopedListViewSet
from cooperative.api.scope import PARTNER_VISIBLE_ENROLMENTS
from cooperative.models import AllianceProgram, Crop, ProgramEnrollment
from members.models import Farm, FarmVisit, Member

PERSONAL_FIELDS = ("first_names", "last_names", "dni", "phone", "birth_date")
# Two decimals of a degree: about 1.1 km, enough for a map of a district, not to find the house.
COARSE_COORDINATES = Decimal("0.01")


def _scope(serializer: serializers.Serializer):
    return serializer.context["view"].scope


def enrolled_in(program: AllianceProgram, member_path: str = "") -> Exists:
    """Rows whose member (at `member_path`, e.g. "farm__member"; "" for a member) has an active or
    completed enrolment in `program`."""
    enrolled = ProgramEnrollment.objects.filter(
        member=OuterRef(member_path or "pk"),
        program=program,
        status__in=PARTNER_VISIBLE_ENROLMENTS,
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


class MemberFilterSet(ApiFilterSet):
    region = RegionFilter(field_name="region")
    crop = django_filters.ChoiceFilter(choices=Crop.choices, method="filter_crop")
    status = django_filters.ChoiceFilter(choices=Member.Status.choices)
    program = ProgramFilter(method="filter_program")
    joined_after = django_filters.DateFilter(field_name="joined_on", lookup_expr="gte")
    joined_before = django_filters.DateFilter(field_name="joined_on", lookup_expr="lte")

    class Meta:
        model = Member
        fields = ["region", "crop", "status", "program", "joined_after", "joined_before", "updated_since"]

    def filter_crop(self, queryset: QuerySet[Member], name: str, value: str) -> QuerySet[Member]:
        """Members with at least one farm (active or not) of that crop."""
        return queryset.filter(Exists(Farm.objects.filter(member=OuterRef("pk"), crop=value)))

    def filter_program(self, queryset: QuerySet[Member], name: str, value) -> QuerySet[Member]:
        return queryset.filter(enrolled_in(value))


class MemberViewSet(ScopedListViewSet):
    """Members in scope. Personal data (names, DNI, phone, birth date) null for a partner when the
    member has not consented to share it.

    Cost: 2 queries (the page with region joined, the scope's enrolments with their programs).
    """

    serializer_class = MemberSerializer
    filterset_class = MemberFilterSet
    export_basename = "members"

    def get_queryset(self) -> QuerySet[Member]:
        enrolments = ProgramEnrollment.objects.filter(
            program__in=self.scope.programs(), status__in=PARTNER_VISIBLE_ENROLMENTS
        ).select_related("program")
        return (
            self.scope.members()
            .select_related("region")
            .prefetch_related(Prefetch("enrollments", queryset=enrolments, to_attr="scope_enrollments"))
        )


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


class FarmVisitViewSet(ScopedListViewSet):
    """Farm visits to the farms in scope, with the pests observed.

    Cost: 2 queries (the page with farm, member and technician joined; the pest observations).
    """

    serializer_class = FarmVisitSerializer
    filterset_class = FarmVisitFilterSet
    export_basename = "visits"

    def get_queryset(self) -> QuerySet[FarmVisit]:
        return self.scope.visits().select_related("farm__member", "technician").prefetch_related("pest_observations")
