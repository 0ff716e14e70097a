from django import forms
from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.translation import gettext_lazy as _

from certifications.models import (
    CafeVerification,
    Certification,
    CertificationEvent,
    Checklist,
    GroupCertificate,
    Inspection,
    InspectionAnswer,
    InspectorConflict,
    NonConformity,
    Requirement,
    Sanction,
    Standard,
)
from certifications.selectors.certifications import certifications_for_list
from certifications.services.group_certificates import group_certificate_errors
from cooperative.admin_base import AuditedAdmin, RoleScopedAdmin, ScopedInline
from cooperative.models import Crop

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


class CertificationEventInline(ScopedInline):
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

    region_path = "farm__member__region"
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
class CertificationEventAdmin(RoleScopedAdmin):
    region_path = "certification__farm__member__region"
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


# -- Internal Control System -----------------------------------------------------------------------------


class ReadOnlyAdminMixin:
    """Shown, never written here: the rows come from services that check the rules and keep the history."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class RequirementInline(ScopedInline):
    model = Requirement
    fields = ("position", "code", "section", "text_es", "text_en", "critical")
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Checklist)
class ChecklistAdmin(AuditedAdmin):
    list_display = ("standard", "version", "title", "active")
    list_filter = ("standard", "active")
    list_select_related = ("standard",)
    search_fields = ("title", "version")
    readonly_fields = ("created_at", "updated_at")
    inlines = (RequirementInline,)


@admin.register(Requirement)
class RequirementAdmin(AuditedAdmin):
    list_display = ("code", "checklist", "section", "critical", "position")
    list_filter = ("checklist__standard", "critical")
    list_select_related = ("checklist__standard",)
    search_fields = ("code", "section", "text_es", "text_en")
    readonly_fields = ("created_at", "updated_at")


@admin.register(InspectorConflict)
class InspectorConflictAdmin(AuditedAdmin):
    region_path = "member__region"
    list_display = ("inspector", "member", "relationship", "declared_on")
    list_filter = ("relationship",)
    list_select_related = ("inspector", "member")
    search_fields = ("inspector__username", "member__code", "member__first_names", "member__last_names")
    autocomplete_fields = ("member",)
    readonly_fields = ("created_at", "updated_at")


ANSWER_FIELDS = ("requirement", "answer", "note")


class InspectionAnswerInline(ReadOnlyAdminMixin, ScopedInline):
    model = InspectionAnswer
    fields = ANSWER_FIELDS
    readonly_fields = ANSWER_FIELDS
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requirement")


INSPECTION_FIELDS = (
    "farm",
    "standards",
    "inspector",
    "inspected_on",
    "interviewee",
    "estimated_yield_kg",
    "inputs_used",
    "recommendation",
    "recommendation_note",
    "created_at",
    "updated_at",
)


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    """Internal inspections are recorded from the inspection pages, which check conflicts of interest and
    open the non-conformities; here they are read only."""

    region_path = "farm__member__region"
    list_display = ("farm", "inspected_on", "inspector", "recommendation")
    list_filter = ("recommendation", "standards", "farm__member__region")
    list_select_related = ("farm__member", "inspector")
    search_fields = ("farm__name", "farm__member__code", "interviewee")
    date_hierarchy = "inspected_on"
    fields = INSPECTION_FIELDS
    readonly_fields = INSPECTION_FIELDS
    inlines = (InspectionAnswerInline,)


NON_CONFORMITY_FIELDS = (
    "farm",
    "standard",
    "inspection",
    "requirement",
    "severity",
    "description",
    "corrective_action",
    "deadline",
    "closed_on",
    "verified_by",
    "closing_note",
    "created_at",
    "updated_at",
)


@admin.register(NonConformity)
class NonConformityAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    """Opened by an inspection and closed once verified, from the inspection pages (an open critical one
    blocks certification, so it is never closed behind their back)."""

    region_path = "farm__member__region"
    list_display = ("requirement", "farm", "standard", "severity", "deadline", "closed_on")
    list_filter = ("severity", "standard", ("closed_on", admin.EmptyFieldListFilter))
    list_select_related = ("requirement", "farm__member", "standard")
    search_fields = ("requirement__code", "farm__name", "farm__member__code")
    date_hierarchy = "deadline"
    fields = NON_CONFORMITY_FIELDS
    readonly_fields = NON_CONFORMITY_FIELDS


SANCTION_FIELDS = (
    "certification",
    "kind",
    "starts_on",
    "ends_on",
    "reason",
    "non_conformity",
    "decided_by",
    "event",
    "created_at",
    "updated_at",
)


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    """Sanctions are imposed and lifted only through certifications.services.sanctions (the status change is
    an event), from the committee's pages."""

    region_path = "certification__farm__member__region"
    list_display = ("certification", "kind", "starts_on", "ends_on", "decided_by")
    list_filter = ("kind", "certification__standard")
    list_select_related = ("certification__farm__member", "certification__standard", "decided_by")
    search_fields = ("certification__farm__name", "certification__farm__member__code", "reason")
    date_hierarchy = "starts_on"
    fields = SANCTION_FIELDS
    readonly_fields = SANCTION_FIELDS


CAFE_FIELDS = (
    "certification",
    "verified_on",
    "verifier",
    "social_percent",
    "environmental_percent",
    "zero_tolerance_failures",
    "tier",
    "created_at",
    "updated_at",
)


@admin.register(CafeVerification)
class CafeVerificationAdmin(ReadOnlyAdminMixin, AuditedAdmin):
    """Recorded through certifications.services.cafe.cafe_verification_record, which computes the tier."""

    region_path = "certification__farm__member__region"
    list_display = ("certification", "verified_on", "verifier", "social_percent", "environmental_percent", "tier")
    list_filter = ("tier",)
    list_select_related = ("certification__farm__member", "certification__standard")
    search_fields = ("certification__farm__name", "certification__farm__member__code", "verifier")
    date_hierarchy = "verified_on"
    fields = CAFE_FIELDS
    readonly_fields = CAFE_FIELDS


class GroupCertificateAdminForm(forms.ModelForm):
    """The rules of certifications.services.group_certificates (UTZ accepts nothing new, crops, dates) on the
    admin's form."""

    crops = forms.MultipleChoiceField(
        label=_("Crops covered"), choices=Crop.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = GroupCertificate
        fields = ("standard", "number", "certification_body", "valid_from", "valid_until", "crops", "notes")

    def clean(self):
        cleaned_data = super().clean()
        standard = cleaned_data.get("standard")
        if standard is not None:
            errors, crops = group_certificate_errors(
                standard=standard,
                number=cleaned_data.get("number") or "",
                certification_body=cleaned_data.get("certification_body") or "",
                valid_from=cleaned_data.get("valid_from"),
                valid_until=cleaned_data.get("valid_until"),
                crops=cleaned_data.get("crops") or [],
                certificate=self.instance if self.instance.pk else None,
            )
            for field, messages in errors.items():
                # GroupCertificate.clean() checks the crops and the dates already (in the same words).
                if field not in ("crops", "valid_until"):
                    self.add_error(None if field == NON_FIELD_ERRORS else field, messages)
            cleaned_data["crops"] = crops
        return cleaned_data


@admin.register(GroupCertificate)
class GroupCertificateAdmin(AuditedAdmin):
    form = GroupCertificateAdminForm
    list_display = ("standard", "number", "certification_body", "valid_from", "valid_until")
    list_filter = ("standard",)
    list_select_related = ("standard",)
    search_fields = ("number", "certification_body")
    date_hierarchy = "valid_until"
    readonly_fields = ("created_at", "updated_at")
