"""Member.active_hectares: the hectares of each member's active farms stored on the member
(members.read_models.refresh_active_hectares keeps it), filled by one set-based UPDATE (seconds at 225,000
members), and the indexes the members list walks for each of its sort orders (reporting.member_list)."""

from decimal import Decimal

from django.db import migrations, models
from django.db.models import OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce


def fill_active_hectares(apps, schema_editor):
    # The rule as members.read_models.active_hectares_expression states it when this migration was written,
    # frozen here with this migration's models.
    Farm = apps.get_model("members", "Farm")
    Member = apps.get_model("members", "Member")
    hectares = models.DecimalField(max_digits=12, decimal_places=2)
    total = (
        Farm.objects.filter(member=OuterRef("pk"), status="active")
        .order_by()
        .values("member")
        .annotate(total=Sum("hectares"))
        .values("total")
    )
    Member.objects.update(
        active_hectares=Coalesce(Subquery(total, output_field=hectares), Value(Decimal("0")), output_field=hectares)
    )


class Migration(migrations.Migration):
    dependencies = [("members", "0007_farm_eudr_status")]

    operations = [
        migrations.AddField(
            model_name="member",
            name="active_hectares",
            field=models.DecimalField(
                decimal_places=2,
                default=Decimal("0"),
                editable=False,
                max_digits=12,
                verbose_name="hectares of active farms",
            ),
        ),
        migrations.RunPython(fill_active_hectares, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["active_hectares", "id"], name="members_member_hectares_idx"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["last_names", "id"], name="members_member_last_names_idx"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["community", "id"], name="members_member_community_idx"),
        ),
        migrations.AddIndex(
            model_name="member",
            index=models.Index(fields=["status", "id"], name="members_member_status_idx"),
        ),
    ]
