"""Main journeys of the cooperative's staff, in a real browser."""

import io
from decimal import Decimal

import openpyxl
import pytest
from PIL import Image
from playwright.sync_api import expect

from cooperative.csp_policy import content_security_policy
from cooperative.services import staff_role_grant
from members.eudr.geolocation import farm_set_geometry
from members.models import Farm, Member
from tests.browser.conftest import CspViolations, log_in, new_context
from tests.factories import (
    CertificationFactory,
    DeliveryFactory,
    FarmFactory,
    FarmVisitFactory,
    LoanLineFactory,
    MemberFactory,
    UserFactory,
    eudr_square,
    region,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


@pytest.fixture
def manager(reference_data):
    user = UserFactory(username="gerente", first_name="Rosa")
    staff_role_grant(user=user, role="manager", regions=[region("Huánuco"), region("San Martín")])
    return user


def test_a_manager_logs_in_and_switches_the_language_to_english_and_back(page, manager):
    log_in(page, "gerente")

    assert page.get_by_role("heading", name="Panel").is_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_role("heading", name="Panel")).to_be_visible()


def test_a_wrong_password_shows_an_error_and_no_dashboard(page, manager):
    log_in(page, "gerente", "not-the-password")

    assert page.get_by_role("alert").is_visible()
    assert "/accounts/login/" in page.url


def figure(page, element_id: str) -> int:
    return int(page.locator(f"#{element_id}").inner_text().replace(",", "").replace(".", "").strip())


def test_a_manager_registers_a_member_with_a_farm_finds_them_and_exports_the_filtered_list(page, manager, tmp_path):
    MemberFactory(code="BA-00001", last_names="Otro Socio")
    log_in(page, "gerente")
    before = figure(page, "figure-active-members")

    page.goto("/members/new/")
    page.fill("#id_code", "BA-07777")
    page.fill("#id_first_names", "Teodoro")
    page.fill("#id_last_names", "Espiritu Lino")
    page.fill("#id_dni", "10117410")
    page.select_option("#id_gender", "male")
    page.select_option("#id_region", label="Huánuco")
    page.fill("#id_joined_on", "2013-02-04")
    page.locator("form.record-form button[type=submit]").click()
    page.wait_for_url("**/members/*/")
    page.locator("a[href*='/farms/new/']").click()
    page.fill("#id_name", "Ex cocal")
    page.fill("#id_hectares", "6")
    page.select_option("#id_crop", "cocoa")
    page.locator("form.record-form button[type=submit]").click()
    page.wait_for_url("**/members/*/")
    assert page.get_by_text("Ex cocal").first.is_visible()

    page.goto("/members/")
    page.fill("#id_q", "Espiritu")
    page.locator("form.member-filters button[type=submit]").first.click()
    page.wait_for_url("**/members/?q=Espiritu*")
    expect(page.get_by_text("BA-07777")).to_be_visible()
    assert page.get_by_text("BA-00001").count() == 0

    with page.expect_download() as download_info:
        page.locator("a[href*='export.xlsx']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    download.save_as(tmp_path / download.suggested_filename)
    sheet = openpyxl.load_workbook(tmp_path / download.suggested_filename, read_only=True).active
    codes = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert codes == ["BA-07777"]

    page.goto("/")
    assert figure(page, "figure-active-members") == before + 1
    farm = Farm.objects.get(member__code="BA-07777")
    assert (farm.hectares, farm.crop) == (Decimal("6.00"), "cocoa")


IMPORT_HEADER = "codigo;nombres;apellidos;dni;sexo;region;fecha_ingreso;parcela;cultivo;hectareas\n"


def upload(page, content: str) -> None:
    page.goto("/members/import/")
    page.locator("input[type=file]").set_input_files(
        {"name": "socios.csv", "mimeType": "text/csv", "buffer": content.encode("utf-8")}
    )
    page.locator("main form button[type=submit]").click()


def test_an_import_with_one_bad_row_writes_nothing_and_the_corrected_file_imports(page, manager):
    log_in(page, "gerente")
    good = "BA-08001;Rosa;Quispe;40000001;F;Huánuco;2015-03-01;La Esperanza;cacao;2,5\n"

    upload(page, IMPORT_HEADER + good + "BA-08002;Juan;Lino;40000002;M;Huánuco;2015-03-01;El Mirador;cacao;dos\n")

    assert page.locator("#import-confirm").count() == 0
    assert page.get_by_text("dos").first.is_visible()
    assert not Member.objects.filter(code__startswith="BA-080").exists()

    upload(page, IMPORT_HEADER + good + "BA-08002;Juan;Lino;40000002;M;Huánuco;2015-03-01;El Mirador;cacao;2\n")
    page.locator("#import-confirm button[type=submit]").click()
    page.wait_for_url("**/members/")

    assert Member.objects.filter(code__startswith="BA-080").count() == 2
    assert Farm.objects.get(member__code="BA-08002").hectares == Decimal("2.00")


# -- Content-Security-Policy ------------------------------------------------------------------------------
# The page fixture fails a test whose pages the policy blocked anything on (tests/browser/conftest.py).


@pytest.fixture
def records(manager):
    """A member with a mapped farm, a visit, a loan, a delivery and a certification: enough for every page
    of the tour below to show its tables, charts and maps."""
    member = MemberFactory(code="BA-00042", region=region("Huánuco"), first_names="Marina", last_names="Quispe")
    farm = FarmFactory(member=member, name="Las Palmas")
    farm_set_geometry(farm=farm, geometry=eudr_square(-75.995, -9.295, 2.5), source="geojson", recorded_by=manager)
    FarmVisitFactory(farm=farm, technician=manager)
    loan = LoanLineFactory(loan__member=member, loan__submitted_by=manager).loan
    delivery = DeliveryFactory(farm=farm, received_by=manager)
    CertificationFactory(farm=farm)
    return member, farm, loan, delivery


def test_the_live_server_sends_the_content_security_policy(page):
    response = page.goto("/accounts/login/")

    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy


def test_the_staff_pages_load_without_a_content_security_policy_violation(page, manager, records):
    member, farm, loan, delivery = records
    log_in(page, "gerente")
    page.wait_for_function("() => document.querySelector('canvas[data-chart]') !== null")  # Chart.js drew

    for path in [
        "/",
        "/members/",
        f"/members/{member.pk}/",
        f"/farms/{farm.pk}/",
        f"/farms/{farm.pk}/geometry/",
        "/eudr/map/",
        "/visits/",
        "/programs/",
        "/tokens/",
        "/members/import/",
        "/credit/loans/",
        "/credit/loans/new/",
        f"/credit/loans/{loan.pk}/",
        f"/credit/members/{member.pk}/statement/",
        "/credit/portfolio/",
        "/deliveries/",
        "/deliveries/new/",
        f"/deliveries/{delivery.pk}/",
        "/deliveries/production/",
        "/certifications/",
        "/certifications/coverage/",
        "/certifications/inspections/",
        "/certifications/checklists/",
        "/certifications/committee/",
        "/accounts/password/",
        "/api/v1/docs/",  # Swagger UI
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")

    page.goto(f"/farms/{farm.pk}/geometry/")
    page.wait_for_selector("#eudr-map .leaflet-interactive, #eudr-map canvas")  # Leaflet drew the farm

    page.goto("/credit/loans/new/")
    page.locator(".loan-lines tbody tr select").first.select_option(index=1)
    assert page.locator(".loan-lines tbody tr input.unit-price").first.input_value() == "95.00"

    page.goto("/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock")  # Swagger UI started and read the schema


def test_the_admin_works_under_the_content_security_policy(page, manager, records):
    member, farm, _, _ = records
    log_in(page, "gerente")

    for path in [
        "/admin/",
        "/admin/members/member/",
        "/admin/members/member/?q=Quispe",
        f"/admin/members/member/{member.pk}/change/",
        f"/admin/members/member/{member.pk}/history/",
        "/admin/members/member/add/",
        f"/admin/members/farm/{farm.pk}/change/",
        "/admin/credit/loan/",
    ]:
        response = page.goto(path)
        assert response.status == 200, path
        page.wait_for_load_state("load")

    # The admin's own scripts: the calendar and the member autocomplete (Select2).
    page.goto(f"/admin/members/member/{member.pk}/change/")
    page.locator("#calendarlink0").click()
    page.wait_for_selector("#calendarbox0 table")
    page.goto(f"/admin/members/farm/{farm.pk}/change/")
    page.locator(".select2-selection").first.click()
    page.locator(".select2-search__field").fill("Quispe")
    page.wait_for_selector(".select2-results__option >> text=BA-00042")

    # The language select submits its form from a static script (no inline handler).
    page.goto(f"/admin/members/member/{member.pk}/change/")
    with page.expect_navigation(url=f"**/admin/members/member/{member.pk}/change/"):
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"


def tile_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), "lightgreen").save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_map_shows_tiles_from_the_configured_tile_server_under_the_policy(page, manager, records, settings):
    tile_url = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    settings.MAP_TILE_URL = tile_url
    settings.CONTENT_SECURITY_POLICY = content_security_policy(map_tile_url=tile_url)
    tiles, png = [], tile_png()

    def serve_tile(route):
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=png)

    page.context.route("https://*.tile.example.org/**", serve_tile)
    log_in(page, "gerente")

    response = page.goto("/eudr/map/")

    assert "img-src 'self' data: https://*.tile.example.org" in response.headers["content-security-policy"]
    page.wait_for_selector("#eudr-map img.leaflet-tile-loaded")
    assert tiles and all(".tile.example.org/" in url for url in tiles)


@pytest.mark.parametrize(
    "injected",
    [
        '<script>document.title = "inline";</script>',
        '<img src="data:," alt="" onerror="document.title = `handler`">',
        '<p style="color: red">styled</p>',
        '<img src="https://tile.example.org/0/0/0.png" alt="">',
    ],
    ids=["inline-script", "inline-handler", "style-attribute", "outside-image"],
)
def test_the_violation_check_fails_a_test_whose_page_the_policy_blocked(browser, live_server, injected):
    """The page fixture's check, on the login page as the live server sends it (with its policy) but with
    something the policy refuses added to the HTML on its way to the browser."""
    context = new_context(browser, live_server)
    violations = CspViolations(context)

    def inject(route):
        response = route.fetch()
        body = response.text().replace("</main>", injected + "</main>")
        route.fulfill(response=response, body=body)

    try:
        page = context.new_page()
        page.route("**/accounts/login/", inject)
        response = page.goto("/accounts/login/")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_function("() => window.__cspViolations.length > 0")
        assert page.title() not in ("inline", "handler")  # the browser did block it

        with pytest.raises(pytest.fail.Exception, match="Content-Security-Policy violations"):
            violations.check(page)
        assert violations.reported
    finally:
        context.close()


def test_the_violation_check_passes_a_page_the_policy_allows(browser, live_server):
    context = new_context(browser, live_server)
    violations = CspViolations(context)
    try:
        page = context.new_page()
        page.goto("/accounts/login/")

        violations.check(page)
        assert violations.reported == []
    finally:
        context.close()
