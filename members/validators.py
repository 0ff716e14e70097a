"""Validators for Peruvian identifiers and places (python-stdnum does the checking)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pe import cui

# Peru's extent in WGS84 decimal degrees (mainland and islands), with a small margin.
PERU_LATITUDE = (Decimal("-18.40"), Decimal("0.05"))
PERU_LONGITUDE = (Decimal("-81.40"), Decimal("-68.60"))


def normalize_dni(value: str) -> str:
    """Return the 8-digit DNI for a valid DNI (an optional check character is verified, then dropped)."""
    return cui.compact(value)[:8]


def validate_dni(value: str) -> None:
    try:
        cui.validate(value)
    except StdnumError:
        raise ValidationError(
            _("Enter a valid DNI: 8 digits, optionally followed by its check character."), code="invalid_dni"
        ) from None


def validate_latitude_in_peru(value: Decimal) -> None:
    low, high = PERU_LATITUDE
    if value is not None and not (low <= value <= high):
        raise ValidationError(_("The latitude is outside Peru (between -18.4 and 0.05)."), code="outside_peru")


def validate_longitude_in_peru(value: Decimal) -> None:
    low, high = PERU_LONGITUDE
    if value is not None and not (low <= value <= high):
        raise ValidationError(_("The longitude is outside Peru (between -81.4 and -68.6)."), code="outside_peru")
