"""`run_benchmark`: the settings overridden while measuring, every cache off, every target measured in turn
(each sample after a write), the reports compared with their raw SQL and the members list's middle page with
its first, and the result (see the bench.measuring package docstring)."""

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.db import connection
from django.test.utils import override_settings
from django.utils import timezone

from bench.measuring.budgets import compare_pages, compare_with_raw_sql
from bench.measuring.fetching import caches_off
from bench.measuring.machine import dataset, machine
from bench.measuring.results import EXPORT, MODE, PERCENTILES, BenchmarkResult, Measurement
from bench.measuring.subjects import Subjects
from bench.measuring.targets import WARMUP
from certifications.models import Certification
from cooperative.models import ProgramEnrollment
from credit.models import Loan
from members.models import Farm, FarmVisit, Member

BENCH_HOST = "testserver"


def run_benchmark(
    *, repeat: int = 20, export_repeat: int = 5, only: str | None = None, progress: Callable[[str], None] = print
) -> BenchmarkResult:
    """Measure everything whose name contains `only` (everything by default), with every cache off and each
    sample right after a write (MODE). See the bench.measuring docstring for what is written to the database.
    Reports each measurement through `progress` as it completes."""
    notes = _unanalyzed_tables_note()
    with override_settings(**_benchmark_settings(notes)), caches_off():
        subjects = Subjects()
        measurements: list[Measurement] = []
        try:
            for target in subjects.targets():
                if only and only not in target.name:
                    continue
                measurement = target.measure(repeat=export_repeat if target.kind == EXPORT else repeat)
                measurements.append(measurement)
                progress(_progress_line(measurement))
            compare_with_raw_sql(measurements)
            compare_pages(measurements)
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
            "mode": MODE,
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
