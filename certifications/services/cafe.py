"""C.A.F.E. Practices verifications: the tier a verifier's scorecard gives, and recording a verification.
The tier is informative: the certification's status changes only by the committee's decisions."""

import datetime
from decimal import Decimal, InvalidOperation

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from certifications.models import CafeTier, CafeVerification, Certification, StandardCode
from certifications.services.errors import ErrorDict, add_error, check_not_future, raise_if
from certifications.services.history import attributed

# C.A.F.E. Practices scorecard thresholds (percent, in each of the social and environmental dimensions).
CAFE_STRATEGIC = Decimal("80")
CAFE_PREFERRED = Decimal("60")
CAFE_PERCENT_PLACES = Decimal("0.01")


def _percent(errors: ErrorDict, field: str, value: Decimal | int) -> Decimal | None:
    """The percentage as a Decimal, or None with an error: floats (binary rounding), values outside 0-100
    and more than two decimals are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        add_error(errors, field, _("Give the percentage as a number with up to two decimals."))
        return None
    number = Decimal(value)
    if not number.is_finite() or not Decimal(0) <= number <= Decimal(100):
        add_error(errors, field, _("A percentage is between 0 and 100."))
        return None
    try:
        two_places = number == number.quantize(CAFE_PERCENT_PLACES)
    except InvalidOperation:  # more digits than the context's precision
        two_places = False
    if not two_places:
        add_error(errors, field, _("Give the percentage with at most two decimals."))
        return None
    return number


def cafe_tier(social_percent: Decimal, environmental_percent: Decimal, zero_tolerance_failures: int) -> str:
    """The C.A.F.E. Practices tier (a CafeTier value) of a verifier's scorecard. Pure: no query.

    Any zero-tolerance failure blocks status; otherwise 80% or more in both the social and the environmental
    dimension is Strategic, 60% or more in both is Preferred, anything else Verified. Raises ValidationError
    (on the argument's name) for a percentage outside 0-100 or with more than two decimals, a float, or a
    negative number of failures.
    """
    errors: ErrorDict = {}
    social = _percent(errors, "social_percent", social_percent)
    environmental = _percent(errors, "environmental_percent", environmental_percent)
    if isinstance(zero_tolerance_failures, bool) or not isinstance(zero_tolerance_failures, int):
        add_error(errors, "zero_tolerance_failures", _("Give the number of zero-tolerance failures."))
    elif zero_tolerance_failures < 0:
        add_error(errors, "zero_tolerance_failures", _("The number of zero-tolerance failures cannot be negative."))
    raise_if(errors)

    if zero_tolerance_failures > 0:
        return CafeTier.BLOCKED
    lowest = min(social, environmental)
    if lowest >= CAFE_STRATEGIC:
        return CafeTier.STRATEGIC
    if lowest >= CAFE_PREFERRED:
        return CafeTier.PREFERRED
    return CafeTier.VERIFIED


@transaction.atomic
def cafe_verification_record(
    *,
    certification: Certification,
    verified_on: datetime.date,
    verifier: str,
    social_percent: Decimal,
    environmental_percent: Decimal,
    zero_tolerance_failures: int,
    recorded_by: AbstractBaseUser | None,
) -> CafeVerification:
    """Record a C.A.F.E. Practices verification of a farm's certification, with the tier its scorecard gives
    (cafe_tier); return it. Only for a C.A.F.E. Practices certification. The tier is informative: the
    certification's status changes only by the committee's decisions. A handful of queries.
    """
    certification = Certification.objects.select_related("standard").get(pk=certification.pk)
    errors: ErrorDict = {}
    if certification.standard.code != StandardCode.CAFE_PRACTICES:
        add_error(
            errors,
            "certification",
            _(
                "C.A.F.E. Practices verifications are recorded only on a C.A.F.E. Practices certification; "
                "this one is %(standard)s."
            )
            % {"standard": certification.standard.name},
        )
    if not verifier.strip():
        add_error(errors, "verifier", _("Give the verifier (the verification organization)."))
    check_not_future(errors, "verified_on", verified_on)
    tier = None
    try:
        tier = cafe_tier(social_percent, environmental_percent, zero_tolerance_failures)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    raise_if(errors)

    verification = CafeVerification(
        certification=certification,
        verified_on=verified_on,
        verifier=verifier.strip(),
        social_percent=social_percent,
        environmental_percent=environmental_percent,
        zero_tolerance_failures=zero_tolerance_failures,
        tier=tier,
    )
    verification.full_clean()
    attributed(verification, recorded_by)
    verification.save()
    return verification
