"""Every error under /api/ answers JSON (`{"detail": "..."}`, as DRF's own errors do); the pages keep their
HTML error pages.

- api_exception_handler (settings.REST_FRAMEWORK["EXCEPTION_HANDLER"]): DRF's handler, plus 413 for a body
  over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's RequestDataTooBig, which DRF leaves to Django's HTML 400), and
  400 for JSON too deeply nested for a parser that is not api.parsers.JSONParser.
- bad_request, permission_denied, page_not_found, server_error (handler400... in cooperative.urls): for
  what happens outside a DRF view (an unknown route, an error raised by middleware, a crash), JSON under
  /api/ and Django's default views elsewhere (templates/403.html and 404.html; Django's built-in 400 and 500
  pages).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler, set_rollback

from api.parsers import too_deep_message

API_PREFIX = "/api/"


def too_large_message() -> str:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _("The request body is larger than %(limit)s, the most this API accepts.") % {
        "limit": filesizeformat(limit) if limit else "?"
    }


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, RequestDataTooBig):
        set_rollback()
        return Response({"detail": too_large_message()}, status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    if isinstance(exc, RecursionError) and _raised_by_a_parser(exc):
        # A view that lists DRF's own JSONParser (not ours) lets Python's parser overflow: the client's
        # nesting, answered 400 like a malformed body. A RecursionError from anywhere else stays a 500.
        set_rollback()
        return Response({"detail": too_deep_message()}, status=status.HTTP_400_BAD_REQUEST)
    return exception_handler(exc, context)


def _raised_by_a_parser(exc: BaseException) -> bool:
    traceback = exc.__traceback__
    while traceback is not None:
        if isinstance(traceback.tb_frame.f_locals.get("self"), parsers.BaseParser):
            return True
        traceback = traceback.tb_next
    return False


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _json_error(message: object, code: int) -> JsonResponse:
    return JsonResponse({"detail": str(message)}, status=code)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        return _json_error(too_large_message(), status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
    return _json_error(exceptions.ParseError.default_detail, status.HTTP_400_BAD_REQUEST)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.permission_denied(request, exception)
    return _json_error(exceptions.PermissionDenied.default_detail, status.HTTP_403_FORBIDDEN)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not _is_api(request):
        return defaults.page_not_found(request, exception)
    return _json_error(exceptions.NotFound.default_detail, status.HTTP_404_NOT_FOUND)


def server_error(request: HttpRequest) -> HttpResponse:
    if not _is_api(request):
        return defaults.server_error(request)
    return _json_error(exceptions.APIException.default_detail, status.HTTP_500_INTERNAL_SERVER_ERROR)
