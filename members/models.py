"""Members (farmers), their farms (plots) and the technicians' farm visits."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import Crop, Region, TimeStampedModel
from members.validators import (
    PERU_LATITUDE,
    PERU_LONGITUDE,
    normalize_dni,
    validate_dni,
    validate_latitude_in_peru,
    validate_longitude_in_peru,
)

# Under 1% of Peruvian coffee producers farm more than 10 ha; a single plot above this is a typing error.
MAX_FARM_HECTARES = Decimal("100")
MIN_ALTITUDE_M, MAX_ALTITUDE_M = 0, 4500

ubigeo_validator = RegexValidator(r"^\d{6}$", _("A ubigeo has 6 digits: department, province, district."))


def _coordinates_constraints(prefix: str) -> list[models.CheckConstraint]:
    """Latitude and longitude come together, inside Peru (WGS84 decimal degrees)."""
    lat_low, lat_high = PERU_LATITUDE
    lon_low, lon_high = PERU_LONGITUDE
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name=f"{prefix}_coordinates_paired",
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True)
            | Q(latitude__gte=lat_low, latitude__lte=lat_high, longitude__gte=lon_low, longitude__lte=lon_high),
            name=f"{prefix}_coordinates_in_peru",
        ),
    ]


def latitude_field() -> models.DecimalField:
    """WGS84 decimal degrees with 6 decimals (about 0.1 m), as the EUDR asks."""
    return models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[validate_latitude_in_peru]
    )


def longitude_field() -> models.DecimalField:
    return models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[validate_longitude_in_peru]
    )


def coordinates_errors(latitude: Decimal | None, longitude: Decimal | None) -> dict[str, str]:
    if (latitude is None) == (longitude is None):
        return {}
    return {"longitude" if longitude is None else "latitude": _("Give both latitude and longitude, or neither.")}


class Gender(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    OTHER = "other", _("Other / not stated")


class Member(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        INACTIVE = "inactive", _("Inactive")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class UbigeoSource(models.TextChoices):
        INEI = "inei", _("INEI")
        RENIEC = "reniec", _("RENIEC")

    code = models.CharField(_("member code"), max_length=20, unique=True)
    first_names = models.CharField(_("first names"), max_length=100)
    last_names = models.CharField(_("last names"), max_length=100)
    dni = models.CharField(
        _("DNI"),
        max_length=10,
        null=True,
        blank=True,
        validators=[validate_dni],
        help_text=_("8 digits, optionally with the check character. Leave empty if unknown."),
    )
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="members")
    district = models.CharField(_("district"), max_length=80, blank=True)
    community = models.CharField(_("community"), max_length=120, blank=True)
    ubigeo = models.CharField(_("ubigeo"), max_length=6, blank=True, validators=[ubigeo_validator])
    ubigeo_source = models.CharField(
        _("ubigeo code list"), max_length=10, choices=UbigeoSource.choices, default=UbigeoSource.INEI
    )
    joined_on = models.DateField(_("joined on"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("withdrawal reason"), blank=True)
    consents_to_share = models.BooleanField(_("consents to share personal data with partners"), default=False)
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["dni"],
                condition=Q(dni__isnull=False),
                name="members_member_dni_unique",
                violation_error_code="dni",
                violation_error_message=_("Another member is registered with this DNI."),
            ),
            models.CheckConstraint(condition=~Q(dni=""), name="members_member_dni_null_not_blank"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "inactive", "withdrawn"]), name="members_member_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(consents_to_share=False) | Q(consent_date__isnull=False),
                name="members_member_consent_dated",
            ),
            models.CheckConstraint(
                condition=~Q(status="withdrawn") | Q(withdrawn_on__isnull=False),
                name="members_member_withdrawal_dated",
            ),
            models.CheckConstraint(
                condition=Q(ubigeo="") | Q(ubigeo__regex=r"^[0-9]{6}$"), name="members_member_ubigeo_six_digits"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_names} {self.last_names}".strip()

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        if self.dni == "":
            self.dni = None
        if self.dni:
            self.dni = normalize_dni(self.dni)
        today = timezone.localdate()
        if self.joined_on and self.joined_on > today:
            errors["joined_on"] = _("The joining date cannot be in the future.")
        if self.birth_date and self.birth_date > today:
            errors["birth_date"] = _("The birth date cannot be in the future.")
        if self.birth_date and self.joined_on and self.birth_date >= self.joined_on:
            errors["birth_date"] = _("The birth date must be before the joining date.")
        if self.consents_to_share and not self.consent_date:
            errors["consent_date"] = _("Record the date on which the member gave consent.")
        if self.consent_date and self.consent_date > today:
            errors["consent_date"] = _("The consent date cannot be in the future.")
        if self.status == self.Status.WITHDRAWN and not self.withdrawn_on:
            errors["withdrawn_on"] = _("A withdrawn member needs the withdrawal date.")
        # INEI and RENIEC number districts differently: only an INEI code must start with the department.
        if (
            self.ubigeo
            and self.region_id
            and self.ubigeo_source == self.UbigeoSource.INEI
            and not self.ubigeo.startswith(self.region.ubigeo_code)
        ):
            errors["ubigeo"] = _("The ubigeo does not belong to the member's region.")
        if errors:
            raise ValidationError(errors)


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
    # EUDR geolocation: written only by members.eudr.farm_set_geometry, in step with `boundary` and the
    # point, after the EUDR checks (members.geometry.eudr_geometry_problems).
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
    # The boundary's bounding box in degrees, for the indexed overlap search (members.eudr.overlapping_farms).
    bbox_min_lon = models.FloatField(_("boundary west edge"), null=True, blank=True)
    bbox_min_lat = models.FloatField(_("boundary south edge"), null=True, blank=True)
    bbox_max_lon = models.FloatField(_("boundary east edge"), null=True, blank=True)
    bbox_max_lat = models.FloatField(_("boundary north edge"), null=True, blank=True)
    history = HistoricalRecords()

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
            models.UniqueConstraint(fields=["member", "name"], name="members_farm_name_unique_per_member"),
            *_coordinates_constraints("members_farm"),
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
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.member.code})"

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


class Practice(models.TextChoices):
    COMPOSTING = "composting", _("Composting")
    PRUNING = "pruning_renovation", _("Pruning and renovation")
    SHADE = "shade_management", _("Shade management")
    SOIL = "soil_conservation", _("Soil conservation")
    IPM = "integrated_pest_management", _("Integrated pest management")
    POST_HARVEST = "fermentation_drying", _("Fermentation and drying")


class Pest(models.TextChoices):
    LEAF_RUST = "leaf_rust", _("Leaf rust (roya amarilla)")
    BERRY_BORER = "berry_borer", _("Coffee berry borer (broca)")
    LEAF_SPOT = "american_leaf_spot", _("American leaf spot (ojo de gallo)")
    FROSTY_POD = "frosty_pod_rot", _("Frosty pod rot (moniliasis)")
    WITCHES_BROOM = "witches_broom", _("Witches' broom (escoba de bruja)")
    BLACK_POD = "black_pod", _("Black pod (Phytophthora)")
    POD_BORER = "pod_borer", _("Pod borer (mazorquero, Carmenta foraseminis)")


PESTS_BY_CROP = {
    Crop.COFFEE: {Pest.LEAF_RUST, Pest.BERRY_BORER, Pest.LEAF_SPOT},
    Crop.COCOA: {Pest.FROSTY_POD, Pest.WITCHES_BROOM, Pest.BLACK_POD, Pest.POD_BORER},
}


class FarmVisit(TimeStampedModel):
    class Purpose(models.TextChoices):
        DIAGNOSIS = "diagnosis", _("Diagnosis")
        FOLLOW_UP = "follow_up", _("Follow-up")
        TRAINING = "training", _("Training")
        CERTIFICATION_PREP = "certification_prep", _("Certification preparation")
        CREDIT_FOLLOW_UP = "credit_follow_up", _("Credit follow-up")

    client_uuid = models.UUIDField(
        _("client UUID"),
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text=_("Generated on the phone so a retried upload is stored once."),
    )
    farm = models.ForeignKey(Farm, verbose_name=_("farm"), on_delete=models.PROTECT, related_name="visits")
    technician = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("technician"),
        on_delete=models.PROTECT,
        related_name="farm_visits",
    )
    visited_on = models.DateField(_("visit date"))
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices)
    practices_observed = models.JSONField(_("good practices observed"), default=list, blank=True)
    estimated_yield_kg = models.DecimalField(
        _("estimated yield (kg)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"), _("The yield cannot be negative."))],
    )
    recommendations = models.TextField(_("recommendations"), blank=True)
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    latitude = latitude_field()
    longitude = longitude_field()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("farm visit")
        verbose_name_plural = _("farm visits")
        ordering = ["-visited_on", "-id"]
        # The visits of a period by purpose (dashboard, summary report) read this index alone.
        indexes = [models.Index(fields=["visited_on", "farm", "purpose"], name="members_visit_day_farm_purpose")]
        constraints = [
            models.CheckConstraint(
                condition=Q(follow_up_on__isnull=True) | Q(follow_up_on__gte=F("visited_on")),
                name="members_farmvisit_follow_up_after_visit",
            ),
            models.CheckConstraint(
                condition=Q(estimated_yield_kg__isnull=True) | Q(estimated_yield_kg__gte=0),
                name="members_farmvisit_yield_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    purpose__in=["diagnosis", "follow_up", "training", "certification_prep", "credit_follow_up"]
                ),
                name="members_farmvisit_purpose_valid",
            ),
            *_coordinates_constraints("members_farmvisit"),
        ]

    def __str__(self) -> str:
        return f"{self.farm} – {self.visited_on}"

    @property
    def practice_labels(self) -> list[str]:
        """The good practices observed, as their labels in the current language."""
        labels = dict(Practice.choices)
        return [str(labels.get(code, code)) for code in self.practices_observed]

    def clean(self) -> None:
        super().clean()
        errors: dict[str, object] = {}
        if self.visited_on and self.visited_on > timezone.localdate():
            errors["visited_on"] = _("The visit date cannot be in the future.")
        if self.follow_up_on and self.visited_on and self.follow_up_on < self.visited_on:
            errors["follow_up_on"] = _("The follow-up date cannot be before the visit.")
        practices = self.practices_observed
        if not isinstance(practices, list) or not set(practices) <= set(Practice.values):
            errors["practices_observed"] = _("Unknown good practice.")
        elif len(set(practices)) != len(practices):
            errors["practices_observed"] = _("A practice is listed twice.")
        errors.update(coordinates_errors(self.latitude, self.longitude))
        if errors:
            raise ValidationError(errors)


class VisitPestObservation(models.Model):
    """A pest or disease seen on a visit, with severity 0 (absent) to 3 (severe)."""

    visit = models.ForeignKey(
        FarmVisit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="pest_observations"
    )
    pest = models.CharField(_("pest or disease"), max_length=30, choices=Pest.choices)
    severity = models.PositiveSmallIntegerField(
        _("severity"),
        validators=[MaxValueValidator(3, _("Severity goes from 0 (absent) to 3 (severe)."))],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("pest observation")
        verbose_name_plural = _("pest observations")
        ordering = ["visit", "pest"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "pest"], name="members_pestobservation_unique_per_visit"),
            models.CheckConstraint(
                condition=Q(severity__gte=0, severity__lte=3), name="members_pestobservation_severity_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_pest_display()}: {self.severity}"

    def clean(self) -> None:
        super().clean()
        if self.visit_id and self.pest and self.pest not in PESTS_BY_CROP.get(self.visit.farm.crop, set()):
            raise ValidationError({"pest": _("This pest or disease does not affect the farm's crop.")})


# Photos arrive from phones (often 4000 px, several MB) and are stored resized, as JPEG.
MAX_VISIT_PHOTOS = 3
MAX_PHOTO_UPLOAD_BYTES = 10 * 1024 * 1024
PHOTO_MAX_SIDE_PX = 1600


def visit_photo_path(photo: "VisitPhoto", filename: str) -> str:
    return f"visits/{photo.visit.visited_on:%Y/%m}/{photo.visit.client_uuid}-{photo.position}.jpg"


class VisitPhoto(models.Model):
    """One of up to three photos of a visit, resized on the server (longest side 1600 px, JPEG).

    Served only through a view that checks the viewer's scope, never as a public media URL.
    """

    visit = models.ForeignKey(FarmVisit, verbose_name=_("visit"), on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(_("position"))
    image = models.ImageField(_("photo"), upload_to=visit_photo_path, width_field="width", height_field="height")
    width = models.PositiveIntegerField(_("width (px)"), default=0)
    height = models.PositiveIntegerField(_("height (px)"), default=0)

    class Meta:
        verbose_name = _("visit photo")
        verbose_name_plural = _("visit photos")
        ordering = ["visit", "position"]
        constraints = [
            models.UniqueConstraint(fields=["visit", "position"], name="members_visitphoto_unique_position"),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=MAX_VISIT_PHOTOS), name="members_visitphoto_position_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.visit} – {self.position}"


# -- EUDR ------------------------------------------------------------------------------------------------


class FarmOverlap(models.Model):
    """Two farms whose boundaries overlap by more than the tolerance (members.eudr.OVERLAP_MIN_HA and
    OVERLAP_SHARE). Derived data: stored in both directions, and rewritten by farm_set_geometry for the
    farm whose geometry changes, so both farms are flagged for review until one of them is corrected."""

    farm = models.ForeignKey(Farm, verbose_name=_("farm"), on_delete=models.CASCADE, related_name="overlaps")
    other_farm = models.ForeignKey(Farm, verbose_name=_("other farm"), on_delete=models.CASCADE, related_name="+")
    overlap_ha = models.DecimalField(_("overlap (ha)"), max_digits=10, decimal_places=4)
    detected_at = models.DateTimeField(_("detected at"), auto_now_add=True)

    class Meta:
        verbose_name = _("farm overlap")
        verbose_name_plural = _("farm overlaps")
        ordering = ["farm", "-overlap_ha"]
        constraints = [
            models.UniqueConstraint(fields=["farm", "other_farm"], name="members_farmoverlap_unique_pair"),
            models.CheckConstraint(condition=~Q(farm=F("other_farm")), name="members_farmoverlap_two_farms"),
            models.CheckConstraint(condition=Q(overlap_ha__gt=0), name="members_farmoverlap_area_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.farm_id} ∩ {self.other_farm_id}: {self.overlap_ha} ha"


class LandUse2020(models.TextChoices):
    """Land use of a plot on the EUDR cut-off date, 31 December 2020."""

    COFFEE_COCOA_AGROFORESTRY = "coffee_cocoa_agroforestry", _("Already coffee or cocoa (agroforestry)")
    OTHER_AGRICULTURE = "other_agriculture", _("Other agriculture")
    PASTURE = "pasture", _("Pasture")
    FOREST = "forest", _("Forest")
    OTHER = "other", _("Other")


class FarmDeforestationDeclaration(TimeStampedModel):
    """The cooperative's declaration of a plot's land use on 31 December 2020 (the EUDR cut-off date), with
    the evidence it rests on. A plot that was forest then is not deforestation-free: not EUDR-ready.
    One per farm, replaced by members.eudr.farm_declare_land_use; earlier versions stay in the history
    (the EUDR keeps records 5 years)."""

    farm = models.OneToOneField(
        Farm, verbose_name=_("farm"), on_delete=models.PROTECT, related_name="deforestation_declaration"
    )
    land_use_2020 = models.CharField(_("land use on 31 December 2020"), max_length=30, choices=LandUse2020.choices)
    evidence_note = models.TextField(
        _("evidence"),
        help_text=_("What the declaration rests on: satellite images seen, documents, neighbours' testimony."),
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("declared by"), on_delete=models.PROTECT, related_name="+"
    )
    declared_on = models.DateField(_("declared on"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("deforestation-free declaration")
        verbose_name_plural = _("deforestation-free declarations")
        ordering = ["farm"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    land_use_2020__in=["coffee_cocoa_agroforestry", "other_agriculture", "pasture", "forest", "other"]
                ),
                name="members_declaration_land_use_valid",
            ),
            models.CheckConstraint(condition=~Q(evidence_note=""), name="members_declaration_evidence_given"),
        ]

    def __str__(self) -> str:
        return f"{self.farm_id}: {self.get_land_use_2020_display()}"

    def clean(self) -> None:
        super().clean()
        if self.declared_on and self.declared_on > timezone.localdate():
            raise ValidationError({"declared_on": _("The declaration date cannot be in the future.")})
