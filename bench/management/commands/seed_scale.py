import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from bench.seeding.run import CHUNK_MEMBERS, MAX_MEMBERS, MIN_MEMBERS, seed_scale
from reporting.read_models import reconcile_all


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # A property, so that argparse gets the text translated when the parser is built.
        return _(
            "Add N members with farms, visits, certifications and their events, program enrolments, loans with "
            "their schedule and ledger, and deliveries: a Peru-sized dataset for benchmarks, written in bulk (COPY "
            "on PostgreSQL) in one transaction per %(chunk)s members. Running it again adds N more. No history "
            "rows (django-simple-history) are written for these records."
        ) % {"chunk": f"{CHUNK_MEMBERS:,}"}

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--members",
            type=int,
            required=True,
            help=_("How many members to add (%(low)s to %(high)s).") % {"low": MIN_MEMBERS, "high": f"{MAX_MEMBERS:,}"},
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=1,
            help=_("Random seed (default 1): the same seed on the same data gives the same records."),
        )
        parser.add_argument("--no-progress", action="store_true", help=_("Do not show the progress bar (on stderr)."))

    def handle(self, *args, members: int, seed: int, no_progress: bool, **options) -> None:
        try:
            report = seed_scale(
                members=members,
                seed=seed,
                progress=not no_progress,
                progress_file=options.get("stderr") or sys.stderr,
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            _("Added %(count)s members (%(first)s to %(last)s) in %(seconds).1f s.")
            % {"count": f"{members:,}", "first": report.first_code, "last": report.last_code, "seconds": report.seconds}
        )
        for model, rows in report.rows.items():
            self.stdout.write(
                _("  %(table)s: %(rows)s") % {"table": model._meta.verbose_name_plural, "rows": f"{rows:,}"}
            )
        # The generator writes the read models itself (COPY bypasses the services): check that they agree with
        # the rows just written, as `reconcile_figures` would.
        drifted = [drift for drift in reconcile_all() if drift.differing]
        for drift in drifted:
            self.stderr.write(
                _("  %(name)s: %(count)s rows differ from their source rows, e.g. %(example)s")
                % {"name": drift.name, "count": f"{drift.differing:,}", "example": "; ".join(drift.examples[:2])}
            )
        if drifted:
            raise CommandError(_("The generated read models differ from their rows: run reconcile_figures --fix."))
        self.stdout.write(_("Read models checked: no drift."))
