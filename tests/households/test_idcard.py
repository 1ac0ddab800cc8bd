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
