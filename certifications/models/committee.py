"""The approval committee's records: sanctions, C.A.F.E. Practices verifications and the cooperative's group
certificates."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from certifications.models.certifications import Certification, CertificationEvent, Standard
from certifications.models.inspections import NonConformity
from cooperative.models import TimeStampedModel


class Sanction(TimeStampedModel):
    """A sanction decided by the approval committee on a farm's certification under a standard.

    Suspension and exclusion also move the certification (suspended, excluded); a sales block marks it
    sanctioned; a warning leaves the status as it is. The status change is the linked event.
    """

    class Kind(models.TextChoices):
        WARNING = "warning", _("Warning")
        SALES_BLOCK = "sales_block", _("Sales block")
        SUSPENSION = "suspension", _("Suspension")
        EXCLUSION = "exclusion", _("Exclusion")

    certification = models.ForeignKey(
        Certification, verbose_name=_("certification"), on_delete=models.PROTECT, related_name="sanctions"
    )
    kind = models.CharField(_("sanction"), max_length=12, choices=Kind.choices)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    non_conformity = models.ForeignKey(
        NonConformity,
        verbose_name=_("non-conformity"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sanctions",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), on_delete=models.PROTECT, related_name="sanctions"
    )
    event = models.OneToOneField(
        CertificationEvent,
        verbose_name=_("status change"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sanction",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ["-starts_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["warning", "sales_block", "suspension", "exclusion"]),
                name="certifications_sanction_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="certifications_sanction_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} – {self.certification}"


class CafeTier(models.TextChoices):
    STRATEGIC = "strategic", _("Strategic (80% or more)")
    PREFERRED = "preferred", _("Preferred (60-79%)")
    VERIFIED = "verified", _("Verified (below 60%)")
    BLOCKED = "blocked", _("No status (zero-tolerance failure)")


class CafeVerification(TimeStampedModel):
    """A C.A.F.E. Practices verification of a farm: the verifier's social and environmental percentages
    and zero-tolerance failures, which give the tier (certifications.services.cafe.cafe_tier)."""

    certification = models.ForeignKey(
        Certification, verbose_name=_("certification"), on_delete=models.PROTECT, related_name="cafe_verifications"
    )
    verified_on = models.DateField(_("verification date"))
    verifier = models.CharField(_("verifier"), max_length=150)
    social_percent = models.DecimalField(
        _("social (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    environmental_percent = models.DecimalField(
        _("environmental (%)"), max_digits=5, decimal_places=2, validators=[MinValueValidator(0)]
    )
    zero_tolerance_failures = models.PositiveSmallIntegerField(_("zero-tolerance failures"), default=0)
    tier = models.CharField(_("tier"), max_length=10, choices=CafeTier.choices)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("C.A.F.E. Practices verification")
        verbose_name_plural = _("C.A.F.E. Practices verifications")
        ordering = ["-verified_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(social_percent__gte=0, social_percent__lte=100)
                & Q(environmental_percent__gte=0, environmental_percent__lte=100),
                name="certifications_cafe_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(tier__in=["strategic", "preferred", "verified", "blocked"]),
                name="certifications_cafe_tier_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification} – {self.get_tier_display()} ({self.verified_on})"


class GroupCertificate(TimeStampedModel):
    """A certificate held by the cooperative as a group (the certification body's, for all its members)."""

    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="group_certificates"
    )
    number = models.CharField(_("certificate number"), max_length=60)
    certification_body = models.CharField(_("certification body"), max_length=150)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    crops = models.JSONField(_("crops covered"), default=list)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("group certificate")
        verbose_name_plural = _("group certificates")
        ordering = ["valid_until", "standard__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["standard", "number"],
                name="certifications_groupcertificate_number_unique",
                violation_error_message=_("A certificate with this number is already recorded for this standard."),
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="certifications_groupcertificate_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard} {self.number}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of validity cannot be before its start.")
        crops = self.crops
        if not isinstance(crops, list) or not crops or not set(crops) <= {"coffee", "cocoa"}:
            errors["crops"] = _("Choose the crops the certificate covers.")
        if errors:
            raise ValidationError(errors)
