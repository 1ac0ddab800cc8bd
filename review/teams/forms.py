"""Forms for team management. They validate input only; services do the writes."""

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from households.models import Village
from review.models import Campaign, ReviewTeam, Staff, TeamMembership
from review.teams.selectors import active_team_names, member_candidates, village_choices_for_team


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: AbstractBaseUser) -> str:
        staff = getattr(obj, "staff", None)
        name = staff.name if staff else (obj.get_full_name() or obj.get_username())
        return f"{name}（{obj.get_username()}）"


class DateInput(forms.DateInput):
    input_type = "date"


class TeamForm(forms.Form):
    name = forms.CharField(label="小组名称", max_length=50)
    leader = UserChoiceField(label="驻村领导", queryset=member_candidates(), required=False, empty_label="（暂不指定）")
    active_from = forms.DateField(label="起始日期", required=False, widget=DateInput)
    active_to = forms.DateField(label="截止日期", required=False, widget=DateInput)
    campaign = forms.ModelChoiceField(
        label="专项行动", queryset=Campaign.objects.all(), required=False, empty_label="（不属于专项行动）"
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = member_candidates()

    @classmethod
    def for_team(cls, team: ReviewTeam) -> "TeamForm":
        return cls(
            initial={
                "name": team.name,
                "leader": team.leader_id,
                "active_from": team.active_from,
                "active_to": team.active_to,
                "campaign": team.campaign_id,
            }
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", "截止日期不能早于起始日期。")
        return data


class MemberForm(forms.Form):
    user = UserChoiceField(label="成员", queryset=member_candidates())
    role = forms.ChoiceField(label="组内职务", choices=TeamMembership.Role.choices, initial=TeamMembership.Role.CADRE)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = member_candidates()


class VillageForm(forms.Form):
    village = forms.ModelChoiceField(label="村(社区)", queryset=Village.objects.none())

    def __init__(self, *args, team: ReviewTeam, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["village"]
        field.queryset = village_choices_for_team(team=team)
        covering = active_team_names()
        # Say which villages another team covers now: choosing one moves it.
        field.label_from_instance = lambda v: f"{v}（现属“{covering[v.pk]}”，将移交）" if v.pk in covering else str(v)


class StaffForm(forms.Form):
    """A staff profile; the ID number is checked by the service (households.idcard) and shown masked."""

    name = forms.CharField(label="姓名", max_length=50)
    unit = forms.ChoiceField(label="单位", choices=[("", "（请选择）"), *Staff.Unit.choices])
    post = forms.CharField(label="职务", max_length=50, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    # Never filled in: the stored number is only shown masked. Empty keeps it.
    id_number = forms.CharField(label="公民身份号码（不修改请留空）", max_length=20, required=False)

    @classmethod
    def for_person(cls, person: AbstractBaseUser) -> "StaffForm":
        staff = getattr(person, "staff", None)
        if staff is None:
            return cls(initial={"name": person.get_full_name() or person.get_username()})
        return cls(initial={"name": staff.name, "unit": staff.unit, "post": staff.post, "phone": staff.phone})
