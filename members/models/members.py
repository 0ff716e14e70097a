"""Members (farmers) of the cooperative."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import Region, TimeStampedModel
from members.validators import normalize_dni, validate_dni

ubigeo_validator = RegexValidator(r"^\d{6}$", _("A ubigeo has 6 digits: department, province, district."))


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
    # A read model: the hectares of the member's active farms (the rule of members.selectors.with_farm_totals),
    # so the members list sorts by it along an index. Written only by members.read_models.refresh_active_hectares,
    # in the transaction of every farm write that changes a farm's hectares, status or member;
    # members.read_models.reconcile_member_hectares repairs the rows a write around the services left behind.
    active_hectares = models.DecimalField(
        _("hectares of active farms"), max_digits=12, decimal_places=2, default=Decimal("0"), editable=False
    )
    # Derived, and refreshed by an UPDATE the history does not see: the history would only hold stale values.
    history = HistoricalRecords(excluded_fields=["active_hectares"])

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
        indexes = [
            # The members list's sort orders, each with the primary key as tie-breaker: a page is read along
            # one of these from the cursor of the page before (reporting.member_list). Code is unique already.
            models.Index(fields=["active_hectares", "id"], name="members_member_hectares_idx"),
            models.Index(fields=["last_names", "id"], name="members_member_last_names_idx"),
            models.Index(fields=["community", "id"], name="members_member_community_idx"),
            models.Index(fields=["status", "id"], name="members_member_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.full_name}"

    def save(self, *args, **kwargs) -> None:
        """Save; an existing member's row is written without `active_hectares` (unless named in update_fields):
        a member read before a farm of theirs changed must not write its stale copy of the farms' sum back."""
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name != "active_hectares"
            ]
        super().save(*args, **kwargs)

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
