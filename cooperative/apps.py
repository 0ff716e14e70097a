from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperativeConfig(AppConfig):
    name = "cooperative"
    verbose_name = _("Cooperative")

    def ready(self) -> None:
        from cooperative import figures_cache

        figures_cache.install()
