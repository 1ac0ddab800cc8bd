"""Town office's rules pages: 保障标准, 分类施保类别, 财产核查规则. Thin: reads in
`policy_selectors`, writes in `policy`.

镇民政办 changes them; 区民政局 and 纪委监察 read them (every change is a 403);
everyone else gets a 403 for every page. Permission is checked before any
object is looked up or any input is read.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from households.models import Category, Member, MemberCategory, PropertyRule, Standard
from households.policy import selectors
from households.policy import services as policy
from households.policy.forms import (
    CategoryForm,
    CategoryMapForm,
    MemberCategoryForm,
    PropertyRuleForm,
    StandardForm,
    SupplementRuleForm,
)
from households.towns.views import town_choice
from kanjia.printing import attachment
from kanjia.xlsx import XLSX_CONTENT_TYPE

NOT_READER = "只有镇民政办、区民政局和纪委监察可以查阅保障标准、分类施保类别和财产核查规则。"
NOT_TOWN_OFFICE = "只有镇民政办可以修改保障标准、分类施保类别和财产核查规则；您只能查阅。"


def _towns(request: HttpRequest):
    """The towns whose rules the user reads and (town office) sets; another town's are a 404."""
    return selectors.policy_towns(user=request.user)


def _may_read(request: HttpRequest) -> None:
    if not selectors.can_view_policy(user=request.user):
        raise PermissionDenied(NOT_READER)


def _may_change(request: HttpRequest) -> None:
    _may_read(request)
    if not selectors.can_change_policy(user=request.user):
        raise PermissionDenied(NOT_TOWN_OFFICE)


def _page(request: HttpRequest, template: str, context: dict, *, invalid: bool = False) -> HttpResponse:
    context = {"can_change": selectors.can_change_policy(user=request.user), **context}
    return render(request, f"households/policy/{template}", context, status=400 if invalid else 200)


# --- 保障标准 ------------------------------------------------------------------------


@login_required
@require_safe
def standard_list(request: HttpRequest) -> HttpResponse:
    _may_read(request)
    today = timezone.localdate()
    return _page(
        request,
        "standards.html",
        {"sections": selectors.standard_sections(today=today, towns=_towns(request)), "today": today},
    )


@login_required
def standard_new(request: HttpRequest) -> HttpResponse:
    _may_change(request)
    initial = {k: request.GET[k] for k in ("town", "area") if k in request.GET}
    form = StandardForm(request.POST or None, initial=initial, towns=_towns(request))
    if request.method == "POST" and form.is_valid():
        try:
            standard = policy.standard_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已新增保障标准：{standard}。")
            return redirect("households:standards")
    return _page(request, "standard_form.html", {"form": form}, invalid=request.method == "POST")


@login_required
def standard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_change(request)
    standard = get_object_or_404(Standard.objects.filter(town__in=_towns(request)).select_related("town"), pk=pk)
    in_force = policy.standard_in_force_since(standard=standard)
    fields = ("town", "area", "monthly_amount", "effective_from", "rounding", "note")
    initial = {f: getattr(standard, f"{f}_id" if f == "town" else f) for f in fields}
    form = StandardForm(request.POST or None, initial=initial, editing=True)
    # A standard in force is shown read-only; a POST for it is refused (the service checks again).
    if request.method == "POST" and not in_force and form.is_valid():
        try:
            policy.standard_update(standard=standard, by=request.user, **form.values())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, "已保存保障标准。")
            return redirect("households:standards")
    context = {
        "form": form,
        "standard": standard,
        "locked": policy.IN_FORCE.format(day=standard.effective_from) if in_force else "",
        "history": selectors.change_history(obj=standard),
    }
    return _page(request, "standard_form.html", context, invalid=request.method == "POST")


@login_required
@require_POST
def standard_delete(request: HttpRequest, pk: int) -> HttpResponse:
    _may_change(request)
    standard = get_object_or_404(Standard.objects.filter(town__in=_towns(request)).select_related("town"), pk=pk)
    label = str(standard)
    try:
        policy.standard_delete(standard=standard, by=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, f"已删除尚未执行的保障标准：{label}。")
    return redirect("households:standards")


# --- 分类施保类别 --------------------------------------------------------------------


@login_required
@require_safe
def category_list(request: HttpRequest) -> HttpResponse:
    _may_read(request)
    return _page(request, "categories.html", {"categories": selectors.category_list(towns=_towns(request))})


@login_required
def category_new(request: HttpRequest) -> HttpResponse:
    _may_change(request)
    form = CategoryForm(request.POST or None, towns=_towns(request))
    if request.method == "POST" and form.is_valid():
        try:
            category = policy.category_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已新增分类施保类别“{category.name}”。")
            return redirect("households:categories")
    return _page(request, "category_form.html", {"form": form}, invalid=request.method == "POST")


@login_required
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_change(request)
    category = get_object_or_404(Category.objects.filter(town__in=_towns(request)).select_related("town"), pk=pk)
    fields = ("name", "extra_amount", "description", "active")
    initial = {"town": category.town_id, **{f: getattr(category, f) for f in fields}}
    form = CategoryForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            policy.category_update(category=category, by=request.user, **form.values())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已保存分类施保类别“{form.cleaned_data['name']}”。")
            return redirect("households:categories")
    context = {
        "form": form,
        "category": category,
        "in_use": policy.category_in_use(category=category),
        "household_count": category.households.count(),
        "history": selectors.change_history(obj=category),
    }
    return _page(request, "category_form.html", context, invalid=request.method == "POST")


@login_required
@require_POST
def category_remove(request: HttpRequest, pk: int) -> HttpResponse:
    _may_change(request)
    category = get_object_or_404(Category.objects.filter(town__in=_towns(request)), pk=pk)
    if policy.category_remove(category=category, by=request.user):
        messages.success(request, f"已删除分类施保类别“{category.name}”。")
    else:
        messages.warning(
            request,
            f"分类施保类别“{category.name}”已有低保户使用（含历史记录），不能删除，已改为停用："
            "登记低保户时不再可选，已使用的户保持不变。",
        )
    return redirect("households:categories")


# --- 财产核查规则 --------------------------------------------------------------------


@login_required
@require_safe
def property_rule_list(request: HttpRequest) -> HttpResponse:
    _may_read(request)
    return _page(request, "property_rules.html", {"rules": selectors.property_rule_list(towns=_towns(request))})


@login_required
def property_rule_new(request: HttpRequest) -> HttpResponse:
    _may_change(request)
    form = PropertyRuleForm(request.POST or None, towns=_towns(request))
    if request.method == "POST" and form.is_valid():
        try:
            rule = policy.property_rule_create(by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已新增财产核查规则“{rule.name}”。")
            return redirect("households:property_rules")
    return _page(request, "property_rule_form.html", {"form": form}, invalid=request.method == "POST")


@login_required
def property_rule_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _may_change(request)
    rule = get_object_or_404(PropertyRule.objects.filter(town__in=_towns(request)).select_related("town"), pk=pk)
    fields = ("name", "kind", "max_quantity", "max_value", "active")
    initial = {"town": rule.town_id, **{f: getattr(rule, f) for f in fields}}
    form = PropertyRuleForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            policy.property_rule_update(rule=rule, by=request.user, **form.values())
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"已保存财产核查规则“{form.cleaned_data['name']}”。")
            return redirect("households:property_rules")
    context = {"form": form, "rule": rule, "history": selectors.change_history(obj=rule)}
    return _page(request, "property_rule_form.html", context, invalid=request.method == "POST")


# --- 分类施保: criteria per category (the mapping page), changes per household ------------


def _mapping_forms(categories: list[Category], data=None) -> list[tuple[Category, CategoryMapForm]]:
    pairs = []
    for c in categories:
        initial = {
            "extra_amount": c.extra_amount,
            "age_at_least": c.age_at_least,
            "age_under": c.age_under,
            "disability_grades": c.disability_grades,
            "serious_illness": c.serious_illness,
            "manual": c.manual,
            "nobody": c.mapped_at is not None and c.criteria_text.startswith("无人"),
        }
        pairs.append((c, CategoryMapForm(data, prefix=f"c{c.pk}", initial=initial)))
    return pairs


@login_required
def category_mapping(request: HttpRequest) -> HttpResponse:
    """Map each category to its criteria, set the town's 就高/累加 rule, record 人工认定 persons."""
    _may_read(request)
    categories = selectors.category_mapping(towns=_towns(request))
    towns = list(_towns(request))
    action = request.POST.get("action", "") if request.method == "POST" else ""
    forms = _mapping_forms(categories)
    rule_form = SupplementRuleForm(initial={"rule": towns[0].supplement_rule if towns else ""})
    grant_form = MemberCategoryForm(towns=_towns(request))
    invalid = False
    if request.method == "POST":
        _may_change(request)
        if action == "map":
            category = get_object_or_404(
                Category.objects.filter(town__in=_towns(request)), pk=request.POST.get("category") or 0
            )
            forms = [
                (c, f) if c.pk != category.pk else (c, CategoryMapForm(request.POST, prefix=f"c{c.pk}"))
                for c, f in forms
            ]
            form = next(f for c, f in forms if c.pk == category.pk)
            if form.is_valid():
                try:
                    policy.category_map(category=category, by=request.user, **form.cleaned_data)
                except ValidationError as exc:
                    form.apply_errors(exc)
                else:
                    messages.success(request, f"已保存“{category.name}”的适用条件。")
                    return redirect("households:category_mapping")
            invalid = True
        elif action == "rule":
            rule_form = SupplementRuleForm(request.POST)
            if rule_form.is_valid():
                for town in towns:
                    policy.town_supplement_rule_set(town=town, rule=rule_form.cleaned_data["rule"], by=request.user)
                messages.success(request, "已保存符合多个类别时的发放方式。")
                return redirect("households:category_mapping")
            invalid = True
        elif action == "grant":
            grant_form = MemberCategoryForm(request.POST, towns=_towns(request))
            if grant_form.is_valid():
                member = (
                    Member.objects.select_related("household__village")
                    .filter(household__village__town__in=_towns(request))
                    .filter(id_number=grant_form.cleaned_data["id_number"].strip().upper(), moved_out_on__isnull=True)
                    .first()
                )
                if member is None:
                    grant_form.add_error("id_number", "没有身份证号码为此号码的在册成员，请核对。")
                else:
                    try:
                        policy.member_category_grant(
                            member=member,
                            category=grant_form.cleaned_data["category"],
                            reason=grant_form.cleaned_data["reason"],
                            by=request.user,
                        )
                    except ValidationError as exc:
                        grant_form.apply_errors(exc)
                    else:
                        messages.success(request, f"已登记{member.name}的人工认定分类施保。")
                        return redirect("households:category_mapping")
            invalid = True
        elif action == "revoke":
            grant = get_object_or_404(
                MemberCategory.objects.filter(category__town__in=_towns(request)), pk=request.POST.get("grant") or 0
            )
            policy.member_category_revoke(grant=grant, by=request.user)
            messages.success(request, "已撤销该人工认定。")
            return redirect("households:category_mapping")
        else:
            messages.error(request, "无法识别的操作，请重新提交。")
            return redirect("households:category_mapping")
    context = {
        "forms": forms,
        "towns": towns,
        "rule_form": rule_form,
        "grant_form": grant_form,
        "grants": selectors.manual_grants(towns=_towns(request)),
        "unmapped": [c for c in categories if c.active and c.mapped_at is None],
    }
    return _page(request, "category_mapping.html", context, invalid=invalid)


@login_required
@require_safe
def supplement_changes(request: HttpRequest) -> HttpResponse:
    """Households whose 分类施保 would change under the per-person rule (a page, or ?format=xlsx).
    An account that sees several towns reads it town by town (12 s for 100,000 households at once)."""
    _may_read(request)
    today = timezone.localdate()
    choice = town_choice(request)
    xlsx = request.GET.get("format") == "xlsx"
    context = {"today": today, "towns": choice.picker, "town": choice.town}
    if choice.pending:
        if xlsx:
            messages.error(request, "请先选择乡镇(街道)，再导出该镇的分类施保变化清单。")
            return redirect("households:supplement_changes")
        return _page(request, "supplement_changes.html", {**context, "rows": None})
    rows = selectors.supplement_change_rows(user=request.user, today=today, town_id=choice.town_id)
    if xlsx:
        content = selectors.supplement_change_xlsx(rows=rows, today=today)
        name = f"分类施保变化_{choice.town.name + '_' if choice.town_id else ''}{today:%Y%m%d}.xlsx"
        return attachment(content, filename=name, content_type=XLSX_CONTENT_TYPE)
    return _page(request, "supplement_changes.html", {**context, "rows": rows})
