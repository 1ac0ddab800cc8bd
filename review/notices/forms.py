"""Forms for decision notices and complaints: field types and Chinese labels; rules live in the services."""

from django import forms
from django.utils import timezone

from review.cases.forms import DATE, TEXTAREA, StyledForm
from review.models import Complaint, DecisionNotice


class ReasonsForm(StyledForm):
    reasons = forms.CharField(label="决定理由", widget=forms.Textarea(attrs={"rows": 5}))


class DeliveryForm(StyledForm):
    delivered_on = forms.DateField(label="送达日期", widget=DATE)
    method = forms.ChoiceField(label="送达方式", choices=[("", "请选择"), *DecisionNotice.Method.choices])
    recipient = forms.CharField(label="签收人", max_length=50, help_text="留置送达的，填写见证人")
    note = forms.CharField(label="送达说明", max_length=300, required=False)
    scan = forms.FileField(
        label="送达回证扫描件",
        required=False,
        help_text="可选：PDF、JPEG 或 PNG，保存后归入该户档案袋。",
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delivered_on"].initial = timezone.localdate()


class SettingForm(StyledForm):
    stop_days = forms.IntegerField(label="停发、减发通知送达期限(工作日)", min_value=3, max_value=30)
    complaint_days = forms.IntegerField(label="申诉、复核申请办理期限(工作日)", min_value=1, max_value=60)
    review_body = forms.CharField(label="行政复议机关", max_length=100)
    court = forms.CharField(label="行政诉讼受理法院", max_length=100)


class ComplaintForm(StyledForm):
    kind = forms.ChoiceField(label="类型", choices=[("", "请选择"), *Complaint.Kind.choices])
    received_on = forms.DateField(label="受理日期", widget=DATE)
    complainant = forms.CharField(label="申请人", max_length=50)
    content = forms.CharField(label="请求及理由", widget=TEXTAREA)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate()


class HandleForm(StyledForm):
    result = forms.ChoiceField(label="办理结果", choices=[("", "请选择"), *Complaint.Result.choices])
    reply = forms.CharField(label="答复内容", widget=TEXTAREA)
    handled_on = forms.DateField(label="答复日期", widget=DATE)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handled_on"].initial = timezone.localdate()
