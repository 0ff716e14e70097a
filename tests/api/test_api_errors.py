"""Every error under /api/ answers JSON with a message (api.errors, api.parsers):
oversized bodies, malformed and deeply nested JSON, wrong content types, unknown routes, crashes. The
pages keep their HTML error pages."""

import io
import json
import uuid

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.exceptions import ParseError
from rest_framework.settings import api_settings

from api import errors
from api.parsers import MAX_JSON_DEPTH, JSONParser
from members.models import FarmVisit

VISITS = "/api/v1/visits/"
DEEP = "[" * 50_000 + "]" * 50_000


def visit(farm, **overrides) -> dict:
    return {
        "client_uuid": str(uuid.uuid4()),
        "farm": farm.pk,
        "visited_on": timezone.localdate().isoformat(),
        "purpose": "follow_up",
        **overrides,
    }


def assert_json_error(response, status: int, message: str) -> None:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    assert message in response.json()["detail"]


# -- bodies /api/v1/visits/ cannot read --------------------------------------------------------------------


def test_a_json_body_over_the_upload_limit_answers_413_json_and_stores_nothing(technician_client, farm, settings):
    body = json.dumps(visit(farm, recommendations="x" * 3_000_000))
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE  # 2.5 MB, Django's default

    response = technician_client.post(VISITS, data=body, content_type="application/json")

    assert_json_error(response, 413, "The request body is larger than 2.5\xa0MB")
    assert not FarmVisit.objects.exists()


def test_a_multipart_visit_part_over_the_upload_limit_answers_413_json(technician_client, farm):
    response = technician_client.post(VISITS, data={"visit": json.dumps(visit(farm, recommendations="x" * 3_000_000))})

    assert_json_error(response, 413, "the most this API accepts")
    assert not FarmVisit.objects.exists()


@pytest.mark.parametrize("body", [DEEP, '{"visit": ' * 50_000 + "1" + "}" * 50_000])
def test_json_nested_deeper_than_python_can_parse_answers_400_json(technician_client, body):
    response = technician_client.post(VISITS, data=body, content_type="application/json")

    assert_json_error(response, 400, "nested more than")
    assert not FarmVisit.objects.exists()


def test_malformed_json_answers_400_json(technician_client):
    response = technician_client.post(VISITS, data='{"farm": ', content_type="application/json")

    assert_json_error(response, 400, "JSON parse error")


def test_a_body_of_another_content_type_answers_415_json(technician_client, farm):
    response = technician_client.post(VISITS, data="farm=1", content_type="text/plain")

    assert_json_error(response, 415, 'Unsupported media type "text/plain"')


def test_a_body_too_large_for_a_drf_view_is_answered_413_by_the_exception_handler():
    response = errors.api_exception_handler(RequestDataTooBig(), {})

    assert response.status_code == 413
    assert "the most this API accepts" in response.data["detail"]


# -- the parser ---------------------------------------------------------------------------------------------


def parse(text: str):
    return JSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_the_api_parses_json_with_the_bounded_parser_by_default():
    assert api_settings.DEFAULT_PARSER_CLASSES[0] is JSONParser


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (DEEP, "nested more than 32 levels"),
        ("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1), "nested more than 32 levels"),
        ('{"latitude": 1e309}', "the number 1e309 is out of range"),
        ('{"latitude": NaN}', "JSON parse error"),
        ('{"latitude": ', "JSON parse error"),
    ],
)
def test_the_parser_refuses_what_is_no_plain_data_with_a_parse_error(text, message):
    with pytest.raises(ParseError) as excinfo:
        parse(text)

    assert message in str(excinfo.value.detail)


def test_the_parser_reads_json_up_to_the_depth_limit():
    nested = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH

    assert parse('{"a": [1.5, {"b": null}], "c": "d"}') == {"a": [1.5, {"b": None}], "c": "d"}
    assert parse(nested) is not None


# -- errors outside a DRF view ------------------------------------------------------------------------------


@pytest.mark.parametrize("client_name", ["partner_a_client", "technician_client", "client"])
def test_an_unknown_api_route_answers_404_json(db, request, client_name):
    client = request.getfixturevalue(client_name)

    response = client.get("/api/v1/nope/")

    assert_json_error(response, 404, "Not found.")


def test_an_unknown_page_keeps_the_html_404_page(manager_client):
    response = manager_client.get("/nope/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "404.html" in [template.name for template in response.templates]


def test_a_request_django_refuses_before_the_api_answers_400_json(partner_a_client):
    response = partner_a_client.get("/api/v1/programs/", headers={"Host": "evil.example"})

    assert_json_error(response, 400, "Malformed request.")


def test_a_page_django_refuses_keeps_the_html_400_page(client):
    response = client.get("/members/", headers={"Host": "evil.example"})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_crash_in_the_api_answers_500_json(partner_a_client, monkeypatch):
    from api.views import ProgramViewSet

    monkeypatch.setattr(ProgramViewSet, "list", lambda self, request: 1 / 0)
    partner_a_client.raise_request_exception = False

    response = partner_a_client.get("/api/v1/programs/")

    assert_json_error(response, 500, "A server error occurred.")


@pytest.mark.parametrize(
    ("path", "handler", "exception", "status", "content_type"),
    [
        ("/api/v1/visits/", errors.bad_request, RequestDataTooBig(), 413, "application/json"),
        ("/api/v1/visits/", errors.bad_request, SuspiciousOperation(), 400, "application/json"),
        ("/api/v1/visits/", errors.permission_denied, PermissionDenied(), 403, "application/json"),
        ("/members/", errors.bad_request, RequestDataTooBig(), 400, "text/html"),
        ("/members/", errors.permission_denied, PermissionDenied(), 403, "text/html"),
        ("/members/", errors.page_not_found, None, 404, "text/html"),
        ("/api/v1/visits/", errors.server_error, None, 500, "application/json"),
        ("/members/", errors.server_error, None, 500, "text/html"),
    ],
)
def test_the_django_error_handlers_answer_json_under_api_and_html_elsewhere(
    db, path, handler, exception, status, content_type
):
    request = RequestFactory().get(path)
    request.user = AnonymousUser()

    response = handler(request) if handler is errors.server_error else handler(request, exception)

    assert response.status_code == status
    assert response["Content-Type"].startswith(content_type)
    if content_type == "application/json":
        assert json.loads(response.content)["detail"]


def test_the_error_handlers_are_those_of_the_url_configuration():
    from cooperative import urls

    assert (urls.handler400, urls.handler403, urls.handler404, urls.handler500) == (
        "api.errors.bad_request",
        "api.errors.permission_denied",
        "api.errors.page_not_found",
        "api.errors.server_error",
    )
