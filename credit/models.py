"""In-kind input credit: catalogue, products, loans with their lines and schedule, charges, the transaction ledger.

Shaped after Apache Fineract: a loan copies its product's terms when approved; charges (fees, penalties)
and transactions are append-only and balances are sums of them (a mistake is corrected by a reversal).
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Abs
from django.db.models.lookups import LessThan
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from cooperative.models import AppendOnlyQuerySet, TimeStampedModel
from credit import schedule

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 5, "decimal_places": 2}


class InputItem(TimeStampedModel):
    class Kind(models.TextChoices):
        FERTILIZER = "fertilizer", _("Fertilizer")
        DRYING_BED = "drying_bed", _("Drying bed")
        FERMENTATION_BOX = "fermentation_box", _("Fermentation box")
        SOLAR_DRYER = "solar_dryer", _("Solar dryer")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    unit = models.CharField(_("unit"), max_length=40, help_text=_("e.g. 50 kg sack, unit, m²."))
    unit_price = models.DecimalField(
        _("unit price (S/)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"), _("The price must be positive."))]
    )
    is_active = models.BooleanField(_("available"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("input item")
        verbose_name_plural = _("input catalogue")
        ordering = ["kind", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="credit_inputitem_price_positive"),
            models.CheckConstraint(
                condition=Q(kind__in=["fertilizer", "drying_bed", "fermentation_box", "solar_dryer", "other"]),
                name="credit_inputitem_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.unit})"


class InterestMethod(models.TextChoices):
    FLAT = "flat", _("Flat")
    DECLINING_BALANCE = "declining_balance", _("Declining balance")


class RepaymentMode(models.TextChoices):
    PERIODIC = "periodic", _("Monthly instalments")
    HARVEST_BULLET = "harvest_bullet", _("Single payment at harvest")


COMPONENT_LABELS = {
    schedule.PENALTY: _("Penalty"),
    schedule.FEE: _("Fee"),
    schedule.INTEREST: _("Interest"),
    schedule.PRINCIPAL: _("Principal"),
}
# The 24 orders of the four components, e.g. ("penalty,fee,interest,principal", "Penalty → Fee → Interest →
# Principal"). Choosing one of them is what validates an order as a permutation of the four.
ALLOCATION_ORDER_CHOICES = [
    (order, format_lazy("{} → {} → {} → {}", *(COMPONENT_LABELS[part] for part in order.split(","))))
    for order in schedule.ALLOCATION_ORDERS
]
ALLOCATION_ORDER_LENGTH = 40


class LoanTerms(models.Model):
    """The terms a product offers and an approved loan copies (so later product edits do not move it)."""

    interest_method = models.CharField(_("interest method"), max_length=20, choices=InterestMethod.choices)
    annual_rate = models.DecimalField(
        _("annual interest rate (%)"),
        **PERCENT,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    repayment_mode = models.CharField(_("repayment mode"), max_length=20, choices=RepaymentMode.choices)
    number_of_repayments = models.PositiveSmallIntegerField(
        _("number of repayments"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    grace_periods = models.PositiveSmallIntegerField(
        _("grace periods (months)"), default=0, help_text=_("Months before the first instalment is due.")
    )
    max_deduction_percent = models.DecimalField(
        _("max. share of a delivery payment deducted (%)"),
        **PERCENT,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    allocation_order = models.CharField(
        _("allocation order"),
        max_length=ALLOCATION_ORDER_LENGTH,
        choices=ALLOCATION_ORDER_CHOICES,
        default=schedule.DEFAULT_ALLOCATION_ORDER,
        help_text=_("What a payment pays first within an instalment (the oldest instalment is always paid first)."),
    )

    class Meta:
        abstract = True


class CreditProduct(LoanTerms, TimeStampedModel):
    name = models.CharField(_("name"), max_length=120, unique=True)
    arrears_tolerance = models.DecimalField(
        _("arrears tolerance (S/)"),
        **MONEY,
        default=Decimal("0"),
        help_text=_("An unpaid amount up to this is not counted as overdue."),
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("available"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("credit product")
        verbose_name_plural = _("credit products")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_rate__gte=0, annual_rate__lte=100), name="credit_product_rate_range"
            ),
            models.CheckConstraint(
                condition=Q(max_deduction_percent__gt=0, max_deduction_percent__lte=100),
                name="credit_product_deduction_range",
            ),
            models.CheckConstraint(condition=Q(number_of_repayments__gte=1), name="credit_product_repayments_positive"),
            models.CheckConstraint(
                condition=~Q(repayment_mode="harvest_bullet") | Q(number_of_repayments=1),
                name="credit_product_bullet_single_repayment",
            ),
            models.CheckConstraint(condition=Q(arrears_tolerance__gte=0), name="credit_product_tolerance_not_negative"),
            models.CheckConstraint(
                condition=Q(allocation_order__in=schedule.ALLOCATION_ORDERS),
                name="credit_product_allocation_order_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.repayment_mode == RepaymentMode.HARVEST_BULLET and self.number_of_repayments != 1:
            raise ValidationError({"number_of_repayments": _("A harvest bullet loan is repaid in one payment.")})


class LoanStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    ACTIVE = "active", _("Active (disbursed)")
    CLOSED = "closed", _("Closed")
    WRITTEN_OFF = "written_off", _("Written off")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Loan(TimeStampedModel):
    """An in-kind loan. Terms are empty until approval copies them from the product."""

    reference = models.CharField(_("reference"), max_length=30, unique=True)
    member = models.ForeignKey(
        "members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="loans"
    )
    product = models.ForeignKey(
        CreditProduct, verbose_name=_("product"), on_delete=models.PROTECT, related_name="loans"
    )
    program = models.ForeignKey(
        "cooperative.AllianceProgram",
        verbose_name=_("program"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="loans",
    )
    status = models.CharField(_("status"), max_length=20, choices=LoanStatus.choices, default=LoanStatus.SUBMITTED)
    principal = models.DecimalField(_("principal (S/)"), **MONEY, help_text=_("The sum of the in-kind lines."))
    submitted_on = models.DateField(_("submitted on"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("submitted by"), on_delete=models.PROTECT, related_name="+"
    )
    approved_on = models.DateField(_("approved on"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    disbursed_on = models.DateField(_("disbursed on"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Terms copied from the product at approval.
    interest_method = models.CharField(_("interest method"), max_length=20, choices=InterestMethod.choices, blank=True)
    annual_rate = models.DecimalField(_("annual interest rate (%)"), **PERCENT, null=True, blank=True)
    repayment_mode = models.CharField(_("repayment mode"), max_length=20, choices=RepaymentMode.choices, blank=True)
    number_of_repayments = models.PositiveSmallIntegerField(_("number of repayments"), null=True, blank=True)
    grace_periods = models.PositiveSmallIntegerField(_("grace periods (months)"), null=True, blank=True)
    max_deduction_percent = models.DecimalField(
        _("max. share of a delivery payment deducted (%)"), **PERCENT, null=True, blank=True
    )
    arrears_tolerance = models.DecimalField(_("arrears tolerance (S/)"), **MONEY, null=True, blank=True)
    allocation_order = models.CharField(
        _("allocation order"), max_length=ALLOCATION_ORDER_LENGTH, choices=ALLOCATION_ORDER_CHOICES, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)
    # Kept by the credit services after every change to the schedule, the ledger or the charges: the due
    # date of the oldest schedule row (an instalment with the charges owed with it) unpaid beyond the arrears
    # tolerance; null when nothing is unpaid or nothing is scheduled yet. The days past due on a date D are
    # D minus this date when it is earlier, so the dashboard counts late loans in SQL.
    oldest_unpaid_due_on = models.DateField(_("oldest unpaid due date"), null=True, blank=True, editable=False)
    # The balance now, kept in the same way and by the same writes (credit.read_models): what
    # credit.selectors.annotate_balances gives with no date, so lists and figures over many loans sum stored
    # columns instead of the ledger. Balances on a past date are still read from the ledger.
    outstanding_principal = models.DecimalField(
        _("principal outstanding (S/)"), **MONEY, default=Decimal("0.00"), editable=False
    )
    outstanding_interest = models.DecimalField(
        _("interest outstanding (S/)"), **MONEY, default=Decimal("0.00"), editable=False
    )
    outstanding_fees = models.DecimalField(_("fees outstanding (S/)"), **MONEY, default=Decimal("0.00"), editable=False)
    outstanding_penalties = models.DecimalField(
        _("penalties outstanding (S/)"), **MONEY, default=Decimal("0.00"), editable=False
    )
    outstanding_total = models.DecimalField(
        _("total outstanding (S/)"), **MONEY, default=Decimal("0.00"), editable=False
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("loan")
        verbose_name_plural = _("loans")
        ordering = ["-submitted_on", "-id"]
        indexes = [
            # The dashboard's and the partner report's credit figures: the active loans, the late ones by
            # their oldest unpaid due date, and their outstanding sums (read from the index alone on
            # PostgreSQL, which keeps the included columns in it).
            models.Index(
                fields=["status", "oldest_unpaid_due_on"],
                include=["member", "outstanding_principal", "outstanding_total"],
                name="credit_loan_status_oldest_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(principal__gt=0), name="credit_loan_principal_positive"),
            models.CheckConstraint(condition=Q(status__in=LoanStatus.values), name="credit_loan_status_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["submitted", "rejected", "withdrawn"])
                | Q(
                    approved_on__isnull=False,
                    approved_by__isnull=False,
                    annual_rate__isnull=False,
                    number_of_repayments__isnull=False,
                    grace_periods__isnull=False,
                    max_deduction_percent__isnull=False,
                    arrears_tolerance__isnull=False,
                )
                & ~Q(interest_method="")
                & ~Q(repayment_mode="")
                & ~Q(allocation_order=""),
                name="credit_loan_terms_copied_when_approved",
            ),
            models.CheckConstraint(
                condition=Q(allocation_order="") | Q(allocation_order__in=schedule.ALLOCATION_ORDERS),
                name="credit_loan_allocation_order_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "closed", "written_off"]) | Q(disbursed_on__isnull=False),
                name="credit_loan_disbursement_dated",
            ),
            models.CheckConstraint(
                condition=Q(approved_on__isnull=True) | Q(approved_on__gte=F("submitted_on")),
                name="credit_loan_approved_after_submitted",
            ),
            models.CheckConstraint(
                condition=Q(disbursed_on__isnull=True) | Q(disbursed_on__gte=F("approved_on")),
                name="credit_loan_disbursed_after_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} – {self.member.code}"

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.principal is not None and self.principal <= 0:
            errors["principal"] = _("The principal must be positive.")
        if self.approved_on and self.submitted_on and self.approved_on < self.submitted_on:
            errors["approved_on"] = _("A loan cannot be approved before it was submitted.")
        if self.disbursed_on and self.approved_on and self.disbursed_on < self.approved_on:
            errors["disbursed_on"] = _("A loan cannot be disbursed before it was approved.")
        if errors:
            raise ValidationError(errors)


class LoanLine(models.Model):
    """An in-kind item handed over on credit. The loan's principal is the sum of its lines."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="lines")
    item = models.ForeignKey(InputItem, verbose_name=_("item"), on_delete=models.PROTECT, related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=10, decimal_places=2)
    unit_price = models.DecimalField(_("unit price (S/)"), **MONEY)
    amount = models.DecimalField(_("amount (S/)"), **MONEY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("loan line")
        verbose_name_plural = _("loan lines")
        ordering = ["loan", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="credit_loanline_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gt=0), name="credit_loanline_price_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_loanline_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.item.name}"


class Instalment(models.Model):
    """One due date of a loan's repayment schedule (generated at disbursement, never edited).

    Fees and penalties charged later are not columns here but LoanCharge rows, owed with the first
    instalment due on or after their due date. What has been paid on each instalment is derived from the
    ledger by allocating payments oldest instalment first, in the loan's allocation order (credit.schedule).
    """

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="instalments")
    number = models.PositiveSmallIntegerField(_("number"))
    due_on = models.DateField(_("due on"))
    principal_due = models.DecimalField(_("principal due (S/)"), **MONEY)
    interest_due = models.DecimalField(_("interest due (S/)"), **MONEY)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("repayment schedule")
        ordering = ["loan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["loan", "number"], name="credit_instalment_number_unique"),
            models.CheckConstraint(
                condition=Q(principal_due__gte=0, interest_due__gte=0), name="credit_instalment_amounts_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.reference} #{self.number} ({self.due_on})"

    @property
    def total_due(self) -> Decimal:
        return self.principal_due + self.interest_due


class TransactionKind(models.TextChoices):
    DISBURSEMENT = "disbursement", _("Disbursement")
    REPAYMENT = "repayment", _("Repayment")
    HARVEST_DEDUCTION = "harvest_deduction", _("Harvest deduction")
    WAIVER = "waiver", _("Waiver")
    WRITE_OFF = "write_off", _("Write-off")
    REVERSAL = "reversal", _("Reversal")


# Kinds that reduce what the member owes; each may be reversed once.
REDUCING_KINDS = ("repayment", "harvest_deduction", "waiver", "write_off")


class ChargeKind(models.TextChoices):
    FEE = "fee", _("Fee")
    PENALTY = "penalty", _("Penalty")
    REVERSAL = "reversal", _("Reversal")


# Kinds of charge that add to what the member owes; each may be reversed once.
CHARGE_KINDS = ("fee", "penalty")


class LoanCharge(models.Model):
    """A fee or a penalty charged on an active loan. Append-only: a charge recorded by mistake is cancelled
    by a reversal entry (kind "reversal", naming the charge), after which the charge counts zero.

    Why a ledger of charges rather than fee_due / penalty_due columns on the instalments: the schedule is
    generated at disbursement and never edited, while charges arrive later (a penalty when an instalment
    is missed) and are sometimes cancelled. Columns would have to be overwritten, losing who charged what,
    when and why, and a balance could no longer be computed as of a past date. A row per charge keeps all of
    that, is reversed like a transaction, and dates the charge (`occurred_on`) so balances as of any date
    count it only from then.

    How a charge joins the schedule (credit.schedule): it is owed with the first instalment due on or after
    its `due_on`, and paid and late with that instalment; a charge due after the last instalment is owed on
    its own date, as a row of its own after the instalments.
    """

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="charges")
    kind = models.CharField(_("kind"), max_length=20, choices=ChargeKind.choices)
    amount = models.DecimalField(_("amount (S/)"), **MONEY)
    due_on = models.DateField(_("due on"))
    occurred_on = models.DateField(_("charged on"), help_text=_("From this date the charge counts in the balance."))
    reason = models.CharField(_("reason"), max_length=255)
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan charge")
        verbose_name_plural = _("loan charges")
        ordering = ["loan", "due_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_loancharge_amount_positive"),
            models.CheckConstraint(condition=Q(kind__in=ChargeKind.values), name="credit_loancharge_kind_valid"),
            models.CheckConstraint(condition=~Q(reason=""), name="credit_loancharge_reason_given"),
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="credit_loancharge_reversal_names_original",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.loan.reference} {self.get_kind_display()} S/ {self.amount} ({self.due_on})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Charges are append-only; record a reversal instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Charges are append-only; record a reversal instead."))


class LoanTransaction(models.Model):
    """An entry of the loan ledger. Append-only: a mistake is corrected by a reversal entry."""

    loan = models.ForeignKey(Loan, verbose_name=_("loan"), on_delete=models.PROTECT, related_name="transactions")
    kind = models.CharField(_("kind"), max_length=20, choices=TransactionKind.choices)
    occurred_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount (S/)"), **MONEY)
    principal_portion = models.DecimalField(_("principal portion (S/)"), **MONEY, default=Decimal("0"))
    interest_portion = models.DecimalField(_("interest portion (S/)"), **MONEY, default=Decimal("0"))
    fee_portion = models.DecimalField(_("fee portion (S/)"), **MONEY, default=Decimal("0"))
    penalty_portion = models.DecimalField(_("penalty portion (S/)"), **MONEY, default=Decimal("0"))
    reverses = models.OneToOneField(
        "self",
        verbose_name=_("reverses"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reversed_by",
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("loan transaction")
        verbose_name_plural = _("loan transactions")
        ordering = ["loan", "occurred_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="credit_transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(
                    principal_portion__gte=0, interest_portion__gte=0, fee_portion__gte=0, penalty_portion__gte=0
                ),
                name="credit_transaction_portions_not_negative",
            ),
            # Céntimos compared with a half-céntimo margin: exact on PostgreSQL's numeric, and still right on
            # SQLite, which adds decimals in floating point (12.10 + 3.20 != 15.30 there).
            models.CheckConstraint(
                condition=LessThan(
                    Abs(
                        F("amount")
                        - F("principal_portion")
                        - F("interest_portion")
                        - F("fee_portion")
                        - F("penalty_portion")
                    ),
                    Value(Decimal("0.005")),
                ),
                name="credit_transaction_portions_sum_to_amount",
            ),
            models.CheckConstraint(
                condition=(Q(kind="reversal") & Q(reverses__isnull=False))
                | (~Q(kind="reversal") & Q(reverses__isnull=True)),
                name="credit_transaction_reversal_names_original",
            ),
            models.CheckConstraint(condition=Q(kind__in=TransactionKind.values), name="credit_transaction_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.loan.reference} {self.get_kind_display()} S/ {self.amount} ({self.occurred_on})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Ledger entries are append-only; record a reversal instead."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Ledger entries are append-only; record a reversal instead."))
