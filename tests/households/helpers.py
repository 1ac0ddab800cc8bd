"""Turn a rendered edit page back into the POST data a browser would send."""

from datetime import date


def _value(bound_field):
    value = bound_field.value()
    if bound_field.field.widget.input_type == "checkbox":
        return "on" if value else None
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def edit_post_data(response) -> dict:
    ctx = response.context
    data: dict[str, str] = {}
    forms = [ctx["form"]]
    for formset in (ctx["members"], ctx["assets"], ctx["incomes"]):
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for bf in form:
            value = _value(bf)
            if value is not None:
                data[bf.html_name] = value
    if ctx.get("household"):
        data["version"] = str(ctx["household"].version)
    return data
