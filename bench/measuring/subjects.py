"""Who asks and for which records: the benchmark's manager and partner token, the member, program and
partner measured and the rows written before each sample, chosen once per run from the data; and the
targets measured for them."""

import datetime
import math
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.reports import DEFAULT_PERIOD_DAYS
from bench import raw_sql
from bench.measuring.budgets import FIRST_PAGE, MIDDLE_PAGE, REPORT_RATIO_BUDGET
from bench.measuring.fetching import get_json
from bench.measuring.results import API_LIST, EXPORT, PAGE, REPORT
from bench.measuring.targets import HttpTarget, RawSqlTarget
from bench.measuring.writing import AfterWrite
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
from reporting import member_list
from reporting.selectors import dashboard_figures
from reporting.views.member_list import MEMBERS_PER_PAGE

BENCH_USERNAME = "bench-manager"
BENCH_TOKEN_NAME = "manage.py benchmark"


class Subjects:
    """The benchmark's users (the manager's session, the partner's token) and the records measured: the
    member with the most farms among those with loans and visits, the program with the most enrolments,
    the partner with the most visible enrolments; and `write`, made before every sample (AfterWrite, on that
    member's rows). Chosen once per run, from the data."""

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
        self.write = AfterWrite(self.member)
        self.middle_page: dict[str, Any] = {}

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
            "written_before_each_sample": self.write.describe(),
            "members_middle_page": self.middle_page,
        }

    def targets(self) -> Iterator[HttpTarget | RawSqlTarget]:
        yield from self._pages()
        yield from self._api("staff", self.staff, self.program)
        if self.partner_client is not None:
            yield from self._api("partner", self.partner_client, self.partner_program)
        else:
            self.notes.append("No partner has enrolments: the partner API was not measured.")
        yield self._http("export:api-members.csv", EXPORT, self.staff, reverse("api-member-list") + "?format=csv")
        yield self._http("export:members.csv", EXPORT, self.staff, reverse("member_export", args=["csv"]))
        yield from self._raw_sql()

    def _http(self, name: str, kind: str, client: Client, url: str, **options: Any) -> HttpTarget:
        return HttpTarget(name, kind, client, url, before=self.write, **options)

    def _pages(self) -> Iterator[HttpTarget]:
        members = reverse("member_list")
        yield self._http("page:dashboard", PAGE, self.staff, reverse("dashboard"))
        yield self._http(FIRST_PAGE, PAGE, self.staff, members)
        middle = f"{members}?{self._middle_page_query()}"
        yield self._http(MIDDLE_PAGE, PAGE, self.staff, middle, details={"middle_page": self.middle_page})
        region = Member.objects.values("region").annotate(n=Count("pk")).order_by("-n", "region").first()
        if region is not None:
            url = f"{members}?region={region['region']}&crop=coffee"
            yield self._http("page:members:region-crop", PAGE, self.staff, url)
        dni = self.member.dni if self.member is not None and self.member.dni else None
        dni = dni or Member.objects.exclude(dni="").exclude(dni__isnull=True).values_list("dni", flat=True).first()
        if dni:
            yield self._http("page:members:dni-search", PAGE, self.staff, f"{members}?q={dni}")
        if self.member is not None:
            yield self._http("page:member-detail", PAGE, self.staff, reverse("member_detail", args=[self.member.pk]))
        else:
            self.notes.append("No member has farms, loans and visits: the member page was not measured.")
        if self.program is not None:
            url = reverse("program_detail", args=[self.program.pk])
            yield self._http("page:program-detail", PAGE, self.staff, url)

    def _middle_page_query(self) -> str:
        """The query string of the members list (by code) from its middle: the members after the one at
        position N // 2 by code, through the list's keyset cursor (reporting.member_list.member_list_cursor);
        `?page=` of the middle page number (OFFSET) where the list has no cursor."""
        count = Member.objects.count()
        cursor = getattr(member_list, "member_list_cursor", None)
        if cursor is not None and count:
            after = Member.objects.order_by("code", "pk")[count // 2]
            self.middle_page = {"by": "cursor", "after": after.code, "position": count // 2}
            return urlencode({"sort": "code", "cursor": cursor(sort="code", after=after)})
        number = (max(1, math.ceil(count / MEMBERS_PER_PAGE)) + 1) // 2
        self.middle_page = {"by": "page", "page": number}
        self.notes.append(f"reporting.member_list has no member_list_cursor: {MIDDLE_PAGE} is ?page={number} (OFFSET).")
        return urlencode({"page": number})

    def _api(self, who: str, client: Client, program: AllianceProgram | None) -> Iterator[HttpTarget]:
        yield self._http(f"api:{who}:summary", REPORT, client, reverse("api-report-summary"))
        if program is not None:
            progress = reverse("api-program-progress", args=[program.pk])
            yield self._http(f"api:{who}:program-progress", REPORT, client, progress)
        for name in ("members", "farms", "certifications", "visits", "loans", "programs"):
            first = reverse(f"api-{name.rstrip('s')}-list")
            yield self._http(f"api:{who}:{name}", API_LIST, client, first)
            yield self._http(f"api:{who}:{name}:later", API_LIST, client, first, later_page=True)

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
            "page:dashboard",
            lambda: raw_sql.dashboard_figures(staff, as_of=today),
            dashboard_report,
            budget=REPORT_RATIO_BUDGET,
            before=self.write,
        )
        scopes = [("staff", self.staff, staff, self.program)]
        if self.partner_client is not None:
            scopes.append(
                ("partner", self.partner_client, raw_sql.Scope(partner_id=self.partner.pk), self.partner_program)
            )
        for who, client, scope, program in scopes:
            yield RawSqlTarget(
                f"raw:summary:{who}",
                f"api:{who}:summary",
                lambda scope=scope: raw_sql.summary_figures(scope, as_of=today, period=period),
                lambda client=client: raw_sql.figures_of_summary(get_json(client, reverse("api-report-summary"))),
                budget=REPORT_RATIO_BUDGET,
                before=self.write,
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
                    before=self.write,
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
