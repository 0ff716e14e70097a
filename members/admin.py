from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cooperative.admin_base import AuditedAdmin, ScopedInline
from members.eudr.status import refresh_eudr_status
from members.models import Farm, FarmVisit, Member, VisitPestObservation
from members.read_models import refresh_active_hectares


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

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Farm:  # the farms' hectares or status may have changed
            refresh_eudr_status(
                [farm.pk for farm in formset.new_objects + [farm for farm, _ in formset.changed_objects]]
            )
            refresh_active_hectares([form.instance.pk])


@admin.register(Farm)
class FarmAdmin(AuditedAdmin):
    # As on the staff pages, a farm belongs to its member's region.
    region_path = "member__region"
    list_display = ["name", "member", "crop", "hectares", "region", "estimated_production_kg", "status"]
    list_filter = ["crop", "status", "region"]
    list_select_related = ["member", "region"]
    search_fields = ["name", "member__code", "member__first_names", "member__last_names", "community"]
    autocomplete_fields = ["member"]

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        refresh_eudr_status([obj.pk])  # the hectares, point or status may have changed
        # The member's stored hectares, and the former member's when the farm moved to another member.
        refresh_active_hectares({obj.member_id, form.initial.get("member")} - {None})


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
