"""PostgreSQL: trigram indexes for the members search (a word anywhere in the names, code or DNI).

The search filters with `UPPER(column::text) LIKE UPPER('%word%')` (Django's icontains); a GIN index with
pg_trgm's operator class on that same expression answers it without reading every member. SQLite (the
embedded default for trying the app) has no such index and reads the table, which is fine at its sizes.
"""

from django.db import migrations

COLUMNS = ("first_names", "last_names", "code", "dni")


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for column in COLUMNS:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS members_member_{column}_trgm "
            f'ON members_member USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column in COLUMNS:
        schema_editor.execute(f"DROP INDEX IF EXISTS members_member_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("members", "0003_eudr_geolocation")]

    operations = [migrations.RunPython(create, drop)]
