"""The admin's base classes: who may use it, which rows each user sees, and read-only audit history.

The admin obeys the rules of the staff pages. It is a manager's tool: only managers (and superusers) have
staff status (cooperative.services.staff_access_sync), and every model admin checks the manager role
again, so staff status given by hand to another role opens nothing. A manager sees and changes only the
rows of the regions their manager role covers, found through the same helper the staff pages use
(cooperative.selectors.regions_in_scope); a row outside them is absent from the lists, its change page
redirects as for a missing row, and its history answers 403. Superusers see everything.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from cooperative.access import MEMBER_WRITERS, has_role
from cooperative.models import Region
from cooperative.selectors import regions_in_scope

# The roles that may open the admin at all (the staff pages cover every other role's work).
ADMIN_ROLES = MEMBER_WRITERS


def may_use_admin(request: HttpRequest) -> bool:
    """Active staff with the manager role, or a superuser (one query for the roles, cached on the user)."""
    user = request.user
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or has_role(user, ADMIN_ROLES)


def admin_regions(request: HttpRequest) -> QuerySet[Region]:
    """The regions the user's manager role covers (all of them for a superuser); a lazy subquery."""
    return regions_in_scope(request.user, ADMIN_ROLES)


class RegionScopedQuerysetMixin:
    """Narrows an admin's (or an inline's) rows to the user's regions.

    `region_path` is the lookup from the model to its region ("member__region", "pk" for Region itself);
    None for reference data that belongs to no region (standards, catalogue, partners), shown whole.
    """

    region_path: str | None = None

    def scope_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.region_path is None or request.user.is_superuser:
            return queryset
        if not may_use_admin(request):
            return queryset.none()
        return queryset.filter(**{f"{self.region_path}__in": admin_regions(request)})

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return self.scope_queryset(request, super().get_queryset(request))

    def _related_admin(self, db_field):
        return self.admin_site._registry.get(db_field.remote_field.model)

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        """A choice is offered (and accepted) only among the rows the user sees: a Cusco-only manager cannot
        move a member to Junín nor attach a farm to a Junín member by posting its id."""
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        related = self._related_admin(db_field)
        if field is not None and isinstance(related, RegionScopedQuerysetMixin):
            field.queryset = related.scope_queryset(request, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request: HttpRequest, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        related = self._related_admin(db_field)
        if field is not None and isinstance(related, RegionScopedQuerysetMixin):
            field.queryset = related.scope_queryset(request, field.queryset)
        return field


class RoleScopedAdmin(RegionScopedQuerysetMixin, admin.ModelAdmin):
    """A model admin for managers, limited to their regions (see the module docstring).

    Django's model permissions (the manager's role group) still apply on top: the role decides whether the
    admin opens, the permissions what may be done there, the regions which rows.
    """

    def may_use(self, request: HttpRequest) -> bool:
        return may_use_admin(request)

    def in_scope(self, request: HttpRequest, obj: Model | None) -> bool:
        """Whether `obj` (the current row with that primary key) is one of the user's rows.

        One query per object and request; history pages pass an old version, judged by the current row (a
        deleted row is out of everyone's scope but a superuser's).
        """
        if obj is None or self.region_path is None or request.user.is_superuser:
            return True
        cache = request.__dict__.setdefault("_admin_scope", {})
        key = (self.model._meta.label, obj.pk)
        if key not in cache:
            rows = self.model._default_manager.filter(pk=obj.pk)
            cache[key] = self.scope_queryset(request, rows).exists()
        return cache[key]

    def may_change(self, request: HttpRequest, obj: Model | None) -> bool:
        """A hook for rows a manager may see but not change (a program reaching beyond their regions)."""
        return True

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_use(request) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_use(request) and super().has_view_permission(request, obj) and self.in_scope(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.may_use(request) and super().has_add_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return (
            self.may_use(request)
            and super().has_change_permission(request, obj)
            and self.in_scope(request, obj)
            and self.may_change(request, obj)
        )

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return self.may_use(request) and super().has_delete_permission(request, obj) and self.in_scope(request, obj)


class ScopedInline(RegionScopedQuerysetMixin, admin.TabularInline):
    """An inline whose rows are narrowed like its own model's admin (its permissions follow the parent's)."""


class AuditedAdmin(RoleScopedAdmin, SimpleHistoryAdmin):
    """Shows each record's audit history (who, when, what changed) and refuses to restore old versions.

    django-simple-history's history form saves the old version when it is posted, even with reverting
    disabled. Restoring an old version would change statuses and balances behind their services (no
    certification event, no ledger entry), so the history is read-only. The history pages ask
    has_view_permission with the object, so a row outside the user's regions answers 403 there too.
    """

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
