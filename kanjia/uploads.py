"""Checking uploaded files by decoding them, for every app that accepts files.

The name and the browser's content type are never trusted, and neither are the
first bytes alone (issue 16, finding 8): a file is accepted only when it decodes
completely as the type its first bytes claim.

- Images (JPEG, PNG) are decoded by Pillow and **re-encoded**: what is stored is
  the re-encoded image, without EXIF (GPS coordinates of the household's home,
  camera, times), XMP, comments or text chunks; the EXIF orientation is applied
  to the pixels first so the photo still stands upright. Only the ICC colour
  profile is kept (colour, not metadata). A JPEG header followed by HTML does not
  decode and is refused; anything after a real image is dropped.
- PDFs are parsed by pypdf: every object reachable from the trailer and every
  page's content stream. A PDF with JavaScript, an automatic action (an
  ``/OpenAction`` or ``/AA`` action, ``/Launch``, other actions that run or
  submit something) or embedded files is refused; an ``/OpenAction`` that is only
  a destination (open at page 1, fit width) is not an action and is allowed. An
  encrypted PDF cannot be checked and is refused. The PDF is stored unchanged.

`archives` (documents, records) and `publicity` (posting photos) use
`clean_upload` and store the bytes it returns; neither may import the other, so
it lives here.
"""

import warnings
from dataclasses import dataclass
from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile


@dataclass(frozen=True)
class FileType:
    magic: bytes
    content_type: str
    extension: str
    label: str


PDF = FileType(b"%PDF-", "application/pdf", ".pdf", "PDF")
JPEG = FileType(b"\xff\xd8\xff", "image/jpeg", ".jpg", "JPEG")
PNG = FileType(b"\x89PNG\r\n\x1a\n", "image/png", ".png", "PNG")
# The only types accepted anywhere, recognised by their first bytes, then decoded.
FILE_TYPES = (PDF, JPEG, PNG)
IMAGE_TYPES = (JPEG, PNG)
HEAD = 16
# A photo of a notice board needs far less; more pixels than this is a decompression bomb.
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 90
# Keys that make a PDF run, open or submit something, or carry files inside it.
PDF_ACTIVE_KEYS = {
    "/JS": "JavaScript 脚本",
    "/JavaScript": "JavaScript 脚本",
    "/AA": "自动执行的动作",
    "/Launch": "启动外部程序的动作",
    "/EmbeddedFile": "内嵌文件",
    "/EmbeddedFiles": "内嵌文件",
    "/RichMedia": "多媒体内容",
    "/XFA": "XFA 动态表单",
}
PDF_ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript 脚本",
    "/Launch": "启动外部程序的动作",
    "/SubmitForm": "提交表单的动作",
    "/ImportData": "导入数据的动作",
    "/GoToE": "打开内嵌文件的动作",
    "/RichMediaExecute": "多媒体内容",
    "/Rendition": "多媒体内容",
    "/Sound": "多媒体内容",
    "/Movie": "多媒体内容",
}
MAX_PDF_OBJECTS = 500_000


def detect_type(head: bytes, *, allowed: tuple[FileType, ...] = FILE_TYPES) -> FileType | None:
    return next((t for t in allowed if head.startswith(t.magic)), None)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def _read(file, *, max_size: int) -> bytes:
    size = file.size or 0
    if size <= 0:
        raise ValidationError("文件是空的，请重新选择。")
    if size > max_size:
        raise ValidationError(f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {_mb(max_size)} MB。")
    file.seek(0)
    data = file.read(max_size + 1)
    file.seek(0)
    if not data:
        raise ValidationError("文件是空的，请重新选择。")
    if len(data) > max_size:  # the declared size lied
        raise ValidationError(f"文件过大，单个文件不能超过 {_mb(max_size)} MB。")
    return data


def _image(data: bytes, file_type: FileType) -> bytes:
    """The image decoded completely and re-encoded without metadata; ValidationError if it does not decode."""
    from PIL import Image, ImageOps

    broken = ValidationError(f"图片无法解码（文件已损坏，或不是真正的 {file_type.label} 图片），已拒绝。")
    fmt = "JPEG" if file_type is JPEG else "PNG"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=[fmt]) as image:
                if image.width * image.height > MAX_PIXELS:
                    raise ValidationError("图片像素过大，请缩小后再上传。")
                image.load()  # decode every pixel: a header followed by anything else fails here
                icc = image.info.get("icc_profile")
                upright = ImageOps.exif_transpose(image)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError("图片像素过大，请缩小后再上传。") from error
    except Exception as error:  # Pillow raises many kinds (OSError, SyntaxError, ValueError…)
        raise broken from error
    if upright.mode in ("P", "PA"):
        upright = upright.convert("RGBA")
    # A fresh image from the pixels alone: no EXIF, XMP, comments or PNG text chunks can follow.
    clean = Image.frombytes(upright.mode, upright.size, upright.tobytes())
    extra = {"icc_profile": icc} if icc else {}
    out = BytesIO()
    try:
        if fmt == "JPEG":
            if clean.mode not in ("RGB", "L", "CMYK"):
                clean = clean.convert("RGB")
            clean.save(out, format="JPEG", quality=JPEG_QUALITY, **extra)
        else:
            clean.save(out, format="PNG", **extra)
    except Exception as error:
        raise broken from error
    return out.getvalue()


def _pdf_active(value, seen: set, budget: list) -> str | None:
    """The first active content found in a PDF object graph (iterative walk), or None."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, StreamObject

    stack = [value]
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            budget[0] -= 1
            if budget[0] < 0:
                return "过多的对象"
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):  # StreamObject is one too
            for name, item in obj.items():
                if name in PDF_ACTIVE_KEYS:
                    return PDF_ACTIVE_KEYS[name]
                if name == "/OpenAction":
                    target = item.get_object() if isinstance(item, IndirectObject) else item
                    if isinstance(target, DictionaryObject):  # an action, not a destination array
                        return "打开文件时自动执行的动作"
                if name == "/S" and isinstance(item, NameObject) and item in PDF_ACTIVE_ACTIONS:
                    return PDF_ACTIVE_ACTIONS[item]
                if name == "/Names" and isinstance(item, DictionaryObject) and "/EmbeddedFiles" in item:
                    return "内嵌文件"
                stack.append(item)
            if isinstance(obj, StreamObject):
                obj.get_data()  # decode every stream: a broken filter fails here
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
    return None


def _pdf(data: bytes) -> None:
    """Parse the PDF completely; ValidationError if it does not parse or carries active content."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise ValidationError("PDF 文件已加密，无法检查内容，请上传未加密的 PDF。")
        found = _pdf_active(reader.trailer, set(), [MAX_PDF_OBJECTS])
        if found is None:
            for page in reader.pages:  # every page resolves, its content stream decodes
                page.get_contents()
            if len(reader.pages) == 0:
                raise ValidationError("PDF 文件没有任何页面，已拒绝。")
    except ValidationError:
        raise
    except RecursionError as error:
        raise ValidationError("PDF 文件结构异常，无法解析，已拒绝。") from error
    except Exception as error:  # pypdf raises PdfReadError, ValueError, KeyError… on broken files
        raise ValidationError("PDF 文件已损坏或不是真正的 PDF，无法解析，已拒绝。") from error
    if found:
        raise ValidationError(f"PDF 文件含有{found}，出于安全考虑不能上传；请打印后重新扫描，或另存为普通 PDF。")


def clean_upload(file, *, max_size: int, allowed: tuple[FileType, ...] = FILE_TYPES) -> tuple[FileType, ContentFile]:
    """The file's type and the bytes to store: decoded fully, images re-encoded without metadata.

    ValidationError (one Chinese message) when the file is empty, too big, not an
    allowed type, does not decode, or is a PDF with active content.
    """
    data = _read(file, max_size=max_size)
    found = detect_type(data[:HEAD], allowed=allowed)
    if found is None:
        names = "、".join(t.label for t in allowed)
        raise ValidationError(f"只能上传 {names} 文件（按文件内容识别，改扩展名无效）。")
    if found is PDF:
        _pdf(data)
        clean = data
    else:
        clean = _image(data, found)
        if len(clean) > max_size:
            raise ValidationError(f"图片重新编码后超过 {_mb(max_size)} MB，请缩小后再上传。")
    return found, ContentFile(clean, name=getattr(file, "name", None) or "upload")


def check_upload(file, *, max_size: int, allowed: tuple[FileType, ...] = FILE_TYPES) -> FileType:
    """The file's type after decoding it fully (see `clean_upload`, whose bytes are what must be stored)."""
    return clean_upload(file, max_size=max_size, allowed=allowed)[0]
