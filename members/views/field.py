"""The technicians' field app: "My farms", the visit form, a farm's visit history; and what makes it an
installable, offline app (the service worker and the web app manifest).

Pages are for technicians and managers (VISIT_RECORDERS) within their regions. Offline, the service
worker answers from its cache; visits saved there wait in the phone's IndexedDB queue (static/js/field.js)
and are uploaded, once each, to POST /api/v1/visits/.
"""

import hashlib
import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from cooperative.access import VISIT_RECORDERS, role_required
from cooperative.forms import add_service_errors
from members import services
from members.field_forms import VisitForm
from members.field_selectors import field_farm, field_farms
from members.models import MAX_VISIT_PHOTOS
from members.selectors import farm_visit_timeline

HISTORY_PER_PAGE = 20
REPLAY_DIFFERS_DETAIL = gettext_noop(
    "The visit is kept as it was first sent; the changes made on this phone were not stored."
)
# Files the app needs offline besides its pages. Bump SHELL_REVISION when sw.js itself changes.
SHELL_REVISION = "1"
SHELL_STATIC = [
    "vendor/pico/pico.min.css",
    "css/site.css",
    "css/field.css",
    "js/field.js",
    "img/field-icon-192.png",
    "img/field-icon-512.png",
]


def field_strings() -> dict:
    """The texts field.js shows, in the page's language (the page is kept offline with them)."""
    return {
        "online": _("Online"),
        "offline": _("Offline: visits are kept on this phone"),
        "saved": _("Visit saved on this phone. It will be sent when there is a connection."),
        "sent": _("Visits sent"),
        "waiting": _("Waiting for a connection"),
        "rejected": _("Not accepted"),
        "loginAgain": _("Your session has ended: log in again to send the waiting visits."),
        "serverBusy": _("The server did not answer; the visits stay on this phone and will be sent later."),
        "edit": _("Correct"),
        "discard": _("Discard"),
        "confirmDiscard": _("Discard this visit for good? It has not been sent and cannot be recovered."),
        # A queued visit whose UUID the server already stored with other content (409 replay_differs).
        "replayDiffers": _("Already sent with other data"),
        "replayDiffersDetail": _(REPLAY_DIFFERS_DETAIL),
        "removeFromPhone": _("Remove from this phone"),
        "noFarm": _("Choose the farm from “My farms” first."),
        "unknownFarm": _("This farm is not in the list kept on this phone. Open “My farms” with a connection."),
        "futureDate": _("The visit date cannot be in the future."),
        "followUpBefore": _("The follow-up date cannot be before the visit."),
        "required": _("This field is required."),
        "tooManyPhotos": _("At most %(max)d photos per visit.") % {"max": MAX_VISIT_PHOTOS},
        "photoTooLarge": _("A photo is larger than 10 MB."),
        "locating": _("Getting the position…"),
        "locationDenied": _("The position could not be read (permission refused or no GPS signal)."),
        "accuracy": _("accuracy"),
        "storageFailed": _(
            "The visit could not be saved on this phone (storage full or blocked). Nothing was lost from the "
            "form: free some space and try again."
        ),
        "fields": {
            "visited_on": _("Visit date"),
            "purpose": _("Purpose"),
            "farm": _("Farm"),
            "practices_observed": _("Good practices observed"),
            "pests": _("Pests and diseases"),
            "estimated_yield_kg": _("Estimated yield (kg)"),
            "recommendations": _("Recommendations"),
            "follow_up_on": _("Follow-up date"),
            "latitude": _("Latitude"),
            "longitude": _("Longitude"),
            "photos": _("Photos"),
        },
    }


def render_field(request: HttpRequest, template: str, context: dict | None = None) -> HttpResponse:
    return render(request, template, {**(context or {}), "field_strings": field_strings()})


def _farm_or_404(request: HttpRequest, pk: int):
    farm = field_farm(user=request.user, pk=pk)
    if farm is None:
        raise Http404
    return farm


@role_required(VISIT_RECORDERS)
@require_GET
def field_farms_page(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:100]
    result = field_farms(user=request.user, search=search)
    context = {"result": result, "search": search, "today": timezone.localdate()}
    return render_field(request, "field/farms.html", context)


@role_required(VISIT_RECORDERS)
@require_http_methods(["GET", "POST"])
def field_visit(request: HttpRequest) -> HttpResponse:
    """The visit form. `?farm=<id>` names the farm; offline the cached copy of this page serves every farm
    (field.js fills in the farm from the phone's list). Without JavaScript the form posts here."""
    farm_id = request.POST.get("farm") if request.method == "POST" else request.GET.get("farm")
    farm = None
    if farm_id:
        if not (farm_id.isascii() and farm_id.isdigit()):
            raise Http404
        farm = _farm_or_404(request, int(farm_id))
    form = VisitForm(request.POST or None, request.FILES or None, initial={"farm": farm.pk if farm else None})
    if request.method == "POST" and farm is None:
        form.add_error(None, _("Choose the farm from “My farms” first."))
    elif form.is_valid():
        try:
            result = services.visit_record(farm=farm, technician=request.user, **form.visit_values())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if result.outcome is services.VisitOutcome.UUID_TAKEN:
                form.add_error(None, _("This visit identifier is already used by another user's visit."))
            else:
                if result.created:
                    messages.success(request, _("Visit to %(farm)s saved.") % {"farm": farm.name})
                elif result.outcome is services.VisitOutcome.REPLAY_DIFFERS:
                    messages.warning(request, _(REPLAY_DIFFERS_DETAIL))
                return redirect("field_farm_history", pk=farm.pk)
    return render_field(request, "field/visit_form.html", {"form": form, "farm": farm})


@role_required(VISIT_RECORDERS)
@require_GET
def field_farm_history(request: HttpRequest, pk: int) -> HttpResponse:
    farm = _farm_or_404(request, pk)
    page = Paginator(farm_visit_timeline(farm=farm), HISTORY_PER_PAGE).get_page(request.GET.get("page"))
    return render_field(request, "field/farm_history.html", {"farm": farm, "page_obj": page})


@role_required(VISIT_RECORDERS)
@require_GET
def field_offline(request: HttpRequest) -> HttpResponse:
    """Shown by the service worker for a page that was never opened online."""
    return render_field(request, "field/offline.html")


def shell_urls() -> list[str]:
    """What the service worker stores at installation: the pages and static files of the app."""
    pages = [reverse("field_farms"), reverse("field_visit"), reverse("field_offline"), reverse("field_manifest")]
    return pages + [static(path) for path in SHELL_STATIC]


@require_GET
@never_cache
def field_service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker script, served under /field/ so that it controls the app's pages. Its cache name
    changes with the files it stores (their static URLs carry a content hash in production)."""
    urls = shell_urls()
    version = hashlib.sha256(json.dumps([SHELL_REVISION, urls]).encode()).hexdigest()[:12]
    context = {
        "version": version,
        "shell_urls": json.dumps(urls),
        "static_urls": json.dumps([static(path) for path in SHELL_STATIC]),
        "app_prefix": json.dumps(reverse("field_farms")),
        "offline_url": json.dumps(reverse("field_offline")),
        "visit_url": json.dumps(reverse("field_visit")),
        "manifest_url": json.dumps(reverse("field_manifest")),
    }
    response = render(request, "field/sw.js", context, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field_farms")
    return response


@require_GET
def field_manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: what makes "My farms" installable on the phone's home screen."""
    manifest = {
        "name": _("%(cooperative)s – field") % {"cooperative": settings.COOPERATIVE_NAME},
        "short_name": _("Field visits"),
        "lang": get_language(),
        "start_url": reverse("field_farms"),
        "scope": reverse("field_farms"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#2e7d32",
        "icons": [
            {"src": static("img/field-icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("img/field-icon-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False})
