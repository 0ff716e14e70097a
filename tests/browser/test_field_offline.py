"""The field app offline, in a real browser: visits recorded without network wait on the phone and are
uploaded once each when the network returns."""

import io
import json

import pytest
from django.core.signals import request_started
from PIL import Image
from playwright.sync_api import expect

from cooperative.services import staff_role_grant
from members.models import Farm, FarmVisit, VisitPhoto
from tests.browser.conftest import log_in
from tests.factories import FarmFactory, MemberFactory, UserFactory, region

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

QUEUE_ITEMS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open("field-visits", 1);
  open.onsuccess = () => {
    const request = open.result.transaction("queue").objectStore("queue").getAll();
    request.onsuccess = () => { open.result.close(); resolve(request.result); };
    request.onerror = () => reject(request.error);
  };
  open.onerror = () => reject(open.error);
})"""

PUT_ITEMS = """(items) => new Promise((resolve, reject) => {
  const open = indexedDB.open("field-visits", 1);
  open.onsuccess = () => {
    const transaction = open.result.transaction("queue", "readwrite");
    items.forEach((item) => transaction.objectStore("queue").put(item));
    transaction.oncomplete = () => { open.result.close(); resolve(items.length); };
    transaction.onerror = () => reject(transaction.error);
  };
})"""


@pytest.fixture
def technician(reference_data):
    user = UserFactory(username="tecnico", first_name="Julio")
    staff_role_grant(user=user, role="technician", regions=[region("Huánuco")])
    return user


@pytest.fixture
def farms(technician):
    member = MemberFactory(region=region("Huánuco"), first_names="Marina", last_names="Quispe Rojas")
    cocoa = FarmFactory(member=member, name="Las Palmas", crop="cocoa")
    coffee = FarmFactory(member=member, name="Alto Pozuzo", crop="coffee")
    return cocoa, coffee


@pytest.fixture
def server_requests():
    """Paths of the requests that reached Django (the live server runs in this process)."""
    paths = []

    def count(sender, environ, **kwargs):
        paths.append(environ.get("PATH_INFO"))

    request_started.connect(count)
    yield paths
    request_started.disconnect(count)


def photo_file() -> dict:
    buffer = io.BytesIO()
    Image.new("RGB", (2400, 1800), "darkgreen").save(buffer, format="JPEG")
    return {"name": "mazorca.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}


def open_app_online(page) -> None:
    """First visit online: the service worker installs and keeps the app shell and the farm list."""
    page.goto("/field/")
    # Predicates are written as functions: Playwright evaluates a bare expression with eval(), which the
    # Content-Security-Policy (no 'unsafe-eval') refuses.
    page.wait_for_function(
        "() => navigator.serviceWorker && navigator.serviceWorker.controller !== null"
        " && caches.keys().then(k => k.length > 0)"
    )
    page.wait_for_function(
        "() => caches.keys().then(names => caches.open(names[0])).then(c => c.match('/field/visit/')).then(r => !!r)"
    )
    page.reload()  # now the page itself comes through the service worker and fills the farm list cache


def record_visit(page, farm: Farm, *, purpose: str, pest: str, severity: str, photo: bool = False) -> None:
    page.goto(f"/field/visit/?farm={farm.pk}")
    assert farm.name in page.locator("#visit-farm").inner_text()
    page.select_option("#id_purpose", purpose)
    page.check("input[name=practices_observed][value=composting]")
    page.select_option(f"#id_pest_{pest}", severity)
    page.fill("#id_estimated_yield_kg", "640")
    page.fill("#id_recommendations", "Recoger mazorcas enfermas cada semana.")
    if photo:
        page.set_input_files("#id_photos", [photo_file()])
    page.locator("#visit-form button[type=submit]").click()
    page.wait_for_url("**/field/")


def test_two_visits_recorded_offline_survive_a_reload_and_sync_exactly_once(page, technician, farms, server_requests):
    cocoa, coffee = farms
    log_in(page, "tecnico")
    open_app_online(page)
    assert page.locator(".farm-card").count() == 2

    page.context.set_offline(True)
    server_requests.clear()
    record_visit(page, cocoa, purpose="follow_up", pest="frosty_pod_rot", severity="2", photo=True)
    record_visit(page, coffee, purpose="diagnosis", pest="leaf_rust", severity="3")
    page.reload()

    page.wait_for_function("() => document.getElementById('queue-count').textContent === '2'")
    assert page.locator(".queue-item").count() == 2
    assert page.locator(".farm-card").count() == 2  # the farm list opens offline too
    assert server_requests == [], "offline, nothing may reach the server"
    assert FarmVisit.objects.count() == 0
    queued = page.evaluate(QUEUE_ITEMS)
    assert len(queued) == 2

    page.context.set_offline(False)
    page.wait_for_function("() => document.getElementById('queue-count').textContent === '0'")

    visits = FarmVisit.objects.order_by("farm__name")
    assert [(v.farm.name, v.purpose, v.technician.username) for v in visits] == [
        ("Alto Pozuzo", "diagnosis", "tecnico"),
        ("Las Palmas", "follow_up", "tecnico"),
    ]
    assert {str(v.client_uuid) for v in visits} == {item["client_uuid"] for item in queued}
    assert dict(visits[1].pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 2}
    assert VisitPhoto.objects.filter(visit=visits[1]).count() == 1

    # A second sync of the same visits (a phone that never heard the answers) changes nothing.
    without_photos = [{**item, "photos": []} for item in queued]
    page.evaluate(PUT_ITEMS, without_photos)
    page.reload()
    page.wait_for_function("() => document.getElementById('queue-count').textContent === '0'")
    page.locator("#sync-now").click()
    assert FarmVisit.objects.count() == 2
    assert VisitPhoto.objects.count() == 1


def test_a_visit_the_server_refuses_stays_on_the_phone_with_the_reason_until_discarded(page, technician, farms):
    cocoa, _ = farms
    log_in(page, "tecnico")
    open_app_online(page)
    page.context.set_offline(True)
    record_visit(page, cocoa, purpose="training", pest="black_pod", severity="1")
    Farm.objects.filter(pk=cocoa.pk).update(status="retired")

    page.context.set_offline(False)
    page.wait_for_selector(".queue-rejected")

    page.wait_for_function("() => document.getElementById('queue-count').textContent === '1'")
    assert (
        "retired" in page.locator(".queue-rejected").inner_text()
        or "retirada" in page.locator(".queue-rejected").inner_text()
    )
    assert FarmVisit.objects.count() == 0

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.locator(".queue-rejected button").click()
    assert page.locator("#queue-count").inner_text() == "1"  # cancelled: kept

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(".queue-rejected button").click()
    page.wait_for_function("() => document.getElementById('queue-count').textContent === '0'")
    assert json.dumps(page.evaluate(QUEUE_ITEMS)) == "[]"


def test_a_visit_changed_after_it_was_stored_is_marked_already_sent_and_not_sent_again(
    page, technician, farms, server_requests
):
    cocoa, _ = farms
    log_in(page, "tecnico")
    open_app_online(page)
    page.context.set_offline(True)
    record_visit(page, cocoa, purpose="follow_up", pest="frosty_pod_rot", severity="2")
    [queued] = page.evaluate(QUEUE_ITEMS)
    page.context.set_offline(False)
    expect(page.locator("#queue-count")).to_have_text("0")
    assert FarmVisit.objects.count() == 1

    # The phone never heard the answer and the visit was changed on it before the next round.
    changed = {**queued, "photos": [], "visit": {**queued["visit"], "recommendations": "Cambiada en el teléfono"}}
    page.evaluate(PUT_ITEMS, [changed])
    server_requests.clear()
    page.reload()

    row = page.locator(".queue-differs")
    row.wait_for()
    strings = json.loads(page.locator("#field-strings").text_content())
    assert strings["replayDiffers"] in ("Ya enviada con otros datos", "Already sent with other data")
    assert strings["replayDiffers"] in row.inner_text()
    assert strings["replayDiffersDetail"] in row.inner_text()
    assert page.locator("#queue-count").inner_text() == "1"
    assert page.evaluate(QUEUE_ITEMS)[0]["status"] == "differs"

    # Stored on the server, it is never sent again: neither by "Send now" nor on the next page load.
    page.locator("#sync-now").click()
    page.reload()
    page.locator(".queue-differs").wait_for()
    page.locator("#sync-now").click()
    page.wait_for_timeout(500)
    assert server_requests.count("/api/v1/visits/") == 1
    visit = FarmVisit.objects.get()
    assert visit.recommendations == "Recoger mazorcas enfermas cada semana."

    page.locator(".queue-differs button").click()  # the visit is safe on the server: no confirmation
    expect(page.locator("#queue-count")).to_have_text("0")
    assert page.evaluate(QUEUE_ITEMS) == []
    assert FarmVisit.objects.count() == 1
