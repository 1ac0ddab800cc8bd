"""Resident ID numbers (居民身份证号码) per GB 11643-1999.

18 characters: a 6-digit region code, the birth date YYYYMMDD, a 3-digit
sequence (odd = male) and an ISO 7064 MOD 11-2 check character (0-9 or X).
Every failure says, in Chinese, what is wrong, so that a village cadre typing
from a paper form can fix it.
"""

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.utils import timezone

from kanjia.masking import mask_number

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# First two digits: the province-level codes of GB/T 2260.
PROVINCES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82", "83", "91",
}  # fmt: skip
YANJIANG = "512002"


@dataclass(frozen=True)
class IdInfo:
    number: str
    birth_date: date
    sex: str  # "男" or "女"


def normalize(raw: object) -> str:
    """Full-width digits and letters to ASCII, spaces removed, x to X."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else ""))
    return re.sub(r"\s+", "", text).upper()


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


def parse(raw: object, *, today: date | None = None) -> IdInfo:
    """Validate and return the normalised number with its birth date and sex."""
    number = normalize(raw)
    if not number:
        raise ValidationError("请填写身份证号码。", code="required")
    if len(number) == 15 and number.isdigit():
        raise ValidationError(
            "这是 15 位旧身份证号码，请填写现行的 18 位号码（可查看第二代身份证或户口簿）。", code="legacy"
        )
    if len(number) != 18:
        raise ValidationError(f"身份证号码应为 18 位，当前为 {len(number)} 位。", code="length")
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError("身份证号码前 17 位须为数字，最后一位为数字或 X。", code="chars")
    if number[:2] not in PROVINCES or number[2:6] == "0000":
        raise ValidationError(f"身份证号码前 6 位地区码 {number[:6]} 不是有效的行政区划代码。", code="region")
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(
            f"身份证号码中的出生日期 {number[6:14]} 不是真实存在的日期。", code="birth_date"
        ) from None
    today = today or timezone.localdate()
    if born.year < 1900 or born > today:
        raise ValidationError(
            f"身份证号码中的出生日期 {born:%Y-%m-%d} 不合理（早于1900年或晚于今天）。", code="birth_date"
        )
    expected = check_char(number[:17])
    if number[17] != expected:
        raise ValidationError("身份证号码校验码不正确，请逐位核对（可能有数字录错）。", code="checksum")
    return IdInfo(number=number, birth_date=born, sex="男" if int(number[16]) % 2 else "女")


def mask(number: str) -> str:
    """512002********1234: first 6 and last 4 shown."""
    return mask_number(number)


def generate(*, born: date, male: bool, region: str = YANJIANG, rng: random.Random | None = None) -> str:
    """A valid number for synthetic and test data (never a real person's on purpose)."""
    rng = rng or random.Random()  # noqa: S311 - synthetic data, not security
    seq = rng.randrange(0, 99)
    third = rng.choice([1, 3, 5, 7, 9] if male else [0, 2, 4, 6, 8])
    first17 = f"{region}{born:%Y%m%d}{seq:02d}{third}"
    return first17 + check_char(first17)
