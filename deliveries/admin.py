"""Admin for harvest deliveries: read-only. Deliveries, settlements and reversals are written by the
deliveries services (the staff pages under /deliveries/), and are append-only."""

from django.contrib import admin
from django.http import HttpRequest

from cooperative.admin_base import RoleScopedAdmin, ScopedInline
from deliveries.models import Delivery, DeliveryReversal, Settlement, SettlementDeduction


class ReadOnlyAdmin(RoleScopedAdmin):
    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class SettlementDeductionInline(ScopedInline):
    model = SettlementDeduction
    extra = 0
    fields = ["kind", "amount", "loan", "loan_transaction", "note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).select_related("loan__member", "loan_transaction__loan")


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    region_path = "member__region"
    list_display = [
        "reference",
        "delivered_on",
        "member",
        "farm",
        "crop",
        "product_state",
        "quantity_kg",
        "price_per_kg",
        "gross_amount",
    ]
    list_filter = ["crop", "product_state", "unit"]
    list_select_related = ["member", "farm__member"]
    search_fields = ["reference", "member__code", "member__dni", "member__last_names"]
    date_hierarchy = "delivered_on"


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyAdmin):
    region_path = "delivery__member__region"
    list_display = ["delivery", "paid_on", "gross_amount", "total_deductions", "net_paid", "settled_by"]
    list_select_related = ["delivery", "settled_by"]
    search_fields = ["delivery__reference", "delivery__member__code"]
    date_hierarchy = "paid_on"
    inlines = [SettlementDeductionInline]


@admin.register(DeliveryReversal)
class DeliveryReversalAdmin(ReadOnlyAdmin):
    region_path = "delivery__member__region"
    list_display = ["delivery", "reversed_on", "reason", "reversed_by"]
    list_select_related = ["delivery", "reversed_by"]
    search_fields = ["delivery__reference", "reason"]
