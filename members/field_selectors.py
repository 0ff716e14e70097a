"""Reads for the technicians' field app: "My farms", due follow-ups, a farm's visit history.

Scope: the farms whose member's region is covered by the user's technician or manager roles (as the
visit upload API checks). Each selector's query count is fixed, whatever the number of farms or visits.
"""

import datetime
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from cooperative.access import VISIT_RECORDERS
from cooperative.search import folded_contains
from members.models import Farm, FarmVisit
from members.selectors import farms_in_scope

# Rows of "My farms" on one page: the whole list is kept on the phone for offline use, so it is capped;
# a search narrows it on the server when a technician covers more farms than this.
FIELD_FARMS_LIMIT = 400
DUE_SOON_DAYS = 7
DUE_LIST_LIMIT = 50


def field_farms_queryset(user: AbstractBaseUser) -> QuerySet[Farm]:
    """Active farms in the user's regions with `last_visit_on` and `follow_up_on` (the latest visit's
    follow-up date: a later visit settles an earlier follow-up). Member and region joined."""
    latest = FarmVisit.objects.filter(farm=OuterRef("pk")).order_by("-visited_on", "-id")
    return (
        farms_in_scope(user, VISIT_RECORDERS)
        .filter(status=Farm.Status.ACTIVE)
        .select_related("member", "region")
        .annotate(
            last_visit_on=Subquery(latest.values("visited_on")[:1]),
            follow_up_on=Subquery(latest.values("follow_up_on")[:1]),
        )
    )


@dataclass(frozen=True)
class FieldFarms:
    farms: list[Farm]
    total: int  # farms matching the search, of which `farms` holds at most FIELD_FARMS_LIMIT
    due: list[Farm]  # follow-ups due within DUE_SOON_DAYS (overdue first), whatever the search


def field_farms(*, user: AbstractBaseUser, search: str = "", today: datetime.date | None = None) -> FieldFarms:
    """ "My farms" of a technician. Cost: 4 queries (the scope check, the farms, their count, the due list)."""
    today = today or timezone.localdate()
    farms = field_farms_queryset(user)
    matching = farms
    for word in search.split()[:5]:
        # Names and places ignore accents and case ("junin" finds Junín: cooperative.search).
        matching = matching.filter(
            folded_contains("name", "member__first_names", "member__last_names", "community", "district", word=word)
            | Q(member__code__icontains=word)
            | Q(member__dni=word)
        )
    rows = list(matching.order_by("member__last_names", "member__first_names", "name", "pk")[:FIELD_FARMS_LIMIT])
    total = matching.count()
    due = list(
        farms.filter(follow_up_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS)).order_by(
            "follow_up_on", "member__last_names", "pk"
        )[:DUE_LIST_LIMIT]
    )
    return FieldFarms(farms=rows, total=total, due=due)


def field_farm(*, user: AbstractBaseUser, pk: int) -> Farm | None:
    """One farm in the user's field scope (active or retired), member and region joined. One query."""
    return farms_in_scope(user, VISIT_RECORDERS).select_related("member", "region").filter(pk=pk).first()
