from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cooperative.access import MEMBER_WRITERS, has_role
from cooperative.admin_base import AuditedAdmin
from cooperative.models import (
    AllianceProgram,
    ApiRequestLog,
    ApiToken,
    CommunityProject,
    Partner,
    ProgramEnrollment,
    Region,
    StaffRole,
)


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    list_display = ["name", "ubigeo_code"]
    search_fields = ["name", "ubigeo_code"]


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    list_display = ["name", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]


class ProgramEnrollmentInline(admin.TabularInline):
    model = ProgramEnrollment
    extra = 0
    autocomplete_fields = ["member"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "program")


@admin.register(AllianceProgram)
class AllianceProgramAdmin(AuditedAdmin):
    list_display = [
        "code",
        "name",
        "partner",
        "starts_on",
        "ends_on",
        "target_farmers_certified",
        "target_beneficiaries",
    ]
    list_filter = ["partner", "regions", "standards"]
    list_select_related = ["partner"]
    search_fields = ["code", "name", "partner__name"]
    filter_horizontal = ["regions", "standards"]
    date_hierarchy = "starts_on"


@admin.register(ProgramEnrollment)
class ProgramEnrollmentAdmin(AuditedAdmin):
    list_display = ["member", "program", "enrolled_on", "status"]
    list_filter = ["status", "program"]
    list_select_related = ["member", "program"]
    search_fields = ["member__code", "member__first_names", "member__last_names", "program__code"]
    autocomplete_fields = ["member"]


@admin.register(CommunityProject)
class CommunityProjectAdmin(AuditedAdmin):
    list_display = ["name", "program", "region", "community", "beneficiaries", "completed_on"]
    list_filter = ["region", "program"]
    list_select_related = ["program", "region"]
    search_fields = ["name", "community"]


@admin.register(StaffRole)
class StaffRoleAdmin(AuditedAdmin):
    list_display = ["user", "role", "all_regions", "region_names"]
    list_filter = ["role", "all_regions"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    filter_horizontal = ["regions"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    @admin.display(description=_("regions"))
    def region_names(self, obj: StaffRole) -> str:
        return _("All") if obj.all_regions else ", ".join(region.name for region in obj.regions.all())


class ManagersOnlyReadOnlyAdmin:
    """Mixin: only managers may view (the role groups give every role view permission on all domain
    models; API access records are for managers), and nobody adds, changes or deletes here."""

    def has_view_permission(self, request, obj=None) -> bool:
        return has_role(request.user, MEMBER_WRITERS) and super().has_view_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ManagersOnlyReadOnlyAdmin, AuditedAdmin):
    """Read-only: tokens are created on the staff page or with `create_api_token` (the plain token must be
    shown once, which the admin cannot do) and revoked on the staff page, through the services."""

    list_display = ["partner", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = ["partner"]
    list_select_related = ["partner", "created_by"]
    search_fields = ["prefix", "name", "partner__name"]
    exclude = ["token_hash"]


@admin.register(ApiRequestLog)
class ApiRequestLogAdmin(ManagersOnlyReadOnlyAdmin, admin.ModelAdmin):
    """The API's request log, append-only."""

    list_display = ["created_at", "token_prefix", "user", "method", "path", "status_code"]
    list_filter = ["status_code", "method"]
    list_select_related = ["user"]
    search_fields = ["token_prefix", "path"]
    date_hierarchy = "created_at"
