"""What a benchmark run gives: one Measurement per URL or raw SQL (samples, query counts, budgets kept), and
the run's BenchmarkResult with the machine and the data set, as JSON."""

import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

PERCENTILES = "statistics.quantiles(samples, n=20, method='inclusive'): p50 = cut 10, p95 = cut 19"

# Kinds of measurement: pages and API lists have the p95 budget, exports the rows per second, memory and first
# byte ones, reports (and the dashboard page) the ratio to their raw SQL (bench.measuring.budgets).
PAGE, API_LIST, REPORT, EXPORT, RAW_SQL = "page", "api_list", "report", "export", "raw_sql"
# How every sample is taken; there is no cached variant (the figures are read from the read models on every
# request, and no cache is left to warm).
MODE = "uncached after write: every Django cache off, each sample right after a write to the rows the figures read"


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
    ratio: float | None = None  # p95 / its reference's p95 (details["ratio_to"]): raw SQL, page 1
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
        data.update(p50_ms=rounded(self.p50_ms), p95_ms=rounded(self.p95_ms), queries_stable=self.queries_stable)
        data["samples_ms"] = [rounded(sample) for sample in self.samples_ms]
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


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)
