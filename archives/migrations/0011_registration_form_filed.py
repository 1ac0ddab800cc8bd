from django.db import migrations

KIND = "清理核实登记表"


def forward(apps, schema_editor):
    """The signed 清理核实登记表 is filed by the system on its third signature (issue 14): an approval
    document (kept while aid continues and 3 years after), due when the case is handed in (镇审核),
    no longer a routine upload required at 入户调查."""
    DocumentKind = apps.get_model("archives", "DocumentKind")
    Requirement = apps.get_model("archives", "ChecklistRequirement")
    kind = DocumentKind.objects.filter(name=KIND).first()
    if kind is None:
        return
    if kind.retention == "routine":
        kind.retention = "approval"
        kind.description = "驻村领导、驻村干部和村干部签字的清理核实登记表（三人签齐后系统自动归档）"
        kind.save()
    for row in Requirement.objects.filter(kind=kind, stage="入户调查"):
        if Requirement.objects.filter(kind=kind, case_kind=row.case_kind, stage="镇审核").exists():
            row.delete()
        else:
            row.stage = "镇审核"
            row.save()


def backward(apps, schema_editor):
    DocumentKind = apps.get_model("archives", "DocumentKind")
    Requirement = apps.get_model("archives", "ChecklistRequirement")
    kind = DocumentKind.objects.filter(name=KIND).first()
    if kind is None:
        return
    kind.retention = "routine"
    kind.save()
    for row in Requirement.objects.filter(kind=kind, stage="镇审核"):
        row.stage = "入户调查"
        row.save()


class Migration(migrations.Migration):
    dependencies = [("archives", "0010_audit_seal_key_columns")]

    operations = [migrations.RunPython(forward, backward)]
