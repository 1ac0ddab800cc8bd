from django.db import migrations


def seed(apps, schema_editor):
    # Adds the kinds missing so far (入户调查照片, 抽查走访照片: issue 20); existing rows are left as the office set them.
    from archives.documents.seed import seed_defaults

    seed_defaults(apps.get_model("archives", "DocumentKind"), apps.get_model("archives", "ChecklistRequirement"))


class Migration(migrations.Migration):
    dependencies = [("archives", "0008_seed_record_kinds")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
