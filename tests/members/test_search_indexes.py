"""The member search's trigram indexes (members migrations) are on the very expressions the search filters on."""

import pytest


@pytest.mark.django_db
def test_the_members_search_has_trigram_indexes_on_its_expressions_on_postgresql(on_postgres):
    from django.db import connection

    from cooperative.models import Region
    from reporting.member_list import MemberFilter

    columns = ("first_names", "last_names", "code", "dni")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'members_member'")
        definitions = dict(cursor.fetchall())
    sql = str(MemberFilter({"q": "70000002"}, regions=Region.objects.all()).qs.query)
    for column in columns:
        definition = definitions[f"members_member_{column}_trgm"]
        assert f"gin (upper(({column})::text) gin_trgm_ops)" in definition
        # The index is on the very expression the search filters on.
        assert f'UPPER("members_member"."{column}"::text) LIKE' in sql
