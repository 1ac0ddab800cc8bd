"""Sample files for upload tests: real ones (the upload checker decodes files fully, kanjia/uploads.py)."""

from io import BytesIO

from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject


def pdf_bytes(*, pages: int = 1, javascript: str | None = None) -> bytes:
    """A real PDF with blank pages (the same bytes every time); with `javascript`, an /OpenAction running it."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    if javascript is not None:
        action = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Action"),
                NameObject("/S"): NameObject("/JavaScript"),
                NameObject("/JS"): TextStringObject(javascript),
            }
        )
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = pdf_bytes()


def png_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, "white").save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps(*, latitude: float = 30.1234, longitude: float = 104.5678) -> bytes:
    """A phone photo: a JPEG whose EXIF carries the GPS position, the camera and an orientation."""
    image = Image.new("RGB", (40, 20), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "PhoneModel"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to view
    gps = {
        1: "N",
        2: (int(latitude), int(latitude * 60) % 60, round(latitude * 3600) % 60),
        3: "E",
        4: (int(longitude), int(longitude * 60) % 60, round(longitude * 3600) % 60),
    }
    exif[0x8825] = gps
    out = BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"taken at home")
    return out.getvalue()


def jpeg_bytes(size: tuple[int, int] = (8, 8)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, "white").save(out, format="JPEG")
    return out.getvalue()
