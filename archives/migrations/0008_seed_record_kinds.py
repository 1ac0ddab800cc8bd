from django.db import migrations


def seed(apps, schema_editor):
    from archives.records.seed import seed_defaults

    seed_defaults(apps.get_model("archives", "RecordKind"), apps.get_model("archives", "DocumentKind"))


class Migration(migrations.Migration):
    dependencies = [("archives", "0007_records_and_clues"), ("archives", "0002_seed_document_kinds")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
