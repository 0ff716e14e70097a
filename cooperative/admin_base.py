"""The admin base class for audited models: history visible, never rewritten from the history view."""

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class AuditedAdmin(SimpleHistoryAdmin):
    """Shows each record's audit history (who, when, what changed) and refuses to restore old versions.

    django-simple-history's history form saves the old version when it is posted, even with reverting
    disabled. Restoring an old version would change statuses and balances behind their services (no
    certification event, no ledger entry), so the history is read-only.
    """

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
