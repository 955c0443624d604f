"""Moderation that cannot be turned against the room (issue: rule loopholes).

Through the actions, as every socket frame and HTTP call reaches them; the rules themselves are
rows of tests/test_policy.py.
"""

import pytest
from channels.db import database_sync_to_async

from chat.actions import messages, moderation, rooms
from chat.models import AuditEntry, JoinRequest, Membership, Message, Room
from community.models import Role
from core.errors import ActionError, ErrorCode
from tests.chat.conftest import actor, connect, room_id
from tests.factories import make_person

GARDEN = "翠湖苑小区群"


def refused(code, fn, *args, **kw):
    with pytest.raises(ActionError) as exc:
        fn(*args, **kw)
    assert exc.value.code == code


def membership(room, person) -> Membership:
    return Membership.objects.get(room=room, person=person)


@pytest.fixture
def moderators_topic(cast):
    """An open topic room opened by the resident moderator, with a cadre, an official and a
    resident in it."""
    room = rooms.create_topic_room(actor(cast.moderator), name="楼道议事", category="议事")
    for person in (cast.cadre, cast.property, cast.resident):
        rooms.do_join_topic(actor(person), room.pk)
    return room


@pytest.fixture
def closed_topic(cast):
    room = rooms.create_topic_room(
        actor(cast.cadre), name="志愿者", category="志愿", open_to_all=False
    )
    rooms.do_join_topic(actor(cast.resident), room.pk)
    rooms.do_answer_join(actor(cast.cadre), room.pk, cast.resident.pk, True)
    return room


# --- A muted moderator stays muted -------------------------------------------------------------


def test_a_muted_moderator_cannot_lift_their_own_mute(cast, garden_room):
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.moderator.pk, 0)
    refused(
        ErrorCode.FORBIDDEN,
        moderation.do_unmute,
        actor(cast.moderator),
        garden_room.pk,
        cast.moderator.pk,
    )
    assert membership(garden_room, cast.moderator).muted_forever
    assert not AuditEntry.objects.filter(action="unmute").exists()


# --- A resident moderator acts on residents only -----------------------------------------------


def test_a_resident_moderator_cannot_delete_a_cadres_message(cast, garden_room):
    msg = messages.do_send(actor(cast.cadre), garden_room.pk, "通知：周六停水", "n1").message
    refused(ErrorCode.FORBIDDEN, messages.do_delete, actor(cast.moderator), garden_room.pk, msg.seq)
    assert Message.objects.get(pk=msg.pk).deleted_at is None
    assert not AuditEntry.objects.exists()


def test_a_resident_moderator_cannot_remove_a_cadre_from_their_topic_room(cast, moderators_topic):
    refused(
        ErrorCode.FORBIDDEN,
        rooms.do_remove_member,
        actor(cast.moderator),
        moderators_topic.pk,
        cast.cadre.pk,
    )
    assert Membership.objects.filter(room=moderators_topic, person=cast.cadre).exists()


def test_a_resident_moderator_cannot_mute_an_official(cast, moderators_topic):
    refused(
        ErrorCode.FORBIDDEN,
        moderation.do_mute,
        actor(cast.moderator),
        moderators_topic.pk,
        cast.property.pk,
        10,
    )
    assert not membership(moderators_topic, cast.property).muted_until


def test_a_resident_moderator_cannot_mute_another_moderator(cast, garden_room):
    other = make_person(cast.community, role=Role.MODERATOR, neighbourhood=cast.garden)
    refused(
        ErrorCode.FORBIDDEN,
        moderation.do_mute,
        actor(cast.moderator),
        garden_room.pk,
        other.pk,
        10,
    )


def test_a_resident_moderator_still_moderates_residents(cast, moderators_topic):
    msg = messages.do_send(actor(cast.resident), moderators_topic.pk, "广告", "ad").message
    messages.do_delete(actor(cast.moderator), moderators_topic.pk, msg.seq)
    rooms.do_remove_member(actor(cast.moderator), moderators_topic.pk, cast.resident.pk)
    assert [e.action for e in AuditEntry.objects.order_by("pk")] == ["delete", "remove"]


def test_a_cadre_deletes_a_resident_moderators_message(cast, garden_room):
    msg = messages.do_send(actor(cast.moderator), garden_room.pk, "跑题了", "m1").message
    messages.do_delete(actor(cast.cadre), garden_room.pk, msg.seq)
    assert Message.objects.get(pk=msg.pk).deleted_at is not None


# --- Rooms keep an owner; removal is not undone by the removed --------------------------------


def test_the_last_owner_cannot_leave_an_approval_only_room(cast, closed_topic):
    refused(ErrorCode.FORBIDDEN, rooms.do_leave_topic, actor(cast.cadre), closed_topic.pk)
    assert membership(closed_topic, cast.cadre).rank == "owner"


def test_a_member_leaves_an_approval_only_room(cast, closed_topic):
    rooms.do_leave_topic(actor(cast.resident), closed_topic.pk)
    assert not Membership.objects.filter(room=closed_topic, person=cast.resident).exists()


def test_a_removed_person_applies_to_come_back_into_an_open_room(cast, moderators_topic):
    rooms.do_remove_member(actor(cast.moderator), moderators_topic.pk, cast.resident.pk)
    assert rooms.do_join_topic(actor(cast.resident), moderators_topic.pk) == "applied"
    assert not Membership.objects.filter(room=moderators_topic, person=cast.resident).exists()


def test_an_owner_lets_a_removed_person_back_in(cast, moderators_topic):
    rooms.do_remove_member(actor(cast.moderator), moderators_topic.pk, cast.resident.pk)
    rooms.do_join_topic(actor(cast.resident), moderators_topic.pk)
    rooms.do_answer_join(actor(cast.moderator), moderators_topic.pk, cast.resident.pk, True)
    assert Membership.objects.filter(room=moderators_topic, person=cast.resident).exists()
    rooms.do_leave_topic(actor(cast.resident), moderators_topic.pk)
    assert rooms.do_join_topic(actor(cast.resident), moderators_topic.pk) == "joined"


def test_a_refused_comeback_stays_out(cast, moderators_topic):
    rooms.do_remove_member(actor(cast.moderator), moderators_topic.pk, cast.resident.pk)
    rooms.do_join_topic(actor(cast.resident), moderators_topic.pk)
    rooms.do_answer_join(actor(cast.moderator), moderators_topic.pk, cast.resident.pk, False)
    assert rooms.do_join_topic(actor(cast.resident), moderators_topic.pk) == "applied"
    assert JoinRequest.objects.filter(person=cast.resident, status="pending").count() == 1


# --- Over the socket ----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_over_the_socket_a_muted_moderators_unmute_of_themself_is_forbidden(tcast):
    def mute_the_moderator():
        room = Room.objects.get(neighbourhood=tcast.garden)
        moderation.do_mute(actor(tcast.cadre), room.pk, tcast.moderator.pk, 0)

    await database_sync_to_async(mute_the_moderator)()
    me = await connect(tcast.moderator)
    room = room_id(me, GARDEN)
    answer = await me.request({"type": "unmute", "room": room, "user": tcast.moderator.pk})
    assert answer["code"] == "forbidden"
    send = await me.request(
        {"type": "send", "room": room, "body": "我又能说话了", "client_id": "u"}
    )
    assert send["code"] == "muted"
    await me.close()


@pytest.mark.django_db(transaction=True)
async def test_over_the_socket_a_resident_moderator_cannot_delete_a_cadres_message(tcast):
    cadre, me = await connect(tcast.cadre), await connect(tcast.moderator)
    room = room_id(me, GARDEN)
    sent = await cadre.request({"type": "send", "room": room, "body": "通知", "client_id": "c1"})
    answer = await me.request({"type": "delete", "room": room, "seq": sent["seq"]})
    assert answer["code"] == "forbidden"
    await cadre.close(), await me.close()
