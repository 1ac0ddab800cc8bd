"""The signed 清理核实登记表 in the household's bag (registered with review.cases.workflow.on_registration_signed).

Once 驻村领导, 驻村干部 and 村干部 have all signed, the system renders the form
(review.cases.registration: findings, appraisal, 第一榜 outcome, members who died or
moved out) and files it as an approval document of the case (保管类别 of its kind,
审批材料: kept while aid continues and 3 years after), inside the transaction of the
third signature. The team no longer uploads it at 入户调查; the checklist counts this one.

A filing that fails (the kind switched off in the admin, the PDF refused) does not undo
the signature: the note says so and the office files it by hand.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from archives.documents.services import document_upload
from archives.models import DocumentKind
from archives.models.documents import STAGES
from review.cases.registration import registration_pdf

REGISTRATION_KIND = "清理核实登记表"


def file_signed_registration(*, case, form, by: AbstractBaseUser) -> str:
    kind = DocumentKind.objects.filter(name=REGISTRATION_KIND, active=True).first()
    if kind is None:
        return f"“{REGISTRATION_KIND}”材料类别未启用，签齐的登记表未能自动归档，请在档案袋中上传。"
    pdf = ContentFile(registration_pdf(case=case), name=f"清理核实登记表-案件{case.pk}.pdf")
    try:
        document = document_upload(
            household=case.household,
            kind=kind,
            file=pdf,
            by=by,
            case=case,
            stage=case.status if case.status in dict(STAGES) else "",
            note="驻村领导、驻村干部、村干部三人签齐，系统自动归档",
            filer_checked=True,
        )
    except ValidationError as error:
        return f"签齐的登记表未能自动归档（{'；'.join(error.messages)}），请在档案袋中上传。"
    return f"签齐的清理核实登记表已归入该户档案袋（材料#{document.pk}）。"
