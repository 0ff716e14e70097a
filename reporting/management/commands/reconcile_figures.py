import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reporting.read_models import reconcile_all


class Command(BaseCommand):
    @property
    def help(self) -> str:
        # A property, so that argparse gets the text translated when the parser is built.
        return _(
            "Recompute every read model (member hectares, farms' EUDR status, current certifications, loan "
            "balances) from its source rows and print, per read model, the rows that differ, with examples. With "
            "--fix, repair them. Without --fix the command fails (exit 1) when any read model drifted. Run it "
            "nightly with --fix, and after any write that bypassed the application (SQL, scripts, COPY)."
        )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--fix", action="store_true", help=_("Repair the rows that differ."))

    def handle(self, *args, fix: bool, **options) -> None:
        started = time.monotonic()
        drifts = reconcile_all(fix=fix)
        width = max(len(str(drift.name)) for drift in drifts)
        for drift in drifts:
            if drift.differing == 0:
                verdict = _("no drift")
            elif drift.fixed:
                verdict = _("%(count)s rows differed, repaired") % {"count": f"{drift.differing:,}"}
            else:
                verdict = _("%(count)s rows differ") % {"count": f"{drift.differing:,}"}
            self.stdout.write(
                _("%(name)s  %(checked)s checked: %(verdict)s")
                % {"name": str(drift.name).ljust(width), "checked": f"{drift.checked:,}", "verdict": verdict}
            )
            for example in drift.examples:
                self.stdout.write(f"    {example}")
        self.stdout.write(_("Done in %(seconds).1f s.") % {"seconds": time.monotonic() - started})
        unfixed = sum(drift.differing for drift in drifts if not drift.fixed)
        if unfixed:
            raise CommandError(
                _("%(count)s rows of the read models differ from their source rows: run with --fix to repair them.")
                % {"count": f"{unfixed:,}"}
            )
