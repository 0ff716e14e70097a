"""Content negotiation of the partner API: an unknown `?format=` answers 400 naming the formats.

DRF answers 404 to a format no renderer has, as if the URL did not exist; a partner's script learns
more from a 400 under `format` (the schema documents the formats as an enum).
"""

from django.utils.translation import gettext as _
from rest_framework import exceptions, renderers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.settings import api_settings


class FormatNegotiation(DefaultContentNegotiation):
    def filter_renderers(self, renderers_: list[renderers.BaseRenderer], format: str) -> list[renderers.BaseRenderer]:
        matching = [renderer for renderer in renderers_ if renderer.format == format]
        if not matching:
            # The browsable API is for staff in a browser, not a format partners are told about.
            formats = [r.format for r in renderers_ if not isinstance(r, renderers.BrowsableAPIRenderer)]
            raise exceptions.ValidationError(
                {
                    api_settings.URL_FORMAT_OVERRIDE: [
                        _("Unknown format “%(format)s”: give one of %(formats)s.")
                        % {"format": format, "formats": ", ".join(formats)}
                    ]
                }
            )
        return matching
