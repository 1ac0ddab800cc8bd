"""Default kinds of the town's and campaigns' files (data, seeded by migration 0006).

The office edits them afterwards (`/archives/records/kinds/`); `seed_defaults`
only adds what is missing, so it is safe to run again (tests that flush the
database call it).

Retention is the office's to set. The demo values: routine management files 5
years (DOMAIN §7, ARC); the campaign's own key documents (plan, leadership
decision, spot-check report, summary, 通报, 目标考核) 10 years; the financial
file 30 years, as 会计凭证 under the 会计档案管理办法 (2015).
"""

from typing import Any

GENERAL = "综合档案"
FINANCIAL = "财务档案"

# (name, file, phase, expected in every campaign, retention years, meeting kind, outreach, description)
KINDS: list[tuple[str, str, str, bool, int | None, str, bool, str]] = [
    ("工作方案", GENERAL, "准备", True, 10, "", False, "专项行动工作方案"),
    ("领导小组文件", GENERAL, "准备", True, 10, "", False, "成立工作领导小组的决定或通知"),
    ("清理小组名单", GENERAL, "准备", True, 5, "", False, "清理小组及成员名单"),
    ("培训动员大会记录", GENERAL, "准备", True, 5, "动员大会", False, "镇村培训动员大会的签到表和会议记录"),
    ("培训会记录", GENERAL, "准备", False, 5, "培训", False, "业务培训的签到表和记录"),
    ("政策宣传记录", GENERAL, "准备", True, 5, "", True, "标语、宣传单发放、院坝会等宣传活动的照片和记录"),
    (
        "民主评议会议记录",
        GENERAL,
        "清理实施",
        True,
        5,
        "民主评议",
        False,
        "民主评议会议的签到表和全体参会人员签字的记录",
    ),
    ("推进会记录", GENERAL, "清理实施", False, 5, "推进会", False, "工作推进会记录"),
    ("区级抽查报告", GENERAL, "抽查审批", True, 10, "", False, "区民政局抽查（听、查、看、访）的意见或报告"),
    ("工作总结", GENERAL, "总结", True, 10, "", False, "专项行动总结验收材料"),
    ("情况通报", GENERAL, "总结", True, 10, "", False, "复核情况的通报"),
    ("目标考核材料", GENERAL, "总结", True, 10, "", False, "年终民政目标考核材料"),
    ("其他综合材料", GENERAL, "", False, 5, "", False, "其他低保工作综合材料"),
    ("发放花名册（签字版）", FINANCIAL, "", False, 30, "", False, "打印并签字的发放花名册"),
    ("银行转账确认", FINANCIAL, "", False, 30, "", False, "银行代发回单、转账确认"),
    ("其他财务材料", FINANCIAL, "", False, 30, "", False, "其他财务档案"),
]

# Filed for a 民主评议 meeting, these count as the household document of every case it covers.
SATISFIES = {"民主评议会议记录": "民主评议记录"}


def seed_defaults(record_kind: Any, document_kind: Any) -> None:
    """Create the default kinds that do not exist yet (idempotent)."""
    for order, (name, file, phase, expected, years, meeting, outreach, description) in enumerate(KINDS, start=1):
        kind, created = record_kind.objects.get_or_create(
            name=name,
            defaults={
                "file": file,
                "phase": phase,
                "expected": expected,
                "retention_years": years,
                "meeting_kind": meeting,
                "for_outreach": outreach,
                "order": order * 10,
                "description": description,
            },
        )
        household_kind = SATISFIES.get(name)
        if created and household_kind:
            kind.satisfies = document_kind.objects.filter(name=household_kind).first()
            kind.save(update_fields=["satisfies"])
