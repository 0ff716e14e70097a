"""Serializers of the partner API: the query parameters of the reports in, rows and figures out (no
business logic)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cooperative.models import AllianceProgram, Crop

EMPTY_VALUE = _("Give a value, or leave the parameter out.")


class QueryParamsSerializer(serializers.Serializer):
    """Query parameters, checked like a body: a parameter given empty (`?to=`) answers 400 under its name.

    DRF takes an empty query value of an optional field for a missing one; the schema says what a value
    must be (a date, one of an enum), and leaving the parameter out is the way to not give one.
    """

    def to_internal_value(self, data):
        empty = {name: [EMPTY_VALUE] for name in self.fields if name in data and not str(data.get(name)).strip()}
        try:
            values = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **empty}) from None
        if empty:
            raise serializers.ValidationError(empty)
        return values


class ProgramSerializer(serializers.ModelSerializer):
    partner = serializers.CharField(source="partner.name", read_only=True)
    regions = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    standards = serializers.SlugRelatedField(many=True, read_only=True, slug_field="code")

    class Meta:
        model = AllianceProgram
        fields = [
            "id",
            "code",
            "name",
            "partner",
            "crops",
            "regions",
            "standards",
            "starts_on",
            "ends_on",
            "target_farmers_certified",
            "target_beneficiaries",
        ]
        read_only_fields = fields


class ProgramProgressSerializer(serializers.Serializer):
    """A ProgramProgress (cooperative.selectors): targets against what the records show."""

    id = serializers.IntegerField(source="program.pk")
    program = serializers.CharField(source="program.code")
    enrolled = serializers.IntegerField(source="enrolled_members", help_text="Members with an active enrolment.")
    farmers_certified = serializers.IntegerField()
    target_farmers_certified = serializers.IntegerField()
    project_beneficiaries = serializers.IntegerField(help_text="Beneficiaries of the program's community projects.")
    beneficiaries = serializers.IntegerField(help_text="Enrolled members plus project beneficiaries.")
    target_beneficiaries = serializers.IntegerField()
    certified_percent = serializers.IntegerField(
        allow_null=True, help_text="Whole percent of the target reached, at most 100; null without a target."
    )
    beneficiaries_percent = serializers.IntegerField(
        allow_null=True, help_text="Whole percent of the target reached, at most 100; null without a target."
    )


# -- reports/summary/ ----------------------------------------------------------------------------------


class SummaryParamsSerializer(QueryParamsSerializer):
    """Query parameters of reports/summary/. `from` is a Python keyword, hence get_fields()."""

    program = serializers.CharField(required=False, help_text="Program code or id (within your scope).")
    region = serializers.CharField(required=False, help_text="Region name or 2-digit ubigeo code.")
    crop = serializers.ChoiceField(choices=Crop.choices, required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False, help_text="First day of the period (visits).")
        fields["to"] = serializers.DateField(required=False, help_text="Last day of the period (default: today).")
        return fields


class RegionCountSerializer(serializers.Serializer):
    region = serializers.CharField()
    members = serializers.IntegerField()


class GenderCountSerializer(serializers.Serializer):
    gender = serializers.CharField()
    label = serializers.CharField()
    members = serializers.IntegerField()


class CropMembersSerializer(serializers.Serializer):
    crop = serializers.CharField()
    label = serializers.CharField()
    members = serializers.IntegerField()


class SummaryMembersSerializer(serializers.Serializer):
    total = serializers.IntegerField(help_text="Active members.")
    by_region = RegionCountSerializer(many=True)
    by_crop = CropMembersSerializer(many=True, help_text="A member farming both crops counts under each.")
    by_gender = GenderCountSerializer(many=True)


class CropFarmsSerializer(serializers.Serializer):
    crop = serializers.CharField()
    label = serializers.CharField()
    farms = serializers.IntegerField()
    hectares = serializers.DecimalField(max_digits=14, decimal_places=2)
    production_kg = serializers.DecimalField(max_digits=14, decimal_places=2)
    production_quintales = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="46 kg quintales; coffee only."
    )
    production_export_bags = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True, help_text="69 kg export bags; coffee only."
    )


class SummaryFarmsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Active farms of active members.")
    hectares = serializers.DecimalField(max_digits=14, decimal_places=2)
    by_crop = CropFarmsSerializer(many=True)


class CertificationCountSerializer(serializers.Serializer):
    standard = serializers.CharField()
    standard_name = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    farms = serializers.IntegerField(help_text="Farms whose current certification is in this status.")
    historical = serializers.BooleanField(help_text="The standard accepts nothing new (UTZ, merged in 2018).")


class SummaryCreditSerializer(serializers.Serializer):
    active_loans = serializers.IntegerField()
    total_outstanding = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="S/")
    principal_outstanding = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="S/")
    loans_over_30_days = serializers.IntegerField()
    par30 = serializers.DecimalField(
        max_digits=7, decimal_places=4, help_text="Portfolio at risk over 30 days, a fraction (0.1250 = 12.5 %)."
    )


class VisitCountSerializer(serializers.Serializer):
    purpose = serializers.CharField()
    label = serializers.CharField()
    visits = serializers.IntegerField()


class SummaryVisitsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Farm visits in the period.")
    by_purpose = VisitCountSerializer(many=True)


class SummaryPeriodSerializer(serializers.Serializer):
    def get_fields(self):
        return {"from": serializers.DateField(), "to": serializers.DateField()}


class EudrReadinessRowSerializer(serializers.Serializer):
    farms = serializers.IntegerField(help_text="Active farms.")
    located = serializers.IntegerField(
        help_text="With a valid EUDR geolocation (a checked polygon, or a point ≤ 4 ha)."
    )
    ready = serializers.IntegerField(help_text="EUDR-ready: located, not flagged, declared deforestation-free.")


class EudrRegionReadinessSerializer(EudrReadinessRowSerializer):
    region = serializers.CharField(help_text="The plots' region.")


class EudrProgramReadinessSerializer(EudrReadinessRowSerializer):
    program = serializers.CharField(help_text="Program code (members enrolled, active or completed).")


class SummaryEudrSerializer(EudrReadinessRowSerializer):
    ready_percent = serializers.IntegerField(allow_null=True, help_text="Whole percent; null without farms.")
    by_region = EudrRegionReadinessSerializer(many=True)
    by_program = EudrProgramReadinessSerializer(many=True)


class SummarySerializer(serializers.Serializer):
    as_of = serializers.DateField()
    period = SummaryPeriodSerializer()
    members = SummaryMembersSerializer()
    farms = SummaryFarmsSerializer()
    certifications = CertificationCountSerializer(many=True)
    credit = SummaryCreditSerializer()
    visits = SummaryVisitsSerializer()
    eudr = SummaryEudrSerializer(help_text="EUDR geolocation readiness of the active farms (members.eudr).")
