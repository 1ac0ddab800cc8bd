"""Masked display of personal numbers: ID numbers, bank accounts, phones.

One implementation for the app's pages, its exports and the Django admin
(`kanjia.admin`). Full numbers are shown only through a logged reveal.
"""

from collections.abc import Callable


def mask_number(number: str | None) -> str:
    """512002********1234: first 6 and last 4 shown (ID numbers, bank accounts)."""
    number = number or ""
    if len(number) <= 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def mask_phone(phone: str | None) -> str:
    """138****5678: first 3 and last 4 digits of a mobile; shorter numbers all stars but the last 2."""
    phone = phone or ""
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    if len(phone) > 4:
        return "*" * (len(phone) - 2) + phone[-2:]
    return "*" * len(phone)


# Field names that hold a personal number anywhere in the project, and how each is masked.
SENSITIVE_FIELDS: dict[str, Callable[[str | None], str]] = {
    "id_number": mask_number,
    "relative_id_number": mask_number,
    "id_raw": mask_number,
    "bank_account": mask_number,
    "phone": mask_phone,
}
