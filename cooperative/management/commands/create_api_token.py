"""Create a partner's API token from the command line; the token is printed once, on the last line."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cooperative.models import Partner
from cooperative.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a partner (found by its exact name). Prints the token once, on the last line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--partner", required=True, help="The partner's exact name.")
        parser.add_argument("--name", default="Command line", help="What the token is for, e.g. “Power BI”.")

    def handle(self, *args, partner: str, name: str, **options) -> None:
        try:
            found = Partner.objects.get(name=partner)
        except Partner.DoesNotExist:
            raise CommandError(f"No partner is named {partner!r} (the name must match exactly).") from None
        try:
            token, plain = api_token_create(partner=found, name=name, created_by=None)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stdout.write(f"Created token {token.prefix}… ({token.name}) for {found.name}.")
        self.stdout.write("Store it now: it will not be shown again.")
        self.stdout.write(plain)
