"""On PostgreSQL, refuse UPDATE and DELETE of certification events in the database itself (the model and
its QuerySet refuse them in Python; this also holds against raw SQL). Other databases: nothing to do."""

from django.db import migrations

from cooperative.models import append_only_trigger_sql

TABLE = "certifications_certificationevent"


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_only_trigger_sql(TABLE)[0], params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_only_trigger_sql(TABLE)[1], params=None)


class Migration(migrations.Migration):
    dependencies = [("certifications", "0005_seed_checklists")]

    operations = [migrations.RunPython(install, remove)]
