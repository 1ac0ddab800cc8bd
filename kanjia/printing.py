"""A printable document served to a user: rendered, logged as a print, sent inline.

Every page that prints personal data (登记表, 告知书, 备案表) goes through
`printed_pdf` so that no print escapes the access log.
"""

from django.db import models
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header

from kanjia.access import log_access
from kanjia.models import AccessLog
from kanjia.pdf import render_pdf


def printed_pdf(
    *,
    request: HttpRequest,
    template: str,
    context: dict,
    obj: models.Model,
    village_id: int | None,
    detail: str,
    filename: str,
) -> HttpResponse:
    pdf = render_pdf(template=template, context=context)
    log_access(
        request=request,
        user=request.user,
        action=AccessLog.Action.PRINT,
        obj=obj,
        village_id=village_id,
        detail=detail,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def attachment(content: bytes, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    """A generated file for one user: never cached by the browser or a proxy."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename)
    response["Cache-Control"] = "no-store"
    return response
