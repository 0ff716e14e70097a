from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cooperative.admin_base import AuditedAdmin, ScopedInline
from members.models import Farm, FarmVisit, Member, VisitPestObservation


class FarmInline(ScopedInline):
    model = Farm
    region_path = "member__region"
    extra = 0
    fields = ["name", "crop", "hectares", "region", "status"]
    show_change_link = True


@admin.register(Member)
class MemberAdmin(AuditedAdmin):
    region_path = "region"
    list_display = ["code", "last_names", "first_names", "dni", "region", "community", "status", "consents_to_share"]
    list_filter = ["status", "region", "gender", "consents_to_share"]
    list_select_related = ["region"]
    search_fields = ["code", "dni", "first_names", "last_names", "community"]
    date_hierarchy = "joined_on"
    inlines = [FarmInline]
    fieldsets = [
        (None, {"fields": ["code", "first_names", "last_names", "dni", "gender", "birth_date", "phone"]}),
        (_("Location"), {"fields": ["region", "district", "community", "ubigeo", "ubigeo_source"]}),
        (
            _("Membership"),
            {
                "fields": [
                    "joined_on",
                    "status",
                    "withdrawn_on",
                    "withdrawal_reason",
                    "consents_to_share",
                    "consent_date",
                ]
            },
        ),
    ]


@admin.register(Farm)
class FarmAdmin(AuditedAdmin):
    # As on the staff pages, a farm belongs to its member's region.
    region_path = "member__region"
    list_display = ["name", "member", "crop", "hectares", "region", "estimated_production_kg", "status"]
    list_filter = ["crop", "status", "region"]
    list_select_related = ["member", "region"]
    search_fields = ["name", "member__code", "member__first_names", "member__last_names", "community"]
    autocomplete_fields = ["member"]


class PestObservationInline(admin.TabularInline):
    model = VisitPestObservation
    extra = 0


@admin.register(FarmVisit)
class FarmVisitAdmin(AuditedAdmin):
    region_path = "farm__member__region"
    list_display = ["visited_on", "farm", "technician", "purpose", "follow_up_on"]
    list_filter = ["purpose", "farm__crop", "farm__region"]
    list_select_related = ["farm__member", "technician"]
    search_fields = ["farm__name", "farm__member__code", "technician__username"]
    date_hierarchy = "visited_on"
    autocomplete_fields = ["farm"]
    readonly_fields = ["client_uuid"]
    inlines = [PestObservationInline]
