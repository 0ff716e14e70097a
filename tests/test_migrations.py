import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_every_model_change_has_a_migration():
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)


@pytest.mark.django_db
def test_the_members_search_has_trigram_indexes_on_its_expressions_on_postgresql(on_postgres):
    from django.db import connection

    from cooperative.models import Region
    from members.filters import MemberFilter

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
