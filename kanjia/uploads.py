"""Checking uploaded files by content (magic bytes), for every app that accepts files.

The name and the browser's content type are never trusted: a renamed
executable is refused. `archives` (documents) and `publicity` (posting photos)
both use `check_upload`; neither may import the other, so it lives here.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError


@dataclass(frozen=True)
class FileType:
    magic: bytes
    content_type: str
    extension: str
    label: str


PDF = FileType(b"%PDF-", "application/pdf", ".pdf", "PDF")
JPEG = FileType(b"\xff\xd8\xff", "image/jpeg", ".jpg", "JPEG")
PNG = FileType(b"\x89PNG\r\n\x1a\n", "image/png", ".png", "PNG")
# The only types accepted anywhere, recognised by their first bytes.
FILE_TYPES = (PDF, JPEG, PNG)
IMAGE_TYPES = (JPEG, PNG)
HEAD = 16


def detect_type(head: bytes, *, allowed: tuple[FileType, ...] = FILE_TYPES) -> FileType | None:
    return next((t for t in allowed if head.startswith(t.magic)), None)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0")


def check_upload(file, *, max_size: int, allowed: tuple[FileType, ...] = FILE_TYPES) -> FileType:
    """The file's type, read from its content; ValidationError (Chinese) when empty, too big or not allowed."""
    size = file.size or 0
    if size <= 0:
        raise ValidationError("文件是空的，请重新选择。")
    if size > max_size:
        raise ValidationError(f"文件过大（{size / 1024 / 1024:.1f} MB），单个文件不能超过 {_mb(max_size)} MB。")
    file.seek(0)
    found = detect_type(file.read(HEAD), allowed=allowed)
    file.seek(0)
    if found is None:
        names = "、".join(t.label for t in allowed)
        raise ValidationError(f"只能上传 {names} 文件（按文件内容识别，改扩展名无效）。")
    return found


# --- Photos re-encoded (Pillow): nothing of the original file but its pixels is kept ------------------

PHOTO_MAX_SIDE = 2400
PHOTO_MAX_PIXELS = 40_000_000


def reencode_image(file, *, max_size: int, name: str = "photo.jpg", max_side: int = PHOTO_MAX_SIDE):
    """Decode an uploaded photo fully and write its pixels again as a new JPEG.

    EXIF (GPS position, phone model, time), XMP, ICC and comments are not carried
    over: the new file is made from the pixels only. Refuses (ValidationError, in
    Chinese) what is not a JPEG/PNG by content, cannot be decoded, or is a
    decompression bomb. Returns a Django `ContentFile` named `name`.
    """
    import io

    from django.core.files.base import ContentFile
    from PIL import Image, ImageOps

    check_upload(file, max_size=max_size, allowed=IMAGE_TYPES)
    file.seek(0)
    try:
        with Image.open(file) as image:
            if image.width * image.height > PHOTO_MAX_PIXELS:
                raise ValidationError("照片像素过多，请用手机重新拍摄。")
            image.load()
            # Turn it upright as the phone meant it; the orientation tag itself is dropped.
            upright = ImageOps.exif_transpose(image).convert("RGB")
    except ValidationError:
        raise
    except (OSError, ValueError, Image.DecompressionBombError, SyntaxError) as error:
        raise ValidationError("照片文件已损坏或不是有效的图片，请重新拍摄。") from error
    upright.thumbnail((max_side, max_side))
    out = io.BytesIO()
    upright.save(out, format="JPEG", quality=85, optimize=True)
    file.seek(0)
    return ContentFile(out.getvalue(), name=name)
