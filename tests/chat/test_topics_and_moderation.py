"""Topic rooms (专题公共群) and the 群主 tools."""

import pytest

from chat.actions import messages, moderation, rooms
from chat.models import AuditEntry, JoinRequest, Membership, Pin
from core.errors import ActionError, ErrorCode
from tests.chat.conftest import actor


def refused(code, fn, *args, **kw):
    with pytest.raises(ActionError) as exc:
        fn(*args, **kw)
    assert exc.value.code == code


@pytest.fixture
def open_topic(cast):
    return rooms.create_topic_room(actor(cast.moderator), name="二手闲置", category="闲置物品")


@pytest.fixture
def closed_topic(cast):
    return rooms.create_topic_room(
        actor(cast.cadre), name="志愿者", category="志愿", open_to_all=False
    )


def test_resident_cannot_create_a_topic_room(cast):
    refused(
        ErrorCode.FORBIDDEN,
        rooms.create_topic_room,
        actor(cast.resident),
        name="x",
        category="兴趣",
    )


def test_every_member_of_the_community_sees_the_topic_rooms(cast, open_topic, closed_topic):
    names = {t["name"] for t in rooms.list_topic_rooms(actor(cast.resident_b))}
    assert names == {"二手闲置", "志愿者"}


def test_joining_an_open_topic_room_is_immediate(cast, open_topic):
    assert rooms.do_join_topic(actor(cast.resident), open_topic.pk) == "joined"
    assert Membership.objects.filter(room=open_topic, person=cast.resident).exists()


def test_joining_a_closed_topic_room_waits_for_the_owner(cast, closed_topic):
    assert rooms.do_join_topic(actor(cast.resident), closed_topic.pk) == "applied"
    assert not Membership.objects.filter(room=closed_topic, person=cast.resident).exists()


def test_owner_approves_an_application(cast, closed_topic):
    rooms.do_join_topic(actor(cast.resident), closed_topic.pk)
    rooms.do_answer_join(actor(cast.cadre), closed_topic.pk, cast.resident.pk, True)
    assert Membership.objects.filter(room=closed_topic, person=cast.resident).exists()


def test_owner_refuses_an_application(cast, closed_topic):
    rooms.do_join_topic(actor(cast.resident), closed_topic.pk)
    rooms.do_answer_join(actor(cast.cadre), closed_topic.pk, cast.resident.pk, False)
    assert JoinRequest.objects.get(person=cast.resident).status == "refused"


def test_a_member_cannot_decide_applications(cast, closed_topic):
    rooms.do_join_topic(actor(cast.neighbour), closed_topic.pk)
    rooms.do_answer_join(actor(cast.cadre), closed_topic.pk, cast.neighbour.pk, True)
    rooms.do_join_topic(actor(cast.resident), closed_topic.pk)
    refused(
        ErrorCode.FORBIDDEN,
        rooms.do_answer_join,
        actor(cast.neighbour),
        closed_topic.pk,
        cast.resident.pk,
        True,
    )


def test_another_communitys_topic_room_is_not_found(cast, open_topic):
    refused(ErrorCode.NOT_FOUND, rooms.do_join_topic, actor(cast.outsider), open_topic.pk)


def test_removed_member_loses_the_room(cast, open_topic):
    rooms.do_join_topic(actor(cast.resident), open_topic.pk)
    rooms.do_remove_member(actor(cast.moderator), open_topic.pk, cast.resident.pk)
    assert not Membership.objects.filter(room=open_topic, person=cast.resident).exists()


def test_pin_is_seen_in_the_rooms_pinned_set(cast, garden_room):
    msg = messages.do_send(actor(cast.cadre), garden_room.pk, "本周六议事会", "p1").message
    moderation.do_pin(actor(cast.cadre), garden_room.pk, msg.seq, "议事会")
    assert Pin.objects.get(room=garden_room).title == "议事会"


@pytest.mark.parametrize("act", ["pin", "mute", "delete", "promote"])
def test_resident_moderation_is_forbidden_and_not_audited(cast, garden_room, act):
    msg = messages.do_send(actor(cast.neighbour), garden_room.pk, "hello", "r1").message
    me = actor(cast.resident)
    calls = {
        "pin": lambda: moderation.do_pin(me, garden_room.pk, msg.seq),
        "mute": lambda: moderation.do_mute(me, garden_room.pk, cast.neighbour.pk, 10),
        "delete": lambda: messages.do_delete(me, garden_room.pk, msg.seq),
        "promote": lambda: moderation.check_promote(me, garden_room.pk, msg.seq),
    }
    refused(ErrorCode.FORBIDDEN, calls[act])
    assert not AuditEntry.objects.exists()


def test_observer_cannot_moderate(cast, garden_room):
    refused(
        ErrorCode.FORBIDDEN,
        moderation.do_mute,
        actor(cast.observer),
        garden_room.pk,
        cast.resident.pk,
        5,
    )


def test_moderator_cannot_mute_a_cadre(cast, garden_room):
    refused(
        ErrorCode.FORBIDDEN,
        moderation.do_mute,
        actor(cast.moderator),
        garden_room.pk,
        cast.cadre.pk,
        5,
    )


def test_nobody_mutes_themself(cast, garden_room):
    refused(
        ErrorCode.INVALID,
        moderation.do_mute,
        actor(cast.moderator),
        garden_room.pk,
        cast.moderator.pk,
        5,
    )


def test_unmute_lets_the_member_post_again(cast, garden_room):
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 0)
    moderation.do_unmute(actor(cast.cadre), garden_room.pk, cast.resident.pk)
    assert messages.do_send(actor(cast.resident), garden_room.pk, "谢谢", "u1").message.seq


def test_observer_reads_the_audit_log(cast, garden_room):
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 5)
    log = moderation.audit_log(actor(cast.observer), garden_room.pk)
    assert [e["action"] for e in log] == ["mute"]
