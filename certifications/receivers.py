"""What certifications do when the apps below them signal a change (connected in CertificationsConfig.ready()).

- members.signals.member_withdrawn: the member's open certifications are withdrawn. The receiver runs inside
  member_withdraw's transaction, so the withdrawal and the closed certifications are saved together or not
  at all.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Max
from django.utils.translation import gettext as _

from certifications.models import OPEN_STATUSES, Certification, CertificationStatus
from certifications.services.certifications import certification_change_status
from members.models import Member


def member_withdrawn_close_certifications(
    sender, *, member: Member, decided_by: AbstractBaseUser | None, **kwargs
) -> None:
    """Move each open certification of the member's farms to withdrawn with an event, dated on the withdrawal,
    or on the certification's last event when that is later (events never go back in time)."""
    withdrawn_on = member.withdrawn_on
    open_certifications = Certification.objects.filter(farm__member=member, status__in=OPEN_STATUSES).annotate(
        last_event_on=Max("events__occurred_on")
    )
    for certification in open_certifications:
        certification_change_status(
            certification=certification,
            to_status=CertificationStatus.WITHDRAWN,
            occurred_on=max(withdrawn_on, certification.last_event_on or withdrawn_on),
            reason=_("Member withdrawn from the cooperative: %(reason)s") % {"reason": member.withdrawal_reason},
            decided_by=decided_by,
        )
