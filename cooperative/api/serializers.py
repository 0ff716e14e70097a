"""Output serializers of the partner API (read-only, no business logic)."""

from rest_framework import serializers

from cooperative.models import AllianceProgram


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
