"""PostgreSQL: the unaccent extension and f_unaccent, an IMMUTABLE wrapper of it, so that indexes can be built
on UPPER(f_unaccent(column)) for the accent-insensitive search (cooperative.search). unaccent is a trusted
extension: the database's owner may create it. SQLite gets f_unaccent from Python on each connection."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    # The dictionary is named so the function does not depend on search_path (what IMMUTABLE promises).
    schema_editor.execute(
        "CREATE OR REPLACE FUNCTION f_unaccent(text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT "
        "AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS f_unaccent(text)")


class Migration(migrations.Migration):
    dependencies = [("cooperative", "0007_admin_for_managers")]

    operations = [migrations.RunPython(create, drop)]
