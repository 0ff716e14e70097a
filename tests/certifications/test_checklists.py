"""Inspection checklists: the seeded ones (migration 0005), the services that change them (requirements, new
versions), and their pages for every role."""

import importlib

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.urls import reverse

from certifications.models import Checklist, Inspection, Requirement
from certifications.services.checklists import checklist_create, requirement_create, requirement_update
from tests.certifications.conftest import certified_farm, make_inspector, record
from tests.factories import UserFactory, standard

pytestmark = pytest.mark.django_db

SEEDED = ("organic", "rainforest_alliance", "cafe_practices")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def active_checklist(code: str) -> Checklist:
    return Checklist.objects.get(standard__code=code, active=True)


# -- the seed ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", SEEDED)
def test_the_seed_gives_one_checklist_in_use_with_15_to_30_bilingual_requirements(code):
    checklist = active_checklist(code)
    requirements = list(checklist.requirements.all())

    assert Checklist.objects.filter(standard__code=code).count() == 1
    assert 15 <= len(requirements) <= 30
    assert all(req.text_es.strip() and req.text_en.strip() and req.section.strip() for req in requirements)
    assert any(req.critical for req in requirements)
    # The critical ones are the few that block certification, not most of the list.
    assert sum(req.critical for req in requirements) <= len(requirements) // 3
    assert len({req.code for req in requirements}) == len(requirements)
    assert len({req.position for req in requirements}) == len(requirements)


def test_utz_gets_no_checklist():
    assert not Checklist.objects.filter(standard__code="utz").exists()


def test_the_organic_critical_requirements_are_synthetic_inputs_gmos_mixing_and_deforestation():
    critical = set(active_checklist("organic").requirements.filter(critical=True).values_list("code", flat=True))

    assert critical == {"ORG-07", "ORG-11", "ORG-14", "ORG-23", "ORG-24"}
    assert "fertilizantes sintéticos" in Requirement.objects.get(code="ORG-07").text_es


def test_the_seed_is_reversible_and_can_run_again():
    migration = importlib.import_module("certifications.migrations.0005_seed_checklists")
    counts = {code: active_checklist(code).requirements.count() for code in SEEDED}

    migration.unseed(apps, None)
    assert not Checklist.objects.exists()
    assert not Requirement.objects.exists()

    migration.seed(apps, None)
    migration.seed(apps, None)  # a second run adds nothing
    assert {code: active_checklist(code).requirements.count() for code in SEEDED} == counts
    assert Checklist.objects.count() == 3


# -- requirements -----------------------------------------------------------------------------------------------


@pytest.fixture
def organic_checklist() -> Checklist:
    return active_checklist("organic")


def test_it_adds_a_requirement_at_the_end(organic_checklist):
    editor = UserFactory(username="editora")
    last = organic_checklist.requirements.order_by("-position").first()

    requirement = requirement_create(
        checklist=organic_checklist,
        code=" ORG-90 ",
        section="Seguimiento",
        text_es="El productor lleva registro de las capacitaciones.",
        text_en="The producer keeps a record of trainings.",
        changed_by=editor,
    )

    requirement.refresh_from_db()
    assert (requirement.code, requirement.position, requirement.critical) == ("ORG-90", last.position + 10, False)
    assert requirement.history.get().history_user == editor


def test_it_refuses_a_duplicate_code_and_missing_texts(organic_checklist):
    count = organic_checklist.requirements.count()

    with pytest.raises(ValidationError) as error:
        requirement_create(checklist=organic_checklist, code="org-07", text_es=" ", text_en="")

    assert error.value.message_dict == {
        "code": [f"The checklist {organic_checklist} already has a requirement org-07."],
        "text_es": ["Give the requirement's text in Spanish."],
        "text_en": ["Give the requirement's text in English."],
    }
    assert organic_checklist.requirements.count() == count


def test_it_updates_a_requirement_keeping_its_own_code(organic_checklist):
    requirement = organic_checklist.requirements.get(code="ORG-10")

    updated = requirement_update(
        requirement=requirement,
        code="ORG-10",
        section="Suelo",
        text_es="Se conservan los suelos.",
        text_en="Soils are conserved.",
        critical=True,
        position=5,
    )

    updated.refresh_from_db()
    assert (updated.section, updated.text_en, updated.critical, updated.position) == (
        "Suelo",
        "Soils are conserved.",
        True,
        5,
    )


def test_an_answered_checklist_is_frozen(organic_checklist):
    farm = certified_farm("organic")
    record(farm, "organic", inspector=make_inspector())
    requirement = organic_checklist.requirements.get(code="ORG-10")

    with pytest.raises(ValidationError) as created:
        requirement_create(checklist=organic_checklist, code="ORG-91", text_es="Texto", text_en="Text")
    with pytest.raises(ValidationError) as updated:
        requirement_update(requirement=requirement, code="ORG-10", text_es="Otro", text_en="Other")

    expected = [
        f"The checklist {organic_checklist} has been used in 1 inspection, so its requirements can no longer "
        "change. Create a new version of the checklist to change them."
    ]
    assert created.value.message_dict["checklist"] == expected
    assert updated.value.message_dict["checklist"] == expected
    requirement.refresh_from_db()
    assert requirement.text_es.startswith("Se aplican prácticas de conservación")
    assert not Requirement.objects.filter(code="ORG-91").exists()


# -- new versions -----------------------------------------------------------------------------------------------


def test_a_new_version_copies_the_requirements_and_replaces_the_one_in_use(organic_checklist):
    farm = certified_farm("organic")
    old_inspection = record(farm, "organic", inspector=make_inspector())
    old_codes = list(organic_checklist.requirements.values_list("code", "critical", "text_es", "position"))

    new = checklist_create(standard=standard("organic"), version="2027.1", title="Inspección interna 2027")

    organic_checklist.refresh_from_db()
    assert not organic_checklist.active
    assert new.active and new.version == "2027.1"
    assert active_checklist("organic") == new
    assert list(new.requirements.values_list("code", "critical", "text_es", "position")) == old_codes
    # The old inspection still answers the old questions; the new version can be edited.
    assert {answer.requirement.checklist_id for answer in old_inspection.answers.all()} == {organic_checklist.pk}
    requirement_update(requirement=new.requirements.get(code="ORG-10"), code="ORG-10", text_es="Nuevo", text_en="New")


def test_an_inspection_after_a_new_version_answers_the_new_requirements(organic_checklist):
    new = checklist_create(standard=standard("organic"), version="2027.1", title="Inspección interna 2027")
    farm = certified_farm("organic")

    inspection = record(farm, "organic", inspector=make_inspector())

    assert {answer.requirement.checklist_id for answer in inspection.answers.all()} == {new.pk}


def test_it_refuses_a_version_already_used_an_empty_title_and_utz():
    with pytest.raises(ValidationError) as error:
        checklist_create(standard=standard("organic"), version="2026.1", title=" ")
    assert error.value.message_dict == {
        "version": ["Orgánico already has a checklist version 2026.1."],
        "title": ["Give the checklist's title."],
    }

    with pytest.raises(ValidationError) as error:
        checklist_create(standard=standard("utz"), version="1", title="UTZ")
    assert error.value.message_dict == {
        "standard": ["UTZ Certified accepts no new certifications: it gets no new checklist."]
    }
    assert Checklist.objects.count() == 3
    assert active_checklist("organic").version == "2026.1"


# -- pages ------------------------------------------------------------------------------------------------------

READERS = ["manager_client", "ics_client", "technician_client"]
EDITORS = ["manager_client", "ics_client"]
REFUSED = ["credit_officer_client", "outsider_client"]


def read_urls(checklist: Checklist) -> list[str]:
    return [reverse("checklist_list"), reverse("checklist_detail", args=[checklist.pk])]


def edit_urls(checklist: Checklist) -> list[str]:
    requirement = checklist.requirements.first()
    return [
        reverse("requirement_create", args=[checklist.pk]),
        reverse("requirement_edit", args=[requirement.pk]),
        reverse("checklist_new_version", args=[checklist.pk]),
    ]


@pytest.mark.parametrize("role_client", READERS)
def test_every_ics_role_reads_the_checklists(request, role_client, organic_checklist):
    client = request.getfixturevalue(role_client)

    listing = client.get(reverse("checklist_list"), **EN)
    detail = client.get(reverse("checklist_detail", args=[organic_checklist.pk]), **EN)

    assert listing.status_code == detail.status_code == 200
    assert organic_checklist.title in listing.content.decode()
    content = detail.content.decode()
    assert "ORG-07" in content and "Critical" in content
    assert "No se han aplicado fertilizantes sintéticos" in content
    can_edit = role_client in EDITORS
    assert (reverse("requirement_create", args=[organic_checklist.pk]) in content) == can_edit
    assert (reverse("checklist_new_version", args=[organic_checklist.pk]) in content) == can_edit


@pytest.mark.parametrize("role_client", EDITORS)
def test_ics_managers_open_the_checklist_forms(request, role_client, organic_checklist):
    client = request.getfixturevalue(role_client)

    for url in edit_urls(organic_checklist):
        assert client.get(url, **EN).status_code == 200, url


@pytest.mark.parametrize("role_client", ["technician_client", *REFUSED])
def test_other_roles_are_refused_the_checklist_forms_and_change_nothing(request, role_client, organic_checklist):
    client = request.getfixturevalue(role_client)

    for url in edit_urls(organic_checklist):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"version": "9", "title": "X", "confirm": "on", "code": "X-1"}).status_code == 403
    assert Checklist.objects.count() == 3
    assert not Requirement.objects.filter(code="X-1").exists()


@pytest.mark.parametrize("role_client", REFUSED)
def test_credit_officers_and_users_without_a_role_cannot_read_checklists(request, role_client, organic_checklist):
    client = request.getfixturevalue(role_client)

    for url in read_urls(organic_checklist):
        assert client.get(url).status_code == 403, url


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, organic_checklist):
    for url in read_urls(organic_checklist) + edit_urls(organic_checklist):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("login") + "?next="), url


def test_an_unknown_checklist_is_not_found(ics_client):
    assert ics_client.get(reverse("checklist_detail", args=[999999])).status_code == 404
    assert ics_client.get(reverse("requirement_create", args=[999999])).status_code == 404


def test_the_coordinator_adds_a_requirement_from_the_page(ics_client, organic_checklist):
    response = ics_client.post(
        reverse("requirement_create", args=[organic_checklist.pk]),
        {
            "code": "ORG-30",
            "section": "Seguimiento",
            "text_es": "El productor conoce el plan de mejora.",
            "text_en": "The producer knows the improvement plan.",
            "critical": "",
            "position": "",
        },
    )

    assert response.status_code == 302
    assert response.url == reverse("checklist_detail", args=[organic_checklist.pk])
    requirement = organic_checklist.requirements.get(code="ORG-30")
    assert requirement.history.get().history_user == ics_client.user


def test_a_duplicate_code_is_shown_under_the_code_and_nothing_is_added(ics_client, organic_checklist):
    count = organic_checklist.requirements.count()

    response = ics_client.post(
        reverse("requirement_create", args=[organic_checklist.pk]),
        {"code": "ORG-07", "text_es": "Texto", "text_en": "Text", "position": ""},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == [
        f"The checklist {organic_checklist} already has a requirement ORG-07."
    ]
    assert organic_checklist.requirements.count() == count


def test_the_manager_edits_a_requirement_from_the_page(manager_client, organic_checklist):
    requirement = organic_checklist.requirements.get(code="ORG-10")

    response = manager_client.post(
        reverse("requirement_edit", args=[requirement.pk]),
        {"code": "ORG-10", "section": "Suelo", "text_es": "Nuevo texto", "text_en": "New text", "position": "100"},
    )

    assert response.status_code == 302
    requirement.refresh_from_db()
    assert (requirement.text_es, requirement.position) == ("Nuevo texto", 100)


def test_an_answered_checklist_shows_no_edit_links_and_refuses_edits(manager_client, organic_checklist):
    record(certified_farm("organic"), "organic", inspector=make_inspector())
    requirement = organic_checklist.requirements.get(code="ORG-10")

    detail = manager_client.get(reverse("checklist_detail", args=[organic_checklist.pk]), **EN).content.decode()
    response = manager_client.post(
        reverse("requirement_edit", args=[requirement.pk]),
        {"code": "ORG-10", "text_es": "Cambiado", "text_en": "Changed", "position": "1"},
        **EN,
    )

    assert reverse("requirement_edit", args=[requirement.pk]) not in detail
    assert reverse("checklist_new_version", args=[organic_checklist.pk]) in detail
    assert response.status_code == 200
    assert "Create a new version of the checklist to change them." in response.content.decode()
    requirement.refresh_from_db()
    assert requirement.text_es != "Cambiado"


def test_a_new_version_needs_the_confirmation(manager_client, organic_checklist):
    url = reverse("checklist_new_version", args=[organic_checklist.pk])

    form_page = manager_client.get(url, **EN)
    refused = manager_client.post(url, {"version": "2026.2", "title": "Nueva"})

    assert form_page.context["form"].initial["version"] == "2026.2"
    assert refused.status_code == 200
    assert refused.context["form"].errors["confirm"] == ["Tick the box to confirm the new version."]
    assert active_checklist("organic") == organic_checklist


def test_the_coordinator_creates_a_new_version_from_the_page(ics_client, organic_checklist):
    response = ics_client.post(
        reverse("checklist_new_version", args=[organic_checklist.pk]),
        {"version": "2026.2", "title": "Inspección interna – Orgánico 2026.2", "confirm": "on"},
    )

    new = active_checklist("organic")
    assert response.status_code == 302
    assert response.url == reverse("checklist_detail", args=[new.pk])
    assert new.version == "2026.2"
    assert new.requirements.count() == organic_checklist.requirements.count()
    organic_checklist.refresh_from_db()
    assert not organic_checklist.active
    assert not Inspection.objects.exists()


def test_a_retired_version_cannot_be_the_base_of_a_new_one(manager_client, organic_checklist):
    checklist_create(standard=standard("organic"), version="2026.2", title="Nueva")

    response = manager_client.post(
        reverse("checklist_new_version", args=[organic_checklist.pk]),
        {"version": "2026.3", "title": "Otra", "confirm": "on"},
    )

    assert response.status_code == 302
    assert active_checklist("organic").version == "2026.2"


@pytest.mark.parametrize("requirements", [15, 40])
def test_the_checklist_page_query_count_does_not_grow_with_its_requirements(
    ics_client, django_assert_num_queries, requirements
):
    checklist = Checklist.objects.create(standard=standard("organic"), version="draft", title="Borrador", active=False)
    Requirement.objects.bulk_create(
        Requirement(checklist=checklist, code=f"D-{n:02d}", text_es="Texto", text_en="Text", position=n)
        for n in range(requirements)
    )
    ics_client.get(reverse("checklist_list"))  # session and roles warm-up

    # session, user, roles; the checklist with `used`; its requirements.
    with django_assert_num_queries(5):
        response = ics_client.get(reverse("checklist_detail", args=[checklist.pk]))

    assert len(response.context["checklist"].requirement_list) == requirements


def test_the_checklist_list_takes_a_fixed_number_of_queries(ics_client, django_assert_num_queries):
    # session, user, roles; the checklists with their counts.
    with django_assert_num_queries(4):
        response = ics_client.get(reverse("checklist_list"))

    assert len(response.context["checklists"]) == 3
