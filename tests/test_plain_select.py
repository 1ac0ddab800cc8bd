"""kanjia.forms.PlainSelect writes a filter's <select> in Python: the same HTML as Django's
templates (what the browser and the page's scripts see must not change), at a fraction of the
cost for the hundreds of villages a district officer's filters list."""

import re

import pytest
from django import forms
from django.urls import reverse

from households.models import Village
from kanjia.forms import PlainSelect

pytestmark = pytest.mark.django_db

CHOICES = [
    ("", "全部"),
    ("1", "一村"),
    ("2", 'A&B "<村>"'),  # escaped
    ("分组", [("3", "三组"), ("4", "四组")]),  # an <optgroup>
    ("1", "一村（重复的值：只选第一个）"),
]


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", [None, "", "1", "2", "4", "99", 'A&B "<村>"'])
@pytest.mark.parametrize("attrs", [{}, {"class": "form-select form-select-sm", "required": True, "disabled": False}])
def test_the_html_is_djangos_own(value, attrs):
    class Django(forms.Form):
        f = forms.ChoiceField(choices=CHOICES, required=False, widget=forms.Select(attrs=attrs))

    class Plain(forms.Form):
        f = forms.ChoiceField(choices=CHOICES, required=False, widget=PlainSelect(attrs=attrs))

    data = {} if value is None else {"f": value}
    assert _normal(str(Plain(data)["f"])) == _normal(str(Django(data)["f"]))


def test_model_choices_keep_the_chosen_village(village_a, village_b):
    class Django(forms.Form):
        village = forms.ModelChoiceField(queryset=Village.objects.order_by("pk"), required=False)

    class Plain(forms.Form):
        village = forms.ModelChoiceField(queryset=Village.objects.order_by("pk"), required=False, widget=PlainSelect)

    data = {"village": str(village_b.pk)}
    html = str(Plain(data)["village"])
    assert html == _normal(str(Django(data)["village"]))
    assert f'<option value="{village_b.pk}" selected>{village_b.name}</option>' in html


def test_the_case_list_keeps_its_filters(client, town_officer, village_a):
    client.force_login(town_officer)
    page = client.get(reverse("review:case_list"), {"village": village_a.pk}).content.decode()
    assert f'<option value="{village_a.pk}" selected>{village_a.name}</option>' in page
    assert '<select name="status" class="form-select form-select-sm" id="id_status">' in page


def test_the_register_reads_each_filters_options_once(client, town_officer, village_a):
    """The 组 and 分类 selects are written from one read of their rows (the options were read twice:
    once through Django's choice iterator, whose labels were then thrown away)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import VillageGroupFactory

    VillageGroupFactory(village=village_a, number=3)
    client.force_login(town_officer)
    client.get("/households/")
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/households/").content.decode()
    assert 'data-village="' in page  # the group options are there
    for table in ("households_villagegroup", "households_category"):
        assert len([q for q in queries if f'FROM "{table}"' in q["sql"]]) == 1  # PostgreSQL: DECLARE … FOR SELECT
