"""Issue 16, finding 8: uploads are decoded, not sniffed (kanjia/uploads.py).

A JPEG header followed by HTML and a PDF that runs JavaScript when opened were
accepted by the first-bytes check; phone photos kept the GPS position of the
household's home in their EXIF. Now images are decoded and re-encoded without
metadata, PDFs are parsed fully and refused when they carry active content.
"""

from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from archives.documents.services import document_path, document_upload
from archives.models import Document
from kanjia.uploads import JPEG, PNG, clean_upload
from tests.archives.conftest import upload
from tests.samples import PDF, jpeg_with_gps, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

HTML_AS_JPEG = b"\xff\xd8\xff\xe0" + b"<html><script>alert(document.cookie)</script></html>"
HTML_AS_PNG = b"\x89PNG\r\n\x1a\n" + b"<html><body onload=alert(1)></html>"


def _pdf_with(root_extra: dict) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    for key, value in root_extra.items():
        if isinstance(value, DictionaryObject):
            value = writer._add_object(value)
        writer._root_object[NameObject(key)] = value
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _embedded() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("payload.exe", b"MZ\x90\x00")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _launch() -> bytes:
    action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): NameObject("/cmd.exe")})
    return _pdf_with({"/OpenAction": action})


def _page_action() -> bytes:
    """JavaScript run when page 1 opens (/AA on the page), no /OpenAction at all."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): DictionaryObject()})
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _stored(document: Document) -> Image.Image:
    return Image.open(BytesIO(document_path(document).read_bytes()))


def test_a_phone_photo_is_stored_without_gps_or_any_exif(team_a, team_member_a, household_a, kinds):
    original = jpeg_with_gps()
    assert Image.open(BytesIO(original)).getexif().get_ifd(0x8825)  # the sample does carry GPS
    doc = document_upload(
        household=household_a, kind=kinds["公示照片"], file=upload("现场.jpg", original, "image/jpeg"), by=team_member_a
    )
    image = _stored(doc)
    assert image.format == "JPEG" and doc.content_type == "image/jpeg"
    assert not image.getexif() and not image.getexif().get_ifd(0x8825)
    assert "exif" not in image.info and "comment" not in image.info and "xmp" not in image.info
    stored = document_path(doc).read_bytes()
    assert b"PhoneMaker" not in stored and b"taken at home" not in stored
    # The orientation was applied to the pixels: the 40×20 photo now stands 20×40.
    assert image.size == (20, 40)
    assert doc.size == len(stored)


def test_a_jpeg_header_followed_by_html_is_refused_and_nothing_is_kept(
    team_a, team_member_a, household_a, kinds, media_root
):
    for name, content in (("照片.jpg", HTML_AS_JPEG), ("照片.png", HTML_AS_PNG)):
        with pytest.raises(ValidationError) as refused:
            document_upload(household=household_a, kind=kinds["公示照片"], file=upload(name, content), by=team_member_a)
        assert "图片无法解码" in refused.value.message_dict["file"][0]
    assert not Document.objects.exists()
    assert not list((media_root / "documents").glob("*")) if (media_root / "documents").exists() else True


@pytest.mark.parametrize(
    ("make", "says"),
    [
        (lambda: pdf_bytes(javascript="app.alert('x')"), "打开文件时自动执行的动作"),
        (lambda: _launch(), "打开文件时自动执行的动作"),
        (lambda: _embedded(), "内嵌文件"),
        (lambda: _page_action(), "自动执行的动作"),
    ],
    ids=["openaction-javascript", "launch", "embedded-file", "page-additional-action"],
)
def test_a_pdf_with_active_content_is_refused(team_a, team_member_a, household_a, kinds, make, says):
    with pytest.raises(ValidationError) as refused:
        document_upload(household=household_a, kind=kinds["申请书"], file=upload("a.pdf", make()), by=team_member_a)
    message = refused.value.message_dict["file"][0]
    assert says in message and "不能上传" in message
    assert not Document.objects.exists()


def test_javascript_anywhere_in_the_pdf_is_found_not_only_in_openaction():
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    tree = DictionaryObject({NameObject("/Names"): ArrayObject([TextStringObject("x"), action])})
    names = DictionaryObject({NameObject("/JavaScript"): tree})
    out = BytesIO(_pdf_with({"/Names": names}))
    with pytest.raises(ValidationError, match="JavaScript"):
        clean_upload(upload("a.pdf", out.getvalue()), max_size=10**7)


def test_a_pdf_that_does_not_parse_is_refused():
    for content in (b"%PDF-1.4\n<html><script>alert(1)</script></html>", b"%PDF-1.4\n%%EOF\n", PDF[: len(PDF) // 2]):
        with pytest.raises(ValidationError, match="无法解析"):
            clean_upload(upload("a.pdf", content), max_size=10**7)


def test_ordinary_files_still_pass_unchanged_where_they_can():
    assert clean_upload(upload("a.pdf", PDF), max_size=10**7)[1].read() == PDF
    # A destination (open at page 1, fit) is not an action: such PDFs come from ordinary scanners.
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")]
    )
    out = BytesIO()
    writer.write(out)
    assert clean_upload(upload("b.pdf", out.getvalue()), max_size=10**7)[0].label == "PDF"
    kind, clean = clean_upload(upload("c.png", png_bytes((30, 10))), max_size=10**7)
    assert kind is PNG and Image.open(clean).size == (30, 10)
    kind, _ = clean_upload(upload("d.jpg", jpeg_with_gps(), "image/jpeg"), max_size=10**7)
    assert kind is JPEG


def test_the_posting_photo_page_strips_gps(client, town_officer, media_root, settings):
    """Through the page: the upload form of a household's bag stores the photo without its EXIF."""
    from tests.factories import HouseholdFactory

    household = HouseholdFactory()
    from archives.documents.seed import seed_defaults
    from archives.models import ChecklistRequirement, DocumentKind

    seed_defaults(DocumentKind, ChecklistRequirement)
    kind = DocumentKind.objects.get(name="公示照片")
    client.force_login(town_officer)
    response = client.post(
        reverse("archives:upload", args=[household.pk]),
        {"kind": kind.pk, "file": upload("现场.jpg", jpeg_with_gps(), "image/jpeg")},
    )
    assert response.status_code == 302, response.content.decode()[:500]
    document = Document.objects.get()
    assert not _stored(document).getexif()
    response = client.post(
        reverse("archives:upload", args=[household.pk]), {"kind": kind.pk, "file": upload("x.jpg", HTML_AS_JPEG)}
    )
    assert response.status_code == 400 and "图片无法解码" in response.content.decode()
    assert Document.objects.count() == 1
