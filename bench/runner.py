"""Measurement logic of `manage.py benchmark`: server-side timings of the staff pages, the partner API, the
member exports and the reports, against whatever database DATABASE_URL names (a seeded PostgreSQL).

Requests go through Django's test client in this process (no network, no web server): what is measured is
Django's own work, middleware, views, templates and queries included. Each URL is requested twice to warm
up (the second time with its queries captured), then `repeat` times timed; p50 and p95 are the 10th and
19th cut points of statistics.quantiles(samples, n=20, method="inclusive") (linear interpolation between
the samples). The number of queries is counted on every timed run and must not vary between runs.

Besides the requests, the raw SQL of each report (bench.raw_sql) is timed the same way, and its numbers are
compared with the report's: the report's p50 divided by the SQL's p50 is the report's overhead.

What the benchmark writes: a `bench-manager` user with a manager role over all regions (created once), a
session for it (deleted at the end), a partner API token created for the run and revoked at the end (the
plain token of an earlier run cannot be recovered, so each run has its own), and what the measured
requests write themselves: one API request log row per API request, the token's `last_used_at`. The
measured data (members, farms, loans...) is not modified.

Settings overridden while measuring: DEBUG off (no query log in memory), ALLOWED_HOSTS = the test client's
host, API throttling off, and static files without the manifest when `collectstatic` has not been run.
Requests are made as HTTPS (SECURE_SSL_REDIRECT) in the default language.
"""

import codecs
import csv
import ctypes
import datetime
import gc
import math
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponseBase
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse
from django.utils import timezone

from api.reports import DEFAULT_PERIOD_DAYS
from api.scope import PARTNER_VISIBLE_ENROLMENTS
from bench import raw_sql
from certifications.models import Certification
from cooperative.models import AllianceProgram, ApiToken, Partner, ProgramEnrollment, StaffRole
from cooperative.selectors import programs_in_scope, regions_in_scope
from cooperative.services import api_token_create, api_token_revoke, staff_role_grant
from credit.models import Loan
from members.eudr import eudr_readiness, readiness_farms
from members.models import Farm, FarmVisit, Member
from members.views.members import MEMBERS_PER_PAGE
from reporting.selectors import dashboard_figures

# Budgets of the specification.
PAGE_P95_BUDGET_MS = 300.0
REPORT_RATIO_BUDGET = 1.5
EXPORT_MEMORY_BUDGET_MB = 200.0
EXPORT_FIRST_BYTE_BUDGET_MS = 1000.0

WARMUP = 2
LATER_PAGE_HOPS = 3  # a "later" API page: the first page's `next`, followed this many times
BENCH_USERNAME = "bench-manager"
BENCH_TOKEN_NAME = "manage.py benchmark"
BENCH_HOST = "testserver"
PERCENTILES = "statistics.quantiles(samples, n=20, method='inclusive'): p50 = cut 10, p95 = cut 19"

# Kinds of measurement: pages and API lists have the p95 budget, exports the memory and first byte ones,
# reports the ratio to their raw SQL (the summary only). The budgets apply to what is served: the
# ":uncached" variants (the figures cache switched off: the first request after a change) are reported,
# with their own ratio to the raw SQL, but not held to a budget.
PAGE, API_LIST, REPORT, EXPORT, RAW_SQL = "page", "api_list", "report", "export", "raw_sql"
UNCACHED = ":uncached"


class RequestFailed(Exception):
    """A measured request did not answer 200."""


@dataclass(frozen=True)
class Check:
    """One budget: what it says, and whether the measurement keeps it."""

    budget: str
    ok: bool


@dataclass
class Measurement:
    name: str
    kind: str
    url: str = ""
    status: int | None = None
    samples_ms: list[float] = field(default_factory=list)
    queries: int | None = None  # captured on one run
    query_counts: list[int] = field(default_factory=list)  # the distinct counts seen on the timed runs
    ratio: float | None = None  # report p50 / raw SQL p50
    checks: list[Check] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def p50_ms(self) -> float | None:
        return percentiles(self.samples_ms)[0] if self.samples_ms else None

    @property
    def p95_ms(self) -> float | None:
        return percentiles(self.samples_ms)[1] if self.samples_ms else None

    @property
    def queries_stable(self) -> bool:
        return len(self.query_counts) <= 1 and (not self.query_counts or self.query_counts[0] == self.queries)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(p50_ms=_rounded(self.p50_ms), p95_ms=_rounded(self.p95_ms), queries_stable=self.queries_stable)
        data["samples_ms"] = [_rounded(sample) for sample in self.samples_ms]
        return data


@dataclass
class BenchmarkResult:
    date: str
    machine: dict[str, Any]
    dataset: dict[str, int]
    options: dict[str, Any]
    subjects: dict[str, Any]
    measurements: list[Measurement]
    notes: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        return [f"{m.name}: {m.error}" for m in self.measurements if m.error]

    @property
    def budget_failures(self) -> list[str]:
        return [f"{m.name}: {check.budget}" for m in self.measurements for check in m.checks if not check.ok]

    def query_counts(self) -> dict[str, int]:
        return {m.name: m.queries for m in self.measurements if m.queries is not None}

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.date,
            "machine": self.machine,
            "dataset": self.dataset,
            "options": self.options,
            "subjects": self.subjects,
            "notes": self.notes,
            "errors": self.errors,
            "budget_failures": self.budget_failures,
            "measurements": [measurement.as_json() for measurement in self.measurements],
        }


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of the samples, see PERCENTILES; a single sample is both."""
    if len(samples) == 1:
        return samples[0], samples[0]
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return cuts[9], cuts[18]


def query_count_differences(result: BenchmarkResult, other: dict[str, Any]) -> list[str]:
    """Measurements of both runs whose query counts differ (`other` is another run's JSON), as lines."""
    theirs = {row["name"]: row.get("queries") for row in other.get("measurements", [])}
    return [
        f"{name}: {theirs[name]} -> {count} queries"
        for name, count in result.query_counts().items()
        if theirs.get(name) is not None and theirs[name] != count
    ]


# -- the run ---------------------------------------------------------------------------------------------


def run_benchmark(
    *, repeat: int = 20, export_repeat: int = 5, only: str | None = None, progress: Callable[[str], None] = print
) -> BenchmarkResult:
    """Measure everything whose name contains `only` (everything by default). See the module docstring for
    what is written to the database. Reports each measurement through `progress` as it completes."""
    notes = _unanalyzed_tables_note()
    with override_settings(**_benchmark_settings(notes)):
        subjects = Subjects()
        measurements: list[Measurement] = []
        try:
            for target in subjects.targets():
                if only and only not in target.name:
                    continue
                measurement = target.measure(repeat=export_repeat if target.kind == EXPORT else repeat)
                measurements.append(measurement)
                progress(_progress_line(measurement))
            _compare_with_raw_sql(measurements)
        finally:
            subjects.close()
        notes += subjects.notes
    return BenchmarkResult(
        date=timezone.now().isoformat(timespec="seconds"),
        machine=machine(),
        dataset=dataset(),
        options={
            "repeat": repeat,
            "export_repeat": export_repeat,
            "warmup": WARMUP,
            "only": only,
            "percentiles": PERCENTILES,
        },
        subjects=subjects.describe(),
        measurements=measurements,
        notes=notes,
    )


def _benchmark_settings(notes: list[str]) -> dict[str, Any]:
    # A rate of None lets every request through (DRF's SimpleRateThrottle): the throttle classes are bound
    # to the views at import, but their rates are read per request.
    no_rates = dict.fromkeys(settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {}))
    overrides: dict[str, Any] = {
        "DEBUG": False,
        "ALLOWED_HOSTS": [BENCH_HOST],
        "REST_FRAMEWORK": {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": no_rates},
    }
    if isinstance(staticfiles_storage, ManifestFilesMixin) and staticfiles_storage.read_manifest() is None:
        # Without `collectstatic` every {% static %} would fail: serve the URLs unhashed instead.
        overrides["STORAGES"] = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        notes.append("No static files manifest (collectstatic not run): static URLs were not hashed.")
    return overrides


def _unanalyzed_tables_note() -> list[str]:
    """A note when PostgreSQL has never analyzed the main tables (autovacuum off, data just loaded): the
    planner then guesses their sizes and the timings say little about production."""
    if connection.vendor != "postgresql":
        return []
    tables = [model._meta.db_table for model in (Member, Farm, FarmVisit, Certification, Loan, ProgramEnrollment)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND last_analyze IS NULL AND last_autoanalyze IS NULL ORDER BY relname",
            [tables],
        )
        never = [name for (name,) in cursor.fetchall()]
    if not never:
        return []
    return [f"Never analyzed by PostgreSQL (run ANALYZE for representative plans): {', '.join(never)}."]


def _progress_line(measurement: Measurement) -> str:
    if measurement.error:
        return f"{measurement.name}: ERROR {measurement.error}"
    return f"{measurement.name}: p50 {measurement.p50_ms:.1f} ms, {measurement.queries} queries"


# -- what is measured ------------------------------------------------------------------------------------


@dataclass
class HttpTarget:
    """A URL requested with a client (staff session or partner token)."""

    name: str
    kind: str
    client: Client
    url: str
    uncached: bool = False  # every cache replaced by a dummy one: the figures are computed on each request
    later_page: bool = False  # measure the page reached by following `next` from `url` (API lists)

    def measure(self, *, repeat: int) -> Measurement:
        measurement = Measurement(self.name, self.kind, url=self.url)
        try:
            if self.later_page:
                self.url, hops = _later_page(self.client, self.url)
                measurement.url = self.url
                measurement.details["page"] = hops + 1
            with _caches_off() if self.uncached else _nothing():
                if self.kind == EXPORT:
                    _measure_export(self, measurement, repeat)
                else:
                    _measure_page(self, measurement, repeat)
        except Exception as error:  # recorded for this URL; the others are still measured
            measurement.error = f"{type(error).__name__}: {error}"
            return measurement
        _add_budgets(measurement)
        return measurement


@dataclass
class RawSqlTarget:
    """The hand-written SQL of a report's numbers (bench.raw_sql), compared with the report's own."""

    name: str
    report: str  # the measurement whose p50 is divided by this one's
    run: Callable[[], raw_sql.Figures]
    report_figures: Callable[[], raw_sql.Figures]
    budget: float | None = None
    kind: str = RAW_SQL

    def measure(self, *, repeat: int) -> Measurement:
        measurement = Measurement(self.name, RAW_SQL, details={"report": self.report, "budget": self.budget})
        try:
            for _ in range(WARMUP - 1):
                self.run()
            with CaptureQueriesContext(connection) as captured:
                figures = self.run()
            measurement.queries = len(captured.captured_queries)
            measurement.samples_ms, measurement.query_counts = _timed(self.run, repeat)
            mismatches = raw_sql.differences(self.report_figures(), figures)
        except Exception as error:
            measurement.error = f"{type(error).__name__}: {error}"
            return measurement
        measurement.details["same_numbers_as_report"] = not mismatches
        if mismatches:
            measurement.error = "the raw SQL's numbers differ from the report's: " + "; ".join(mismatches[:5])
        return measurement


def _measure_page(target: HttpTarget, measurement: Measurement, repeat: int) -> None:
    for _ in range(WARMUP - 1):
        _fetch(target.client, target.url)
    with CaptureQueriesContext(connection) as captured:
        response = _fetch(target.client, target.url)
    measurement.status = response.status_code
    measurement.queries = len(captured.captured_queries)
    measurement.details["bytes"] = len(response.content)
    measurement.samples_ms, measurement.query_counts = _timed(lambda: _fetch(target.client, target.url), repeat)


def _measure_export(target: HttpTarget, measurement: Measurement, repeat: int) -> None:
    """Total time, time to the first chunk (the header line) and to the second (the first row, after the
    query), size, rows and peak memory of a streamed CSV, every chunk read and dropped as a client would."""
    _fetch(target.client, target.url)
    with CaptureQueriesContext(connection) as captured:
        response = _get(target.client, target.url)
        size, rows = _count_csv(_chunks(response))
    measurement.status = response.status_code
    measurement.queries = len(captured.captured_queries)
    first_byte, first_row = [], []

    def timed_export() -> None:
        start = time.perf_counter()
        chunks = _chunks(_get(target.client, target.url))
        next(chunks, None)
        first_byte.append(_ms_since(start))
        next(chunks, None)
        first_row.append(_ms_since(start))
        for _chunk in chunks:
            pass

    measurement.samples_ms, measurement.query_counts = _timed(timed_export, repeat)

    def export() -> None:
        for _chunk in _chunks(_get(target.client, target.url)):
            pass

    peak_rss, rss_growth = _peak_rss(export)
    measurement.details.update(
        streamed=response.streaming,
        bytes=size,
        rows=rows,
        first_byte_p50_ms=_rounded(percentiles(first_byte)[0]),
        first_byte_p95_ms=_rounded(percentiles(first_byte)[1]),
        first_row_p50_ms=_rounded(percentiles(first_row)[0]),
        peak_rss_mb=peak_rss,
        rss_growth_mb=rss_growth,
        tracemalloc_peak_mb=_tracemalloc_peak(export),
    )


def _timed(run: Callable[[], Any], repeat: int) -> tuple[list[float], list[int]]:
    """Milliseconds of each of `repeat` runs, and the distinct query counts seen. The garbage left by earlier
    measurements is collected first, so that its collection does not land in these samples."""
    gc.collect()
    samples, counts = [], set()
    for _ in range(repeat):
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            start = time.perf_counter()
            run()
            samples.append(_ms_since(start))
        counts.add(counter.count)
    return samples, sorted(counts)


class _QueryCounter:
    """An execute wrapper counting statements: cheaper than capturing them, so it can stay on timed runs."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _get(client: Client, url: str) -> HttpResponseBase:
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RequestFailed(f"HTTP {response.status_code} for {url}")
    return response


def _fetch(client: Client, url: str) -> HttpResponseBase:
    """The response, its body read to the end (a streamed one too)."""
    response = _get(client, url)
    for _chunk in _chunks(response):
        pass
    return response


def _chunks(response: HttpResponseBase) -> Iterator[bytes]:
    if response.streaming:
        yield from response.streaming_content
    else:
        yield response.content


def _count_csv(chunks: Iterable[bytes]) -> tuple[int, int]:
    """(bytes, data rows) of a CSV read chunk by chunk; quoted line breaks do not count as rows."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    size = 0

    def lines() -> Iterator[str]:
        nonlocal size
        pending = ""
        for chunk in chunks:
            size += len(chunk)
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                yield line + "\n"
        if pending:
            yield pending

    records = sum(1 for _row in csv.reader(lines()))
    return size, max(records - 1, 0)


def _peak_rss(run: Callable[[], None]) -> tuple[float | None, float | None]:
    """(peak RSS of the process during `run`, its growth over the RSS before), in MB; Nones when the kernel
    does not let the high-water mark be reset (writing 5 to /proc/self/clear_refs).

    Memory that earlier measurements freed but the C allocator kept is handed back first (glibc's
    malloc_trim), so the mark starts from the memory in use, as in a worker that has served other requests.
    """
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    try:
        Path("/proc/self/clear_refs").write_text("5")
        before = _proc_status_kb("VmRSS")
    except OSError:
        return None, None
    run()
    peak = _proc_status_kb("VmHWM")
    return _rounded(peak / 1024), _rounded(max(peak - before, 0) / 1024)


def _proc_status_kb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1])
    raise OSError(f"{key} not in /proc/self/status")


def _tracemalloc_peak(run: Callable[[], None]) -> float:
    """Peak of Python's own allocations during `run`, MB (tracemalloc slows the run: never a timed one)."""
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        run()
        return _rounded(tracemalloc.get_traced_memory()[1] / 1024 / 1024)
    finally:
        if not was_tracing:
            tracemalloc.stop()


def _add_budgets(measurement: Measurement) -> None:
    if measurement.kind in (PAGE, API_LIST) and not measurement.name.endswith(UNCACHED):
        ok = measurement.p95_ms <= PAGE_P95_BUDGET_MS
        measurement.checks.append(Check(f"p95 <= {PAGE_P95_BUDGET_MS:.0f} ms", ok))
    elif measurement.kind == EXPORT:
        details = measurement.details
        peak = details["peak_rss_mb"] if details["peak_rss_mb"] is not None else details["tracemalloc_peak_mb"]
        measurement.checks.append(
            Check(f"peak memory <= {EXPORT_MEMORY_BUDGET_MB:.0f} MB", peak <= EXPORT_MEMORY_BUDGET_MB)
        )
        first_byte_ok = details["first_byte_p95_ms"] <= EXPORT_FIRST_BYTE_BUDGET_MS
        measurement.checks.append(Check(f"first byte p95 <= {EXPORT_FIRST_BYTE_BUDGET_MS:.0f} ms", first_byte_ok))
    if not measurement.queries_stable:
        measurement.checks.append(Check("same query count on every run", False))


def _compare_with_raw_sql(measurements: list[Measurement]) -> None:
    """Set `ratio` (report p50 / raw SQL p50) on the report, its served and uncached variants, and on the raw
    SQL (the uncached report's, computed as the SQL is); the budget applies to the report as served."""
    by_name = {m.name: m for m in measurements}
    for raw in (m for m in measurements if m.kind == RAW_SQL and not m.error):
        if not raw.p50_ms:
            continue
        name = raw.details["report"]
        for report in (by_name.get(name), by_name.get(name.removesuffix(UNCACHED))):
            if report is None or report.error:
                continue
            report.ratio = report.p50_ms / raw.p50_ms
            budget = raw.details.get("budget")
            if budget is not None and not report.name.endswith(UNCACHED):
                report.checks.append(Check(f"p50 <= {budget}x raw SQL", report.ratio <= budget))
        if name in by_name and by_name[name].ratio is not None:
            raw.ratio = by_name[name].ratio


@contextmanager
def _caches_off() -> Iterator[None]:
    with override_settings(
        CACHES={alias: {"BACKEND": "django.core.cache.backends.dummy.DummyCache"} for alias in settings.CACHES}
    ):
        yield


@contextmanager
def _nothing() -> Iterator[None]:
    yield


# -- the subjects: who asks, for which records -------------------------------------------------------------


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
                lambda client=client: raw_sql.figures_of_summary(_json(client, reverse("api-report-summary"))),
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
                    lambda client=client, url=url: raw_sql.figures_of_program_progress(_json(client, url)),
                )


def _json(client: Client, url: str) -> Any:
    with _caches_off():
        return _get(client, url).json()


def _later_page(client: Client, url: str) -> tuple[str, int]:
    """The URL reached by following `next` up to LATER_PAGE_HOPS times from `url`, and the hops made."""
    hops = 0
    while hops < LATER_PAGE_HOPS:
        following = _get(client, url).json().get("next")
        if not following:
            break
        parts = urlsplit(following)
        url = f"{parts.path}?{parts.query}"
        hops += 1
    return url, hops


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


# -- machine and data set -----------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU model and cores, RAM, database and versions: what the timings depend on besides the code."""
    cpu_model = platform.processor() or "unknown"
    ram_gb = None
    try:
        cpu_model = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        ram_gb = round(mem_kb / 1024 / 1024, 1)
    except (OSError, StopIteration):
        pass
    return {
        "cpu": cpu_model,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "database": connection.vendor,
        "database_version": _database_version(),
        "database_settings": _database_settings(),
        "python": platform.python_version(),
        "django": django.get_version(),
        "platform": platform.platform(),
    }


def _database_version() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            return cursor.fetchone()[0]
    if connection.vendor == "sqlite":
        return connection.Database.sqlite_version
    return "unknown"


def _database_settings() -> dict[str, str]:
    """PostgreSQL settings that change the timings most (JIT compilation above a plan cost, memory)."""
    if connection.vendor != "postgresql":
        return {}
    names = ("jit", "jit_above_cost", "shared_buffers", "work_mem", "max_parallel_workers_per_gather")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(%s) ORDER BY name",
            [list(names)],
        )
        return dict(cursor.fetchall())


def dataset() -> dict[str, int]:
    """Row counts of the measured data."""
    return {
        "members": Member.objects.count(),
        "farms": Farm.objects.count(),
        "visits": FarmVisit.objects.count(),
        "certifications": Certification.objects.count(),
        "loans": Loan.objects.count(),
        "enrolments": ProgramEnrollment.objects.count(),
    }


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
