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
    history = HistoricalRecords()

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
        ]

    def __str__(self) -> str:
        return f"{self.farm} – {self.standard} ({self.get_status_display()})"

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


# -- Internal Control System: checklists, inspections, non-conformities, sanctions ---------------------


class Checklist(TimeStampedModel):
    """The internal inspection checklist of a standard, in one version. One active version per standard."""

    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="checklists"
    )
    version = models.CharField(_("version"), max_length=20)
    title = models.CharField(_("title"), max_length=150)
    active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        ordering = ["standard__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["standard", "version"], name="certifications_checklist_version_unique"),
            models.UniqueConstraint(
                fields=["standard"],
                condition=Q(active=True),
                name="certifications_checklist_one_active_per_standard",
                violation_error_message=_("This standard already has a checklist in use."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.standard} {self.version}"


class Requirement(TimeStampedModel):
    """One requirement of a checklist, in Spanish and English. A critical one, found non-compliant, blocks
    certification until its non-conformity is closed."""

    checklist = models.ForeignKey(
        Checklist, verbose_name=_("checklist"), on_delete=models.CASCADE, related_name="requirements"
    )
    code = models.CharField(_("code"), max_length=20)
    section = models.CharField(_("section"), max_length=80, blank=True)
    text_es = models.TextField(_("text (Spanish)"))
    text_en = models.TextField(_("text (English)"))
    critical = models.BooleanField(_("critical"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("requirement")
        verbose_name_plural = _("requirements")
        ordering = ["checklist", "position", "code"]
        constraints = [
            models.UniqueConstraint(fields=["checklist", "code"], name="certifications_requirement_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.text}"

    @property
    def text(self) -> str:
        """The text in the active language (Spanish unless English is active)."""
        from django.utils.translation import get_language

        return self.text_en if (get_language() or "es").startswith("en") else self.text_es


class InspectorConflict(TimeStampedModel):
    """A declared conflict of interest: the inspector may not inspect this member's farms."""

    class Relationship(models.TextChoices):
        OWN = "own", _("Own farm (the inspector is the member)")
        RELATIVE = "relative", _("Relative")
        OTHER = "other", _("Other interest")

    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        on_delete=models.PROTECT,
        related_name="declared_conflicts",
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="inspector_conflicts"
    )
    relationship = models.CharField(_("relationship"), max_length=10, choices=Relationship.choices)
    declared_on = models.DateField(_("declared on"))
    note = models.TextField(_("note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ["inspector", "member"]
        constraints = [
            models.UniqueConstraint(
                fields=["inspector", "member"],
                name="certifications_conflict_unique",
                violation_error_message=_("This conflict of interest is already declared."),
            ),
            models.CheckConstraint(
                condition=Q(relationship__in=["own", "relative", "other"]),
                name="certifications_conflict_relationship_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.inspector} – {self.member} ({self.get_relationship_display()})"


class Inspection(TimeStampedModel):
    """A yearly internal inspection of a farm, under one or more standards, by an internal inspector."""

    class Recommendation(models.TextChoices):
        APPROVE = "approve", _("Approve")
        APPROVE_WITH_CONDITIONS = "conditions", _("Approve with conditions")
        SANCTION = "sanction", _("Sanction")
        EXCLUDE = "exclude", _("Exclude")

    farm = models.ForeignKey(
        "members.Farm", verbose_name=_("farm"), on_delete=models.PROTECT, related_name="inspections"
    )
    standards = models.ManyToManyField(Standard, verbose_name=_("standards covered"), related_name="inspections")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="inspections"
    )
    inspected_on = models.DateField(_("inspection date"))
    interviewee = models.CharField(_("person interviewed"), max_length=150)
    estimated_yield_kg = models.DecimalField(
        _("estimated yield (kg)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    inputs_used = models.TextField(_("inputs used"), blank=True)
    recommendation = models.CharField(
        _("recommendation to the committee"), max_length=12, choices=Recommendation.choices
    )
    recommendation_note = models.TextField(_("recommendation notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("internal inspection")
        verbose_name_plural = _("internal inspections")
        ordering = ["-inspected_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(estimated_yield_kg__isnull=True) | Q(estimated_yield_kg__gte=0),
                name="certifications_inspection_yield_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(recommendation__in=["approve", "conditions", "sanction", "exclude"]),
                name="certifications_inspection_recommendation_valid",
            ),
        ]
        indexes = [models.Index(fields=["farm", "inspected_on"], name="cert_inspection_farm_date")]

    def __str__(self) -> str:
        return f"{self.farm} – {self.inspected_on}"


class InspectionAnswer(models.Model):
    class Answer(models.TextChoices):
        COMPLIANT = "compliant", _("Compliant")
        NON_COMPLIANT = "non_compliant", _("Non-compliant")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")

    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.CASCADE, related_name="answers"
    )
    requirement = models.ForeignKey(
        Requirement, verbose_name=_("requirement"), on_delete=models.PROTECT, related_name="answers"
    )
    answer = models.CharField(_("answer"), max_length=15, choices=Answer.choices)
    note = models.TextField(_("note or evidence"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("inspection answer")
        verbose_name_plural = _("inspection answers")
        ordering = ["inspection", "requirement__position", "requirement__code"]
        constraints = [
            models.UniqueConstraint(fields=["inspection", "requirement"], name="certifications_answer_unique"),
            models.CheckConstraint(
                condition=Q(answer__in=["compliant", "non_compliant", "not_applicable"]),
                name="certifications_answer_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.requirement.code}: {self.get_answer_display()}"


class NonConformity(TimeStampedModel):
    """A non-compliant answer to follow up: corrective action by a deadline, closed once verified."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    answer = models.OneToOneField(
        InspectionAnswer, verbose_name=_("answer"), on_delete=models.PROTECT, related_name="non_conformity"
    )
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("inspection"), on_delete=models.PROTECT, related_name="non_conformities"
    )
    farm = models.ForeignKey(
        "members.Farm", verbose_name=_("farm"), on_delete=models.PROTECT, related_name="non_conformities"
    )
    standard = models.ForeignKey(
        Standard, verbose_name=_("standard"), on_delete=models.PROTECT, related_name="non_conformities"
    )
    requirement = models.ForeignKey(
        Requirement, verbose_name=_("requirement"), on_delete=models.PROTECT, related_name="non_conformities"
    )
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("finding"), blank=True)
    corrective_action = models.TextField(_("corrective action"))
    deadline = models.DateField(_("deadline"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verified_non_conformities",
    )
    closing_note = models.TextField(_("closing note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("non-conformity")
        verbose_name_plural = _("non-conformities")
        ordering = ["deadline", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(severity__in=["minor", "major", "critical"]), name="certifications_nc_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True, verified_by__isnull=True)
                | Q(closed_on__isnull=False, verified_by__isnull=False),
                name="certifications_nc_closed_and_verified_together",
            ),
        ]
        indexes = [models.Index(fields=["farm", "standard", "closed_on"], name="cert_nc_farm_standard_open")]

    def __str__(self) -> str:
        return f"{self.requirement.code} – {self.farm} ({self.get_severity_display()})"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None


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
    and zero-tolerance failures, which give the tier (certifications.committee.cafe_tier)."""

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
