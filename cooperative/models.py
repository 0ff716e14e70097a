"""Core domain: regions, partners, alliance programs and their enrolments, community projects, staff roles."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class AppendOnlyQuerySet(models.QuerySet):
    """Rows that are only ever inserted (ledgers, event logs). Bulk update() and delete() raise, as the
    models' save() and delete() do for one row; on PostgreSQL a trigger also refuses UPDATE and DELETE
    in SQL (see the append_only migrations)."""

    def update(self, **kwargs):
        raise ValidationError(_("These records are append-only: they cannot be changed."))

    def delete(self):
        raise ValidationError(_("These records are append-only: they cannot be deleted."))


# PostgreSQL: one trigger function shared by the append-only tables (installed by their migrations).
APPEND_ONLY_FUNCTION_SQL = """
CREATE OR REPLACE FUNCTION cooperative_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Table % is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def append_only_trigger_sql(table: str) -> tuple[str, str]:
    """(install, remove) SQL of the trigger refusing UPDATE and DELETE on `table` (PostgreSQL only)."""
    name = f"{table}_append_only"
    install = (
        APPEND_ONLY_FUNCTION_SQL
        + f"DROP TRIGGER IF EXISTS {name} ON {table};"
        + f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
        + "FOR EACH ROW EXECUTE FUNCTION cooperative_append_only();"
    )
    return install, f"DROP TRIGGER IF EXISTS {name} ON {table};"


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True

    def clean_fields(self, exclude=None) -> None:
        """Validate fields, without re-querying a foreign key whose related object is already loaded.

        A loaded instance came from the database (a form's choice field has already checked it), and the
        foreign key constraint guards the save; Django's own check would cost one query per relation.
        """
        exclude = set(exclude or ())
        for field in self._meta.concrete_fields:
            if field.many_to_one and getattr(self, field.attname) is not None and field.is_cached(self):
                exclude.add(field.name)
        super().clean_fields(exclude=exclude)

    def get_constraints(self):
        """The constraints full_clean() validates: unique ones only.

        Check constraints are mirrored by field validators and clean(), which give the form messages, and
        the database enforces them on save; validating them here would cost one query per constraint on
        every save.
        """
        return [
            (model, [c for c in constraints if not isinstance(c, models.CheckConstraint)])
            for model, constraints in super().get_constraints()
        ]

    def validate_constraints(self, exclude=None) -> None:
        """Report a constraint on the field its ``violation_error_code`` names, so forms show it there.

        Django reports conditional unique constraints (e.g. a DNI unique only when given) as errors of
        the whole form; naming the field in the code puts the message under the input that caused it.
        """
        try:
            super().validate_constraints(exclude=exclude)
        except ValidationError as exc:
            field_names = {f.name for f in self._meta.get_fields()}
            errors: dict[str, list[ValidationError]] = {}
            for key, error_list in exc.error_dict.items():
                for error in error_list:
                    target = error.code if key == NON_FIELD_ERRORS and error.code in field_names else key
                    errors.setdefault(target, []).append(error)
            raise ValidationError(errors) from None


class Crop(models.TextChoices):
    COFFEE = "coffee", _("Coffee")
    COCOA = "cocoa", _("Cocoa")


department_code_validator = RegexValidator(r"^\d{2}$", _("A department ubigeo code has exactly 2 digits."))


class Region(TimeStampedModel):
    """A department of Peru (the INEI ubigeo department code, e.g. Huánuco = 10)."""

    name = models.CharField(_("name"), max_length=80, unique=True)
    ubigeo_code = models.CharField(
        _("department ubigeo code"), max_length=2, unique=True, validators=[department_code_validator]
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ubigeo_code__regex=r"^[0-9]{2}$"), name="cooperative_region_ubigeo_two_digits"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Partner(TimeStampedModel):
    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO")
        BUYER = "buyer", _("Buyer")
        CERTIFIER = "certifier", _("Certifier")
        GOVERNMENT = "government", _("Government")
        DONOR = "donor", _("Donor")

    name = models.CharField(_("name"), max_length=150, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    country = models.CharField(
        _("country"),
        max_length=2,
        default="PE",
        help_text=_("ISO 3166-1 alpha-2 code, e.g. PE, US, CH."),
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use the two-letter ISO country code, e.g. PE."))],
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["ngo", "buyer", "certifier", "government", "donor"]),
                name="cooperative_partner_kind_valid",
            ),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="cooperative_partner_country_iso2"),
        ]

    def __str__(self) -> str:
        return self.name


class AllianceProgram(TimeStampedModel):
    """A program funded by a partner with targets. Progress is always computed from the records."""

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="programs")
    code = models.CharField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    crops = models.JSONField(_("crops"), default=list, help_text=_("One or more of: coffee, cocoa."))
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="programs")
    standards = models.ManyToManyField(
        "certifications.Standard",
        verbose_name=_("targeted standards"),
        related_name="programs",
        blank=True,
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    target_farmers_certified = models.PositiveIntegerField(_("target farmers certified"), default=0)
    target_beneficiaries = models.PositiveIntegerField(_("target beneficiaries"), default=0)
    history = HistoricalRecords(m2m_fields=[regions])

    class Meta:
        verbose_name = _("alliance program")
        verbose_name_plural = _("alliance programs")
        ordering = ["-starts_on", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="cooperative_program_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def clean(self) -> None:
        super().clean()
        crops = self.crops
        valid = set(Crop.values)
        if not isinstance(crops, list) or not crops or not all(c in valid for c in crops):
            raise ValidationError({"crops": _("Choose one or more crops: coffee, cocoa.")})
        if len(set(crops)) != len(crops):
            raise ValidationError({"crops": _("A crop is listed twice.")})
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end date cannot be before the start date.")})


class ProgramEnrollmentQuerySet(models.QuerySet):
    def visible_to_partners(self) -> "ProgramEnrollmentQuerySet":
        """The enrolments through which a partner sees the member (PARTNER_VISIBLE_ENROLMENTS)."""
        return self.filter(status__in=PARTNER_VISIBLE_ENROLMENTS)


class ProgramEnrollment(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    program = models.ForeignKey(
        AllianceProgram, verbose_name=_("program"), on_delete=models.PROTECT, related_name="enrollments"
    )
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="enrollments"
    )
    enrolled_on = models.DateField(_("enrolled on"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    history = HistoricalRecords()

    objects = ProgramEnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("program enrolment")
        verbose_name_plural = _("program enrolments")
        ordering = ["program", "member"]
        constraints = [
            models.UniqueConstraint(fields=["program", "member"], name="cooperative_enrollment_unique"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "completed", "withdrawn"]),
                name="cooperative_enrollment_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} @ {self.program.code}"

    def clean(self) -> None:
        super().clean()
        if self.program_id and self.enrolled_on:
            program = self.program
            if self.enrolled_on < program.starts_on or (program.ends_on and self.enrolled_on > program.ends_on):
                raise ValidationError({"enrolled_on": _("The enrolment date must fall within the program dates.")})


# Enrolment statuses through which a partner sees a member: active or completed. A partner keeps seeing the
# members who completed its program; a withdrawn enrolment no longer shows the member.
PARTNER_VISIBLE_ENROLMENTS = (ProgramEnrollment.Status.ACTIVE, ProgramEnrollment.Status.COMPLETED)


class CommunityProject(TimeStampedModel):
    """A community investment (a school, a water system) that counts towards a program's beneficiaries."""

    name = models.CharField(_("name"), max_length=200)
    program = models.ForeignKey(
        AllianceProgram,
        verbose_name=_("program"),
        on_delete=models.PROTECT,
        related_name="community_projects",
        null=True,
        blank=True,
    )
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT)
    community = models.CharField(_("community"), max_length=120, blank=True)
    description = models.TextField(_("description"), blank=True)
    beneficiaries = models.PositiveIntegerField(
        _("beneficiaries"), validators=[MinValueValidator(1, _("Count at least one beneficiary."))]
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("community project")
        verbose_name_plural = _("community projects")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(beneficiaries__gt=0), name="cooperative_communityproject_beneficiaries_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StaffRole(TimeStampedModel):
    """A staff member's role and the regions it covers. A user may hold several roles."""

    class Role(models.TextChoices):
        MANAGER = "manager", _("Manager")
        TECHNICIAN = "technician", _("Field technician")
        CREDIT_OFFICER = "credit_officer", _("Credit officer")
        ICS_COORDINATOR = "ics_coordinator", _("ICS coordinator")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="staff_roles"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    all_regions = models.BooleanField(
        _("all regions"), default=False, help_text=_("Covers every region, present and future.")
    )
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), blank=True, related_name="staff_roles")
    history = HistoricalRecords(m2m_fields=[regions])

    class Meta:
        verbose_name = _("staff role")
        verbose_name_plural = _("staff roles")
        ordering = ["user", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="cooperative_staffrole_unique_per_user"),
            models.CheckConstraint(
                condition=Q(role__in=["manager", "technician", "credit_officer", "ics_coordinator"]),
                name="cooperative_staffrole_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"


class ApiToken(TimeStampedModel):
    """A partner's key to the reporting API. Only the SHA-256 hash of the token is stored.

    The plain token (``secrets.token_urlsafe(32)``) is shown once when it is created; afterwards the token
    is known by its first 8 characters (``prefix``). A revoked token is kept for the audit trail.
    """

    PREFIX_LENGTH = 8

    partner = models.ForeignKey(Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for, e.g. “Power BI”."))
    prefix = models.CharField(_("prefix"), max_length=PREFIX_LENGTH, unique=True)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_("Empty for tokens created from the command line."),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["last_used_at"])

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(token_hash__regex=r"^[0-9a-f]{64}$"), name="cooperative_apitoken_hash_sha256_hex"
            ),
            models.CheckConstraint(
                condition=Q(revoked_by__isnull=True) | Q(revoked_at__isnull=False),
                name="cooperative_apitoken_revoked_by_needs_revoked_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} · {self.prefix}…"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class ApiRequestLog(models.Model):
    """One row per API request (append-only): who (token prefix or staff user), what and the answer."""

    token = models.ForeignKey(
        ApiToken,
        verbose_name=_("token"),
        on_delete=models.PROTECT,
        related_name="request_logs",
        null=True,
        blank=True,
    )
    token_prefix = models.CharField(_("token prefix"), max_length=ApiToken.PREFIX_LENGTH, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=500)
    status_code = models.PositiveSmallIntegerField(_("status code"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("API request")
        verbose_name_plural = _("API requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at"], name="cooperative_apilog_created_idx")]

    def __str__(self) -> str:
        who = self.token_prefix or (str(self.user) if self.user_id else "-")
        return f"{who} {self.method} {self.path} {self.status_code}"
