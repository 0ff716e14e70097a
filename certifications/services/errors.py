"""How the certification services report what they refuse: every rule is checked first, each problem is added
under the field it concerns, and one ValidationError names them all (nothing is written then). Also the way
dates and people are quoted in those messages."""

import datetime

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

ErrorDict = dict[str, list[str]]


def short_date(value: datetime.date) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def person(user: AbstractBaseUser) -> str:
    return user.get_full_name() or user.get_username()


def add_error(errors: ErrorDict, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def raise_if(errors: ErrorDict) -> None:
    if errors:
        raise ValidationError(errors)


def check_reason(errors: ErrorDict, reason: str) -> None:
    if not reason.strip():
        add_error(errors, "reason", _("Give the reason for this decision."))


def check_not_future(errors: ErrorDict, field: str, day: datetime.date) -> None:
    if day > timezone.localdate():
        add_error(errors, field, _("The date cannot be in the future."))
