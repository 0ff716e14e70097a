"""Certification.is_current: the farm's current certification under each standard, stored (a read model kept by
the certification services), filled from the rule the selectors used until now: the open certification,
otherwise the closed one whose last event is the latest (ties: the latest created).

Nearly every certification is its farm's current one, so the column is added as true (PostgreSQL stores a
constant default without rewriting the table) and one UPDATE clears the superseded ones: a few rows written
instead of 332,000. The rule is written out against the historical models (a migration must not follow later
changes to the selectors). Then the default becomes false (in the model state only) and the constraint and index are built.
Reverse: the column goes, nothing to undo.
"""

import datetime

from django.db import migrations, models
from django.db.models import DateField, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

# certifications.models.OPEN_STATUSES when this migration was written.
OPEN_STATUSES = ["candidate", "certified", "in_conversion", "sanctioned", "suspended"]


def clear_superseded(apps, schema_editor):
    Certification = apps.get_model("certifications", "Certification")
    CertificationEvent = apps.get_model("certifications", "CertificationEvent")

    def with_last_event_key(queryset):
        last_event = CertificationEvent.objects.filter(certification=OuterRef("pk")).order_by("-occurred_on")
        return queryset.annotate(
            last_event_key=Coalesce(
                Subquery(last_event.values("occurred_on")[:1], output_field=DateField()),
                Value(datetime.date.min),
                output_field=DateField(),
            )
        )

    siblings = Certification.objects.filter(farm=OuterRef("farm"), standard=OuterRef("standard")).exclude(
        pk=OuterRef("pk")
    )
    later_closed_sibling = with_last_event_key(siblings.exclude(status__in=OPEN_STATUSES)).filter(
        Q(last_event_key__gt=OuterRef("last_event_key"))
        | Q(last_event_key=OuterRef("last_event_key"), pk__gt=OuterRef("pk"))
    )
    superseded = with_last_event_key(Certification.objects.exclude(status__in=OPEN_STATUSES)).filter(
        Exists(siblings.filter(status__in=OPEN_STATUSES)) | Exists(later_closed_sibling)
    )
    Certification.objects.filter(pk__in=superseded.values("pk")).update(is_current=False)


class Migration(migrations.Migration):
    dependencies = [("certifications", "0006_event_log_append_only")]

    operations = [
        migrations.AddField(
            model_name="certification",
            name="is_current",
            field=models.BooleanField(default=True, editable=False, verbose_name="current certification"),
        ),
        migrations.RunPython(clear_superseded, migrations.RunPython.noop),
        # Django keeps no default in the database: only the model state changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="certification",
                    name="is_current",
                    field=models.BooleanField(default=False, editable=False, verbose_name="current certification"),
                ),
            ]
        ),
        migrations.AddConstraint(
            model_name="certification",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)),
                fields=("farm", "standard"),
                name="certifications_certification_one_current_per_farm_standard",
            ),
        ),
        migrations.AddIndex(
            model_name="certification",
            index=models.Index(
                condition=models.Q(("is_current", True)),
                fields=["standard", "status", "farm"],
                name="cert_current_std_status",
            ),
        ),
    ]
