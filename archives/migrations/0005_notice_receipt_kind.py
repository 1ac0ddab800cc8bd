from django.db import migrations


def seed(apps, schema_editor):
    # Adds the kinds missing so far (决定通知书送达回证, issue 15); existing rows are left as the office set them.
    from archives.documents.seed import seed_defaults

    seed_defaults(apps.get_model("archives", "DocumentKind"), apps.get_model("archives", "ChecklistRequirement"))


class Migration(migrations.Migration):
    dependencies = [("archives", "0004_roll_line_remark")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
