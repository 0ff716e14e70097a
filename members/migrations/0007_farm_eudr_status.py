"""Farm.eudr_status: each farm's EUDR status stored on the farm (members.eudr.status.refresh_eudr_status keeps it),
filled from the rows by one set-based UPDATE (seconds at 315,000 farms)."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import Case, Exists, F, OuterRef, Q, Value, When

# The rule as members.eudr.status.eudr_status_expression states it when this migration was written, frozen here
# (with the models of this migration's state) so that later changes to the code cannot change what it did.
POINT_MAX_HECTARES = Decimal("4")
AREA_TOLERANCE = Decimal("0.20")


def fill_eudr_status(apps, schema_editor):
    Farm = apps.get_model("members", "Farm")
    FarmOverlap = apps.get_model("members", "FarmOverlap")
    FarmDeforestationDeclaration = apps.get_model("members", "FarmDeforestationDeclaration")
    located = Q(boundary__isnull=False, boundary_area_ha__isnull=False) | Q(
        latitude__isnull=False, hectares__lte=POINT_MAX_HECTARES
    )
    area_mismatch = Q(boundary_area_ha__gt=F("hectares") * (1 + AREA_TOLERANCE)) | Q(
        boundary_area_ha__lt=F("hectares") * (1 - AREA_TOLERANCE)
    )
    overlaps = Exists(FarmOverlap.objects.filter(farm=OuterRef("pk"), other_farm__status="active"))
    declared_not_forest = Exists(
        FarmDeforestationDeclaration.objects.filter(farm=OuterRef("pk")).exclude(land_use_2020="forest")
    )
    ready = located & Q(status="active") & ~area_mismatch & ~Q(overlaps) & Q(declared_not_forest)
    Farm.objects.update(
        eudr_status=Case(
            When(~located, then=Value("missing_geometry")),
            When(ready, then=Value("ready")),
            default=Value("flagged"),
        )
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0006_member_search_unaccent")]

    operations = [
        migrations.AddField(
            model_name="farm",
            name="eudr_status",
            field=models.CharField(
                choices=[("ready", "Ready"), ("missing_geometry", "Missing geometry"), ("flagged", "To review")],
                default="missing_geometry",
                editable=False,
                max_length=20,
                verbose_name="EUDR status",
            ),
        ),
        migrations.RunPython(fill_eudr_status, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="farm",
            index=models.Index(fields=["region", "status", "eudr_status"], name="members_farm_eudr_idx"),
        ),
        migrations.AddConstraint(
            model_name="farm",
            constraint=models.CheckConstraint(
                condition=models.Q(("eudr_status__in", ["ready", "missing_geometry", "flagged"])),
                name="members_farm_eudr_status_valid",
            ),
        ),
    ]
