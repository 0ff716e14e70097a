"""How the certification services attribute the simple-history records they write."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models

# history_change_reason of django-simple-history is a 100-character column.
HISTORY_REASON_LENGTH = 100


def attributed(instance: models.Model, user: AbstractBaseUser | None, change_reason: str = "") -> None:
    """Attribute the simple-history record to the person who decided, outside a request too."""
    if user is not None:
        instance._history_user = user
    if change_reason:
        reason = change_reason.strip()
        if len(reason) > HISTORY_REASON_LENGTH:
            reason = reason[: HISTORY_REASON_LENGTH - 1] + "…"
        instance._change_reason = reason
