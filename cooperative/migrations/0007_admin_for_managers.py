"""The admin becomes a managers' tool: staff status only for managers (and superusers), and the other roles'
groups lose their admin permissions (their staff pages check the role itself)."""

from django.db import migrations


def admin_for_managers(apps, schema_editor):
    User = apps.get_model("auth", "User")
    Group = apps.get_model("auth", "Group")
    StaffRole = apps.get_model("cooperative", "StaffRole")
    with_roles = StaffRole.objects.values("user")
    managers = StaffRole.objects.filter(role="manager").values("user")
    User.objects.filter(pk__in=with_roles, is_staff=True, is_superuser=False).exclude(pk__in=managers).update(
        is_staff=False
    )
    for group in Group.objects.filter(name__startswith="role:").exclude(name="role:manager"):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("cooperative", "0006_data_version_visits"),
    ]

    operations = [migrations.RunPython(admin_for_managers, migrations.RunPython.noop)]
