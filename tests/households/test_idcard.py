"""ID number rules (GB 11643-1999) as a cadre typing from a paper form meets them."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from households import idcard

VALID = idcard.generate(born=date(1960, 3, 15), male=True)


def message(raw: str) -> str:
    with pytest.raises(ValidationError) as exc:
        idcard.parse(raw)
    return exc.value.messages[0]


def test_valid_number_gives_birth_date_and_sex():
    info = idcard.parse(VALID)
    assert info.birth_date == date(1960, 3, 15)
    assert info.sex == "男"
    assert info.number.startswith("512002")


def test_female_sequence_is_female():
    assert idcard.parse(idcard.generate(born=date(1990, 1, 2), male=False)).sex == "女"


def test_lowercase_x_fullwidth_digits_and_spaces_are_normalised():
    first17 = "51200219800101002"
    number = first17 + idcard.check_char(first17)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number.lower())
    assert idcard.parse(f"  {fullwidth} ").number == number


def test_lowercase_x_check_character_is_stored_upper():
    # Find a sequence whose check character is X.
    for seq in range(1000):
        first17 = f"51200219800101{seq:03d}"
        if idcard.check_char(first17) == "X":
            break
    assert idcard.parse(first17 + "x").number == first17 + "X"


def test_wrong_check_character_says_so():
    wrong = VALID[:17] + ("0" if VALID[17] != "0" else "1")
    assert "校验码" in message(wrong)


def test_impossible_birth_date_says_so():
    first17 = "51200219800230001"
    assert "出生日期" in message(first17 + idcard.check_char(first17))


def test_future_birth_date_rejected():
    first17 = f"512002{date.today().year + 1}0101001"
    assert "出生日期" in message(first17 + idcard.check_char(first17))


def test_fifteen_digit_legacy_number_rejected_with_message():
    assert "15 位" in message("512002600315001")


def test_wrong_length_names_the_length():
    assert "18 位" in message("51200219600315")


def test_mask_shows_first_six_and_last_four():
    assert idcard.mask(VALID) == VALID[:6] + "********" + VALID[-4:]


def _with_check(first17: str) -> str:
    return first17 + idcard.check_char(first17)


@pytest.mark.parametrize("region", ["002002", "992002", "000000", "510000"])
def test_unknown_region_code_names_the_code(region):
    # 00 and 99 are no province; 510000 is a province with no prefecture or county.
    # The check character is right, so only the region code is at fault.
    number = _with_check(f"{region}19600315001")
    assert message(number) == f"身份证号码前 6 位地区码 {region} 不是有效的行政区划代码。"


def test_known_region_codes_other_than_yanjiang_are_accepted():
    assert idcard.parse(_with_check("11010519491231002")).number.startswith("110105")


def test_birth_before_1900_says_so():
    number = _with_check("51200218991231001")
    assert message(number) == "身份证号码中的出生日期 1899-12-31 不合理（早于1900年或晚于今天）。"


def test_birth_on_first_day_of_1900_is_accepted():
    assert idcard.parse(_with_check("51200219000101001")).birth_date == date(1900, 1, 1)
