"""How `manage.py benchmark` takes its samples: every cache off, each sample right after a real write that
leaves the data as it was (bench.measuring.writing), and the members list's middle page opened by its keyset
cursor (or by page number where the list has none)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache, caches
from django.core.cache.backends.dummy import DummyCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from bench.measuring import run as run_module
from bench.measuring.budgets import MIDDLE_PAGE
from bench.measuring.fetching import caches_off
from bench.measuring.results import PAGE, Measurement
from bench.measuring.run import run_benchmark
from bench.measuring.subjects import Subjects
from bench.measuring.targets import WARMUP, HttpTarget
from bench.measuring.writing import AfterWrite
from certifications.models import Certification
from cooperative.models import StaffRole
from cooperative.services import staff_role_grant
from credit.models import Loan
from members.models import Farm, FarmVisit, Member
from reporting import member_list
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TOUCHED = (Member, Farm, Loan, Certification, FarmVisit)


def every_row_count() -> dict[str, int]:
    """Rows of every table, history tables included (a write through a service or Model.save() adds some)."""
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def every_touched_row() -> dict[str, list[dict]]:
    return {model._meta.label: list(model._base_manager.order_by("pk").values()) for model in TOUCHED}


# -- the write before each sample -----------------------------------------------------------------------------


def test_the_write_updates_a_member_and_its_farm_loan_certification_and_visit(cooperative):
    ana = Member.objects.get(code="A-1")
    write = AfterWrite(ana)

    with CaptureQueriesContext(connection) as captured:
        write()

    updated = {query["sql"].split()[1].strip('"') for query in captured if query["sql"].startswith("UPDATE")}
    assert updated == {model._meta.db_table for model in TOUCHED}
    assert write.describe()[0] == f"members.Member {ana.pk} (status)"
    assert {row.model for row in write.rows} == set(TOUCHED)
    pks = {row.model: row.pk for row in write.rows}
    assert Farm.objects.get(pk=pks[Farm]).member == ana
    assert Loan.objects.get(pk=pks[Loan]).member == ana
    assert Certification.objects.get(pk=pks[Certification]).farm.member == ana
    assert FarmVisit.objects.get(pk=pks[FarmVisit]).farm.member == ana


def test_the_write_leaves_every_value_and_every_table_as_it_was(cooperative):
    write = AfterWrite(Member.objects.get(code="A-1"))
    rows, counts = every_touched_row(), every_row_count()

    write()
    write()

    assert every_touched_row() == rows  # updated_at too
    assert every_row_count() == counts  # no history rows, nothing added or removed


def test_without_the_member_the_write_touches_the_first_rows(cooperative):
    write = AfterWrite(None)

    assert [str(row) for row in write.rows][0] == f"members.Member {Member.objects.order_by('pk').first().pk} (status)"
    assert {row.model for row in write.rows} == set(TOUCHED)


def test_with_no_data_the_write_writes_nothing():
    write = AfterWrite(None)

    with CaptureQueriesContext(connection) as captured:
        write()

    assert write.rows == []
    assert [query["sql"] for query in captured if query["sql"].startswith("UPDATE")] == []


def test_the_write_comes_before_every_request_and_its_queries_are_not_counted(cooperative, client):
    manager = UserFactory(username="gerente-total")
    staff_role_grant(user=manager, role=StaffRole.Role.MANAGER, all_regions=True)
    client.force_login(manager)
    staff = client
    writes = []
    write = AfterWrite(Member.objects.get(code="A-1"))

    def counted_write():
        writes.append(1)
        write()

    url = reverse("api-program-list")
    with_write = HttpTarget("api:staff:programs", PAGE, staff, url, before=counted_write).measure(repeat=3)
    without = HttpTarget("api:staff:programs", PAGE, staff, url).measure(repeat=3)

    assert with_write.error is None
    assert len(writes) == WARMUP + 3  # the warm-up request, the one whose queries are captured, three timed
    assert with_write.queries == without.queries
    assert with_write.query_counts == without.query_counts == [without.queries]


# -- every cache off -----------------------------------------------------------------------------------------


def test_caches_off_makes_every_cache_a_dummy_and_gives_them_back_after():
    with caches_off():
        assert all(isinstance(caches[alias], DummyCache) for alias in caches)
        cache.set("bench-probe", 1)
        assert cache.get("bench-probe") is None

    cache.set("bench-probe", 1)
    assert cache.get("bench-probe") == 1
    cache.delete("bench-probe")


def test_the_whole_run_is_measured_with_every_cache_off(cooperative, monkeypatch):
    seen = []

    class Probe:
        name, kind = "probe", PAGE

        def measure(self, *, repeat: int) -> Measurement:
            seen.append({alias: type(caches[alias]) for alias in caches})
            return Measurement(self.name, self.kind, samples_ms=[1.0], queries=0)

    class ProbeSubjects(Subjects):
        def targets(self):
            yield Probe()

    monkeypatch.setattr(run_module, "Subjects", ProbeSubjects)

    run_benchmark(repeat=2, progress=lambda line: None)

    assert seen and all(backend is DummyCache for backend in seen[0].values())


# -- the members list's middle page ----------------------------------------------------------------------------


def middle_page_url(subjects: Subjects) -> str:
    return next(target.url for target in subjects.targets() if target.name == MIDDLE_PAGE)


def test_the_middle_page_is_the_list_after_the_middle_member_by_code_through_the_cursor(cooperative, monkeypatch):
    monkeypatch.setattr(member_list, "member_list_cursor", lambda *, sort, after: f"{sort}:{after.code}", raising=False)
    subjects = Subjects()
    try:
        url = middle_page_url(subjects)
    finally:
        subjects.close()

    codes = list(Member.objects.order_by("code", "pk").values_list("code", flat=True))  # A-1 B-1 C-1 D-1
    assert parse_qs(urlsplit(url).query) == {"sort": ["code"], "cursor": [f"code:{codes[len(codes) // 2]}"]}
    assert subjects.describe()["members_middle_page"] == {"by": "cursor", "after": "C-1", "position": 2}
    assert not any("member_list_cursor" in note for note in subjects.notes)


def test_without_a_cursor_the_middle_page_is_opened_by_its_number(cooperative, monkeypatch):
    monkeypatch.delattr(member_list, "member_list_cursor", raising=False)
    monkeypatch.setattr("bench.measuring.subjects.MEMBERS_PER_PAGE", 1)  # 4 members: 4 pages
    subjects = Subjects()
    try:
        url = middle_page_url(subjects)
    finally:
        subjects.close()

    assert urlsplit(url).query == "page=2"
    assert subjects.describe()["members_middle_page"] == {"by": "page", "page": 2}
    assert any("no member_list_cursor" in note for note in subjects.notes)
