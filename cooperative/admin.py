from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from cooperative.access import Role
from cooperative.admin_base import AuditedAdmin, RoleScopedAdmin, admin_regions, may_use_admin
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
from cooperative.selectors import programs_in_scope
from cooperative.services import staff_access_sync


@admin.register(Region)
class RegionAdmin(AuditedAdmin):
    region_path = "pk"
    list_display = ["name", "ubigeo_code"]
    search_fields = ["name", "ubigeo_code"]


@admin.register(Partner)
class PartnerAdmin(AuditedAdmin):
    list_display = ["name", "kind", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name"]


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

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        """Programs covering at least one of the user's regions, as on the program pages (no duplicates)."""
        if request.user.is_superuser:
            return queryset
        if not may_use_admin(request):
            return queryset.none()
        return queryset.filter(pk__in=programs_in_scope(admin_regions(request)).values("pk"))

    def in_scope(self, request: HttpRequest, obj) -> bool:
        if obj is None or request.user.is_superuser:
            return True
        return self.scope_queryset(request, AllianceProgram.objects.filter(pk=obj.pk)).exists()

    def may_change(self, request: HttpRequest, obj) -> bool:
        """Only a manager covering every region of the program edits it: the region choices offered are the
        user's own, so saving would otherwise drop the regions they cannot see."""
        if obj is None or request.user.is_superuser:
            return True
        return not obj.regions.exclude(pk__in=admin_regions(request)).exists()


@admin.register(ProgramEnrollment)
class ProgramEnrollmentAdmin(AuditedAdmin):
    region_path = "member__region"
    list_display = ["member", "program", "enrolled_on", "status"]
    list_filter = ["status", "program"]
    list_select_related = ["member", "program"]
    search_fields = ["member__code", "member__first_names", "member__last_names", "program__code"]
    autocomplete_fields = ["member"]


@admin.register(CommunityProject)
class CommunityProjectAdmin(AuditedAdmin):
    region_path = "region"
    list_display = ["name", "program", "region", "community", "beneficiaries", "completed_on"]
    list_filter = ["region", "program"]
    list_select_related = ["program", "region"]
    search_fields = ["name", "community"]


@admin.register(StaffRole)
class StaffRoleAdmin(AuditedAdmin):
    """Roles decide who sees what, so only a superuser or a manager of every region grants them: a manager of
    some regions could otherwise widen their own scope. Saving keeps the user's staff status and role groups
    in step (cooperative.services.staff_access_sync)."""

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

    def may_use(self, request: HttpRequest) -> bool:
        user = request.user
        if not may_use_admin(request):
            return False
        return user.is_superuser or user.staff_roles.filter(role=Role.MANAGER, all_regions=True).exists()

    def save_related(self, request: HttpRequest, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        staff_access_sync(user=form.instance.user)

    def delete_model(self, request: HttpRequest, obj: StaffRole) -> None:
        super().delete_model(request, obj)
        staff_access_sync(user=obj.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[StaffRole]) -> None:
        users = [role.user for role in queryset.select_related("user")]
        super().delete_queryset(request, queryset)
        for user in users:
            staff_access_sync(user=user)


class ReadOnlyAdminMixin:
    """Mixin: nobody adds, changes or deletes here (managers view, as everywhere in the admin)."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    """Read-only: tokens are created on the staff page or with `create_api_token` (the plain token must be
    shown once, which the admin cannot do) and revoked on the staff page, through the services."""

    list_display = ["partner", "name", "prefix", "created_at", "created_by", "last_used_at", "revoked_at"]
    list_filter = ["partner"]
    list_select_related = ["partner", "created_by"]
    search_fields = ["prefix", "name", "partner__name"]
    exclude = ["token_hash"]


@admin.register(ApiRequestLog)
class ApiRequestLogAdmin(ReadOnlyAdminMixin, RoleScopedAdmin):
    """The API's request log, append-only."""

    list_display = ["created_at", "token_prefix", "user", "method", "path", "status_code"]
    list_filter = ["status_code", "method"]
    list_select_related = ["user"]
    search_fields = ["token_prefix", "path"]
    date_hierarchy = "created_at"
