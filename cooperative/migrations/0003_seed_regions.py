"""Seed Peru's 25 departments (INEI ubigeo department codes) as regions."""

from django.db import migrations

DEPARTMENTS = [
    ("01", "Amazonas"), ("02", "Áncash"), ("03", "Apurímac"), ("04", "Arequipa"), ("05", "Ayacucho"),
    ("06", "Cajamarca"), ("07", "Callao"), ("08", "Cusco"), ("09", "Huancavelica"), ("10", "Huánuco"),
    ("11", "Ica"), ("12", "Junín"), ("13", "La Libertad"), ("14", "Lambayeque"), ("15", "Lima"),
    ("16", "Loreto"), ("17", "Madre de Dios"), ("18", "Moquegua"), ("19", "Pasco"), ("20", "Piura"),
    ("21", "Puno"), ("22", "San Martín"), ("23", "Tacna"), ("24", "Tumbes"), ("25", "Ucayali"),
]


def seed(apps, schema_editor):
    Region = apps.get_model("cooperative", "Region")
    for code, name in DEPARTMENTS:
        Region.objects.update_or_create(ubigeo_code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("cooperative", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
