"""Time the staff pages, the partner API, the member exports and the reports against the database of
DATABASE_URL, print a table and write the results as JSON (the measuring is bench.measuring's)."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from bench.measuring.results import BenchmarkResult, Measurement, query_count_differences
from bench.measuring.run import run_benchmark


def _at_least(minimum: int):
    def parse(value: str) -> int:
        number = int(value)
        if number < minimum:
            raise ValueError(value)
        return number

    parse.__name__ = f"integer of at least {minimum}"
    return parse


class Command(BaseCommand):
    @property
    def help(self) -> str:  # argparse needs a str: translated when the parser is built
        return _(
            "Measure the staff pages, the partner API, the member exports and the reports (p50, p95, queries) "
            "against the database of DATABASE_URL, with every cache off and each request right after a write "
            "that leaves the data as it was, and compare each report with its raw SQL. Creates a "
            "bench-manager user and a partner API token (revoked at the end); modifies no other data."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--repeat",
            type=_at_least(2),
            default=20,
            help=gettext_lazy("Timed requests per URL, after two warm-up requests (default 20)."),
        )
        parser.add_argument(
            "--export-repeat",
            type=_at_least(2),
            default=5,
            help=gettext_lazy("Timed downloads per CSV export, each of every member (default 5)."),
        )
        parser.add_argument(
            "--only", metavar="TEXT", help=gettext_lazy("Only the measurements whose name contains TEXT.")
        )
        parser.add_argument(
            "--json",
            default="bench-results.json",
            metavar="PATH",
            help=gettext_lazy("Where to write the results (default bench-results.json)."),
        )
        parser.add_argument(
            "--compare-queries",
            metavar="OTHER.json",
            help=gettext_lazy(
                "Another run's results: fail, listing them, when a measurement's query count differs "
                "(e.g. the same benchmark on twice the data)."
            ),
        )
        parser.add_argument("--strict", action="store_true", help=gettext_lazy("Fail when a budget is exceeded."))

    def handle(self, *args, repeat: int, export_repeat: int, only: str | None, strict: bool, **options) -> None:
        other = self._read(options["compare_queries"]) if options["compare_queries"] else None
        # The measured requests activate their own language (LocaleMiddleware); the report keeps the caller's.
        with translation.override(translation.get_language()):
            result = run_benchmark(repeat=repeat, export_repeat=export_repeat, only=only, progress=self._progress)
        Path(options["json"]).write_text(json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n")
        self.stdout.write(render_table(result))
        self.stdout.write(_("Results written to %(path)s.") % {"path": options["json"]})

        problems = [_("Failed: %(error)s") % {"error": error} for error in result.errors]
        if other is not None:
            problems += [
                _("Query count differs from %(other)s: %(difference)s")
                % {"other": options["compare_queries"], "difference": difference}
                for difference in query_count_differences(result, other)
            ]
        if strict:
            problems += [_("Over budget: %(failure)s") % {"failure": failure} for failure in result.budget_failures]
        if problems:
            raise CommandError("\n".join(problems))

    def _read(self, path: str) -> dict:
        try:
            return json.loads(Path(path).read_text())
        except (OSError, ValueError) as error:
            raise CommandError(_("Cannot read %(path)s: %(error)s") % {"path": path, "error": error}) from None

    def _progress(self, line: str) -> None:
        self.stderr.write(line)


def render_table(result: BenchmarkResult) -> str:
    """How the samples were taken, the measurements as a fixed-width table (with each budget's verdict), what
    the ratios are, then the exports' rows per second, sizes and memory, then the notes."""
    headers = [_("Name"), _("p50 ms"), _("p95 ms"), _("Queries"), _("Ratio"), _("Budget")]
    rows = [_row(measurement) for measurement in result.measurements]
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        _(
            "One mode, uncached after write: every Django cache off, each sample right after a write to the "
            "rows the figures read (no cached variant is measured)."
        ),
        "",
        _line(headers, widths),
        _line(["-" * width for width in widths], widths),
    ]
    lines += [_line(row, widths) for row in rows]
    lines += [
        "",
        _(
            "Ratio: p95 over the p95 of the measurement named in details.ratio_to, in this run (a report over "
            "the raw SQL of its figures; the members list's middle page over its first page)."
        ),
    ]

    exports = [m for m in result.measurements if m.kind == "export" and not m.error]
    if exports:
        lines += [
            "",
            _("Exports: rows/s at p95, first byte p50 / p95, first row p50, size, rows, peak RSS, Python peak"),
        ]
        for m in exports:
            d = m.details
            lines.append(
                f"  {m.name}: {_per_second(d['rows_per_second'])}, {d['first_byte_p50_ms']} / "
                f"{d['first_byte_p95_ms']} ms, {d['first_row_p50_ms']} ms, {d['bytes']:,} B, {d['rows']:,} rows, "
                f"{_megabytes(d['peak_rss_mb'])} (+{_megabytes(d['rss_growth_mb'])}), "
                f"{_megabytes(d['tracemalloc_peak_mb'])}"
            )
    lines += ["", _("Data: %(counts)s") % {"counts": ", ".join(f"{k} {v:,}" for k, v in result.dataset.items())}]
    lines += [f"* {note}" for note in result.notes]
    return "\n".join(lines)


def _row(measurement: Measurement) -> list[str]:
    if measurement.error:
        return [measurement.name, "", "", "", "", _("ERROR")]
    queries = str(measurement.queries)
    if not measurement.queries_stable:
        queries += " (" + "/".join(str(count) for count in measurement.query_counts) + ")"
    failed = [check.budget for check in measurement.checks if not check.ok]
    if failed:
        verdict = _("FAIL: %(budgets)s") % {"budgets": "; ".join(failed)}
    else:
        verdict = _("ok") if measurement.checks else "-"
    ratio = f"{measurement.ratio:.2f}" if measurement.ratio is not None else ""
    return [measurement.name, f"{measurement.p50_ms:.1f}", f"{measurement.p95_ms:.1f}", queries, ratio, verdict]


def _line(cells: list[str], widths: list[int]) -> str:
    name, *numbers, verdict = cells
    padded = [name.ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(numbers, widths[1:-1], strict=True)]
    return "  ".join([*padded, verdict]).rstrip()


def _megabytes(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f} MB"


def _per_second(value: float | None) -> str:
    return "n/a" if value is None else _("%(rows)s rows/s") % {"rows": f"{value:,.0f}"}
