"""The OpenAPI schema and docs: who may read them, no external assets, what they document (Schemathesis
against the API: test_schema_conformance.py)."""

import re

import pytest
from django.test import Client

SCHEMA = "/api/v1/schema/"
DOCS = "/api/v1/docs/"


@pytest.mark.django_db
@pytest.mark.parametrize("client_name", ["partner_a_client", "manager_client"])
def test_partners_and_staff_read_the_schema(request, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get(SCHEMA, {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/v1/programs/{id}/progress/", "/api/v1/reports/summary/"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["partnerToken"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A partner's API token: `Authorization: Bearer <token>`.",
    }


@pytest.mark.django_db
def test_the_schema_and_docs_refuse_anonymous_clients_and_revoked_tokens(partner_a_client):
    assert Client().get(SCHEMA).status_code == 401
    assert Client().get(DOCS).status_code == 401
    partner_a_client.token.revoked_at = partner_a_client.token.created_at
    partner_a_client.token.save()
    assert partner_a_client.get(SCHEMA).status_code == 401


@pytest.mark.django_db
def test_the_docs_page_loads_its_assets_from_our_static_files_only(manager_client):
    response = manager_client.get(DOCS)

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    references = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert references
    # Swagger UI's start-up script comes from the page's own URL (no inline script, for the CSP).
    assert f"{DOCS}?script=" in references
    assert all(url.startswith("/static/") for url in references if url != f"{DOCS}?script="), references
    assert not re.search(r"https?://", html)
    assert "<style" not in html and not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html)

    script = manager_client.get(DOCS, {"script": ""})

    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle(" in script.content.decode()
    assert not re.search(r"https?://", script.content.decode())
