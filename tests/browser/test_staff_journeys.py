"""Main journeys of the cooperative's staff, in a real browser."""

from decimal import Decimal

import openpyxl
import pytest

from cooperative.services import staff_role_grant
from members.models import Farm, Member
from tests.browser.conftest import log_in
from tests.factories import MemberFactory, UserFactory, region

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
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    page.get_by_role("button", name="Español").click()
    assert page.get_by_role("heading", name="Panel").is_visible()


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
    assert page.get_by_text("BA-07777").is_visible()
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
