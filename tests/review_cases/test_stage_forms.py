"""Stage forms keep their work: every error in one go, input never lost, flags disposed in the 入户调查 form."""

import pytest
from django.urls import reverse

from households.models import ReviewFlag
from review.models import Status
from tests.review_cases.conftest import drive
from tests.review_cases.test_pages import post_investigation

pytestmark = pytest.mark.django_db


@pytest.fixture
def investigating(case, crew):
    case = drive(case, Status.INVESTIGATION, crew)
    ReviewFlag.objects.create(household=case.household, kind=3, reason="名下登记小型汽车一辆")
    ReviewFlag.objects.create(household=case.household, kind=6, reason="子女在县城购房")
    return case


def test_an_empty_investigation_says_everything_at_once_and_keeps_what_was_typed(client, investigating, crew):
    client.force_login(crew.cadre)
    url = reverse("review:case_stage", args=[investigating.pk, "investigation"])
    body = client.post(url, {"family_present": "张三、李四", "action": "investigate"}).content.decode()
    for message in (
        "请填写入户调查日期",
        "入户调查须有至少两名调查人员",
        "请填写居住及生活状况",
        "调查建议须为",
        "请选择无异常或有异常",
        "请填写核对结果的回复日期",
        "该户还有 2 条重点复核标记未作处理结论",
    ):
        assert message in body, message
    assert 'value="张三、李四"' in body  # nothing typed is lost
    investigating.refresh_from_db()
    assert investigating.status == Status.INVESTIGATION


def test_flags_are_disposed_inside_the_investigation_form(client, investigating, crew):
    car, house = ReviewFlag.objects.filter(household=investigating.household).order_by("kind")
    client.force_login(crew.cadre)
    page = client.get(reverse("review:case_detail", args=[investigating.pk])).content.decode()
    assert 'data-testid="investigation-flags"' in page and "名下登记小型汽车一辆" in page
    # A conclusion without its note: said next to the flag, with the investigation's other input kept.
    response = post_investigation(
        client,
        investigating,
        crew,
        living_conditions="砖混住房两间",
        **{f"flag_{car.pk}": "核实无误", f"flag_{car.pk}_note": "", f"flag_{house.pk}": "需调整"},
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "请填写核实说明" in body and "砖混住房两间" in body
    assert ReviewFlag.objects.filter(household=investigating.household, disposition="待核实").count() == 2
    # Both concluded in the same submit: the flags are disposed and the case moves on.
    response = post_investigation(
        client,
        investigating,
        crew,
        **{
            f"flag_{car.pk}": "核实无误",
            f"flag_{car.pk}_note": "车辆已于2020年过户，有过户凭证。",
            f"flag_{house.pk}": "需调整",
            f"flag_{house.pk}_note": "子女购房，赡养能力需重新核定。",
        },
    )
    assert response.status_code == 302
    investigating.refresh_from_db()
    assert investigating.status == Status.APPRAISAL
    car.refresh_from_db()
    assert (car.disposition, car.disposed_by) == ("核实无误", crew.cadre)


def test_an_empty_appraisal_says_everything_at_once(client, case, crew):
    case = drive(case, Status.APPRAISAL, crew)
    client.force_login(crew.cadre)
    url = reverse("review:case_stage", args=[case.pk, "appraisal"])
    body = client.post(url, {"place": "村委会", "action": "save"}).content.decode()
    for message in ("请填写评议日期", "请填写主持人", "请填写评议记录", "请填写参会人数", "请选择评议结果"):
        assert message in body, message
    assert 'value="村委会"' in body
