"""Default document kinds and checklist rows (data, seeded by migration 0002).

The office edits them in the admin afterwards; `seed_defaults` only adds what
is missing, so it is safe to run again (tests that flush the database call it).
"""

from typing import Any

APPROVAL = "approval"
ROUTINE = "routine"

# (name, retention class, description)
KINDS: list[tuple[str, str, str]] = [
    ("申请书", APPROVAL, "低保申请书"),
    ("诚信承诺书", APPROVAL, "申请人签署的诚信承诺书"),
    ("家庭经济状况核对授权书", APPROVAL, "家庭成员签署的核对授权书"),
    ("身份证/户口簿复印件", APPROVAL, "家庭成员身份证、户口簿复印件"),
    ("收入证明", APPROVAL, "工资、养老金等收入证明"),
    ("入户调查表", APPROVAL, "调查人员和在场家庭成员签字的入户调查表"),
    ("民主评议记录", APPROVAL, "民主评议环节全体参会人员签字的会议记录"),
    ("公示照片", APPROVAL, "公示张贴记录(照片)"),
    ("镇审核意见", APPROVAL, "乡镇审核意见表"),
    ("区审批表", APPROVAL, "区民政局审批表"),
    # Filed by the system on the third signature (archives.documents.registration), not uploaded.
    ("清理核实登记表", APPROVAL, "驻村领导、驻村干部和村干部签字的清理核实登记表（三人签齐后系统自动归档）"),
    ("低保证", APPROVAL, "低保证复印件"),
    ("决定通知书送达回证", APPROVAL, "不予纳入、停发、减发决定通知书的送达回证（签收）扫描件"),
    ("其他", ROUTINE, "其他材料"),
    # Photos taken at a home visit on a phone (issue 20), re-encoded without metadata.
    ("入户调查照片", APPROVAL, "入户调查时在户内拍摄的照片（手机走访同步，已去除位置等元数据）"),
    ("抽查走访照片", ROUTINE, "区级抽查看、访时拍摄的照片（手机走访同步，已去除位置等元数据）"),
]

# case kind → stage → required kinds. The stage is the one in which the document
# is produced; a transition leaving a stage checks the documents of earlier stages.
REQUIREMENTS: dict[str, dict[str, list[str]]] = {
    "新申请": {
        "受理": ["申请书", "诚信承诺书", "家庭经济状况核对授权书", "身份证/户口簿复印件"],
        "入户调查": ["入户调查表"],
        "民主评议": ["民主评议记录"],
        "镇审核": ["镇审核意见", "公示照片"],
        "区审批": ["区审批表"],
    },
    "复核": {
        "受理": ["诚信承诺书", "家庭经济状况核对授权书"],
        "入户调查": ["入户调查表"],
        "民主评议": ["民主评议记录"],
        # The 登记表 is handed in with the case (the third signature files it): due at 镇审核.
        "镇审核": ["镇审核意见", "公示照片", "清理核实登记表"],
        "区审批": ["区审批表"],
    },
    "定期核查": {
        "入户调查": ["入户调查表"],
        "镇审核": ["镇审核意见"],
        "区审批": ["区审批表"],
    },
}


def seed_defaults(document_kind: Any, requirement: Any) -> None:
    """Create the default kinds and requirement rows that do not exist yet (idempotent)."""
    kinds = {}
    for order, (name, retention, description) in enumerate(KINDS, start=1):
        kinds[name], _ = document_kind.objects.get_or_create(
            name=name, defaults={"retention": retention, "order": order * 10, "description": description}
        )
    for case_kind, stages in REQUIREMENTS.items():
        for stage, names in stages.items():
            for name in names:
                requirement.objects.get_or_create(case_kind=case_kind, stage=stage, kind=kinds[name])
