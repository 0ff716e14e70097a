"""PostgreSQL: the members search ignores accents (cooperative.search): the names' trigram indexes move from
UPPER(column) to UPPER(f_unaccent(column)), the expression the search now filters on. Code and DNI keep
theirs (they have no accents). SQLite has no such index and reads the table."""

from django.db import migrations

COLUMNS = ("first_names", "last_names")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS members_member_{column}_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS members_member_{column}_folded_trgm "
            f'ON members_member USING gin ((UPPER(f_unaccent("{column}"::text))) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS members_member_{column}_folded_trgm")
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS members_member_{column}_trgm "
            f'ON members_member USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("members", "0005_visit_day_index"), ("cooperative", "0008_unaccent")]

    operations = [migrations.RunPython(create, drop)]
