"""The schema says what the API does: Schemathesis runs every check against every operation, and fails on
any disagreement (an undocumented status, content type or header, a body off its schema, a request off
the schema accepted, a well-formed one refused), not only on server errors."""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

SCHEMA = "/api/v1/schema/"
# Fixed, so that CI runs the same requests every time; change it (or the examples) to explore further.
SEED = 20261203
# Fuzzed requests per operation and generation mode, after the examples and the coverage phase (which
# enumerates each parameter's boundaries and wrong types whatever this number).
MAX_EXAMPLES = 15
OPERATIONS = {
    "GET /api/v1/certifications/",
    "GET /api/v1/eudr/geojson/",
    "GET /api/v1/farms/",
    "GET /api/v1/loans/",
    "GET /api/v1/members/",
    "GET /api/v1/programs/",
    "GET /api/v1/programs/{id}/",
    "GET /api/v1/programs/{id}/progress/",
    "GET /api/v1/reports/summary/",
    "GET /api/v1/visits/",
    "POST /api/v1/visits/",
}
# Well-formed values the schema cannot judge: whether they name something in the client's scope (a
# region, a program, farm ids), are a cursor the API handed out, or come in order with another parameter
# (`from` after `to`).
JUDGED_BY_THE_DATA = {"region", "program", "farms", "cursor", "from", "delivered_from"}


def well_formed_values_are_accepted(ctx, response, case):
    """Schemathesis's positive_data_acceptance, except for a 400 naming only parameters whose validity the
    data decides (an unknown region, another partner's program): the schema documents that 400."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        body = response.json() if response.status_code == 400 else None
        if isinstance(body, dict) and set(body) <= JUDGED_BY_THE_DATA:
            return None
        raise


def load_schema(token, auth: dict, **overrides) -> schemathesis.BaseSchema:
    """The served schema (read with a partner token: it is the same for every client), whose requests
    carry `auth`, the credentials of one of its security schemes. Positive and negative data through the
    examples, coverage and fuzzing phases, every check, unless `overrides` (of the config) say otherwise."""
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "database": "none"},
            # Generating data slowly on a busy CI machine is no failure of the API.
            "suppress-health-check": ["too_slow"],
            "headers": {"Accept-Language": "en"},
            "auth": {"openapi": auth},
            **overrides,
        }
    )
    return schemathesis.openapi.from_wsgi(
        f"{SCHEMA}?format=json",
        get_wsgi_application(),
        headers={"Authorization": f"Bearer {token.plain_token}"},
        config=config,
    )


@pytest.fixture
def partner_schema(population_for_fuzz):
    token = population_for_fuzz["token"]
    return load_schema(token, {"partnerToken": {"bearer": token.plain_token}})


@pytest.fixture
def manager_schema(population_for_fuzz, manager_client):
    """Well-formed requests only: malformed parameters and other methods are refused before the client's
    scope plays any part, by the same code for every client (the partner's run sends them)."""
    session = manager_client.cookies["sessionid"].value
    return load_schema(
        population_for_fuzz["token"],
        {"cookieAuth": {"api_key": session}},
        generation={"mode": "positive", "max-examples": MAX_EXAMPLES, "database": "none"},
        phases={"coverage": {"unexpected-methods": []}},
    )


@pytest.fixture(autouse=True)
def operation_node_ids(request):
    """schemathesis 4.32's from_fixture() names each operation's subtest through the test node's
    `_nodeid`, which pytest 9.2 no longer has: give it one (pytest itself reports through `nodeid`)."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def call_and_validate(case) -> None:
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance], additional_checks=[well_formed_values_are_accepted]
    )


@pytest.mark.django_db(transaction=True)
@schemathesis.pytest.from_fixture("partner_schema").parametrize()
def test_every_operation_does_what_the_schema_says_for_a_partner(case):
    call_and_validate(case)


# POST /visits/ is a technician's upload from the field app, whose answers tests/api/test_visit_upload.py
# pins; a manager's session without the CSRF token only gets 403 (the partner's run checks that answer).
@pytest.mark.django_db(transaction=True)
@schemathesis.pytest.from_fixture("manager_schema").exclude(method="POST").parametrize()
def test_every_operation_does_what_the_schema_says_for_a_manager(case):
    call_and_validate(case)


@pytest.mark.django_db(transaction=True)
def test_the_schema_holds_every_operation_so_schemathesis_tries_them_all(partner_schema):
    labels = {result.ok().label for result in partner_schema.get_all_operations()}

    assert labels == OPERATIONS


# -- what the schema documents ----------------------------------------------------------------------


@pytest.fixture
def served_schema(partner_a_client) -> dict:
    response = partner_a_client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def parameters(schema: dict, path: str) -> dict[str, dict]:
    return {parameter["name"]: parameter["schema"] for parameter in schema["paths"][path]["get"]["parameters"]}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["members", "farms", "certifications", "visits", "loans"])
def test_the_schema_documents_the_values_each_list_parameter_takes(served_schema, endpoint):
    listed = parameters(served_schema, f"/api/v1/{endpoint}/")

    assert listed["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}
    assert listed["format"] == {"type": "string", "enum": ["csv", "json", "xlsx"]}
    assert listed["updated_since"] == {
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "string", "format": "date"}]
    }
    assert listed["region"] == listed["program"] == {"type": "string", "minLength": 1}


@pytest.mark.django_db
def test_the_schema_documents_the_errors_of_every_operation(served_schema):
    for path, operations in served_schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            expected = {"400", "401", "403", "406", "429", "503"} | ({"404"} if "{" in path else set())
            expected |= {"415"} if "requestBody" in operation else set()
            assert expected <= set(responses), (method, path)
            for code in expected - {"400"}:
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/ErrorDetail"
                }, (method, path, code)
            body = "RequestErrors" if "requestBody" in operation else "ParameterErrors"
            assert responses["400"]["content"]["application/json"]["schema"] == {
                "$ref": f"#/components/schemas/{body}"
            }, (method, path)
            assert "Retry-After" in responses["429"]["headers"]
    components = served_schema["components"]["schemas"]
    assert components["ErrorDetail"]["required"] == ["detail"]
    assert components["ParameterErrors"]["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


@pytest.mark.django_db
def test_the_schema_documents_exports_as_files_not_as_the_json_page(served_schema):
    content = served_schema["paths"]["/api/v1/members/"]["get"]["responses"]["200"]["content"]

    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginatedMemberList"}
    assert content["text/csv"]["schema"]["type"] == "string"
    assert content["application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]["schema"] == {
        "type": "string",
        "format": "binary",
        "description": "The whole filtered set as an Excel workbook.",
    }


@pytest.fixture
def population_for_fuzz(reference_data, settings):
    """A little of everything, so that responses have rows to check against the schema."""
    from django.utils import timezone

    from tests.api.factories import ApiTokenFactory
    from tests.factories import (
        AllianceProgramFactory,
        CertificationFactory,
        FarmFactory,
        FarmVisitFactory,
        LoanFactory,
        MemberFactory,
        PartnerFactory,
        ProgramEnrollmentFactory,
        region,
    )

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"api_client": "100000/minute"}}
    settings.ALLOWED_HOSTS = ["*"]
    partner = PartnerFactory(name="Lutheran World Relief")
    program = AllianceProgramFactory(partner=partner, regions=[region("Huánuco")])
    member = MemberFactory(region=region("Huánuco"))
    ProgramEnrollmentFactory(program=program, member=member)
    farm = FarmFactory(member=member)
    CertificationFactory(farm=farm)
    FarmVisitFactory(farm=farm, visited_on=timezone.localdate())
    LoanFactory(member=member, program=program)
    return {"token": ApiTokenFactory(partner=partner, last_used_at=timezone.now()), "program": program}
