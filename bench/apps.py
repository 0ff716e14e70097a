from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BenchConfig(AppConfig):
    """Scale tools: `seed_scale` writes a country-sized dataset, `benchmark` measures pages and API lists."""

    name = "bench"
    verbose_name = _("Scale and benchmark")
