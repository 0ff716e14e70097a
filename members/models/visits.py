"""The technicians' farm visits, the good practices observed and the pests and diseases seen on them."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import Crop, TimeStampedModel
from members.models.coordinates import coordinates_constraints, coordinates_errors, latitude_field, longitude_field
from members.models.farms import Farm


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
            *coordinates_constraints("members_farmvisit"),
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
