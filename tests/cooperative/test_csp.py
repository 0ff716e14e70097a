"""The Content-Security-Policy: sent with every kind of response, our own scripts and styles only, no
inline code, never framed, and map tiles only from the configured tile server."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from cooperative.csp_policy import HISTORY_PAGINATOR_STYLE_HASH, content_security_policy, tile_origin
from tests.cooperative.test_settings import PRODUCTION_ENV, run
from tests.factories import MemberFactory, region

PROJECT = Path(__file__).resolve().parents[2]
OSM = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

EXPECTED_DIRECTIVES = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "style-src-attr": ["'unsafe-hashes'", "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
    "manifest-src": ["'self'"],
    "worker-src": ["'self'"],
}


def directives(response) -> dict[str, list[str]]:
    """The policy of a response as {directive: [sources]}."""
    header = response["Content-Security-Policy"]
    parsed = {}
    for directive in header.split(";"):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in {header}"
        parsed[name] = sources
    return parsed


@pytest.mark.django_db
def test_a_staff_page_sends_the_policy(manager_client):
    response = manager_client.get("/")

    assert response.status_code == 200
    assert directives(response) == EXPECTED_DIRECTIVES


@pytest.mark.django_db
def test_the_login_page_sends_the_policy():
    response = Client().get("/accounts/login/")

    assert response.status_code == 200
    assert directives(response) == EXPECTED_DIRECTIVES


@pytest.mark.django_db
def test_an_api_response_sends_the_policy(manager_client):
    response = manager_client.get("/api/v1/reports/summary/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert directives(response) == EXPECTED_DIRECTIVES


@pytest.mark.django_db
def test_an_error_page_sends_the_policy_too(manager_client):
    response = manager_client.get("/no-such-page/")

    assert response.status_code == 404
    assert directives(response) == EXPECTED_DIRECTIVES


@pytest.mark.django_db
def test_the_policy_allows_no_inline_code_no_eval_and_no_outside_origin(manager_client):
    response = manager_client.get("/")
    header = response["Content-Security-Policy"]

    assert "'unsafe-inline'" not in header
    assert "'unsafe-eval'" not in header
    # 'unsafe-hashes' only beside the one hashed style attribute, never for scripts.
    assert directives(response)["style-src-attr"] == EXPECTED_DIRECTIVES["style-src-attr"]
    others = {name: sources for name, sources in directives(response).items() if name != "style-src-attr"}
    assert not any("'unsafe-hashes'" in sources for sources in others.values())
    assert "*" not in header
    assert not re.search(r"https?:", header)


@pytest.mark.django_db
def test_no_page_may_be_framed(manager_client):
    response = manager_client.get("/")

    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_setting_is_built_from_the_configured_tile_url():
    configured = settings.CONTENT_SECURITY_POLICY

    assert configured == content_security_policy(map_tile_url=settings.MAP_TILE_URL)


@pytest.mark.django_db
def test_without_a_tile_url_images_come_from_our_own_origin_and_data_urls_only(manager_client):
    with override_settings(CONTENT_SECURITY_POLICY=content_security_policy(map_tile_url="")):
        response = manager_client.get("/eudr/map/")

    assert response.status_code == 200
    assert directives(response)["img-src"] == ["'self'", "data:"]


@pytest.mark.django_db
def test_with_a_tile_url_its_origin_is_allowed_for_images_and_nothing_else(manager_client):
    with override_settings(MAP_TILE_URL=OSM, CONTENT_SECURITY_POLICY=content_security_policy(map_tile_url=OSM)):
        response = manager_client.get("/eudr/map/")

    assert response.status_code == 200
    served = directives(response)
    assert served["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]
    assert {name: sources for name, sources in served.items() if name != "img-src"} == {
        name: sources for name, sources in EXPECTED_DIRECTIVES.items() if name != "img-src"
    }
    assert OSM in response.content.decode()  # the map is told to load its tiles from there


def test_the_settings_module_reads_the_tile_server_into_the_policy():
    code = "from cooperative import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'])"

    result = run(["-c", code], **PRODUCTION_ENV, MAP_TILE_URL="https://{s}.tile.osm.org/{z}/{x}/{y}.png")

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[\"'self'\", 'data:', 'https://*.tile.osm.org']"


def test_the_settings_module_refuses_a_tile_url_it_cannot_turn_into_an_origin():
    result = run(
        ["-c", "import cooperative.settings"], **PRODUCTION_ENV, MAP_TILE_URL="ftp://tiles.example.org/{z}/{x}/{y}.png"
    )

    assert result.returncode != 0
    assert "MAP_TILE_URL must be an http(s) URL" in result.stderr


@pytest.mark.parametrize(
    ("tile_url", "origin"),
    [
        ("", None),
        (None, None),
        ("/tiles/{z}/{x}/{y}.png", None),  # our own tiles: 'self' covers them
        (OSM, "https://tile.openstreetmap.org"),
        ("https://{s}.tile.osm.org/{z}/{x}/{y}.png", "https://*.tile.osm.org"),
        ("https://tiles-{s}.example.org/{z}/{x}/{y}{r}.png?key=abc", "https://*.example.org"),
        ("http://Tiles.Example.org:8080/{z}/{x}/{y}.png", "http://tiles.example.org:8080"),
        ("https://user:secret@tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
        ("http://[::1]:8081/{z}/{x}/{y}.png", "http://[::1]:8081"),
    ],
)
def test_tile_origin_is_the_scheme_host_and_port_of_the_tile_url(tile_url, origin):
    assert tile_origin(tile_url) == origin


@pytest.mark.parametrize(
    "tile_url",
    [
        "https:///{z}/{x}/{y}.png",
        "ftp://tiles.example.org/{z}/{x}/{y}.png",
        "https://tiles.example.org:{port}/{z}/{x}/{y}.png",
        "https://{s}.org/{z}/{x}/{y}.png",  # would allow every .org host
        "https://tiles.{s}/{z}/{x}/{y}.png",
    ],
)
def test_tile_origin_refuses_a_url_it_cannot_turn_into_a_narrow_origin(tile_url):
    with pytest.raises(ImproperlyConfigured, match="MAP_TILE_URL"):
        tile_origin(tile_url)


# -- Templates: nothing inline that the policy would block ------------------------------------------------

TEMPLATE_DIRS = [PROJECT / "templates", *sorted(PROJECT.glob("*/templates"))]
COMMENTS = re.compile(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}|<!--.*?-->", re.DOTALL)
TAG = re.compile(r"<[a-zA-Z][^>]*>", re.DOTALL)
INLINE_CODE = {
    # A <script> runs inline code unless it has a src or holds data (json_script's application/json).
    "inline <script>": re.compile(r"<script\b(?![^>]*\ssrc=)(?![^>]*\stype=\"application/json\")[^>]*>", re.IGNORECASE),
    "<style> element": re.compile(r"<style\b", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
}
IN_TAG = {
    "on* event handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
}


def inline_code(text: str) -> list[str]:
    text = COMMENTS.sub("", text)
    found = [f"{kind}: {match.group(0)[:80]}" for kind, rx in INLINE_CODE.items() for match in rx.finditer(text)]
    for tag in TAG.finditer(text):
        found += [f"{kind}: {tag.group(0)[:80]}" for kind, rx in IN_TAG.items() if rx.search(tag.group(0))]
    return found


def test_no_template_has_inline_script_style_or_event_handlers():
    templates = [path for folder in TEMPLATE_DIRS for path in sorted(folder.rglob("*.html"))]
    assert len(templates) > 50

    problems = {
        str(path.relative_to(PROJECT)): found
        for path in templates
        if (found := inline_code(path.read_text(encoding="utf-8")))
    }

    assert problems == {}


@pytest.mark.parametrize(
    "html",
    [
        "<script>alert(1)</script>",
        '<script type="module">import "x";</script>',
        '<select name="language" onchange="this.form.submit()">',
        '<p class="paginator" style="border-top: 0">',
        "<style>.a { color: red }</style>",
        '<a href="javascript:void(0)">',
    ],
)
def test_the_template_check_finds_inline_code(html):
    assert inline_code(html)


@pytest.mark.parametrize(
    "html",
    [
        "<script src=\"{% static 'js/loan_form.js' %}\" defer></script>",
        '{{ map_config|json_script:"eudr-map-config" }}',
        '<script id="eudr-map-config" type="application/json">{"tileUrl": ""}</script>',
        '<select name="language" data-submit-on-change>',
        '<option value="es">Español</option>',
        "{% comment %}An inline <script> is refused.{% endcomment %}",
    ],
)
def test_the_template_check_lets_static_scripts_and_data_through(html):
    assert inline_code(html) == []


STATIC_SCRIPT = re.compile(r"<script\b[^>]*\ssrc=\"{%\s*static\s+'([^']+)'\s*%}\"", re.IGNORECASE)


def test_every_script_the_templates_load_is_in_static_js_or_static_vendor():
    templates = [path for folder in TEMPLATE_DIRS for path in sorted(folder.rglob("*.html"))]
    scripts = {match.group(1) for path in templates for match in STATIC_SCRIPT.finditer(path.read_text("utf-8"))}
    assert "js/dashboard.js" in scripts

    assert sorted(script for script in scripts if not script.startswith(("js/", "vendor/"))) == []
    assert sorted(script for script in scripts if not (PROJECT / "static" / script).is_file()) == []
    # No app keeps scripts of its own: static/ is the one place to look for them.
    assert sorted(str(path.relative_to(PROJECT)) for path in PROJECT.glob("*/static")) == []


def test_every_admin_list_keeps_an_action_bar():
    """Django's admin/change_list.html writes an inline <style> for a list without either action bar."""
    without = [
        str(model_admin)
        for model_admin in admin.site._registry.values()
        if not (model_admin.actions_on_top or model_admin.actions_on_bottom)
    ]

    assert without == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/docs/",
        "/admin/members/member/",
        "/admin/members/member/add/",
    ],
)
def test_third_party_pages_render_no_inline_code(manager_client, path):
    """Swagger UI and the admin, whose templates come from their packages (Swagger UI's styles moved out by
    templates/api/docs.html)."""
    response = manager_client.get(path, HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert inline_code(response.content.decode()) == []


@pytest.mark.django_db
def test_the_admin_history_page_renders_no_inline_code(manager_client):
    member = MemberFactory(region=region("Huánuco"))

    response = manager_client.get(f"/admin/members/member/{member.pk}/history/")

    assert response.status_code == 200
    page = response.content.decode()
    assert member.code in page
    # django-simple-history's paginator style, the one attribute the policy allows by its hash.
    assert inline_code(page) == ['style attribute: <p class="paginator" style="border-top: 0">']


def test_the_allowed_style_attribute_hash_is_that_of_the_history_paginator():
    digest = base64.b64encode(hashlib.sha256(b"border-top: 0").digest()).decode()

    assert f"'sha256-{digest}'" == HISTORY_PAGINATOR_STYLE_HASH


@pytest.mark.django_db
def test_the_api_answers_json_not_a_browsable_html_page(manager_client):
    response = manager_client.get("/api/v1/members/", HTTP_ACCEPT="text/html")

    assert response.status_code in (200, 406)
    assert not response["Content-Type"].startswith("text/html")
