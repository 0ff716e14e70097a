"""The budgets of `manage.py benchmark` (bench.measuring.budgets) on measurements made up here: the ratio of a
report to its raw SQL, the members list's middle page against its first, the exports' rows per second, and
the 300 ms p95. No database."""

import pytest

from bench.measuring import budgets
from bench.measuring.results import API_LIST, EXPORT, PAGE, RAW_SQL, REPORT, Measurement


def measured(name: str, kind: str, *samples: float, **details) -> Measurement:
    """A measurement with these samples (one sample is its p50 and its p95), and one query on every run."""
    return Measurement(name, kind, samples_ms=list(samples), queries=1, query_counts=[1], details=details)


def raw(report: str, *samples: float, budget: float | None = budgets.REPORT_RATIO_BUDGET) -> Measurement:
    return measured(f"raw:{report}", RAW_SQL, *samples, report=report, budget=budget)


def failed(measurement: Measurement) -> list[str]:
    return [check.budget for check in measurement.checks if not check.ok]


# -- a report against its raw SQL ----------------------------------------------------------------------------


@pytest.mark.parametrize(("report_ms", "ok"), [(200.0, True), (201.0, False)])
def test_a_report_may_take_at_most_twice_its_raw_sql_at_p95(report_ms, ok):
    summary, sql = measured("api:staff:summary", REPORT, report_ms), raw("api:staff:summary", 100.0)

    budgets.compare_with_raw_sql([summary, sql])

    assert summary.ratio == sql.ratio == pytest.approx(report_ms / 100.0)
    assert [(check.budget, check.ok) for check in summary.checks] == [("p95 <= 2x raw SQL p95", ok)]
    assert summary.details["ratio_to"] == "raw:api:staff:summary"


def test_the_ratio_budget_divides_the_p95s_and_records_the_p50s_ratio():
    # p50 / p95: report 150 / 190 ms, raw SQL 100 / 100 ms (statistics.quantiles, inclusive).
    dashboard = measured("page:dashboard", PAGE, *[150.0] * 18, 190.0, 190.0)
    sql = raw("page:dashboard", *[100.0] * 20)

    budgets.compare_with_raw_sql([dashboard, sql])

    assert dashboard.ratio == pytest.approx(dashboard.p95_ms / 100.0)
    assert dashboard.details["ratio_p50"] == pytest.approx(1.5)
    assert failed(dashboard) == []


def test_a_report_whose_raw_sql_has_no_budget_gets_its_ratio_only():
    progress, sql = measured("api:staff:program-progress", REPORT, 900.0), raw("api:staff:program-progress", 1.0)
    sql.details["budget"] = None

    budgets.compare_with_raw_sql([progress, sql])

    assert progress.ratio == 900.0
    assert progress.checks == []


def test_a_raw_sql_whose_numbers_differ_gives_no_ratio():
    summary, sql = measured("api:staff:summary", REPORT, 10.0), raw("api:staff:summary", 100.0)
    sql.error = "the raw SQL's numbers differ from the report's: credit.active_loans: 2 != 3"

    budgets.compare_with_raw_sql([summary, sql])

    assert summary.ratio is None
    assert summary.checks == []


# -- the members list's middle page against its first ---------------------------------------------------------


@pytest.mark.parametrize(
    ("first_ms", "middle_ms", "ok"),
    [
        (100.0, 150.0, True),
        (100.0, 151.0, False),  # the middle page slower
        (150.0, 100.0, True),
        (151.0, 100.0, False),  # the first page slower: "within 1.5x of each other" holds both ways
    ],
)
def test_the_middle_page_and_page_1_stay_within_1_5x_of_each_other(first_ms, middle_ms, ok):
    first = measured(budgets.FIRST_PAGE, PAGE, first_ms)
    middle = measured(budgets.MIDDLE_PAGE, PAGE, middle_ms)

    budgets.compare_pages([first, middle])

    assert middle.ratio == pytest.approx(middle_ms / first_ms)
    assert [(check.budget, check.ok) for check in middle.checks] == [("p95 within 1.5x of page:members", ok)]
    assert first.checks == []


def test_no_page_comparison_when_either_page_failed():
    first, middle = measured(budgets.FIRST_PAGE, PAGE, 10.0), measured(budgets.MIDDLE_PAGE, PAGE)
    middle.error = "RequestFailed: HTTP 500 for /members/?page=3"

    budgets.compare_pages([first, middle])

    assert middle.ratio is None and middle.checks == []


# -- one measurement's own budgets ---------------------------------------------------------------------------


def export(rows_per_second: float | None, *, peak_rss_mb: float | None = 150.0) -> Measurement:
    return measured(
        "export:members.csv",
        EXPORT,
        1000.0,
        rows_per_second=rows_per_second,
        peak_rss_mb=peak_rss_mb,
        tracemalloc_peak_mb=20.0,
        first_byte_p95_ms=5.0,
    )


@pytest.mark.parametrize(("rows_per_second", "ok"), [(50_000.0, True), (49_999.0, False), (None, False)])
def test_an_export_must_write_at_least_50000_rows_a_second(rows_per_second, ok):
    measurement = export(rows_per_second)

    budgets.add_budgets(measurement)

    assert failed(measurement) == ([] if ok else ["rows/s >= 50,000 at p95"])


@pytest.mark.parametrize(("peak_rss_mb", "ok"), [(200.0, True), (200.1, False)])
def test_an_export_may_use_at_most_200_mb(peak_rss_mb, ok):
    measurement = export(60_000.0, peak_rss_mb=peak_rss_mb)

    budgets.add_budgets(measurement)

    assert failed(measurement) == ([] if ok else ["peak memory <= 200 MB"])


@pytest.mark.parametrize("kind", [PAGE, API_LIST])
@pytest.mark.parametrize(("p95_ms", "ok"), [(300.0, True), (300.5, False)])
def test_every_page_and_api_list_has_300_ms_at_p95(kind, p95_ms, ok):
    measurement = measured("page:members", kind, p95_ms)

    budgets.add_budgets(measurement)

    assert failed(measurement) == ([] if ok else ["p95 <= 300 ms"])


def test_a_report_has_no_budget_of_its_own():
    measurement = measured("api:staff:summary", REPORT, 5000.0)

    budgets.add_budgets(measurement)

    assert measurement.checks == []


def test_a_query_count_that_varies_between_runs_fails():
    measurement = measured("api:staff:members", API_LIST, 10.0)
    measurement.query_counts = [7, 8]

    budgets.add_budgets(measurement)

    assert failed(measurement) == ["same query count on every run"]
