"""Harvest deliveries and their settlement (payment, deductions, loan repayment).

A delivery records what a member brought to the collection centre: the farm, the crop and its product state,
the quantity in the unit the person typed and in kilograms, the quality measured, the price per kilogram and
the gross amount. Its settlement pays it once: the gross amount, the deductions (credit repayments posted to
the loan ledger, the association fee, transport, others) and the net paid.

Everything here is append-only, like the loan ledger: a saved delivery, settlement or deduction is never
edited or deleted. A mistake is corrected with a DeliveryReversal (deliveries.services.delivery_reverse),
which reverses the settlement's loan repayments in the ledger; the corrected delivery is recorded anew.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Expression, F, Q, Value
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.translation import gettext_lazy as _

from cooperative.models import Crop, TimeStampedModel
from members.models import Farm

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}
KILOGRAMS = {"max_digits": 12, "decimal_places": 2}
HUNDRED = Decimal("100")
CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")

# The units a quantity is typed in, and their kilograms: the same as a farm's production estimate
# (quintal = 46 kg of parchment coffee, Peruvian export bag = 69 kg).
Unit = Farm.ProductionUnit
UNIT_KG: dict[str, Decimal] = Farm.UNIT_KG


class ProductState(models.TextChoices):
    # Coffee is delivered at one stage of its processing; cocoa as wet beans ("baba") or fermented and dried
    # ("seco", about 7 % moisture). Converting one state into another ("rendimiento") is a per-season setting of
    # the cooperative, never a constant in code, so kilograms of different states are never added up.
    CHERRY = "cherry", _("Coffee cherry")
    WET_PARCHMENT = "wet_parchment", _("Wet parchment coffee")
    DRY_PARCHMENT = "dry_parchment", _("Dry parchment coffee")
    GREEN = "green", _("Green coffee")
    WET_BEANS = "wet_beans", _("Wet cocoa beans (baba)")
    DRY_BEANS = "dry_beans", _("Dry cocoa beans (seco)")


STATES_BY_CROP: dict[str, tuple[str, ...]] = {
    Crop.COFFEE: (
        ProductState.CHERRY,
        ProductState.WET_PARCHMENT,
        ProductState.DRY_PARCHMENT,
        ProductState.GREEN,
    ),
    Crop.COCOA: (ProductState.WET_BEANS, ProductState.DRY_BEANS),
}
# The state a farm's estimated production is recorded in (Farm.estimated_production_kg): only deliveries in
# this state are compared with the estimate.
ESTIMATE_STATE: dict[str, str] = {Crop.COFFEE: ProductState.DRY_PARCHMENT, Crop.COCOA: ProductState.DRY_BEANS}
# Quality measures that only make sense for one crop: yield ("rendimiento") and cup score for coffee, the
# fermentation of the cut test for cocoa. Moisture applies to both.
COFFEE_ONLY_QUALITY = ("yield_percent", "cup_score")
COCOA_ONLY_QUALITY = ("fermentation_percent",)


def _within(value: Expression, expected: Expression, margin: Decimal) -> LessThan:
    """|value − expected| < margin, as a condition of a check constraint."""
    return LessThan(Abs(value - expected), Value(margin))


def _percent_field(verbose_name: str, help_text: str = "") -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        **PERCENT,
        null=True,
        blank=True,
        help_text=help_text,
        validators=[
            MinValueValidator(Decimal("0"), _("A percentage cannot be negative.")),
            MaxValueValidator(HUNDRED, _("A percentage cannot be above 100.")),
        ],
    )


class AppendOnlyModel(TimeStampedModel):
    """A row that is written once: saving it again or deleting it raises (corrections are reversals).

    `updated_at` therefore always equals `created_at`; the base is shared for its validation shortcuts."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ValidationError(_("Deliveries and settlements are append-only; record a reversal instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Deliveries and settlements are append-only; record a reversal instead."))


class Delivery(AppendOnlyModel):
    """A member's harvest delivered to the collection centre.

    `quantity_kg` is `quantity` × the kilograms of `unit` (exact: two decimals times a whole number).
    `gross_amount` is `quantity_kg` × `price_per_kg`, quantized to céntimos with ROUND_HALF_UP (the rounding
    a cashier applies); both are computed by deliveries.services.delivery_record, never typed.
    """

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="deliveries"
    )
    farm = models.ForeignKey(
        "members.Farm", verbose_name=_("farm"), on_delete=models.PROTECT, related_name="deliveries"
    )
    delivered_on = models.DateField(_("delivered on"))
    crop = models.CharField(_("crop"), max_length=10, choices=Crop.choices)
    product_state = models.CharField(_("product state"), max_length=20, choices=ProductState.choices)
    quantity = models.DecimalField(
        _("quantity as typed"),
        **KILOGRAMS,
        validators=[MinValueValidator(Decimal("0.01"), _("The quantity must be greater than zero."))],
    )
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.KG)
    quantity_kg = models.DecimalField(_("quantity (kg)"), **KILOGRAMS)
    moisture_percent = _percent_field(_("moisture (%)"))
    yield_percent = _percent_field(_("yield (%)"), _("Coffee only: the exportable share of the sample (rendimiento)."))
    cup_score = models.DecimalField(
        _("cup score"),
        **PERCENT,
        null=True,
        blank=True,
        help_text=_("Coffee only: 0 to 100 points."),
        validators=[
            MinValueValidator(Decimal("0"), _("The cup score goes from 0 to 100.")),
            MaxValueValidator(HUNDRED, _("The cup score goes from 0 to 100.")),
        ],
    )
    fermentation_percent = _percent_field(
        _("fermentation (%)"), _("Cocoa only: the share of well-fermented beans in the cut test.")
    )
    price_per_kg = models.DecimalField(
        _("price per kg (S/)"),
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01"), _("The price must be greater than zero."))],
    )
    gross_amount = models.DecimalField(_("gross amount (S/)"), **MONEY)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), on_delete=models.PROTECT, related_name="+"
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="deliveries_delivery_quantity_positive"),
            models.CheckConstraint(condition=Q(quantity_kg__gt=0), name="deliveries_delivery_kg_positive"),
            models.CheckConstraint(condition=Q(price_per_kg__gt=0), name="deliveries_delivery_price_positive"),
            models.CheckConstraint(condition=Q(gross_amount__gt=0), name="deliveries_delivery_gross_positive"),
            models.CheckConstraint(condition=Q(crop__in=Crop.values), name="deliveries_delivery_crop_valid"),
            models.CheckConstraint(condition=Q(unit__in=list(UNIT_KG)), name="deliveries_delivery_unit_valid"),
            models.CheckConstraint(
                condition=Q(crop=Crop.COFFEE, product_state__in=STATES_BY_CROP[Crop.COFFEE])
                | Q(crop=Crop.COCOA, product_state__in=STATES_BY_CROP[Crop.COCOA]),
                name="deliveries_delivery_state_of_crop",
            ),
            # Kilograms are the typed quantity times the unit's kilograms. Compared with a half-céntimo margin:
            # exact on PostgreSQL's numeric, and still right on SQLite, which multiplies in floating point.
            models.CheckConstraint(
                condition=(Q(unit="kg") & _within(F("quantity_kg"), F("quantity"), HALF_CENT))
                | (Q(unit="qq") & _within(F("quantity_kg"), F("quantity") * UNIT_KG["qq"], HALF_CENT))
                | (Q(unit="bag69") & _within(F("quantity_kg"), F("quantity") * UNIT_KG["bag69"], HALF_CENT)),
                name="deliveries_delivery_kg_of_unit",
            ),
            # The service rounds half up to the céntimo, so the gross is within half a céntimo of kg × price;
            # the database checks "within one céntimo" so that SQLite's floating point never fails a right row,
            # and a gross typed over still cannot pass.
            models.CheckConstraint(
                condition=_within(F("gross_amount"), F("quantity_kg") * F("price_per_kg"), CENT),
                name="deliveries_delivery_gross_is_kg_times_price",
            ),
            models.CheckConstraint(
                condition=Q(moisture_percent__isnull=True) | Q(moisture_percent__gte=0, moisture_percent__lte=100),
                name="deliveries_delivery_moisture_range",
            ),
            models.CheckConstraint(
                condition=Q(yield_percent__isnull=True) | Q(yield_percent__gte=0, yield_percent__lte=100),
                name="deliveries_delivery_yield_range",
            ),
            models.CheckConstraint(
                condition=Q(cup_score__isnull=True) | Q(cup_score__gte=0, cup_score__lte=100),
                name="deliveries_delivery_cup_score_range",
            ),
            models.CheckConstraint(
                condition=Q(fermentation_percent__isnull=True)
                | Q(fermentation_percent__gte=0, fermentation_percent__lte=100),
                name="deliveries_delivery_fermentation_range",
            ),
            models.CheckConstraint(
                condition=Q(crop=Crop.COCOA) | Q(fermentation_percent__isnull=True),
                name="deliveries_delivery_fermentation_only_cocoa",
            ),
            models.CheckConstraint(
                condition=Q(crop=Crop.COFFEE) | Q(yield_percent__isnull=True, cup_score__isnull=True),
                name="deliveries_delivery_yield_and_cup_only_coffee",
            ),
        ]
        indexes = [models.Index(fields=["delivered_on", "crop"], name="deliveries_date_crop_idx")]

    def __str__(self) -> str:
        return self.reference

    def clean(self) -> None:
        """Crop-dependent rules, as form messages: the farm belongs to the member, is active and grows the
        crop; the product state and the quality measures fit the crop. Needs `member` and `farm` loaded."""
        super().clean()
        errors: dict[str, object] = {}
        if self.farm_id and self.member_id:
            if self.farm.member_id != self.member_id:
                errors["farm"] = _("The farm does not belong to the member.")
            elif self.farm.status != Farm.Status.ACTIVE:
                errors["farm"] = _("The farm is retired; deliveries come from active farms.")
            elif self.crop and self.farm.crop != self.crop:
                errors["farm"] = _("The farm grows %(crop)s.") % {"crop": self.farm.get_crop_display()}
        if self.crop and self.product_state and self.product_state not in STATES_BY_CROP.get(self.crop, ()):
            errors["product_state"] = _("%(state)s is not a state of %(crop)s.") % {
                "state": self.get_product_state_display(),
                "crop": self.get_crop_display(),
            }
        if self.crop == Crop.COCOA:
            for field in COFFEE_ONLY_QUALITY:
                if getattr(self, field) is not None:
                    errors[field] = _("Only measured on coffee.")
        if self.crop == Crop.COFFEE:
            for field in COCOA_ONLY_QUALITY:
                if getattr(self, field) is not None:
                    errors[field] = _("Only measured on cocoa.")
        if errors:
            raise ValidationError(errors)


class DeductionKind(models.TextChoices):
    CREDIT_REPAYMENT = "credit_repayment", _("Credit repayment")
    ASSOCIATION_FEE = "association_fee", _("Association fee")
    TRANSPORT = "transport", _("Transport")
    OTHER = "other", _("Other")


# The kinds a person types on the settlement form; credit repayments are computed from the loans.
OTHER_DEDUCTION_KINDS = (DeductionKind.ASSOCIATION_FEE, DeductionKind.TRANSPORT, DeductionKind.OTHER)


class Settlement(AppendOnlyModel):
    """The payment of a delivery (at most one): gross, the deductions and the net paid to the member.

    `total_deductions` is the sum of its deduction lines and `net_paid` = `gross_amount` − `total_deductions`,
    never negative; the service computes both (the lines are another table, so their sum cannot be a check
    constraint; the subtraction is one).
    """

    delivery = models.OneToOneField(
        Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="settlement"
    )
    paid_on = models.DateField(_("paid on"))
    gross_amount = models.DecimalField(_("gross amount (S/)"), **MONEY)
    total_deductions = models.DecimalField(_("total deductions (S/)"), **MONEY)
    net_paid = models.DecimalField(_("net paid (S/)"), **MONEY)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("settled by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-paid_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(gross_amount__gt=0), name="deliveries_settlement_gross_positive"),
            models.CheckConstraint(
                condition=Q(total_deductions__gte=0), name="deliveries_settlement_deductions_not_negative"
            ),
            models.CheckConstraint(condition=Q(net_paid__gte=0), name="deliveries_settlement_net_not_negative"),
            # Céntimos compared with a half-céntimo margin, as the loan ledger does (SQLite adds in floating point).
            models.CheckConstraint(
                condition=_within(F("net_paid"), F("gross_amount") - F("total_deductions"), HALF_CENT),
                name="deliveries_settlement_net_is_gross_minus_deductions",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.delivery.reference} – S/ {self.net_paid} ({self.paid_on})"


class SettlementDeduction(AppendOnlyModel):
    """One deduction of a settlement. A credit repayment names the loan and the ledger entry it posted."""

    settlement = models.ForeignKey(
        Settlement, verbose_name=_("settlement"), on_delete=models.PROTECT, related_name="deductions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DeductionKind.choices)
    amount = models.DecimalField(_("amount (S/)"), **MONEY)
    note = models.CharField(_("note"), max_length=255, blank=True)
    loan = models.ForeignKey(
        "credit.Loan",
        verbose_name=_("loan"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement_deductions",
    )
    loan_transaction = models.OneToOneField(
        "credit.LoanTransaction",
        verbose_name=_("loan transaction"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement_deduction",
    )

    class Meta:
        verbose_name = _("settlement deduction")
        verbose_name_plural = _("settlement deductions")
        ordering = ["settlement", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="deliveries_deduction_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=DeductionKind.values), name="deliveries_deduction_kind_valid"),
            models.CheckConstraint(
                condition=(Q(kind="credit_repayment") & Q(loan__isnull=False, loan_transaction__isnull=False))
                | (~Q(kind="credit_repayment") & Q(loan__isnull=True, loan_transaction__isnull=True)),
                name="deliveries_deduction_credit_names_loan",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} S/ {self.amount}"


class DeliveryReversal(AppendOnlyModel):
    """Cancels a delivery recorded by mistake (and its settlement's loan repayments, reversed in the ledger).

    The delivery and its settlement stay as they were, marked reversed; they no longer count in the reports.
    """

    delivery = models.OneToOneField(
        Delivery, verbose_name=_("delivery"), on_delete=models.PROTECT, related_name="reversal"
    )
    reversed_on = models.DateField(_("reversed on"))
    reason = models.CharField(_("reason"), max_length=200)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reversed by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery reversal")
        verbose_name_plural = _("delivery reversals")
        ordering = ["-reversed_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="deliveries_reversal_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery.reference} ({self.reversed_on})"
