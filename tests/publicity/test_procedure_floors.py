"""Issue 15, publicity: no backdating (corrections with a reason), at least 7 days, rounds 2 and 3 always."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from publicity import rounds
from publicity.forms import OpenForm, RoundSettingForm
from publicity.models import PublicityRound, RoundSetting
from review.cases import campaigns
from review.cases.forms import CampaignForm
from review.cases.workflow import TransitionInvalid, case_advance
from review.models import Campaign, Case, Status
from tests.e2e_helpers import travel_back
from tests.publicity.conftest import at_appraisal, at_stage, days_ago
from tests.review_cases.conftest import town_data

pytestmark = pytest.mark.django_db
S = Status


@pytest.fixture
def draft(cases, crew, launched, village_a, town_officer) -> PublicityRound:
    at_appraisal(cases[0], crew)
    return rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)


# --- No backdating --------------------------------------------------------------------------


def test_a_backdated_round_is_refused_by_the_service(draft, town_officer):
    with pytest.raises(ValidationError) as refused:
        rounds.round_open(round=draft, by=town_officer, starts_on=days_ago(12))
    assert "不能早于发布当天" in refused.value.message_dict["starts_on"][0]
    assert PublicityRound.objects.get(pk=draft.pk).status == "草稿"
    # Today (the default) or a later day is fine: the round then lasts its full 7 days.
    opened = rounds.round_open(round=draft, by=town_officer)
    assert (opened.starts_on, opened.ends_on) == (timezone.localdate(), timezone.localdate() + timedelta(days=6))


def test_a_backdated_round_is_refused_by_the_form_and_the_page(client, draft, town_officer):
    form = OpenForm({"starts_on": days_ago(1).isoformat(), "days": 7, "paper": "A4"})
    assert not form.is_valid() and "不能倒签" in form.errors["starts_on"][0]
    assert form["starts_on"].field.widget.attrs["min"] == timezone.localdate().isoformat()
    client.force_login(town_officer)
    response = client.post(
        reverse("publicity:round_open", args=[draft.pk]),
        {"starts_on": days_ago(12).isoformat(), "days": 7, "paper": "A4"},
    )
    assert response.status_code == 400 and "不能倒签" in response.content.decode()
    assert PublicityRound.objects.get(pk=draft.pk).status == "草稿"


def test_the_round_of_the_issue_no_longer_ends_at_once(draft, town_officer):
    """A round-1 notice opened today with a start 12 days ago ended at once; now it must run 7 days."""
    opened = rounds.round_open(round=draft, by=town_officer)
    with pytest.raises(ValidationError, match="期满后才能结束"):
        rounds.round_close(round=opened, by=town_officer)


def test_a_correction_needs_the_town_office_and_a_reason_and_stays_in_history(
    client, draft, town_officer, team_member_a
):
    opened = rounds.round_open(round=draft, by=town_officer)
    with pytest.raises(ValidationError) as refused:
        rounds.round_correct_start(round=opened, by=town_officer, starts_on=days_ago(2), reason="  ")
    assert "须说明理由" in refused.value.message_dict["reason"][0]
    with pytest.raises(PermissionDenied):
        rounds.round_correct_start(round=opened, by=team_member_a, starts_on=days_ago(2), reason="早已张贴")
    with pytest.raises(ValidationError, match="不能晚于今天"):
        rounds.round_correct_start(
            round=opened, by=town_officer, starts_on=timezone.localdate() + timedelta(days=1), reason="改期"
        )
    corrected = rounds.round_correct_start(
        round=opened, by=town_officer, starts_on=days_ago(2), reason="名单已于该日在村委会张贴，系统登记晚了两天"
    )
    assert (corrected.starts_on, corrected.ends_on) == (days_ago(2), days_ago(2) + timedelta(days=6))
    [entry] = rounds.start_corrections(round=corrected)
    assert entry["by"] == town_officer
    assert str(days_ago(2)) in entry["text"] and "系统登记晚了两天" in entry["text"]
    # The history keeps the old start date next to the correction.
    before, after = corrected.history.order_by("history_date", "history_id")[1:3]
    assert (before.starts_on, after.starts_on) == (timezone.localdate(), days_ago(2))
    assert after.history_change_reason == rounds.CORRECTION and after.history_user == town_officer
    client.force_login(town_officer)
    page = client.get(reverse("publicity:round", args=[opened.pk])).content.decode()
    assert 'data-testid="corrections"' in page and "系统登记晚了两天" in page


def test_the_correction_page_refuses_without_reason(client, draft, town_officer):
    opened = rounds.round_open(round=draft, by=town_officer)
    client.force_login(town_officer)
    response = client.post(
        reverse("publicity:round_correct", args=[opened.pk]), {"starts_on": days_ago(1).isoformat(), "reason": ""}
    )
    assert response.status_code == 400
    assert PublicityRound.objects.get(pk=opened.pk).starts_on == timezone.localdate()


# --- At least 7 days ---------------------------------------------------------------------------


def test_a_three_day_round_is_refused_by_the_service(draft, town_officer):
    with pytest.raises(ValidationError) as refused:
        rounds.round_open(round=draft, by=town_officer, days=3)
    assert "不得少于 7 天" in refused.value.message_dict["days"][0]
    assert rounds.round_open(round=draft, by=town_officer, days=10).ends_on == timezone.localdate() + timedelta(9)


def test_a_three_day_round_is_refused_by_the_form_and_the_page(client, draft, town_officer):
    assert not OpenForm({"starts_on": timezone.localdate(), "days": 3, "paper": "A4"}).is_valid()
    client.force_login(town_officer)
    response = client.post(
        reverse("publicity:round_open", args=[draft.pk]),
        {"starts_on": timezone.localdate().isoformat(), "days": 1, "paper": "A4"},
    )
    assert response.status_code == 400 and PublicityRound.objects.get(pk=draft.pk).status == "草稿"


def test_the_campaign_period_can_be_longer_never_shorter(client, launched, town_officer):
    with pytest.raises(ValidationError, match="不得少于 7 天"):
        rounds.round_setting_save(campaign=launched, days=3, by=town_officer)
    assert not RoundSettingForm({"days": 6}).is_valid()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoundSetting.objects.create(campaign=launched, days=3)
    with pytest.raises(ValidationError):
        RoundSetting(campaign=launched, days=6).full_clean()
    setting = rounds.round_setting_save(campaign=launched, days=10, by=town_officer)
    assert setting.days == 10 and setting.history.get().history_user == town_officer
    assert rounds.publicity_days(campaign=launched) == 10
    client.force_login(town_officer)
    client.post(reverse("publicity:round_setting", args=[launched.pk]), {f"c{launched.pk}-days": "5"})
    assert RoundSetting.objects.get(campaign=launched).days == 10
    client.post(reverse("publicity:round_setting", args=[launched.pk]), {f"c{launched.pk}-days": "14"})
    assert RoundSetting.objects.get(campaign=launched).days == 14


def test_a_short_period_setting_never_reaches_a_round(settings, launched):
    settings.PUBLICITY_DAYS = 3
    assert rounds.publicity_days(campaign=launched) == 7


def test_the_database_refuses_a_short_round_still_to_be_posted(draft):
    with pytest.raises(IntegrityError), transaction.atomic():
        PublicityRound.objects.filter(pk=draft.pk).update(days=3)


# --- Rounds 2 and 3 always apply -------------------------------------------------------------


def test_a_campaign_without_round_two_or_three_is_refused(town_officer):
    for count in (0, 1):
        with pytest.raises(ValidationError) as refused:
            campaigns.campaign_create(
                name=f"只公示{count}榜",
                kind="专项清理",
                scope_date=days_ago(1),
                by=town_officer,
                publicity_rounds=count,
            )
        assert "第三榜" in refused.value.message_dict["publicity_rounds"][0]
    # Appraisal held: round 1 cannot be dropped either.
    with pytest.raises(ValidationError):
        campaigns.campaign_create(
            name="评议但不公示第一榜", kind="专项清理", scope_date=days_ago(1), by=town_officer, publicity_rounds=2
        )
    plain = campaigns.campaign_create(name="按方案", kind="专项清理", scope_date=days_ago(1), by=town_officer)
    quiet = campaigns.campaign_create(
        name="免评议", kind="专项清理", scope_date=days_ago(1), by=town_officer, appraisal_required=False
    )
    assert (plain.publicity_rounds, quiet.publicity_rounds) == (3, 2)
    assert rounds.rounds_applying(campaign=plain) == (1, 2, 3)
    assert rounds.rounds_applying(campaign=quiet) == (2, 3)


def test_the_database_refuses_a_campaign_without_round_two_or_three(campaign):
    for count, appraisal in ((0, True), (1, True), (2, True), (1, False), (3, False)):
        with pytest.raises(IntegrityError), transaction.atomic():
            Campaign.objects.filter(pk=campaign.pk).update(publicity_rounds=count, appraisal_required=appraisal)


def test_the_campaign_form_has_no_switch_for_rounds(client, town_officer):
    assert "publicity_rounds" not in CampaignForm(year=2026).fields
    client.force_login(town_officer)
    data = {"name": "页面建的行动", "kind": "专项清理", "scope_date": "2026-05-01", "appraisal_required": "on"}
    data |= {"spot_check_share": "30", "publicity_rounds": "0"}
    form = CampaignForm(year=2026)
    for start, end in form.phase_fields():
        data[start.html_name], data[end.html_name] = start.initial.isoformat(), end.initial.isoformat()
    response = client.post(reverse("review:campaign_create"), data)
    assert response.status_code == 302
    assert Campaign.objects.get(name="页面建的行动").publicity_rounds == 3


def test_round_two_holds_the_town_pass_in_every_campaign(cases, crew, launched, town_officer):
    case = at_stage(cases[0], S.TOWN_REVIEW, crew, town=town_officer)
    with pytest.raises(TransitionInvalid, match="第二榜"):
        case_advance(case=case, action="town_review", by=town_officer, data=town_data())
    assert Case.objects.get(pk=case.pk).status == S.TOWN_REVIEW


def test_an_old_round_opened_in_the_past_still_closes(cases, crew, launched, village_a, town_officer):
    """What the helpers do: a round opened on a past day (travelled clock), closed after its 7 days."""
    at_appraisal(cases[0], crew)
    with travel_back(8):
        draft = rounds.round_prepare(campaign=launched, village=village_a, number=1, by=town_officer)
        opened = rounds.round_open(round=draft, by=town_officer)
    assert opened.starts_on == days_ago(8)
    assert rounds.round_close(round=opened, by=town_officer).passed == 1
