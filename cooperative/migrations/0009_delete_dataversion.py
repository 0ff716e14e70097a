"""The data versions of the figures cache go: the figures are read on every request, from the read models the
services keep."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("cooperative", "0008_unaccent")]

    operations = [migrations.DeleteModel(name="DataVersion")]
