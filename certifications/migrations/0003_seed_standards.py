"""Seed the four standards of the case study. UTZ merged into Rainforest Alliance (2018): no new UTZ."""

from django.db import migrations

STANDARDS = [
    # code, name, owner, validity in months, requires conversion, accepts new
    ("organic", "Orgánico", "Unión Europea – Reglamento (UE) 2018/848; USDA NOP", 12, True, True),
    ("rainforest_alliance", "Rainforest Alliance", "Rainforest Alliance (norma 2020)", 36, False, True),
    ("cafe_practices", "C.A.F.E. Practices", "Starbucks Coffee Company (verificación SCS Global Services)", 12, False, True),
    ("utz", "UTZ Certified", "UTZ (fusionada con Rainforest Alliance en 2018)", 12, False, False),
]


def seed(apps, schema_editor):
    Standard = apps.get_model("certifications", "Standard")
    for code, name, body, months, conversion, accepts in STANDARDS:
        Standard.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "body": body,
                "validity_months": months,
                "requires_conversion": conversion,
                "accepts_new_certifications": accepts,
            },
        )
    Standard.objects.filter(code="utz").update(successor=Standard.objects.get(code="rainforest_alliance"))


class Migration(migrations.Migration):
    dependencies = [("certifications", "0002_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
