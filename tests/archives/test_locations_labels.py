"""Location codes created and kept in step; label sheets with codes and decodable QR codes."""

import io

import pytest
import zxingcpp
from pypdf import PdfReader

from archives.documents.labels import labels_for, labels_pdf
from archives.documents.locations import locations_sync
from archives.models import ArchiveRoom, Bag, Box, Cabinet
from tests.factories import HouseholdFactory, MemberFactory, VillageFactory, VillageGroupFactory

pytestmark = pytest.mark.django_db


def test_codes_are_created_for_every_household(village_a):
    village_a.name = "中心村"
    village_a.save()
    group = VillageGroupFactory(village=village_a, number=3)
    first, second = HouseholdFactory(village=village_a, group=group), HouseholdFactory(village=village_a, group=group)
    loose = HouseholdFactory(village=village_a, group=None)

    result = locations_sync()
    assert result.created == 3
    assert ArchiveRoom.objects.get().code == "KJ"
    assert Cabinet.objects.get(village=village_a).code == "KJ-中心村"
    assert set(Box.objects.values_list("code", flat=True)) == {"KJ-中心村-03", "KJ-中心村-00"}
    assert Bag.objects.get(household=first).code == "KJ-中心村-03-0001"
    assert Bag.objects.get(household=second).code == "KJ-中心村-03-0002"
    assert Bag.objects.get(household=loose).code == "KJ-中心村-00-0001"
    # Idempotent: nothing changes the second time.
    assert locations_sync().changed == 0
    assert Bag.history.count() == 3


def test_added_and_moved_households_are_kept_in_step(village_a, village_b, town_officer, settings):
    settings.ARCHIVES_CODE_PREFIX = "TEST"
    group3 = VillageGroupFactory(village=village_a, number=3)
    group5 = VillageGroupFactory(village=village_a, number=5)
    moving = HouseholdFactory(village=village_a, group=group3)
    staying = HouseholdFactory(village=village_a, group=group3)
    locations_sync()
    assert Bag.objects.get(household=moving).code == "TEST-甲村-03-0001"

    # Moves to another group: a new box, a new number, a new code; the old code stays in history.
    moving.group = group5
    moving.save()
    result = locations_sync(household_ids=[moving.pk], by=town_officer)
    assert (result.moved, result.created) == (1, 0)
    bag = Bag.objects.get(household=moving)
    assert bag.code == "TEST-甲村-05-0001"
    assert list(bag.history.values_list("code", flat=True)) == ["TEST-甲村-05-0001", "TEST-甲村-03-0001"]
    assert bag.history.first().history_user == town_officer

    # A newcomer to group 3 does not inherit the moved household's number.
    newcomer = HouseholdFactory(village=village_a, group=group3)
    locations_sync()
    assert Bag.objects.get(household=newcomer).code == "TEST-甲村-03-0003"
    assert Bag.objects.get(household=staying).code == "TEST-甲村-03-0002"

    # Moves to another village (no group there yet).
    moving.village, moving.group = village_b, None
    moving.save()
    locations_sync()
    assert Bag.objects.get(household=moving).code == "TEST-乙村-00-0001"

    # A renamed village renames its cabinet, boxes and bags.
    village_a.name = "新甲村"
    village_a.save()
    result = locations_sync()
    assert result.renamed >= 4
    assert Bag.objects.get(household=staying).code == "TEST-新甲村-03-0002"
    assert Box.objects.filter(code__startswith="TEST-甲村").count() == 0


def test_sync_stays_cheap(village_a, django_assert_max_num_queries):
    for number in (1, 2, 3):
        group = VillageGroupFactory(village=village_a, number=number)
        for _ in range(10):
            HouseholdFactory(village=village_a, group=group)
    locations_sync()
    # Households, villages, room, cabinets, boxes, bags (+ the savepoint pair): not one per household.
    # 9: the deployment's first town is read once to pick the archive prefix (per town, issue 19).
    with django_assert_max_num_queries(9):
        assert locations_sync().changed == 0


def _qr_payloads(pdf: bytes) -> list[str]:
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for image in page.images:
            found += [barcode.text for barcode in zxingcpp.read_barcodes(image.image)]
    return found


def _text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_bag_labels_carry_code_head_name_and_a_qr_code_of_the_household_page(
    team_a, team_member_a, village_a, village_b, settings
):
    settings.ARCHIVES_BASE_URL = "https://dibao.example.cn/"
    group = VillageGroupFactory(village=village_a, number=2)
    mine = [HouseholdFactory(village=village_a, group=group, head_name=f"王{n}") for n in range(3)]
    HouseholdFactory(village=village_b, head_name="别村户")

    labels = labels_for(user=team_member_a, level="bag")
    assert [label.code for label in labels] == [f"KJ-甲村-02-000{n}" for n in (1, 2, 3)]
    pdf = labels_pdf(labels=labels, level="bag")
    text = _text(pdf)
    for n, household in enumerate(mine, start=1):
        assert f"KJ-甲村-02-000{n}" in text and household.head_name in text
    assert "别村户" not in text  # another team's village is not printed
    assert sorted(_qr_payloads(pdf)) == sorted(f"https://dibao.example.cn/households/{h.pk}/" for h in mine)


def test_box_and_cabinet_labels(town_officer, village_a):
    group = VillageGroupFactory(village=village_a, number=7)
    HouseholdFactory(village=village_a, group=group)
    other = VillageFactory(name="丙村")
    HouseholdFactory(village=other)

    boxes = labels_pdf(labels=labels_for(user=town_officer, level="box", village_id=village_a.pk), level="box")
    assert "KJ-甲村-07" in _text(boxes) and "丙村" not in _text(boxes)
    assert _qr_payloads(boxes) == [f"http://127.0.0.1:8000/archives/?village={village_a.pk}#box-7"]

    cabinets = labels_pdf(labels=labels_for(user=town_officer, level="cabinet"), level="cabinet")
    assert "KJ-甲村" in _text(cabinets) and "KJ-丙村" in _text(cabinets)
    assert len(_qr_payloads(cabinets)) == 2


def test_the_task_and_the_command_are_idempotent(village_a):
    from django.core.management import call_command

    from archives.tasks import locations_sync_task

    household = HouseholdFactory(village=village_a)
    # apply(): in this process whatever the broker (the worker test below goes through Redis).
    assert locations_sync_task.apply(kwargs={"household_ids": [household.pk]}).get()["created"] == 1
    assert locations_sync_task.apply(kwargs={"household_ids": None}).get()["created"] == 0
    assert Bag.objects.filter(household=household).count() == 1
    out = io.StringIO()
    call_command("archives_sync", stdout=out)
    assert "新建 0 袋" in out.getvalue()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_task_runs_on_a_real_worker(celery_worker_process, village_a):
    from archives.tasks import locations_sync_task

    household = HouseholdFactory(village=village_a)
    assert locations_sync_task.delay(household_ids=[household.pk]).get(timeout=60)["created"] == 1
    assert Bag.objects.filter(household=household).exists()


def test_a_household_edited_through_the_registry_gets_its_bag_moved(
    village_a, town_officer, settings, django_capture_on_commit_callbacks
):
    """households.hooks: the household service tells archives, after commit, to move the bag."""
    from households.services import HouseholdInput, household_update

    settings.ARCHIVES_CODE_PREFIX = "TEST"
    group3 = VillageGroupFactory(village=village_a, number=3)
    group5 = VillageGroupFactory(village=village_a, number=5)
    household = HouseholdFactory(village=village_a, group=group3)
    head = MemberFactory(household=household)
    locations_sync()
    assert Bag.objects.get(household=household).code == "TEST-甲村-03-0001"
    with django_capture_on_commit_callbacks(execute=True):
        household_update(
            household=household,
            version=household.version,
            data=HouseholdInput(fields={"group": group5}, members=[{"id": head.pk}]),
            by=town_officer,
        )
    assert Bag.objects.get(household=household).code == "TEST-甲村-05-0001"
