"""Certification standards, each farm's certification under a standard, and its append-only events."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import AppendOnlyQuerySet, TimeStampedModel


class StandardCode(models.TextChoices):
    ORGANIC = "organic", _("Organic")
    RAINFOREST_ALLIANCE = "rainforest_alliance", _("Rainforest Alliance")
    UTZ = "utz", _("UTZ Certified")
    CAFE_PRACTICES = "cafe_practices", _("C.A.F.E. Practices")


class Standard(TimeStampedModel):
    """A certification standard. UTZ merged into Rainforest Alliance (2018) and accepts nothing new."""

    code = models.CharField(_("code"), max_length=30, choices=StandardCode.choices, unique=True)
    name = models.CharField(_("name"), max_length=100)
    body = models.CharField(_("standard owner"), max_length=150)
    validity_months = models.PositiveSmallIntegerField(
        _("certificate validity (months)"), validators=[MinValueValidator(1)]
    )
    requires_conversion = models.BooleanField(
        _("requires a conversion period"),
        default=False,
        help_text=_("Organic: perennial crops convert for at least 3 years (C1, C2, C3) before certification."),
    )
    accepts_new_certifications = models.BooleanField(_("accepts new certifications"), default=True)
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("standard")
        verbose_name_plural = _("standards")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(validity_months__gt=0), name="certifications_standard_validity_positive"
            ),
            models.CheckConstraint(
                condition=Q(successor__isnull=True) | ~Q(successor=F("id")),
                name="certifications_standard_not_own_successor",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.pk and self.successor_id == self.pk:
            raise ValidationError({"successor": _("A standard cannot succeed itself.")})


class CertificationStatus(models.TextChoices):
    CANDIDATE = "candidate", _("Candidate")
    IN_CONVERSION = "in_conversion", _("In conversion")
    CERTIFIED = "certified", _("Certified")
    SANCTIONED = "sanctioned", _("Sanctioned")
    SUSPENDED = "suspended", _("Suspended")
    EXCLUDED = "excluded", _("Excluded")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    EXPIRED = "expired", _("Expired")


class ConversionStage(models.TextChoices):
    NONE = "", _("Not in conversion")
    C1 = "c1", _("C1 (first year)")
    C2 = "c2", _("C2 (second year)")
    C3 = "c3", _("C3 (third year)")


# A farm's certification moves: candidate -> in conversion -> certified -> (sanctioned | suspended)
# -> excluded / withdrawn / expired. Terminal states start no new life: a new certification is opened.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    CertificationStatus.CANDIDATE: frozenset({"in_conversion", "certified", "excluded", "withdrawn"}),
    CertificationStatus.IN_CONVERSION: frozenset(
        {"in_conversion", "certified", "sanctioned", "suspended", "excluded", "withdrawn"}
    ),
    CertificationStatus.CERTIFIED: frozenset({"sanctioned", "suspended", "excluded", "withdrawn", "expired"}),
    # A farm sanctioned or suspended during conversion may resume it (from C1: the period restarts).
    CertificationStatus.SANCTIONED: frozenset(
        {"in_conversion", "certified", "suspended", "excluded", "withdrawn", "expired"}
    ),
    CertificationStatus.SUSPENDED: frozenset({"in_conversion", "certified", "excluded", "withdrawn", "expired"}),
    CertificationStatus.EXCLUDED: frozenset(),
    CertificationStatus.WITHDRAWN: frozenset(),
    CertificationStatus.EXPIRED: frozenset(),
}
TERMINAL_STATUSES = frozenset(status for status, targets in ALLOWED_TRANSITIONS.items() if not targets)
OPEN_STATUSES = frozenset(CertificationStatus.values) - TERMINAL_STATUSES


ONE_CURRENT_CONSTRAINT = "certifications_certification_one_current_per_farm_standard"


class Certification(TimeStampedModel):
    """A farm under one standard. Its status changes only through certification services, as events."""

    farm = models.ForeignKey(
        "members.Farm", verbose_name=_("farm"), on_delete=models.PROTECT, related_name="certifications"
    )
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="certifications"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=CertificationStatus.choices, default=CertificationStatus.CANDIDATE
    )
    conversion_stage = models.CharField(
        _("conversion stage"), max_length=2, choices=ConversionStage.choices, blank=True, default=""
    )
    certificate_number = models.CharField(_("certificate number"), max_length=60, blank=True)
    certifier = models.CharField(_("certification body"), max_length=120, blank=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    # A read model: the farm's current certification under the standard (the open one, else the closed one
    # whose last event is the latest), kept by certifications.read_models.refresh_current_certification in
    # every certification service's transaction, so that figures count it from an index. Derived, so not
    # part of the audit history.
    is_current = models.BooleanField(_("current certification"), default=False, editable=False)
    history = HistoricalRecords(excluded_fields=["is_current"])

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["farm_id", "standard_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_until__isnull=True)
                | Q(valid_until__gte=F("valid_from")),
                name="certifications_certification_validity_ordered",
            ),
            models.CheckConstraint(
                condition=Q(status__in=CertificationStatus.values), name="certifications_certification_status_valid"
            ),
            models.CheckConstraint(
                condition=(Q(status="in_conversion") & ~Q(conversion_stage=""))
                | (~Q(status="in_conversion") & Q(conversion_stage="")),
                name="certifications_certification_stage_only_in_conversion",
            ),
            # One open certification per farm and standard; closed ones stay as history.
            models.UniqueConstraint(
                fields=["farm", "standard"],
                condition=Q(status__in=sorted(OPEN_STATUSES)),
                name="certifications_certification_one_open_per_farm_standard",
            ),
            models.UniqueConstraint(
                fields=["farm", "standard"],
                condition=Q(is_current=True),
                name=ONE_CURRENT_CONSTRAINT,
            ),
        ]
        indexes = [
            # The dashboard's farms per standard and status of their current certification, from the index alone.
            models.Index(
                fields=["standard", "status", "farm"], condition=Q(is_current=True), name="cert_current_std_status"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.farm} – {self.standard} ({self.get_status_display()})"

    def save(self, *args, **kwargs) -> None:
        # is_current is written only by refresh_current_certification, with the farm's certifications under
        # the standard locked; a save of an instance loaded earlier must not write back the flag it was loaded
        # with (it would break the one-current constraint, or leave the read model behind).
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "is_current"
            ]
        super().save(*args, **kwargs)

    def get_constraints(self):
        # No input can break the one-current constraint (only refresh_current_certification writes the flag):
        # it guards the database, and validating it in full_clean would cost a query on every save.
        return [
            (model, [c for c in constraints if c.name != ONE_CURRENT_CONSTRAINT])
            for model, constraints in super().get_constraints()
        ]

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The end of validity cannot be before its start.")
        if (self.status == CertificationStatus.IN_CONVERSION) != bool(self.conversion_stage):
            errors["conversion_stage"] = _("A conversion stage is required in conversion, and only then.")
        if errors:
            raise ValidationError(errors)


class CertificationEvent(models.Model):
    """One status change of a certification. Append-only: never edited, never deleted."""

    certification = models.ForeignKey(
        Certification, verbose_name=_("certification"), on_delete=models.PROTECT, related_name="events"
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=CertificationStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=CertificationStatus.choices)
    to_stage = models.CharField(
        _("conversion stage"), max_length=2, choices=ConversionStage.choices, blank=True, default=""
    )
    occurred_on = models.DateField(_("date"))
    reason = models.TextField(_("reason"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="certification_decisions",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification event")
        verbose_name_plural = _("certification events")
        ordering = ["certification", "occurred_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_status=F("to_status")) | Q(to_status="in_conversion"),
                name="certifications_event_changes_status",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.certification_id}: {self.from_status or '–'} → {self.to_status} ({self.occurred_on})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Certification events are append-only and cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Certification events are append-only and cannot be deleted."))
