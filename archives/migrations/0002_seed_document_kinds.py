from django.db import migrations


def seed(apps, schema_editor):
    from archives.documents.seed import seed_defaults

    seed_defaults(apps.get_model("archives", "DocumentKind"), apps.get_model("archives", "ChecklistRequirement"))


class Migration(migrations.Migration):
    dependencies = [("archives", "0001_documents")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
