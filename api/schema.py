"""The OpenAPI schema of the partner API says every answer an operation can give, errors included.

drf-spectacular documents the success responses; ApiAutoSchema adds the errors every operation can
answer (unless the view declares its own for that status), with DRF's error bodies:

- 400: the invalid parameters (or body fields), each with its messages;
- 401: no credentials, or an unknown or revoked token; 403: a user without a staff role, or an
  operation the client may not use; 404 (operations with a path parameter): none in the client's scope;
- 406: no format the `Accept` header allows; 415 (operations with a body): a body of another media type;
- 429: over the client's rate, with `Retry-After`; 503: the throttle's Redis is down (api.throttling).

CSV and XLSX exports are files, not the JSON page: their 200 bodies are documented as text and binary.
"""

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent

JSON = "application/json"
# A text query parameter: given empty it answers 400 (leave it out instead).
TEXT = {"type": "string", "minLength": 1}
FILE_SCHEMAS = {
    "text/csv": {"type": "string", "description": "The whole filtered set as CSV (UTF-8, with a header row)."},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "type": "string",
        "format": "binary",
        "description": "The whole filtered set as an Excel workbook.",
    },
}

ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# A query parameter's errors: {"page_size": ["Give a whole number from 1 to 500."]}.
PARAMETER_ERRORS = {
    "type": "object",
    "description": "Each invalid query parameter with its messages.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}
# A body's errors nest as the body does (a list item's, a list field's by index); an unreadable body
# answers {"detail": ...}.
REQUEST_ERRORS = {
    "type": "object",
    "description": (
        "Each invalid parameter or body field with its messages, nested as in the body; errors of the "
        "whole body under `non_field_errors`; `detail` when the body cannot be read."
    ),
    "additionalProperties": {"oneOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}]},
}
RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before retrying."}}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema of a view, with the error responses and the export files documented."""

    def get_operation(self, path, path_regex, path_prefix, method, registry) -> dict[str, Any] | None:
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for content in (response.get("content", {}) for code, response in responses.items() if code < "300"):
            for media_type, schema in FILE_SCHEMAS.items():
                if media_type in content:
                    content[media_type] = {"schema": schema}
        has_body = "requestBody" in operation
        errors = {
            "400": (
                "RequestErrors" if has_body else "ParameterErrors",
                "Invalid parameters or body." if has_body else "An invalid or empty query parameter.",
            ),
            "401": ("ErrorDetail", "No credentials, or an unknown or revoked token."),
            "403": ("ErrorDetail", "A signed-in user without a staff role, or not allowed this operation."),
            "406": ("ErrorDetail", "None of the formats the Accept header allows."),
            "429": ("ErrorDetail", "Over the client's rate limit."),
            "503": ("ErrorDetail", "The rate limit cannot be counted (the shared Redis is down): try again later."),
        }
        if "{" in path:
            errors["404"] = ("ErrorDetail", "Not found, or outside the client's scope.")
        if has_body:
            errors["415"] = ("ErrorDetail", "A body of a media type the operation does not take.")
        for code, (component, description) in errors.items():
            if code in responses:
                continue  # the view's own declaration wins
            responses[code] = {
                "content": {JSON: {"schema": self._error_component(component)}},
                "description": description,
                **({"headers": RETRY_AFTER} if code == "429" else {}),
            }
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_component(self, name: str) -> dict[str, str]:
        schemas = {"ErrorDetail": ERROR_DETAIL, "ParameterErrors": PARAMETER_ERRORS, "RequestErrors": REQUEST_ERRORS}
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schemas[name])
        self.registry.register_on_missing(component)
        return component.ref
