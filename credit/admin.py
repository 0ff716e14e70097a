"""Admin for input credit. The catalogue and products are edited here; loans only through the services.

Loans, their lines, schedule, charges and ledger are shown read-only: statuses and balances follow from
the ledger and a mistake is corrected with a reversal, never by editing or deleting a row.
"""

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cooperative.admin_base import AuditedAdmin, RoleScopedAdmin, ScopedInline
from credit import selectors
from credit.models import CreditProduct, InputItem, Instalment, Loan, LoanCharge, LoanLine, LoanTransaction
from credit.services.applications import TERM_FIELDS


class ReadOnlyMixin:
    """No add, change or delete: the rows are written by the credit services."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(InputItem)
class InputItemAdmin(AuditedAdmin):
    list_display = ["name", "kind", "unit", "unit_price", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]


@admin.register(CreditProduct)
class CreditProductAdmin(AuditedAdmin):
    list_display = [
        "name",
        "interest_method",
        "annual_rate",
        "repayment_mode",
        "number_of_repayments",
        "grace_periods",
        "allocation_order",
        "is_active",
    ]
    list_filter = ["interest_method", "repayment_mode", "is_active"]
    search_fields = ["name"]


class LoanLineInline(ReadOnlyMixin, ScopedInline):
    model = LoanLine
    extra = 0
    fields = ["item", "quantity", "unit_price", "amount"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[LoanLine]:
        return super().get_queryset(request).select_related("item")


class InstalmentInline(ReadOnlyMixin, ScopedInline):
    model = Instalment
    extra = 0
    fields = ["number", "due_on", "principal_due", "interest_due"]
    readonly_fields = fields


class LoanChargeInline(ReadOnlyMixin, ScopedInline):
    model = LoanCharge
    fk_name = "loan"
    extra = 0
    fields = ["occurred_on", "kind", "amount", "due_on", "reason", "reverses", "recorded_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[LoanCharge]:
        return super().get_queryset(request).select_related("recorded_by", "reverses__loan__member")


class LoanTransactionInline(ReadOnlyMixin, ScopedInline):
    model = LoanTransaction
    fk_name = "loan"
    extra = 0
    fields = [
        "occurred_on",
        "kind",
        "amount",
        "principal_portion",
        "interest_portion",
        "fee_portion",
        "penalty_portion",
        "reverses",
        "note",
        "recorded_by",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[LoanTransaction]:
        return super().get_queryset(request).select_related("recorded_by", "reverses__loan__member")


def _balance_field(name: str, description: str):
    def display(model_admin: admin.ModelAdmin, loan: Loan):
        return getattr(loan, name)

    display.short_description = description
    display.__name__ = name
    return display


@admin.register(Loan)
class LoanAdmin(AuditedAdmin):
    """Loans are read-only except their notes: they are created and moved on by the credit services."""

    region_path = "member__region"
    list_display = ["reference", "member", "product", "status", "principal", "submitted_on", "principal_outstanding"]
    list_filter = ["status", "product", "program", "repayment_mode"]
    list_select_related = ["member", "product"]
    search_fields = ["reference", "member__code", "member__dni", "member__first_names", "member__last_names"]
    date_hierarchy = "submitted_on"
    inlines = [LoanLineInline, InstalmentInline, LoanChargeInline, LoanTransactionInline]
    fieldsets = [
        (None, {"fields": ["reference", "member", "product", "program", "status", "principal", "notes"]}),
        (
            _("Dates"),
            {"fields": ["submitted_on", "submitted_by", "approved_on", "approved_by", "disbursed_on", "closed_on"]},
        ),
        (
            _("Terms"),
            {"fields": list(TERM_FIELDS)},
        ),
        (_("Balance"), {"fields": selectors.BALANCE_FIELDS}),
    ]

    # The balance columns read the annotations of get_queryset (no query per row).
    principal_disbursed = _balance_field("principal_disbursed", _("principal disbursed (S/)"))
    principal_paid = _balance_field("principal_paid", _("principal paid (S/)"))
    interest_due_total = _balance_field("interest_due_total", _("interest due (S/)"))
    interest_paid = _balance_field("interest_paid", _("interest paid (S/)"))
    fee_due_total = _balance_field("fee_due_total", _("fees charged (S/)"))
    fee_paid = _balance_field("fee_paid", _("fees paid (S/)"))
    penalty_due_total = _balance_field("penalty_due_total", _("penalties charged (S/)"))
    penalty_paid = _balance_field("penalty_paid", _("penalties paid (S/)"))
    principal_outstanding = _balance_field("principal_outstanding", _("principal outstanding (S/)"))
    interest_outstanding = _balance_field("interest_outstanding", _("interest outstanding (S/)"))
    fee_outstanding = _balance_field("fee_outstanding", _("fees outstanding (S/)"))
    penalty_outstanding = _balance_field("penalty_outstanding", _("penalties outstanding (S/)"))
    total_outstanding = _balance_field("total_outstanding", _("total outstanding (S/)"))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Loan]:
        return selectors.annotate_balances(super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Loan | None = None) -> list[str]:
        editable = {"notes"}
        model_fields = [field.name for field in Loan._meta.fields if field.name not in editable]
        return [*model_fields, *selectors.BALANCE_FIELDS]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A loan needs its lines and a generated reference: use the credit services.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Loan | None = None) -> bool:
        return False


@admin.register(LoanLine)
class LoanLineAdmin(ReadOnlyMixin, AuditedAdmin):
    region_path = "loan__member__region"
    list_display = ["loan", "item", "quantity", "unit_price", "amount"]
    list_select_related = ["loan__member", "item"]
    search_fields = ["loan__reference", "item__name"]


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyMixin, RoleScopedAdmin):
    region_path = "loan__member__region"
    list_display = ["loan", "number", "due_on", "principal_due", "interest_due"]
    list_select_related = ["loan__member"]
    search_fields = ["loan__reference"]
    date_hierarchy = "due_on"


@admin.register(LoanCharge)
class LoanChargeAdmin(ReadOnlyMixin, RoleScopedAdmin):
    region_path = "loan__member__region"
    list_display = ["loan", "occurred_on", "kind", "amount", "due_on", "reason", "recorded_by"]
    list_filter = ["kind"]
    list_select_related = ["loan__member", "recorded_by"]
    search_fields = ["loan__reference", "loan__member__code", "reason"]
    date_hierarchy = "occurred_on"


@admin.register(LoanTransaction)
class LoanTransactionAdmin(ReadOnlyMixin, RoleScopedAdmin):
    region_path = "loan__member__region"
    list_display = [
        "loan",
        "occurred_on",
        "kind",
        "amount",
        "principal_portion",
        "interest_portion",
        "fee_portion",
        "penalty_portion",
        "recorded_by",
    ]
    list_filter = ["kind"]
    list_select_related = ["loan__member", "recorded_by"]
    search_fields = ["loan__reference", "loan__member__code", "note"]
    date_hierarchy = "occurred_on"
