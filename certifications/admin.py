from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from certifications.models import Certification, CertificationEvent, Standard
from certifications.selectors import certifications_for_list
from cooperative.admin_base import AuditedAdmin

EVENT_FIELDS = ("occurred_on", "from_status", "to_status", "to_stage", "reason", "decided_by", "created_at")


@admin.register(Standard)
class StandardAdmin(AuditedAdmin):
    list_display = (
        "name",
        "code",
        "body",
        "validity_months",
        "requires_conversion",
        "accepts_new_certifications",
        "successor",
    )
    list_filter = ("requires_conversion", "accepts_new_certifications")
    list_select_related = ("successor",)
    search_fields = ("name", "code", "body")
    readonly_fields = ("code", "created_at", "updated_at")


class CertificationEventInline(admin.TabularInline):
    model = CertificationEvent
    fields = EVENT_FIELDS
    readonly_fields = EVENT_FIELDS
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("decided_by")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Certification)
class CertificationAdmin(AuditedAdmin):
    """Certificate details can be corrected here; opening a certification and its status go through services."""

    list_display = ("farm", "standard", "status", "conversion_stage", "certificate_number", "valid_until")
    list_filter = ("standard", "status", "conversion_stage", "farm__crop", "farm__region")
    search_fields = (
        "farm__name",
        "farm__member__code",
        "farm__member__first_names",
        "farm__member__last_names",
        "certificate_number",
        "certifier",
    )
    date_hierarchy = "valid_until"
    readonly_fields = ("farm", "standard", "status", "conversion_stage", "created_at", "updated_at")
    fieldsets = (
        (
            None,
            {
                "fields": ("farm", "standard", "status", "conversion_stage"),
                "description": _(
                    "The status and conversion stage change only through a status change, which records the "
                    "date, the reason and who decided as an event (listed below). They cannot be edited here."
                ),
            },
        ),
        (_("Certificate"), {"fields": ("certificate_number", "certifier", "valid_from", "valid_until")}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    inlines = (CertificationEventInline,)

    def get_queryset(self, request):
        return certifications_for_list(super().get_queryset(request))

    # A certification is opened by certification_create, which writes its first event; deleting one
    # would erase history the certifier audits.
    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CertificationEvent)
class CertificationEventAdmin(admin.ModelAdmin):
    list_display = ("certification", "from_status", "to_status", "to_stage", "occurred_on", "decided_by", "created_at")
    list_filter = ("to_status", "certification__standard")
    list_select_related = ("certification__farm__member", "certification__standard", "decided_by")
    search_fields = ("certification__farm__name", "certification__farm__member__code", "reason")
    date_hierarchy = "occurred_on"
    fields = ("certification", *EVENT_FIELDS)
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
