"""Who asks and for which records: the benchmark's manager and partner token, and the member, program and
partner measured, chosen once per run from the data; and the targets measured for them."""

import datetime
import math
from collections.abc import Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.reports import DEFAULT_PERIOD_DAYS
from bench import raw_sql
from bench.measuring.budgets import REPORT_RATIO_BUDGET
from bench.measuring.fetching import get_json
from bench.measuring.results import API_LIST, EXPORT, PAGE, REPORT, UNCACHED
from bench.measuring.targets import HttpTarget, RawSqlTarget
from cooperative.models import (
    PARTNER_VISIBLE_ENROLMENTS,
    AllianceProgram,
    ApiToken,
    Partner,
    StaffRole,
)
from cooperative.selectors import programs_in_scope, regions_in_scope
from cooperative.services import api_token_create, api_token_revoke, staff_role_grant
from credit.models import Loan
from members.eudr.readiness import eudr_readiness, readiness_farms
from members.models import FarmVisit, Member
from reporting.selectors import dashboard_figures
from reporting.views.member_list import MEMBERS_PER_PAGE

BENCH_USERNAME = "bench-manager"
BENCH_TOKEN_NAME = "manage.py benchmark"


class Subjects:
    """The benchmark's users (the manager's session, the partner's token) and the records measured: the
    member with the most farms among those with loans and visits, the program with the most enrolments,
    the partner with the most visible enrolments. Chosen once per run, from the data."""

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.today = timezone.localdate()
        self.manager = _bench_manager()
        self.staff = Client(raise_request_exception=True)
        self.staff.force_login(self.manager)
        self.member = (
            Member.objects.filter(
                Exists(Loan.objects.filter(member=OuterRef("pk"))),
                Exists(FarmVisit.objects.filter(farm__member=OuterRef("pk"))),
            )
            .annotate(farm_count=Count("farms"))
            .filter(farm_count__gt=0)
            .order_by("-farm_count", "pk")
            .first()
        )
        self.program = _most_enrolled(AllianceProgram.objects.all())
        self.partner = (
            Partner.objects.annotate(
                enrolments=Count(
                    "programs__enrollments", filter=Q(programs__enrollments__status__in=PARTNER_VISIBLE_ENROLMENTS)
                )
            )
            .filter(enrolments__gt=0)
            .order_by("-enrolments", "pk")
            .first()
        )
        self.token: ApiToken | None = None
        self.partner_client: Client | None = None
        self.partner_program: AllianceProgram | None = None
        if self.partner is not None:
            _revoke_leftover_tokens()
            self.token, plain = api_token_create(partner=self.partner, name=BENCH_TOKEN_NAME, created_by=None)
            self.partner_client = Client(raise_request_exception=True, HTTP_AUTHORIZATION=f"Bearer {plain}")
            self.partner_program = _most_enrolled(AllianceProgram.objects.filter(partner=self.partner))

    def close(self) -> None:
        """Log the manager out (its session row goes) and revoke the run's token."""
        self.staff.logout()
        if self.token is not None:
            api_token_revoke(token=self.token, revoked_by=None)

    def describe(self) -> dict[str, Any]:
        return {
            "manager": BENCH_USERNAME,
            "member": self.member.code if self.member else None,
            "program": self.program.code if self.program else None,
            "partner": self.partner.name if self.partner else None,
            "partner_program": self.partner_program.code if self.partner_program else None,
        }

    def targets(self) -> Iterator[HttpTarget | RawSqlTarget]:
        yield from self._pages()
        yield from self._api("staff", self.staff, self.program)
        if self.partner_client is not None:
            yield from self._api("partner", self.partner_client, self.partner_program)
        else:
            self.notes.append("No partner has enrolments: the partner API was not measured.")
        yield HttpTarget("export:api-members.csv", EXPORT, self.staff, reverse("api-member-list") + "?format=csv")
        yield HttpTarget("export:members.csv", EXPORT, self.staff, reverse("member_export", args=["csv"]))
        yield from self._raw_sql()

    def _pages(self) -> Iterator[HttpTarget]:
        members = reverse("member_list")
        pages = max(1, math.ceil(Member.objects.count() / MEMBERS_PER_PAGE))
        yield HttpTarget("page:dashboard", PAGE, self.staff, reverse("dashboard"))
        yield HttpTarget(f"page:dashboard{UNCACHED}", PAGE, self.staff, reverse("dashboard"), uncached=True)
        yield HttpTarget("page:members", PAGE, self.staff, members)
        yield HttpTarget("page:members:middle-page", PAGE, self.staff, f"{members}?page={(pages + 1) // 2}")
        region = Member.objects.values("region").annotate(n=Count("pk")).order_by("-n", "region").first()
        if region is not None:
            url = f"{members}?region={region['region']}&crop=coffee"
            yield HttpTarget("page:members:region-crop", PAGE, self.staff, url)
        dni = self.member.dni if self.member is not None and self.member.dni else None
        dni = dni or Member.objects.exclude(dni="").exclude(dni__isnull=True).values_list("dni", flat=True).first()
        if dni:
            yield HttpTarget("page:members:dni-search", PAGE, self.staff, f"{members}?q={dni}")
        if self.member is not None:
            yield HttpTarget("page:member-detail", PAGE, self.staff, reverse("member_detail", args=[self.member.pk]))
        else:
            self.notes.append("No member has farms, loans and visits: the member page was not measured.")
        if self.program is not None:
            yield HttpTarget("page:program-detail", PAGE, self.staff, reverse("program_detail", args=[self.program.pk]))

    def _api(self, who: str, client: Client, program: AllianceProgram | None) -> Iterator[HttpTarget]:
        summary = reverse("api-report-summary")
        yield HttpTarget(f"api:{who}:summary", REPORT, client, summary)
        yield HttpTarget(f"api:{who}:summary{UNCACHED}", REPORT, client, summary, uncached=True)
        if program is not None:
            progress = reverse("api-program-progress", args=[program.pk])
            yield HttpTarget(f"api:{who}:program-progress", REPORT, client, progress)
        for name in ("members", "farms", "certifications", "visits", "loans", "programs"):
            first = reverse(f"api-{name.rstrip('s')}-list")
            yield HttpTarget(f"api:{who}:{name}", API_LIST, client, first)
            yield HttpTarget(f"api:{who}:{name}:later", API_LIST, client, first, later_page=True)

    def _raw_sql(self) -> Iterator[RawSqlTarget]:
        today = self.today
        period = (today - datetime.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)
        staff = raw_sql.Scope()  # the bench manager covers every region

        def dashboard_report() -> raw_sql.Figures:
            regions = regions_in_scope(self.manager)
            readiness = eudr_readiness(
                farms_queryset=readiness_farms(regions=regions), programs=programs_in_scope(regions)
            )
            return raw_sql.figures_of_dashboard(dashboard_figures(regions=regions, as_of=today), readiness)

        yield RawSqlTarget(
            "raw:dashboard",
            f"page:dashboard{UNCACHED}",
            lambda: raw_sql.dashboard_figures(staff, as_of=today),
            dashboard_report,
        )
        scopes = [("staff", self.staff, staff, self.program)]
        if self.partner_client is not None:
            scopes.append(
                ("partner", self.partner_client, raw_sql.Scope(partner_id=self.partner.pk), self.partner_program)
            )
        for who, client, scope, program in scopes:
            yield RawSqlTarget(
                f"raw:summary:{who}",
                f"api:{who}:summary{UNCACHED}",
                lambda scope=scope: raw_sql.summary_figures(scope, as_of=today, period=period),
                lambda client=client: raw_sql.figures_of_summary(get_json(client, reverse("api-report-summary"))),
                budget=REPORT_RATIO_BUDGET,
            )
            if program is not None:
                url = reverse("api-program-progress", args=[program.pk])
                yield RawSqlTarget(
                    f"raw:program-progress:{who}",
                    f"api:{who}:program-progress",
                    lambda scope=scope, pk=program.pk: raw_sql.program_progress_figures(
                        scope, program_id=pk, as_of=today
                    ),
                    lambda client=client, url=url: raw_sql.figures_of_program_progress(get_json(client, url)),
                )


def _most_enrolled(programs) -> AllianceProgram | None:
    return (
        programs.annotate(enrolments=Count("enrollments"))
        .filter(enrolments__gt=0)
        .order_by("-enrolments", "pk")
        .first()
    )


def _bench_manager():
    """The `bench-manager` user, a manager of every region (no password: the benchmark logs it in itself)."""
    user, created = get_user_model().objects.get_or_create(
        username=BENCH_USERNAME, defaults={"first_name": "Benchmark"}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if not StaffRole.objects.filter(user=user, role=StaffRole.Role.MANAGER, all_regions=True).exists():
        staff_role_grant(user=user, role=StaffRole.Role.MANAGER, all_regions=True)
    return user


def _revoke_leftover_tokens() -> None:
    """Tokens of an earlier run that ended before revoking its own (killed), so no benchmark token stays live."""
    for token in ApiToken.objects.filter(name=BENCH_TOKEN_NAME, created_by=None, revoked_at__isnull=True):
        api_token_revoke(token=token, revoked_by=None)
