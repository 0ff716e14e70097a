"""The API's request log: one row per request answered by an API view, whatever the outcome."""

from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import request_token
from cooperative.models import ApiRequestLog

PATH_MAX_LENGTH = ApiRequestLog._meta.get_field("path").max_length


def api_request_log(*, request: Request, status_code: int) -> ApiRequestLog:
    """Record who (token prefix, or staff user), method, path and status. One INSERT.

    A revoked token's refused request is logged under that token too.
    """
    try:
        token = request_token(request)
    except APIException:
        # Answered before authentication ran (an unknown `?format=` is refused first): authenticating now
        # refuses the credentials, and DRF leaves the request anonymous.
        token = None
    token = token or getattr(request._request, "api_refused_token", None)
    user = request.user if token is None and request.user.is_authenticated else None
    return ApiRequestLog.objects.create(
        token=token,
        token_prefix=token.prefix if token else "",
        user=user,
        method=request.method[:10],
        path=request.path[:PATH_MAX_LENGTH],
        status_code=status_code,
    )


class LoggedApiMixin:
    """For API views: logs every response, including 401, 403, 404, 405 and 429 answered by DRF.

    finalize_response runs for every outcome of dispatch(), usually after authentication has settled
    request.user and request.auth (AnonymousUser and None when it failed); a request refused before it
    (content negotiation) is authenticated here, for the log only.
    """

    def finalize_response(self: APIView, request: Request, response: Response, *args, **kwargs) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        api_request_log(request=request, status_code=response.status_code)
        return response
