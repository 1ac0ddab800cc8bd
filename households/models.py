"""The registry: where households live, who is in them, what they own and earn.

Models hold data and database constraints only. Rules (ID validation, income,
eligibility, benefit, key-review flags) live in services, reads in selectors.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from simple_history.models import HistoricalRecords

ZERO = Decimal("0")
money = {"max_digits": 12, "decimal_places": 2, "validators": [MinValueValidator(ZERO)]}


class Area(models.TextChoices):
    URBAN = "城市", "城市"
    RURAL = "农村", "农村"


class SupplementRule(models.TextChoices):
    """How a person who qualifies for several 分类施保 categories is paid."""

    HIGHEST = "highest", "就高：符合多个类别的，只按加发金额最高的一类发放"
    SUM = "sum", "累加：符合多个类别的，各类加发金额相加"


class Town(models.Model):
    name = models.CharField("乡镇(街道)", max_length=50, unique=True)
    code = models.CharField("代码", max_length=20, unique=True)
    district = models.CharField("区(县)", max_length=50, default="雁江区")
    supplement_rule = models.CharField(
        "符合多个分类施保类别时", max_length=8, choices=SupplementRule.choices, default=SupplementRule.HIGHEST
    )
    # Per town (issue 19): the prefix of its archive codes (档案室-柜-盒-袋); empty: ARCHIVES_CODE_PREFIX
    # for the deployment's first town, the town code for the others (archives.documents.locations).
    archive_prefix = models.CharField("档案编码前缀", max_length=20, blank=True)
    # Printed on the town's notices (告知书, 决定通知书, 公示, 花名册): each town's own office; empty: the
    # deployment's OFFICE setting for its first town, a name built from the town's for the others.
    office_name = models.CharField("民政办名称", max_length=100, blank=True)
    office_address = models.CharField("民政办地址", max_length=100, blank=True)
    office_phone = models.CharField("民政办电话", max_length=30, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "乡镇"
        verbose_name_plural = verbose_name
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


# Town assignment (issue 19): each town has one Django group holding `households.view_town` on it
# (guardian, direct-FK table); a 镇民政办 or 镇纪委 account acts for the towns whose group it is in
# (households.towns). District roles act for every town. Granted by households.towns.services only.
class TownGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Town, on_delete=models.CASCADE)


class TownUserObjectPermission(UserObjectPermissionBase):
    # Never granted (towns are given to groups); the table exists so guardian never falls back to
    # its generic table for towns.
    content_object = models.ForeignKey(Town, on_delete=models.CASCADE)


class Village(models.Model):
    class Kind(models.TextChoices):
        VILLAGE = "村", "村"
        COMMUNITY = "社区", "社区(居委会)"

    town = models.ForeignKey(Town, verbose_name="乡镇", on_delete=models.PROTECT, related_name="villages")
    name = models.CharField("村(社区)", max_length=50)
    kind = models.CharField("类型", max_length=4, choices=Kind.choices, default=Kind.VILLAGE)
    code = models.CharField("代码", max_length=20)
    order = models.PositiveIntegerField("排序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "村(社区)"
        verbose_name_plural = verbose_name
        ordering = ["town_id", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="village_unique_name"),
            models.UniqueConstraint(fields=["town", "code"], name="village_unique_code"),
        ]

    def __str__(self) -> str:
        return self.name


# Object permissions on villages, in direct foreign-key tables (guardian's generic
# tables do not scale: guardian #68, #151). Review teams are Django groups and get
# view/change on their villages; every village-scoped query joins through these.
# (The "Group" here is django.contrib.auth's group, not VillageGroup/组.)
class VillageUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Village, on_delete=models.CASCADE)


class VillageGroupObjectPermission(GroupObjectPermissionBase):
    content_object = models.ForeignKey(Village, on_delete=models.CASCADE)


class VillageGroup(models.Model):
    """组 (villager group): one archive box per group."""

    village = models.ForeignKey(Village, verbose_name="村(社区)", on_delete=models.PROTECT, related_name="groups")
    number = models.PositiveSmallIntegerField("组号", validators=[MinValueValidator(1)])
    name = models.CharField("名称", max_length=30, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "村民小组"
        verbose_name_plural = verbose_name
        ordering = ["village_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["village", "number"], name="villagegroup_unique_number"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.number}组"


class Category(models.Model):
    """分类施保 class: an extra monthly amount for each covered person who meets its criteria.

    The criteria are the office's data (DOMAIN §1): a person qualifies when any of the
    set criteria holds (age at least / under, a disability grade, serious illness) or
    the office recorded them by hand with a reason (`MemberCategory`, for `manual`
    categories). A category counts per person only once the office has saved its
    criteria (`mapped_at`); until every active category of a town is mapped, the
    town's households are computed the old way (the household's category × covered).
    """

    town = models.ForeignKey(Town, verbose_name="乡镇", on_delete=models.PROTECT, related_name="categories")
    name = models.CharField("类别名称", max_length=50)
    extra_amount = models.DecimalField("每人每月加发金额(元)", default=ZERO, **money)
    description = models.CharField("适用说明", max_length=200, blank=True)
    active = models.BooleanField("启用", default=True)
    age_at_least = models.PositiveSmallIntegerField(
        "年满(岁)及以上", null=True, blank=True, validators=[MaxValueValidator(150)]
    )
    age_under = models.PositiveSmallIntegerField("未满(岁)", null=True, blank=True, validators=[MaxValueValidator(150)])
    # Comma-separated grades 1–4, e.g. "1,2"; empty: disability does not qualify.
    disability_grades = models.CharField("残疾等级", max_length=10, blank=True)
    serious_illness = models.BooleanField("重病患者", default=False)
    manual = models.BooleanField("人工认定（须写明理由）", default=False)
    mapped_at = models.DateTimeField("适用条件设置时间", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "分类施保类别"
        verbose_name_plural = verbose_name
        ordering = ["town_id", "name"]
        constraints = [
            models.UniqueConstraint(fields=["town", "name"], name="category_unique_name"),
            models.CheckConstraint(condition=Q(extra_amount__gte=0), name="category_extra_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grades(self) -> frozenset[int]:
        return frozenset(int(g) for g in self.disability_grades.split(",") if g.strip().isdigit())

    @property
    def criteria_text(self) -> str:
        parts = []
        if self.age_at_least is not None:
            parts.append(f"年满 {self.age_at_least} 岁")
        if self.age_under is not None:
            parts.append(f"未满 {self.age_under} 岁")
        if self.grades:
            parts.append("残疾等级 " + "、".join(f"{g} 级" for g in sorted(self.grades)))
        if self.serious_illness:
            parts.append("重病患者")
        if self.manual:
            parts.append("人工认定（须写明理由）")
        if self.mapped_at is None:
            return "尚未设置"
        return "或".join(parts) or "无人符合（不加发）"


class MemberCategory(models.Model):
    """A person placed in a 人工认定 分类施保 category by the town office, with the reason."""

    member = models.ForeignKey(
        "Member", verbose_name="成员", on_delete=models.CASCADE, related_name="manual_categories"
    )
    category = models.ForeignKey(Category, verbose_name="分类施保类别", on_delete=models.PROTECT, related_name="+")
    reason = models.CharField("认定理由", max_length=300)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="认定人", on_delete=models.PROTECT, null=True, related_name="+"
    )
    granted_at = models.DateTimeField("认定时间", auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "分类施保人工认定"
        verbose_name_plural = verbose_name
        ordering = ["member_id", "category_id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "category"], name="membercategory_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="membercategory_reason_required"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.category_id}"


class AssetKind(models.TextChoices):
    CAR = "小轿车", "小轿车"
    TRUCK = "货车", "货车"
    BUS = "客车", "客车"
    SHOP = "营业用房", "营业用房"
    GARAGE = "车库", "车库"
    WAREHOUSE = "仓库", "仓库"
    HOME = "住房", "住房"
    DEPOSIT = "存款", "存款"
    SECURITIES = "有价证券", "有价证券"
    BUSINESS = "工商登记", "工商登记"
    OTHER = "其他", "其他"


ASSET_KINDS = AssetKind.choices


class Rounding(models.TextChoices):
    FEN = "fen", "保留到分"
    JIAO = "jiao", "四舍五入到角"
    YUAN = "yuan", "四舍五入到元"
    YUAN_UP = "yuan_up", "不足一元按一元计"


class Standard(models.Model):
    """保障标准: monthly amount per person, per town and area, from a date on."""

    town = models.ForeignKey(Town, verbose_name="乡镇", on_delete=models.PROTECT, related_name="standards")
    area = models.CharField("城乡类别", max_length=4, choices=Area.choices)
    monthly_amount = models.DecimalField("月保障标准(元/人)", **money)
    effective_from = models.DateField("执行起始日期")
    note = models.CharField("文件依据", max_length=200, blank=True)
    # How the office rounds a computed monthly benefit under this standard.
    rounding = models.CharField("保障金取整方式", max_length=8, choices=Rounding.choices, default=Rounding.YUAN)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "保障标准"
        verbose_name_plural = verbose_name
        ordering = ["town_id", "area", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["town", "area", "effective_from"], name="standard_unique_date"),
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="standard_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.town} {self.area} {self.monthly_amount} 元 ({self.effective_from:%Y-%m-%d} 起)"


class PropertyRule(models.Model):
    """A local property limit (S21§14), configured by the town office.

    E.g. "住房 at most 1", "小轿车 at most 0", "存款 value at most 20000": the
    household's assets of `kind` must stay within `max_quantity` and `max_value`.
    """

    town = models.ForeignKey(Town, verbose_name="乡镇", on_delete=models.PROTECT, related_name="property_rules")
    name = models.CharField("规则名称", max_length=100)
    kind = models.CharField("财产类型", max_length=8, choices=ASSET_KINDS)
    max_quantity = models.PositiveIntegerField("数量上限", null=True, blank=True, help_text="留空表示不限数量")
    max_value = models.DecimalField("价值上限(元)", null=True, blank=True, help_text="留空表示不限价值", **money)
    active = models.BooleanField("启用", default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "财产核查规则"
        verbose_name_plural = verbose_name
        ordering = ["town_id", "kind", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_value__isnull=True) | Q(max_value__gte=0), name="propertyrule_value_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    class Status(models.TextChoices):
        APPLYING = "申请中", "申请中"
        ACTIVE = "在保", "在保"
        SUSPENDED = "停保", "停保"
        EXITED = "已退出", "已退出"

    village = models.ForeignKey(Village, verbose_name="村(社区)", on_delete=models.PROTECT, related_name="households")
    group = models.ForeignKey(
        VillageGroup, verbose_name="组", on_delete=models.PROTECT, null=True, blank=True, related_name="households"
    )
    address = models.CharField("住址", max_length=200, blank=True)
    area = models.CharField("城乡类别", max_length=4, choices=Area.choices, default=Area.RURAL)
    status = models.CharField("保障状态", max_length=8, choices=Status.choices, default=Status.APPLYING, db_index=True)
    category = models.ForeignKey(
        Category,
        verbose_name="分类施保类别",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="households",
    )
    covered_persons = models.PositiveSmallIntegerField("保障人数", default=0)
    base_amount = models.DecimalField("月保障金(元)", default=ZERO, **money)
    extra_amount = models.DecimalField("分类施保金(元)", default=ZERO, **money)
    start_month = models.DateField("纳入保障年月", null=True, blank=True, help_text="取该月1日")
    phone = models.CharField("联系电话", max_length=20, blank=True, db_index=True)
    bank_name = models.CharField("开户银行", max_length=50, blank=True)
    bank_account = models.CharField("银行账号", max_length=32, blank=True)
    head = models.ForeignKey(
        "Member", verbose_name="户主", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Denormalised for search and lists (kept in step by the services).
    head_name = models.CharField("户主姓名", max_length=50, blank=True, db_index=True)
    # Optimistic concurrency: an edit based on an old version is refused.
    version = models.PositiveIntegerField("版本", default=1)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "低保户"
        verbose_name_plural = verbose_name
        ordering = ["village_id", "group_id", "id"]
        permissions = [("reveal_id_number", "查看完整身份证号")]
        constraints = [
            models.CheckConstraint(condition=Q(base_amount__gte=0), name="household_base_nonneg"),
            models.CheckConstraint(condition=Q(extra_amount__gte=0), name="household_extra_nonneg"),
        ]
        indexes = [
            models.Index(fields=["village", "status"]),
            # The register list's default order: page 1 of 100,000 households
            # is read from this index instead of sorting them all.
            models.Index(fields=["village", "group", "id"], name="household_list_order"),
            # Cases, notices, flags… are scoped and ordered by their household's village
            # (village_scoped(..., "household__village_id")). With the village beside the id
            # this is an index-only probe per row: a district's case list at 1,000,000
            # households (24,651 cases) no longer scans every household in parallel to find
            # their villages (334 ms on three processes → 116 ms on one, EXPLAIN ANALYZE).
            # PostgreSQL only (include); elsewhere a plain index on the id.
            models.Index(fields=["id"], include=("village",), name="household_id_village"),
        ]

    def __str__(self) -> str:
        return f"{self.village} {self.head_name or '(未填户主)'}户"

    @property
    def monthly_total(self) -> Decimal:
        return self.base_amount + self.extra_amount


class Member(models.Model):
    class Sex(models.TextChoices):
        MALE = "男", "男"
        FEMALE = "女", "女"

    class Relation(models.TextChoices):
        HEAD = "户主", "户主"
        SPOUSE = "配偶", "配偶"
        CHILD = "子女", "子女"
        PARENT = "父母", "父母"
        SIBLING = "兄弟姐妹", "兄弟姐妹"
        GRANDPARENT = "祖父母/外祖父母", "祖父母/外祖父母"
        GRANDCHILD = "孙子女/外孙子女", "孙子女/外孙子女"
        OTHER = "其他", "其他"

    class Health(models.TextChoices):
        HEALTHY = "健康", "健康"
        CHRONIC = "慢性病", "慢性病"
        SERIOUS = "重病", "重病"

    class Disability(models.TextChoices):
        NONE = "", "无"
        VISUAL = "视力", "视力残疾"
        HEARING = "听力", "听力残疾"
        SPEECH = "言语", "言语残疾"
        PHYSICAL = "肢体", "肢体残疾"
        INTELLECTUAL = "智力", "智力残疾"
        MENTAL = "精神", "精神残疾"
        MULTIPLE = "多重", "多重残疾"

    class WorkCapacity(models.TextChoices):
        FULL = "有劳动能力", "有劳动能力"
        PARTIAL = "部分丧失", "部分丧失劳动能力"
        NONE = "无劳动能力", "无劳动能力"

    class Employment(models.TextChoices):
        NONE = "无", "无业"
        FARMING = "务农", "务农"
        CASUAL = "务工", "务工/灵活就业"
        EMPLOYED = "单位就业", "单位就业"
        GRADUATE_EMPLOYED = "毕业就业", "高中或大学毕业已就业"
        RETIRED = "退休", "退休"

    household = models.ForeignKey(Household, verbose_name="所属户", on_delete=models.CASCADE, related_name="members")
    name = models.CharField("姓名", max_length=50)
    id_number = models.CharField("身份证号码", max_length=18, db_index=True)
    # Derived from id_number by the services; never typed by a user.
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField("出生日期", editable=False)
    relation = models.CharField("与户主关系", max_length=16, choices=Relation.choices, default=Relation.HEAD)
    health = models.CharField("健康状况", max_length=8, choices=Health.choices, default=Health.HEALTHY)
    illness = models.CharField("病种", max_length=100, blank=True)
    disability = models.CharField("残疾类别", max_length=4, choices=Disability.choices, blank=True, default="")
    disability_grade = models.PositiveSmallIntegerField(
        "残疾等级", null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    disability_cert = models.CharField("残疾证号", max_length=30, blank=True)
    work_capacity = models.CharField("劳动能力", max_length=8, choices=WorkCapacity.choices, default=WorkCapacity.FULL)
    employment = models.CharField("就业状况", max_length=8, choices=Employment.choices, default=Employment.NONE)
    is_student = models.BooleanField("在校学生", default=False)
    pays_provident_fund = models.BooleanField("缴纳住房公积金", default=False)
    covered = models.BooleanField("纳入保障", default=True)
    died_on = models.DateField("死亡日期", null=True, blank=True)
    moved_out_on = models.DateField("迁出日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "家庭成员"
        verbose_name_plural = verbose_name
        ordering = ["household_id", "id"]
        constraints = [
            # A person belongs to one household at a time; a moved-out record may remain.
            models.UniqueConstraint(
                fields=["id_number"], condition=Q(moved_out_on__isnull=True), name="member_unique_current_id"
            ),
            models.CheckConstraint(
                condition=Q(disability_grade__isnull=True) | Q(disability_grade__gte=1, disability_grade__lte=4),
                name="member_disability_grade_range",
            ),
        ]
        indexes = [
            models.Index(fields=["household", "covered"]),
            # The register's name search (a surname is one character) is a prefix LIKE whose
            # matches are turned into household ids: with the household id in the index it is
            # an index-only scan, not one heap page per matching member (52,445 王 at 1,000,000
            # households: 106 ms of heap reads for a town's count). PostgreSQL only (include,
            # opclasses); elsewhere a plain index on the name. It also serves equality, so the
            # name carries no db_index of its own (that one added a second, overlapping
            # varchar_pattern_ops index every member write had to update).
            models.Index(
                fields=["name"],
                name="member_name_prefix_household",
                opclasses=["varchar_pattern_ops"],
                include=["household"],
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Asset(models.Model):
    Kind = AssetKind

    household = models.ForeignKey(Household, verbose_name="所属户", on_delete=models.CASCADE, related_name="assets")
    kind = models.CharField("财产类型", max_length=8, choices=Kind.choices)
    description = models.CharField("说明", max_length=200, blank=True)
    quantity = models.PositiveIntegerField("数量", default=1)
    value = models.DecimalField("价值(元)", default=ZERO, **money)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "家庭财产"
        verbose_name_plural = verbose_name
        ordering = ["household_id", "id"]
        constraints = [models.CheckConstraint(condition=Q(value__gte=0), name="asset_value_nonneg")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ×{self.quantity}"


class IncomeItem(models.Model):
    """One monthly income (or deductible rigid cost) of a household or member (S21§13)."""

    class Kind(models.TextChoices):
        WAGE = "工资性收入", "工资性收入"
        BUSINESS = "经营净收入", "经营净收入"
        PROPERTY = "财产净收入", "财产净收入"
        PENSION = "养老金", "转移净收入: 养老金"
        UNEMPLOYMENT = "失业保险金", "转移净收入: 失业保险金"
        MAINTENANCE = "赡养费", "转移净收入: 赡养(抚养、扶养)费"
        OTHER_TRANSFER = "其他转移性收入", "转移净收入: 其他"
        # Recorded but never counted (S21§13).
        SPECIAL_CARE = "抚恤优待", "不计入: 优待抚恤金"
        SCHOLARSHIP = "奖学金", "不计入: 奖学金"
        HEROISM = "见义勇为", "不计入: 见义勇为奖励"
        ASSISTANCE = "社会救助金", "不计入: 社会救助金"
        BASIC_PENSION = "基础养老金", "不计入: 城乡居民基本养老保险基础养老金"
        # Deducted from income (因病、因残刚性支出).
        RIGID_COST = "刚性支出", "扣减: 因病因残刚性支出"
        OTHER = "其他", "其他"

    household = models.ForeignKey(Household, verbose_name="所属户", on_delete=models.CASCADE, related_name="incomes")
    member = models.ForeignKey(
        Member, verbose_name="成员", on_delete=models.CASCADE, null=True, blank=True, related_name="incomes"
    )
    kind = models.CharField("收入类型", max_length=10, choices=Kind.choices)
    counted = models.BooleanField("计入家庭收入", default=True)
    monthly_amount = models.DecimalField("月均金额(元)", **money)
    source = models.CharField("来源说明", max_length=200, blank=True)
    period_start = models.DateField("起始日期", null=True, blank=True)
    period_end = models.DateField("截止日期", null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "收入项目"
        verbose_name_plural = verbose_name
        ordering = ["household_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(monthly_amount__gte=0), name="income_amount_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.monthly_amount}"


class ReviewFlag(models.Model):
    """One of the nine key-review categories (重点复核对象) raised on a household."""

    class Kind(models.IntegerChoices):
        DECEASED = 1, "1.低保对象已死亡"
        PENSION = 2, "2.有家庭成员领取养老保险金"
        UNEMPLOYMENT = 3, "3.有家庭成员领取失业保险金"
        PROVIDENT_FUND = 4, "4.有家庭成员缴纳住房公积金"
        VEHICLE = 5, "5.家中有小轿车、货车、客车等机动车辆"
        PROPERTY = 6, "6.有营业用房、车库、仓库、2套及以上住房"
        MOVED = 7, "7.离异、迁出、人户分离、毕业已就业"
        INCOME = 8, "8.家庭收入达到或生活水平明显超出保障标准"
        OTHER = 9, "9.其它不符合保障条件"

    class Source(models.TextChoices):
        AUTO = "auto", "系统自动"
        ROSTER = "roster", "外部名单比对"
        MANUAL = "manual", "人工登记"

    class Disposition(models.TextChoices):
        PENDING = "待核实", "待核实"
        CONFIRMED_OK = "核实无误", "核实无误"
        ADJUST = "需调整", "需调整"
        EXIT = "需退出", "需退出"

    # No index of its own: flag_unique_source begins with the household (one index fewer to write
    # for each of a roster's thousands of flags, issue 19).
    household = models.ForeignKey(
        Household, verbose_name="所属户", on_delete=models.CASCADE, related_name="flags", db_index=False
    )
    member = models.ForeignKey(
        Member, verbose_name="相关成员", on_delete=models.SET_NULL, null=True, blank=True, related_name="flags"
    )
    kind = models.PositiveSmallIntegerField("复核类别", choices=Kind.choices)
    source = models.CharField("来源", max_length=8, choices=Source.choices, default=Source.AUTO)
    # What raised it: e.g. "member:12", "asset:7", "roster:3:row:15". Raising the
    # same flag from the same source twice is a no-op (unique constraint).
    source_key = models.CharField("来源标识", max_length=100)
    reason = models.CharField("原因", max_length=300)
    disposition = models.CharField("处理结论", max_length=8, choices=Disposition.choices, default=Disposition.PENDING)
    note = models.TextField("核实说明", blank=True)
    raised_at = models.DateTimeField("发现时间", auto_now_add=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    disposed_at = models.DateTimeField("处理时间", null=True, blank=True)
    disposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The history is read by flag (id), household, date and user; indexes on the other columns only
    # slowed each write (a roster writes thousands of history rows in one statement).
    history = HistoricalRecords(no_db_index=["disposition", "member", "raised_by", "disposed_by"])

    class Meta:
        verbose_name = "重点复核标记"
        verbose_name_plural = verbose_name
        ordering = ["household_id", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["household", "kind", "source_key"], name="flag_unique_source"),
        ]
        # Index rather than db_index=True: a CharField's db_index also builds a LIKE (varchar_pattern_ops)
        # index on PostgreSQL that no query uses.
        indexes = [models.Index(fields=["disposition"], name="flag_disposition")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.disposition})"

    @property
    def is_open(self) -> bool:
        return self.disposition == self.Disposition.PENDING


# --- Ledger import/export and external rosters (台账导入导出、外部名单比对) ---------------
# Uploaded and generated files live under MEDIA_ROOT, which has no public URL:
# the ledger views serve them after checking who asks.


class ImportBatch(models.Model):
    """One uploaded ledger file: its dry run (预检) and, when asked, its commit."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        CHECKING = "checking", "预检中"
        CHECKED = "checked", "已预检(未导入)"
        COMMIT_QUEUED = "commit_queued", "等待导入"
        COMMITTING = "committing", "导入中"
        COMMITTED = "committed", "已导入"
        FAILED = "failed", "失败"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导入人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True)
    file = models.FileField("文件", upload_to="ledger/imports/%Y/%m/", max_length=255)
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size = models.PositiveBigIntegerField("文件大小(字节)", default=0)
    status = models.CharField("状态", max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    stage = models.CharField("当前步骤", max_length=100, blank=True)
    error = models.CharField("拒绝原因", max_length=500, blank=True)
    rows = models.PositiveIntegerField("成员行数", default=0)
    households_created = models.PositiveIntegerField("新增户", default=0)
    households_updated = models.PositiveIntegerField("更新户", default=0)
    households_unchanged = models.PositiveIntegerField("未变户", default=0)
    members_created = models.PositiveIntegerField("新增成员", default=0)
    members_updated = models.PositiveIntegerField("更新成员", default=0)
    members_unchanged = models.PositiveIntegerField("未变成员", default=0)
    problem_count = models.PositiveIntegerField("问题数", default=0)
    # The preview: changed households/members and problems (both capped for display).
    summary = models.JSONField("预检结果", default=dict, blank=True)
    error_file = models.FileField("错误说明工作簿", upload_to="ledger/errors/%Y/%m/", max_length=255, blank=True)
    checked_at = models.DateTimeField("预检完成时间", null=True, blank=True)
    committed_at = models.DateTimeField("导入完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "台账导入批次"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_status_display()})"

    @property
    def busy(self) -> bool:
        return self.status in {
            self.Status.QUEUED,
            self.Status.CHECKING,
            self.Status.COMMIT_QUEUED,
            self.Status.COMMITTING,
        }


class ExportJob(models.Model):
    """A ledger export written by a Celery task; downloaded by the user who asked for it."""

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "生成中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="导出人", on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField("申请时间", auto_now_add=True)
    # Null: every village the user may see (decided again when the task runs).
    village = models.ForeignKey(Village, verbose_name="村(社区)", on_delete=models.CASCADE, null=True, blank=True)
    status_filter = models.CharField("保障状态筛选", max_length=8, blank=True, help_text="空表示全部状态")
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    rows = models.PositiveIntegerField("成员行数", default=0)
    file = models.FileField("文件", upload_to="ledger/exports/%Y/%m/", max_length=255, blank=True)
    error = models.CharField("失败原因", max_length=500, blank=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)

    class Meta:
        verbose_name = "台账导出"
        verbose_name_plural = verbose_name
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.village or '全部村'} ({self.get_status_display()})"


class Roster(models.Model):
    """An external roster (死亡、养老金、公积金……) matched against members by ID number."""

    class Kind(models.TextChoices):
        DEATH = "死亡/火化", "死亡/火化"
        PENSION = "养老金领取", "养老金领取"
        UNEMPLOYMENT = "失业保险金领取", "失业保险金领取"
        PROVIDENT_FUND = "住房公积金缴存", "住房公积金缴存"
        VEHICLE = "机动车登记", "机动车登记"
        PROPERTY = "不动产登记", "不动产登记"
        BUSINESS = "工商登记", "工商登记"
        PUBLIC_PAYROLL = "财政供养人员", "财政供养人员"

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        LOADING = "loading", "读取中"
        MATCHING = "matching", "比对中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("名单类别", max_length=10, choices=Kind.choices)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="上传人", on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField("上传时间", auto_now_add=True)
    file = models.FileField("文件", upload_to="ledger/rosters/%Y/%m/", max_length=255)
    file_name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    # The first upload of the same file and kind: flags are keyed on it, so that
    # uploading a roster again never raises the same flag twice.
    same_as = models.ForeignKey("self", verbose_name="同一名单", on_delete=models.SET_NULL, null=True, blank=True)
    status = models.CharField("状态", max_length=8, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField("进度(%)", default=0)
    error = models.CharField("失败原因", max_length=500, blank=True)
    rows = models.PositiveIntegerField("行数", default=0)
    invalid_rows = models.PositiveIntegerField("身份证号码无效", default=0)
    matched = models.PositiveIntegerField("比中", default=0)
    mismatched = models.PositiveIntegerField("姓名不一致", default=0)
    flags_raised = models.PositiveIntegerField("新增复核标记", default=0)
    matched_at = models.DateTimeField("比对时间", null=True, blank=True)
    # Who turned the matches into key-review flags, and when (the town office only; issue 16).
    # Empty: a report only, e.g. the district's or a team's roster, until the town office acts.
    flags_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记标记人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    flags_at = models.DateTimeField("登记标记时间", null=True, blank=True)

    class Meta:
        verbose_name = "外部比对名单"
        verbose_name_plural = verbose_name
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"

    @property
    def source_id(self) -> int:
        return self.same_as_id or self.pk


class RosterRow(models.Model):
    """One normalised roster row; `member` is set by the set-based match."""

    # No index of its own: rosterrow_roster_id_number begins with the roster.
    roster = models.ForeignKey(
        Roster, verbose_name="名单", on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    row_number = models.PositiveIntegerField("行号")
    id_raw = models.CharField("原始身份证号码", max_length=64, blank=True)
    id_number = models.CharField("身份证号码", max_length=18, blank=True)
    name = models.CharField("姓名", max_length=50, blank=True)
    date = models.DateField("日期", null=True, blank=True)
    amount = models.DecimalField("金额", max_digits=12, decimal_places=2, null=True, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    problem = models.CharField("问题", max_length=300, blank=True)
    member = models.ForeignKey(
        Member, verbose_name="比中成员", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    name_mismatch = models.BooleanField("姓名不一致", default=False)

    class Meta:
        verbose_name = "名单行"
        verbose_name_plural = verbose_name
        ordering = ["roster_id", "row_number"]
        indexes = [models.Index(fields=["roster", "id_number"], name="rosterrow_roster_id_number")]

    def __str__(self) -> str:
        return f"{self.roster_id}:{self.row_number}"


class IdConflict(models.Model):
    """A duplicate ID number met outside the user's villages (issue 16).

    The user was told only that the number is already registered in the town
    (no village, head or name); each such answer is a row here, counted for the
    per-user hourly limit and listed for the town office to resolve
    (`/households/conflicts/`). `registered` is False for an attempt refused by
    the limit before any lookup. Written by `households.conflicts.services`.
    """

    class Source(models.TextChoices):
        FORM = "form", "低保户登记表"
        SERVICE = "service", "保存低保户"
        IMPORT = "import", "台账导入"

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="录入人", on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField("来源", max_length=8, choices=Source.choices)
    id_number = models.CharField("身份证号码", max_length=18)
    registered = models.BooleanField("已在本镇登记", default=True)
    throttled = models.BooleanField("超过频率限制", default=False)
    holder = models.ForeignKey(
        Member, verbose_name="在册成员", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    village = models.ForeignKey(
        Village, verbose_name="录入的村(社区)", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolution = models.CharField("处理情况", max_length=300, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "身份证号码重复登记线索"
        verbose_name_plural = verbose_name
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="idconflict_user_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user}"


class PaymentCheck(models.Model):
    """A household's computation for one month, kept to compare with what it is paid (issue 14).

    Derived data: `households.paychecks.services.payment_checks_refresh` rewrites it after
    registry and policy changes and every night, so that "how many households are paid other
    than their computation" is one indexed query on the list page. It records no decision
    and is not history-tracked; what is paid stays on `Household` (and its history).
    """

    household = models.OneToOneField(
        Household, verbose_name="低保户", primary_key=True, on_delete=models.CASCADE, related_name="payment_check"
    )
    month = models.DateField("测算月份")
    eligible = models.BooleanField("符合保障条件", default=False)
    base_amount = models.DecimalField("测算月保障金(元)", default=ZERO, **money)
    extra_amount = models.DecimalField("测算分类施保金(元)", default=ZERO, **money)
    checked_at = models.DateTimeField("测算时间")

    class Meta:
        verbose_name = "保障金测算核对"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["month"], name="paymentcheck_month")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.month:%Y-%m}"
