"""The Content-Security-Policy served with every response (django-csp's CONTENT_SECURITY_POLICY setting).

Scripts and styles come only from our own static files (vendored, no CDN); no inline script or style,
no eval. Pages pass data to their scripts with ``json_script`` (a non-executable JSON block, which the
policy allows). The one outside origin is the map tile server, when MAP_TILE_URL names one.

Kept out of settings.py as a function of the tile URL so that tests can build the policy for a tile
URL other than the one the settings were read with.
"""

from urllib.parse import urlsplit

from csp.constants import NONE, SELF, UNSAFE_HASHES
from django.core.exceptions import ImproperlyConfigured

# base64 SHA-256 of "border-top: 0" (tests/cooperative/test_csp.py recomputes it).
HISTORY_PAGINATOR_STYLE_HASH = "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"

# Leaflet's URL template placeholders ({s} subdomain, {z}/{x}/{y}, {r} retina suffix...).
_PLACEHOLDER = "{"


def tile_origin(tile_url: str | None) -> str | None:
    """The CSP source matching the tiles of a Leaflet URL template, or None without a tile URL.

    "https://tile.openstreetmap.org/{z}/{x}/{y}.png" -> "https://tile.openstreetmap.org"; a port is kept;
    a URL on this site ("/tiles/{z}/{x}/{y}.png") needs no origin of its own ('self').
    A templated host label ("https://{s}.tile.osm.org/...") becomes a CSP wildcard for the labels up to
    it ("https://*.tile.osm.org"), as CSP wildcards stand only for leading labels. Raises
    ImproperlyConfigured for a URL that is not http(s) with a host, or whose wildcard would cover a
    whole top-level domain.
    """
    if not tile_url:
        return None
    parts = urlsplit(tile_url)
    if not parts.scheme and not parts.netloc:  # tiles served by this site ("/tiles/{z}/{x}/{y}.png"): 'self'
        return None
    try:
        host, port = parts.hostname, parts.port  # lower-cased host, without user:password@
    except ValueError:  # a port that is not a number, e.g. a placeholder
        host, port = None, None
    if parts.scheme not in ("http", "https") or not host:
        raise ImproperlyConfigured(
            f"MAP_TILE_URL must be an http(s) URL with a host (and a numeric port, if any); got {tile_url!r}."
        )
    labels = host.split(".")
    templated = [index for index, label in enumerate(labels) if _PLACEHOLDER in label]
    if templated:
        fixed = labels[templated[-1] + 1 :]
        if len(fixed) < 2:
            raise ImproperlyConfigured(
                f"MAP_TILE_URL's host may vary only below a registered domain (e.g. {{s}}.tile.example.org); "
                f"got {tile_url!r}."
            )
        host = ".".join(["*", *fixed])
    elif ":" in host:  # an IPv6 address, which urlsplit gives without its brackets
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")


def content_security_policy(*, map_tile_url: str | None) -> dict[str, dict[str, list[str]]]:
    """The CONTENT_SECURITY_POLICY setting for django-csp 4, with the tile server's origin in img-src."""
    origin = tile_origin(map_tile_url)
    return {
        "DIRECTIVES": {
            "default-src": [SELF],
            "script-src": [SELF],
            "style-src": [SELF],
            # Style attributes: none, but the one django-simple-history's history list writes on its
            # paginator (style="border-top: 0"), allowed by its hash rather than by copying the package's
            # template. A hash allows that exact text only, so no injected style can pass.
            "style-src-attr": [UNSAFE_HASHES, HISTORY_PAGINATOR_STYLE_HASH],
            # data: for the SVG icons inside Pico's and the admin's style sheets (select arrows, checkboxes).
            "img-src": [SELF, "data:", *([origin] if origin else [])],
            "connect-src": [SELF],
            "font-src": [SELF],
            "object-src": [NONE],
            "base-uri": [SELF],
            "form-action": [SELF],
            "frame-ancestors": [NONE],
            "manifest-src": [SELF],
            # The field app's service worker (/field/sw.js).
            "worker-src": [SELF],
        }
    }
