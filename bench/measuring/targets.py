"""What is measured and how: a URL requested with a client (pages, API lists, reports, CSV exports, the last
with their first byte, rows per second and peak memory), and the raw SQL of a report compared with the
report's numbers. Every request and every run of the raw SQL, warm-up and timed alike, comes right after the
target's `before` write (bench.measuring.writing), which is not timed and whose queries are not counted."""

import codecs
import csv
import ctypes
import gc
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench import raw_sql
from bench.measuring.budgets import add_budgets
from bench.measuring.fetching import body_chunks, fetch, follow_next, request
from bench.measuring.results import EXPORT, RAW_SQL, Measurement, percentiles, rounded
from bench.measuring.writing import no_write

WARMUP = 2


@dataclass
class HttpTarget:
    """A URL requested with a client (staff session or partner token)."""

    name: str
    kind: str
    client: Client
    url: str
    before: Callable[[], None] = no_write  # the write made before each request (bench.measuring.writing)
    later_page: bool = False  # measure the page reached by following `next` from `url` (API lists)
    details: dict[str, Any] = field(default_factory=dict)  # copied into the measurement's details

    def measure(self, *, repeat: int) -> Measurement:
        measurement = Measurement(self.name, self.kind, url=self.url, details=dict(self.details))
        try:
            if self.later_page:
                self.url, hops = follow_next(self.client, self.url)
                measurement.url = self.url
                measurement.details["page"] = hops + 1
            if self.kind == EXPORT:
                _measure_export(self, measurement, repeat)
            else:
                _measure_page(self, measurement, repeat)
        except Exception as error:  # recorded for this URL; the others are still measured
            measurement.error = f"{type(error).__name__}: {error}"
            return measurement
        add_budgets(measurement)
        return measurement


@dataclass
class RawSqlTarget:
    """The hand-written SQL of a report's numbers (bench.raw_sql), compared with the report's own."""

    name: str
    report: str  # the measurement whose p95 is divided by this one's
    run: Callable[[], raw_sql.Figures]
    report_figures: Callable[[], raw_sql.Figures]
    budget: float | None = None  # the report's p95 may be at most this many times the SQL's
    before: Callable[[], None] = no_write
    kind: str = RAW_SQL

    def measure(self, *, repeat: int) -> Measurement:
        measurement = Measurement(self.name, RAW_SQL, details={"report": self.report, "budget": self.budget})
        try:
            for _ in range(WARMUP - 1):
                self.before()
                self.run()
            self.before()
            with CaptureQueriesContext(connection) as captured:
                figures = self.run()
            measurement.queries = len(captured.captured_queries)
            measurement.samples_ms, measurement.query_counts = _timed(self.run, repeat, before=self.before)
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
        target.before()
        fetch(target.client, target.url)
    target.before()
    with CaptureQueriesContext(connection) as captured:
        response = fetch(target.client, target.url)
    measurement.status = response.status_code
    measurement.queries = len(captured.captured_queries)
    measurement.details["bytes"] = len(response.content)
    measurement.samples_ms, measurement.query_counts = _timed(
        lambda: fetch(target.client, target.url), repeat, before=target.before
    )


def _measure_export(target: HttpTarget, measurement: Measurement, repeat: int) -> None:
    """Total time, time to the first chunk (the header line) and to the second (the first row, after the
    query), size, rows, rows per second (at the p95 total time) and peak memory of a streamed CSV, every
    chunk read and dropped as a client would."""
    target.before()
    fetch(target.client, target.url)
    target.before()
    with CaptureQueriesContext(connection) as captured:
        response = request(target.client, target.url)
        size, rows = _count_csv(body_chunks(response))
    measurement.status = response.status_code
    measurement.queries = len(captured.captured_queries)
    first_byte, first_row = [], []

    def timed_export() -> None:
        start = time.perf_counter()
        chunks = body_chunks(request(target.client, target.url))
        next(chunks, None)
        first_byte.append(_ms_since(start))
        next(chunks, None)
        first_row.append(_ms_since(start))
        for _chunk in chunks:
            pass

    measurement.samples_ms, measurement.query_counts = _timed(timed_export, repeat, before=target.before)

    def export() -> None:
        for _chunk in body_chunks(request(target.client, target.url)):
            pass

    target.before()
    peak_rss, rss_growth = _peak_rss(export)
    target.before()
    tracemalloc_peak = _tracemalloc_peak(export)
    measurement.details.update(
        streamed=response.streaming,
        bytes=size,
        rows=rows,
        rows_per_second=rounded(rows / (measurement.p95_ms / 1000)) if measurement.p95_ms else None,
        first_byte_p50_ms=rounded(percentiles(first_byte)[0]),
        first_byte_p95_ms=rounded(percentiles(first_byte)[1]),
        first_row_p50_ms=rounded(percentiles(first_row)[0]),
        peak_rss_mb=peak_rss,
        rss_growth_mb=rss_growth,
        tracemalloc_peak_mb=tracemalloc_peak,
    )


def _timed(
    run: Callable[[], Any], repeat: int, *, before: Callable[[], None] = no_write
) -> tuple[list[float], list[int]]:
    """Milliseconds of each of `repeat` runs, each just after `before` (not timed, its queries not counted),
    and the distinct query counts seen. The garbage left by earlier measurements is collected first, so that
    its collection does not land in these samples."""
    gc.collect()
    samples, counts = [], set()
    for _ in range(repeat):
        before()
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
    return rounded(peak / 1024), rounded(max(peak - before, 0) / 1024)


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
        return rounded(tracemalloc.get_traced_memory()[1] / 1024 / 1024)
    finally:
        if not was_tracing:
            tracemalloc.stop()


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000
