from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperativeConfig(AppConfig):
    name = "cooperative"
    verbose_name = _("Cooperative")

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from cooperative.search import register_sqlite_function

        connection_created.connect(register_sqlite_function, dispatch_uid="cooperative-sqlite-unaccent")
