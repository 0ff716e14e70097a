"""Partner API list of farm certifications (read-only). Scoped by ApiScope."""

import django_filters
from django.db.models import QuerySet
from rest_framework import serializers

from api.lists import ApiFilterSet, ProgramFilter, RegionFilter, ScopedListViewSet
from api.members import enrolled_in
from certifications.models import Certification, CertificationStatus, StandardCode
from certifications.selectors.certifications import certifications_for_list
from cooperative.models import Crop


class CertificationSerializer(serializers.ModelSerializer):
    farm = serializers.IntegerField(source="farm_id")
    member = serializers.CharField(source="farm.member.code")
    standard = serializers.CharField(source="standard.code")
    historical = serializers.SerializerMethodField()

    class Meta:
        model = Certification
        fields = [
            "id",
            "farm",
            "member",
            "standard",
            "status",
            "conversion_stage",
            "certificate_number",
            "valid_from",
            "valid_until",
            "historical",
            "updated_at",
        ]
        read_only_fields = fields

    def get_historical(self, certification: Certification) -> bool:
        """UTZ merged into Rainforest Alliance in 2018: its certificates are reported as history."""
        return certification.standard.code == StandardCode.UTZ


class CertificationFilterSet(ApiFilterSet):
    region = RegionFilter(field_name="farm__region")
    crop = django_filters.ChoiceFilter(field_name="farm__crop", choices=Crop.choices)
    standard = django_filters.ChoiceFilter(field_name="standard__code", choices=StandardCode.choices)
    status = django_filters.ChoiceFilter(choices=CertificationStatus.choices)
    program = ProgramFilter(method="filter_program")
    valid_until_after = django_filters.DateFilter(field_name="valid_until", lookup_expr="gte")
    valid_until_before = django_filters.DateFilter(field_name="valid_until", lookup_expr="lte")

    class Meta:
        model = Certification
        fields = [
            "region",
            "crop",
            "standard",
            "status",
            "program",
            "valid_until_after",
            "valid_until_before",
            "updated_since",
        ]

    def filter_program(self, queryset: QuerySet[Certification], name: str, value) -> QuerySet[Certification]:
        return queryset.filter(enrolled_in(value, "farm__member"))


class CertificationViewSet(ScopedListViewSet):
    """Certifications of the farms in scope, closed ones included (their status says so).

    Cost: 1 query (the page with farm, member, region and standard joined).
    """

    serializer_class = CertificationSerializer
    filterset_class = CertificationFilterSet
    export_basename = "certifications"

    def get_queryset(self) -> QuerySet[Certification]:
        return certifications_for_list(self.scope.certifications())
