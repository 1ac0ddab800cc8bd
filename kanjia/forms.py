"""Form helpers shared by every app."""

from collections.abc import Iterable

from django import forms
from django.core.exceptions import ValidationError


def attach_errors(form: forms.Form, exc: ValidationError, *, on_top: Iterable[str] = ()) -> None:
    """Put a service's ValidationError next to the fields it names (item_5 → the item_5 field);
    errors for other keys, for fields in `on_top` (e.g. shown but disabled) or without a key go
    above the form."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc.messages)
        return
    top = set(on_top)
    for key, errors in exc.message_dict.items():
        form.add_error(key if key in form.fields and key not in top else None, errors)
