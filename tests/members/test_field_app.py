"""The technicians' field app: My farms, the visit form (no-JavaScript path), history, service worker."""

import datetime
import json

import pytest
from django.utils import timezone

from members.models import FarmVisit
from tests.factories import FarmFactory, FarmVisitFactory, MemberFactory, VisitPestObservationFactory, region

pytestmark = pytest.mark.django_db

PAGES = ["/field/", "/field/visit/", "/field/offline/"]


def huanuco_farm(**values):
    values.setdefault("crop", "cocoa")
    values.setdefault("member", MemberFactory(region=region("Huánuco")))
    return FarmFactory(**values)


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize(
    ("client_name", "expected"),
    [
        ("technician_client", 200),
        ("manager_client", 200),
        ("credit_officer_client", 403),
        ("ics_client", 403),
        ("outsider_client", 403),
    ],
)
def test_field_pages_per_role(request, url, client_name, expected):
    client = request.getfixturevalue(client_name)

    assert client.get(url).status_code == expected


@pytest.mark.parametrize("url", PAGES)
def test_field_pages_send_anonymous_users_to_the_login(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_my_farms_lists_the_farms_of_the_technicians_regions_with_last_visit_and_follow_up(technician_client):
    farm = huanuco_farm(name="La Esperanza")
    FarmVisitFactory(farm=farm, visited_on=datetime.date(2026, 9, 1), follow_up_on=datetime.date(2026, 9, 20))
    FarmVisitFactory(farm=farm, visited_on=datetime.date(2026, 10, 5), follow_up_on=datetime.date(2026, 11, 5))
    huanuco_farm(name="Retirada", status="retired")
    FarmFactory(member=MemberFactory(region=region("Cusco")), name="Cusqueña", crop="coffee")

    response = technician_client.get("/field/")

    farms = response.context["result"].farms
    assert [f.name for f in farms] == ["La Esperanza"]
    assert farms[0].last_visit_on == datetime.date(2026, 10, 5)
    assert farms[0].follow_up_on == datetime.date(2026, 11, 5)  # the latest visit's, not the earlier one
    assert "Cusqueña" not in response.content.decode()


def test_due_follow_ups_lists_overdue_and_next_seven_days_only(technician_client):
    today = timezone.localdate()
    overdue = huanuco_farm(name="Atrasada")
    FarmVisitFactory(
        farm=overdue, visited_on=today - datetime.timedelta(days=40), follow_up_on=today - datetime.timedelta(days=3)
    )
    soon = huanuco_farm(name="Pronto")
    FarmVisitFactory(
        farm=soon, visited_on=today - datetime.timedelta(days=10), follow_up_on=today + datetime.timedelta(days=7)
    )
    later = huanuco_farm(name="Después")
    FarmVisitFactory(
        farm=later, visited_on=today - datetime.timedelta(days=10), follow_up_on=today + datetime.timedelta(days=8)
    )

    due = technician_client.get("/field/").context["result"].due

    assert [f.name for f in due] == ["Atrasada", "Pronto"]


def test_my_farms_searches_by_member_dni_and_farm_name(technician_client):
    huanuco_farm(name="Alto Tulumayo", member=MemberFactory(region=region("Huánuco"), dni="44556677"))
    huanuco_farm(name="Bajo Monzón")

    by_name = technician_client.get("/field/", {"q": "tulumayo"}).context["result"]
    by_dni = technician_client.get("/field/", {"q": "44556677"}).context["result"]

    assert [f.name for f in by_name.farms] == ["Alto Tulumayo"] and by_name.total == 1
    assert [f.name for f in by_dni.farms] == ["Alto Tulumayo"]


@pytest.mark.parametrize("farms", [2, 20])
def test_my_farms_query_count_does_not_grow_with_farms(technician_client, django_assert_num_queries, farms):
    for _ in range(farms):
        farm = huanuco_farm()
        FarmVisitFactory(farm=farm, follow_up_on=timezone.localdate())
    technician_client.get("/field/")  # session and roles warm-up

    # session, user, roles, the scope check, the farms, their count, the due list
    with django_assert_num_queries(7):
        response = technician_client.get("/field/")

    assert len(response.context["result"].farms) == farms


@pytest.mark.parametrize("visits", [2, 15])
def test_farm_history_query_count_does_not_grow_with_visits(technician_client, django_assert_num_queries, visits):
    farm = huanuco_farm()
    for _ in range(visits):
        VisitPestObservationFactory(visit=FarmVisitFactory(farm=farm), pest="black_pod", severity=1)

    # session, user, roles, the scope check, the farm, the page count, the visits, pests, photos
    with django_assert_num_queries(9):
        response = technician_client.get(f"/field/farms/{farm.pk}/")

    assert response.status_code == 200


def test_farm_history_is_newest_first_and_404_outside_the_regions(technician_client):
    farm = huanuco_farm()
    FarmVisitFactory(farm=farm, visited_on=datetime.date(2026, 1, 5), recommendations="primera")
    FarmVisitFactory(farm=farm, visited_on=datetime.date(2026, 6, 5), recommendations="segunda")
    cusco = FarmFactory(member=MemberFactory(region=region("Cusco")), crop="coffee")

    page = technician_client.get(f"/field/farms/{farm.pk}/").context["page_obj"]

    assert [v.recommendations for v in page] == ["segunda", "primera"]
    assert technician_client.get(f"/field/farms/{cusco.pk}/").status_code == 404


def test_the_visit_form_for_a_farm_outside_the_regions_is_404(technician_client):
    cusco = FarmFactory(member=MemberFactory(region=region("Cusco")), crop="coffee")

    assert technician_client.get("/field/visit/", {"farm": cusco.pk}).status_code == 404
    assert technician_client.get("/field/visit/", {"farm": "x"}).status_code == 404


def test_the_visit_form_shows_only_the_pests_of_the_farms_crop(technician_client):
    farm = huanuco_farm(crop="coffee")

    html = technician_client.get("/field/visit/", {"farm": farm.pk}).content.decode()

    assert 'data-crop="coffee">' in html
    assert 'data-crop="cocoa" hidden>' in html


def form_data(farm, **overrides):
    data = {
        "client_uuid": "1b4e28ba-2fa1-41d2-883f-0016d3cca427",
        "farm": farm.pk,
        "visited_on": timezone.localdate().isoformat(),
        "purpose": "diagnosis",
        "practices_observed": ["composting"],
        "pest_frosty_pod_rot": "3",
        "pest_black_pod": "",
        "estimated_yield_kg": "400",
        "recommendations": "Cosecha sanitaria",
        "follow_up_on": "",
    }
    data.update(overrides)
    return data


def test_without_javascript_the_form_records_the_visit_once(technician_client):
    farm = huanuco_farm()

    first = technician_client.post("/field/visit/", form_data(farm))
    again = technician_client.post("/field/visit/", form_data(farm))  # a double click

    assert first.status_code == again.status_code == 302
    visit = FarmVisit.objects.get()
    assert visit.technician == technician_client.user
    assert dict(visit.pest_observations.values_list("pest", "severity")) == {"frosty_pod_rot": 3}


def test_without_javascript_bad_input_shows_field_errors_and_stores_nothing(technician_client):
    farm = huanuco_farm()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()

    response = technician_client.post("/field/visit/", form_data(farm, visited_on=tomorrow, pest_black_pod="7"))

    assert response.status_code == 200
    form = response.context["form"]
    assert "pest_black_pod" in form.errors
    assert not FarmVisit.objects.exists()

    technician_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    response = technician_client.post("/field/visit/", form_data(farm, visited_on=tomorrow))
    assert response.context["form"].errors["visited_on"] == ["The visit date cannot be in the future."]
    assert not FarmVisit.objects.exists()


def test_without_a_farm_the_form_says_to_choose_one(technician_client):
    response = technician_client.post("/field/visit/", {**form_data(huanuco_farm()), "farm": ""})

    assert response.status_code == 200
    assert not FarmVisit.objects.exists()


def test_without_javascript_a_resubmission_with_other_data_warns_that_it_was_not_stored(technician_client):
    technician_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    farm = huanuco_farm()
    technician_client.post("/field/visit/", form_data(farm), follow=True)

    response = technician_client.post("/field/visit/", form_data(farm, purpose="training"), follow=True)

    assert response.redirect_chain == [(f"/field/farms/{farm.pk}/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "The visit is kept as it was first sent; the changes made on this phone were not stored."
    ]
    assert FarmVisit.objects.get().purpose == "diagnosis"


def test_without_javascript_another_users_visit_identifier_is_refused(technician_client):
    technician_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    farm = huanuco_farm()
    FarmVisitFactory(farm=farm, client_uuid=form_data(farm)["client_uuid"])

    response = technician_client.post("/field/visit/", form_data(farm))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "This visit identifier is already used by another user's visit."
    ]
    assert FarmVisit.objects.get().technician != technician_client.user


def test_the_service_worker_is_served_for_the_field_scope_and_lists_the_shell(technician_client, client):
    response = client.get("/field/sw.js")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    body = response.content.decode()
    assert '"/field/"' in body and '"/field/visit/"' in body and "js/field.js" in body
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_the_manifest_makes_the_app_installable(client):
    manifest = json.loads(client.get("/field/manifest.webmanifest").content)

    assert manifest["start_url"] == manifest["scope"] == "/field/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}


@pytest.mark.spanish
def test_my_farms_speaks_spanish_by_default(technician_client):
    technician_client.defaults.pop("HTTP_ACCEPT_LANGUAGE", None)

    html = technician_client.get("/field/").content.decode()

    assert "Mis parcelas" in html


def test_a_technician_sees_a_link_to_my_farms_in_the_navigation(technician_client):
    assert 'href="/field/"' in technician_client.get("/members/").content.decode()
