"""EUDR records of the farms: boundary overlaps between farms and the deforestation-free declarations."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import TimeStampedModel
from members.models.farms import Farm


class FarmOverlap(models.Model):
    """Two farms whose boundaries overlap by more than the tolerance (members.eudr.status.OVERLAP_MIN_HA and
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
    One per farm, replaced by members.eudr.geolocation.farm_declare_land_use; earlier versions stay in the history
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
