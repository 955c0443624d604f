"""``linli seed_demo_chat``: the demo community comes to life, through the actions, once."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from chat.models import JoinRequest, Knock, Message, Pin, Room, RoomKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("seed_demo", stdout=_Silent())
    call_command("seed_demo_chat", stdout=_Silent())


class _Silent:
    def write(self, text: str) -> None:
        pass

    def flush(self) -> None:
        pass


def village_rooms():
    return Room.objects.filter(kind=RoomKind.NEIGHBOURHOOD, neighbourhood__isnull=False)


def test_each_neighbourhood_room_has_a_morning_with_replies_mentions_and_a_pinned_issue(demo):
    for room in village_rooms():
        said = Message.objects.filter(room=room)
        assert said.count() >= 10
        assert said.exclude(reply_to=None).exists()
        assert any(m.mentions for m in said)
        assert Pin.objects.get(room=room).title.startswith("议题")


def test_the_morning_is_dated_over_one_morning(demo):
    times = [timezone.localtime(m.created_at) for m in Message.objects.all()]
    # Residents said their piece over the morning; the "joined" notices come before it.
    assert len({t.date() for t in times}) == 1
    assert all(dt.time(5) <= t.time() <= dt.time(12) for t in times)


def test_there_are_open_and_approval_topic_rooms_with_an_application_waiting(demo):
    topics = Room.objects.filter(kind=RoomKind.TOPIC)
    assert {t.category for t in topics} == {"互助", "闲置物品", "兴趣"}
    assert {t.join_policy for t in topics} == {"open", "approval"}
    waiting = JoinRequest.objects.get(status=JoinRequest.Status.PENDING)
    assert waiting.room.join_policy == "approval"
    assert all(Message.objects.filter(room=t).exists() for t in topics)


def test_someone_knocks_at_the_cadres_door(demo):
    knock = Knock.objects.get(status=Knock.Status.PENDING)
    assert knock.recipient.username == "cadre1"


def test_seeding_again_adds_nothing(demo):
    before = (Message.objects.count(), Pin.objects.count(), Room.objects.count())
    call_command("seed_demo_chat", stdout=_Silent())
    assert (Message.objects.count(), Pin.objects.count(), Room.objects.count()) == before
    assert Knock.objects.count() == 1 and JoinRequest.objects.count() >= 1


def test_each_rooms_timestamps_run_forward_with_its_seqs(demo):
    for room in Room.objects.all():
        stamps = list(Message.objects.filter(room=room).order_by("seq").values_list("created_at"))
        assert stamps == sorted(stamps)
