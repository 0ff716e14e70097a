"""On PostgreSQL, refuse UPDATE and DELETE of ledger entries and charges in the database itself (the models
and their QuerySets refuse them in Python; this also holds against raw SQL). Other databases: nothing."""

from django.db import migrations

from cooperative.models import append_only_trigger_sql

TABLES = ("credit_loantransaction", "credit_loancharge")


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(append_only_trigger_sql(table)[0], params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table in TABLES:
            schema_editor.execute(append_only_trigger_sql(table)[1], params=None)


class Migration(migrations.Migration):
    dependencies = [("credit", "0003_loan_allocation_order_backfill")]

    operations = [migrations.RunPython(install, remove)]
