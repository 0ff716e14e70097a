import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from certifications.services.certifications import certification_expire_due


class Command(BaseCommand):
    help = (
        "Mark as expired every certification whose validity ended before today (America/Lima), each with an "
        "event. Run it daily (cron or a systemd timer); running it twice changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", help="Date to expire against, YYYY-MM-DD (default: today).")

    def handle(self, *args, **options) -> None:
        as_of = timezone.localdate()
        if options["as_of"]:
            try:
                as_of = datetime.date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError("--as-of must be a date as YYYY-MM-DD.") from None
        count = certification_expire_due(as_of=as_of)
        self.stdout.write(f"{count} certification(s) expired as of {as_of.isoformat()}.")
