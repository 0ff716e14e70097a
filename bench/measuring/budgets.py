"""The specification's budgets, and whether each measurement keeps them."""

from bench.measuring.results import API_LIST, EXPORT, PAGE, RAW_SQL, UNCACHED, Check, Measurement

# Budgets of the specification.
PAGE_P95_BUDGET_MS = 300.0
REPORT_RATIO_BUDGET = 1.5
EXPORT_MEMORY_BUDGET_MB = 200.0
EXPORT_FIRST_BYTE_BUDGET_MS = 1000.0


def add_budgets(measurement: Measurement) -> None:
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


def compare_with_raw_sql(measurements: list[Measurement]) -> None:
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
