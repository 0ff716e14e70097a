"""The Internal Control System's inspections: checklists and their requirements, declared conflicts of interest,
internal inspections with their answers, and the non-conformities those raise."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from certifications.models.certifications import Standard
from cooperative.models import TimeStampedModel


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
