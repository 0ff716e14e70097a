"""The specification's budgets, and whether each measurement keeps them. Every budget is on the p95 of samples
taken with every cache off, each right after a write (bench.measuring.writing).

- every staff page and API list: p95 <= PAGE_P95_BUDGET_MS;
- the dashboard and the summary report (staff and partner): p95 <= REPORT_RATIO_BUDGET x the p95 of the raw
  SQL of the same figures, measured in the same run (compare_with_raw_sql);
- the members list: the middle page's p95 and page 1's within MIDDLE_PAGE_RATIO_BUDGET x of each other
  (compare_pages);
- each CSV export of every member: at least EXPORT_ROWS_PER_SECOND_BUDGET rows a second at its p95 time, peak
  memory <= EXPORT_MEMORY_BUDGET_MB, first byte p95 <= EXPORT_FIRST_BYTE_BUDGET_MS;
- every measurement: the same number of queries on every run.
"""

from bench.measuring.results import API_LIST, EXPORT, PAGE, RAW_SQL, Check, Measurement

PAGE_P95_BUDGET_MS = 300.0
REPORT_RATIO_BUDGET = 2.0
MIDDLE_PAGE_RATIO_BUDGET = 1.5
EXPORT_ROWS_PER_SECOND_BUDGET = 50_000
EXPORT_MEMORY_BUDGET_MB = 200.0
EXPORT_FIRST_BYTE_BUDGET_MS = 1000.0

# The members list's first page and the page in the middle of it (compare_pages).
FIRST_PAGE = "page:members"
MIDDLE_PAGE = "page:members:middle-page"


def add_budgets(measurement: Measurement) -> None:
    """The budgets a measurement keeps on its own (the ratios need others: compare_with_raw_sql, compare_pages)."""
    if measurement.kind in (PAGE, API_LIST):
        ok = measurement.p95_ms <= PAGE_P95_BUDGET_MS
        measurement.checks.append(Check(f"p95 <= {PAGE_P95_BUDGET_MS:.0f} ms", ok))
    elif measurement.kind == EXPORT:
        details = measurement.details
        rows_per_second = details.get("rows_per_second") or 0
        measurement.checks.append(
            Check(
                f"rows/s >= {EXPORT_ROWS_PER_SECOND_BUDGET:,} at p95",
                rows_per_second >= EXPORT_ROWS_PER_SECOND_BUDGET,
            )
        )
        peak = details["peak_rss_mb"] if details["peak_rss_mb"] is not None else details["tracemalloc_peak_mb"]
        measurement.checks.append(
            Check(f"peak memory <= {EXPORT_MEMORY_BUDGET_MB:.0f} MB", peak <= EXPORT_MEMORY_BUDGET_MB)
        )
        first_byte_ok = details["first_byte_p95_ms"] <= EXPORT_FIRST_BYTE_BUDGET_MS
        measurement.checks.append(Check(f"first byte p95 <= {EXPORT_FIRST_BYTE_BUDGET_MS:.0f} ms", first_byte_ok))
    if not measurement.queries_stable:
        measurement.checks.append(Check("same query count on every run", False))


def compare_with_raw_sql(measurements: list[Measurement]) -> None:
    """Set `ratio` (report p95 / raw SQL p95; the p50s' ratio goes to details["ratio_p50"]) on each report that
    has a raw SQL measurement, and on the raw SQL too; where the raw SQL names a budget, the report is held
    to it. A raw SQL measurement in error (its numbers differ from the report's) gives no ratio."""
    by_name = {m.name: m for m in measurements}
    for raw in (m for m in measurements if m.kind == RAW_SQL and not m.error):
        report = by_name.get(raw.details["report"])
        if report is None or report.error or not raw.p95_ms or not raw.p50_ms:
            continue
        report.ratio = raw.ratio = report.p95_ms / raw.p95_ms
        report.details["ratio_p50"] = raw.details["ratio_p50"] = report.p50_ms / raw.p50_ms
        report.details["ratio_to"] = raw.name
        budget = raw.details.get("budget")
        if budget is not None:
            report.checks.append(Check(f"p95 <= {budget:g}x raw SQL p95", report.ratio <= budget))


def compare_pages(measurements: list[Measurement]) -> None:
    """Set `ratio` (middle page p95 / first page p95) on the members list's middle page and hold both pages'
    p95 within MIDDLE_PAGE_RATIO_BUDGET x of each other, whichever is the slower."""
    by_name = {m.name: m for m in measurements}
    first, middle = by_name.get(FIRST_PAGE), by_name.get(MIDDLE_PAGE)
    if first is None or middle is None or first.error or middle.error or not first.p95_ms or not middle.p95_ms:
        return
    middle.ratio = middle.p95_ms / first.p95_ms
    middle.details["ratio_to"] = FIRST_PAGE
    slower = max(middle.ratio, 1 / middle.ratio)
    middle.checks.append(
        Check(f"p95 within {MIDDLE_PAGE_RATIO_BUDGET:g}x of {FIRST_PAGE}", slower <= MIDDLE_PAGE_RATIO_BUDGET)
    )
