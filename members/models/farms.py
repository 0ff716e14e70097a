"""Farms (plots) of the members, with the EUDR geolocation recorded on them."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import Crop, Region, TimeStampedModel
from members.models.coordinates import coordinates_constraints, coordinates_errors, latitude_field, longitude_field
from members.models.members import Member

# Under 1% of Peruvian coffee producers farm more than 10 ha; a single plot above this is a typing error.
MAX_FARM_HECTARES = Decimal("100")
MIN_ALTITUDE_M, MAX_ALTITUDE_M = 0, 4500


class EudrStatus(models.TextChoices):
    """A farm's EUDR status (the rule: members.eudr.status.eudr_status_expression), stored on the farm."""

    READY = "ready", _("Ready")
    MISSING_GEOMETRY = "missing_geometry", _("Missing geometry")
    FLAGGED = "flagged", _("To review")


class Farm(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        RETIRED = "retired", _("Retired")

    class PreviousCrop(models.TextChoices):
        NONE = "", _("None / new land")
        COCA = "coca", _("Coca")
        COFFEE = "coffee", _("Coffee")
        COCOA = "cocoa", _("Cocoa")
        FOOD_CROPS = "food_crops", _("Food crops")
        PASTURE = "pasture", _("Pasture")
        OTHER = "other", _("Other")

    class ProductionUnit(models.TextChoices):
        # Kilograms are stored; the unit the person typed is kept next to it.
        KG = "kg", _("kilograms")
        QUINTAL = "qq", _("quintals (46 kg)")
        EXPORT_BAG = "bag69", _("export bags (69 kg)")

    UNIT_KG = {"kg": Decimal("1"), "qq": Decimal("46"), "bag69": Decimal("69")}

    class GeometrySource(models.TextChoices):
        GEOJSON = "geojson", _("GeoJSON")
        KML = "kml", _("KML")
        GPX = "gpx", _("GPX")
        DRAWN = "drawn", _("Drawn on the map")
        WALKED = "walked", _("Walked with a phone")

    member = models.ForeignKey(Member, verbose_name=_("member"), on_delete=models.PROTECT, related_name="farms")
    name = models.CharField(_("name"), max_length=120)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="farms")
    district = models.CharField(_("district"), max_length=80, blank=True)
    community = models.CharField(_("community"), max_length=120, blank=True)
    hectares = models.DecimalField(
        _("hectares"),
        max_digits=7,
        decimal_places=2,
        validators=[
            MinValueValidator(Decimal("0.01"), _("The area must be greater than zero.")),
            MaxValueValidator(
                MAX_FARM_HECTARES, _("A single plot above 100 ha is not plausible here; check the figure.")
            ),
        ],
    )
    crop = models.CharField(_("crop"), max_length=10, choices=Crop.choices)
    varieties = models.CharField(_("varieties"), max_length=200, blank=True)
    altitude_m = models.PositiveIntegerField(
        _("altitude (m a.s.l.)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(MAX_ALTITUDE_M, _("The altitude must be at most 4,500 m."))],
    )
    latitude = latitude_field()
    longitude = longitude_field()
    boundary = models.JSONField(
        _("boundary (GeoJSON)"), null=True, blank=True, help_text=_("A GeoJSON Polygon or MultiPolygon in WGS84.")
    )
    planted_year = models.PositiveSmallIntegerField(_("year planted"), null=True, blank=True)
    previous_crop = models.CharField(
        _("previous crop"), max_length=20, choices=PreviousCrop.choices, blank=True, default=""
    )
    crop_changed_on = models.DateField(_("crop transition date"), null=True, blank=True)
    estimated_production_kg = models.DecimalField(
        _("estimated yearly production (kg)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), _("The production cannot be negative."))],
        help_text=_("Dry parchment coffee or dry cocoa beans."),
    )
    production_quantity = models.DecimalField(
        _("estimated yearly production as typed"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    production_unit = models.CharField(
        _("production unit"), max_length=10, choices=ProductionUnit.choices, default=ProductionUnit.KG
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # EUDR geolocation: written only by members.eudr.geolocation.farm_set_geometry, in step with `boundary`
    # and the point, after the EUDR checks (members.geometry.eudr_geometry_problems).
    geometry_source = models.CharField(
        _("geometry source"), max_length=10, choices=GeometrySource.choices, blank=True, default=""
    )
    geometry_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("geometry recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    geometry_recorded_at = models.DateTimeField(_("geometry recorded at"), null=True, blank=True)
    boundary_area_ha = models.DecimalField(
        _("measured area (ha)"),
        max_digits=10,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Geodesic area of the checked boundary (WGS84 ellipsoid)."),
    )
    area_flagged = models.BooleanField(
        _("area to review"),
        default=False,
        help_text=_(
            "When the geometry was recorded, its measured area differed from the declared hectares by more "
            "than 20%. The EUDR status compares the current hectares."
        ),
    )
    # The boundary's bounding box in degrees, for the indexed overlap search
    # (members.eudr.geolocation.overlapping_farms).
    bbox_min_lon = models.FloatField(_("boundary west edge"), null=True, blank=True)
    bbox_min_lat = models.FloatField(_("boundary south edge"), null=True, blank=True)
    bbox_max_lon = models.FloatField(_("boundary east edge"), null=True, blank=True)
    bbox_max_lat = models.FloatField(_("boundary north edge"), null=True, blank=True)
    # A read model of members.eudr.status.eudr_status_expression (the geolocation, hectares and status above, the
    # farm's overlaps with active farms, its declaration), so readiness figures are indexed counts. Written only
    # by members.eudr.status.refresh_eudr_status, in the transaction of every write that changes those inputs;
    # members.read_models.reconcile_farm_eudr_status finds and repairs the rows a write around it left behind.
    eudr_status = models.CharField(
        _("EUDR status"),
        max_length=20,
        choices=EudrStatus.choices,
        default=EudrStatus.MISSING_GEOMETRY,
        editable=False,
    )
    # Derived, and refreshed after the save the history records: the history would only hold stale values.
    history = HistoricalRecords(excluded_fields=["eudr_status"])

    class Meta:
        verbose_name = _("farm")
        verbose_name_plural = _("farms")
        ordering = ["member__code", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(hectares__gt=0), name="members_farm_hectares_positive"),
            models.CheckConstraint(
                condition=Q(hectares__lte=MAX_FARM_HECTARES), name="members_farm_hectares_plausible"
            ),
            models.CheckConstraint(condition=Q(crop__in=["coffee", "cocoa"]), name="members_farm_crop_valid"),
            models.CheckConstraint(
                condition=Q(altitude_m__isnull=True) | Q(altitude_m__lte=MAX_ALTITUDE_M),
                name="members_farm_altitude_plausible",
            ),
            models.CheckConstraint(
                condition=Q(estimated_production_kg__isnull=True) | Q(estimated_production_kg__gte=0),
                name="members_farm_production_not_negative",
            ),
            models.CheckConstraint(condition=Q(status__in=["active", "retired"]), name="members_farm_status_valid"),
            models.CheckConstraint(
                condition=Q(eudr_status__in=["ready", "missing_geometry", "flagged"]),
                name="members_farm_eudr_status_valid",
            ),
            models.UniqueConstraint(fields=["member", "name"], name="members_farm_name_unique_per_member"),
            *coordinates_constraints("members_farm"),
            models.CheckConstraint(
                condition=Q(bbox_min_lon__isnull=True, bbox_min_lat__isnull=True, bbox_max_lon__isnull=True)
                & Q(bbox_max_lat__isnull=True, boundary_area_ha__isnull=True)
                | Q(bbox_min_lon__isnull=False, bbox_min_lat__isnull=False, bbox_max_lon__isnull=False)
                & Q(bbox_max_lat__isnull=False, boundary__isnull=False)
                & Q(
                    bbox_min_lon__lte=F("bbox_max_lon"),
                    bbox_min_lat__lte=F("bbox_max_lat"),
                    boundary_area_ha__gt=0,
                ),
                name="members_farm_checked_boundary_complete",
            ),
        ]
        indexes = [
            # The overlap search: a range on the west edge, then the south edge, read from the index.
            models.Index(fields=["bbox_min_lon", "bbox_min_lat"], name="members_farm_bbox_idx"),
            # EUDR readiness: active farms counted per region and stored status (members.eudr.readiness).
            models.Index(fields=["region", "status", "eudr_status"], name="members_farm_eudr_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.member.code})"

    def save(self, *args, **kwargs) -> None:
        """Save; an existing farm's row is written without `eudr_status` (unless named in update_fields): a farm
        read before its status was refreshed (its own write, a neighbour's) must not write its stale copy back."""
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "eudr_status"
            ]
        super().save(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        errors.update(coordinates_errors(self.latitude, self.longitude))
        this_year = timezone.localdate().year
        if self.planted_year and not (1900 <= self.planted_year <= this_year):
            errors["planted_year"] = _("The planting year must be between 1900 and this year.")
        if self.crop_changed_on and self.crop_changed_on > timezone.localdate():
            errors["crop_changed_on"] = _("The crop transition date cannot be in the future.")
        if self.previous_crop and self.previous_crop == self.crop:
            errors["previous_crop"] = _("The previous crop must differ from the current crop.")
        if self.production_quantity is not None:
            if self.production_quantity < 0:
                errors["production_quantity"] = _("The production cannot be negative.")
            else:
                self.estimated_production_kg = self.production_quantity * self.UNIT_KG[self.production_unit]
                # Field checks ran before clean(): check the computed kilograms against their column too.
                try:
                    self._meta.get_field("estimated_production_kg").clean(self.estimated_production_kg, self)
                except ValidationError as exc:
                    errors["production_quantity"] = exc.messages
        if self.boundary is not None:
            from members.geometry import boundary_errors

            problem = boundary_errors(self.boundary)
            if problem:
                errors["boundary"] = problem
        if errors:
            raise ValidationError(errors)
