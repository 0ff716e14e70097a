"""The member search's trigram indexes (members migrations 0004 and 0006) are on the very expressions the
search filters on: UPPER(code), UPPER(dni) and, for the names, UPPER(f_unaccent(name)) (accents ignored)."""

import pytest


@pytest.mark.django_db
def test_the_members_search_has_trigram_indexes_on_its_expressions_on_postgresql(on_postgres):
    from django.db import connection

    from cooperative.models import Region
    from reporting.member_list import MemberFilter

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'members_member'")
        definitions = dict(cursor.fetchall())
    sql = str(MemberFilter({"q": "70000002"}, regions=Region.objects.all()).qs.query)
    for column in ("code", "dni"):
        assert f"gin (upper(({column})::text) gin_trgm_ops)" in definitions[f"members_member_{column}_trgm"]
        assert f'UPPER("members_member"."{column}"::text) LIKE' in sql
    for column in ("first_names", "last_names"):
        assert f"members_member_{column}_trgm" not in definitions
        definition = definitions[f"members_member_{column}_folded_trgm"]
        assert f"gin (upper(f_unaccent(({column})::text)) gin_trgm_ops)" in definition
        assert f'UPPER(f_unaccent("members_member"."{column}"))::text LIKE' in sql
