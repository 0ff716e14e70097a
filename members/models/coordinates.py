"""The WGS84 point of farms and visits: the two fields, their database constraints and the pairing check."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from members.validators import PERU_LATITUDE, PERU_LONGITUDE, validate_latitude_in_peru, validate_longitude_in_peru


def coordinates_constraints(prefix: str) -> list[models.CheckConstraint]:
    """Latitude and longitude come together, inside Peru (WGS84 decimal degrees)."""
    lat_low, lat_high = PERU_LATITUDE
    lon_low, lon_high = PERU_LONGITUDE
    return [
        models.CheckConstraint(
            condition=Q(latitude__isnull=True, longitude__isnull=True)
            | Q(latitude__isnull=False, longitude__isnull=False),
            name=f"{prefix}_coordinates_paired",
        ),
        models.CheckConstraint(
            condition=Q(latitude__isnull=True)
            | Q(latitude__gte=lat_low, latitude__lte=lat_high, longitude__gte=lon_low, longitude__lte=lon_high),
            name=f"{prefix}_coordinates_in_peru",
        ),
    ]


def latitude_field() -> models.DecimalField:
    """WGS84 decimal degrees with 6 decimals (about 0.1 m), as the EUDR asks."""
    return models.DecimalField(
        _("latitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[validate_latitude_in_peru]
    )


def longitude_field() -> models.DecimalField:
    return models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True, validators=[validate_longitude_in_peru]
    )


def coordinates_errors(latitude: Decimal | None, longitude: Decimal | None) -> dict[str, str]:
    if (latitude is None) == (longitude is None):
        return {}
    return {"longitude" if longitude is None else "latitude": _("Give both latitude and longitude, or neither.")}
