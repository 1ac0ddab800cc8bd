from django.contrib.auth.management import create_permissions
from django.db import migrations

# Who may see a full ID number (each reveal is still logged). Village teams see
# masked numbers; a town officer reveals one when a case needs it.
REVEALERS = ("镇民政办", "区民政局", "纪委监察")


def grant(apps, schema_editor):
    config = apps.get_app_config("households")
    config.models_module = True  # migration stubs lack it; create_permissions needs it
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    perm = Permission.objects.get(codename="reveal_id_number", content_type__app_label="households")
    for group in Group.objects.filter(name__in=REVEALERS):
        group.permissions.add(perm)


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(codename="reveal_id_number").delete()


class Migration(migrations.Migration):
    dependencies = [("households", "0001_initial"), ("kanjia", "0001_roles")]
    operations = [migrations.RunPython(grant, revoke)]
