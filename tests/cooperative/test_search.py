"""Accent- and case-insensitive search (cooperative.search), on the database the suite runs on: SQLite gets
f_unaccent from Python, PostgreSQL from migration cooperative 0008 (and an index on the folded names)."""

import pytest
from django.db import connection

from cooperative.search import fold, folded_contains, unaccent
from members.models import Member
from tests.factories import MemberFactory


def test_fold_drops_the_accents_and_the_tilde_and_capitalises():
    assert fold("Núñez Ñique, Junín, Güe") == "NUNEZ NIQUE, JUNIN, GUE"
    assert unaccent(None) is None


@pytest.mark.django_db
@pytest.mark.parametrize(("word", "found"), [("nunez", True), ("NÚÑEZ", True), ("ñique", True), ("nuñes", False)])
def test_the_database_compares_folded_names(word, found):
    MemberFactory(first_names="Rosa", last_names="Núñez Ñique")

    matches = Member.objects.filter(folded_contains("first_names", "last_names", word=word))

    assert matches.exists() is found


@pytest.mark.django_db
def test_postgresql_answers_the_name_search_from_the_folded_trigram_index(on_postgres):
    MemberFactory(last_names="Núñez")
    sql, params = Member.objects.filter(folded_contains("last_names", word="nunez")).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert "members_member_last_names_folded_trgm" in plan
