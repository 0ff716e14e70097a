from django.db import migrations


def create_the_row(apps, schema_editor):
    """The visits topic (cooperative.figures_cache.VISITS); the figures topic is row 1."""
    apps.get_model("cooperative", "DataVersion").objects.get_or_create(pk=2)


class Migration(migrations.Migration):
    dependencies = [("cooperative", "0005_data_version")]

    operations = [migrations.RunPython(create_the_row, migrations.RunPython.noop)]
