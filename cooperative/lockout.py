"""Login lockout (django-axes): too many wrong passwords for one user, or from one address, lock it out.

The failures are rows in the database (axes' AccessAttempt), so every app server sees the same count and
the lockout holds across processes and machines. Two limits: a person mistyping is locked after
LOGIN_FAILURES_PER_USER failures on their user name; an office shares one public address behind its
router, so an address is locked only after LOGIN_FAILURES_PER_ADDRESS failures on any user names (a
password-guessing script trying many names). Failures older than the cool-off no longer count; the
lockout ends by itself after it, or sooner when a manager deletes the attempts in the admin ("Intentos de
acceso") or an operator runs `manage.py axes_reset_username <user>`.
"""

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_noop


def _failures(attempts: QuerySet) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LoginLockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per user name and a higher one per address.

    axes compares one number with one limit (AXES_FAILURE_LIMIT, the per-user limit), so the address's
    failures are scaled to it: the address reaches the per-user limit exactly when it reaches its own.
    Expects AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"], in that order. Two aggregate queries.
    """

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        by_username, by_address = (_failures(attempts) for attempts in self.get_user_attempts(request, credentials))
        per_user, per_address = settings.LOGIN_FAILURES_PER_USER, settings.LOGIN_FAILURES_PER_ADDRESS
        if by_address >= per_address:
            address_weight = per_user
        else:
            # Below its own limit the address never counts as much as the per-user limit.
            address_weight = min(by_address * per_user // per_address, per_user - 1)
        return max(by_username, address_weight)


def lockout_response(request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None):
    """The login page again, saying why and for how long, with 429 Too Many Requests."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)


# django-axes ships no Spanish catalogue: its admin's names are listed here so that makemessages keeps them
# in ours and managers read "Intentos de acceso" in the admin.
AXES_ADMIN_MESSAGES = (
    gettext_noop("access attempt"),
    gettext_noop("access attempts"),
    gettext_noop("access log"),
    gettext_noop("access logs"),
    gettext_noop("access failure"),
    gettext_noop("access failures"),
    gettext_noop("Attempt Time"),
    gettext_noop("Failed Logins"),
    gettext_noop("Form Data"),
    gettext_noop("GET Data"),
    gettext_noop("POST Data"),
    gettext_noop("HTTP Accept"),
    gettext_noop("IP Address"),
    gettext_noop("Locked Out"),
    gettext_noop("Logout Time"),
    gettext_noop("Meta Data"),
    gettext_noop("Path"),
    gettext_noop("User Agent"),
    gettext_noop("Username"),
    gettext_noop("Session key hash (sha256)"),
    gettext_noop("Not set"),
)
