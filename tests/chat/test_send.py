"""Sending: seq, idempotency, and who may post where."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from chat.actions import messages, moderation
from chat.models import Message
from core.errors import ActionError, ErrorCode
from tests.chat.conftest import actor


def send(person, room, body="你好", client_id=None, **kw):
    send.n = getattr(send, "n", 0) + 1
    return messages.do_send(actor(person), room.pk, body, client_id or f"c{send.n}", **kw)


def refused(code, fn, *args, **kw):
    with pytest.raises(ActionError) as exc:
        fn(*args, **kw)
    assert exc.value.code == code
    return exc.value


def test_messages_are_numbered_one_two_three(cast, garden_room):
    base = garden_room.last_seq
    seqs = [send(cast.resident, garden_room).message.seq for _ in range(3)]
    assert seqs == [base + 1, base + 2, base + 3]


def test_retry_with_same_client_id_stores_nothing_and_returns_the_first_seq(cast, garden_room):
    first = send(cast.resident, garden_room, client_id="same")
    again = send(cast.resident, garden_room, body="另一句", client_id="same")
    assert again.duplicate and again.message.seq == first.message.seq
    assert Message.objects.filter(author=cast.resident, client_id="same").count() == 1


def test_a_refused_retry_takes_no_seq(cast, garden_room):
    first = send(cast.resident, garden_room, client_id="same")
    send(cast.resident, garden_room, client_id="same")
    assert send(cast.resident, garden_room).message.seq == first.message.seq + 1


def test_client_id_reused_in_another_room_is_invalid(cast, garden_room, community_room):
    send(cast.resident, garden_room, client_id="x1")
    refused(ErrorCode.INVALID, send, cast.resident, community_room, client_id="x1")


def test_two_people_may_use_the_same_client_id(cast, garden_room):
    a = send(cast.resident, garden_room, client_id="shared")
    b = send(cast.neighbour, garden_room, client_id="shared")
    assert a.message.pk != b.message.pk


def test_sending_to_a_room_one_is_not_in_is_not_member(cast):
    from chat.models import Room

    other = Room.objects.get(neighbourhood=cast.court)
    refused(ErrorCode.NOT_MEMBER, send, cast.resident, other)


def test_sending_to_a_missing_room_looks_the_same_as_not_member(cast):
    with pytest.raises(ActionError) as exc:
        messages.do_send(actor(cast.resident), 999_999, "hi", "m1")
    assert exc.value.code == ErrorCode.NOT_MEMBER


def test_resident_cannot_post_in_the_coordination_room(cast, coordination_room):
    refused(ErrorCode.NOT_MEMBER, send, cast.resident, coordination_room)


def test_observer_send_is_forbidden(cast, garden_room):
    refused(ErrorCode.FORBIDDEN, send, cast.observer, garden_room)


def test_observer_of_another_street_gets_not_member(cast):
    from chat.models import Room
    from tests.factories import make_person, make_street

    far = make_person(None, role="observer", observer_street=make_street("浦东新区", "陆家嘴街道"))
    room = Room.objects.get(neighbourhood=cast.garden)
    refused(ErrorCode.NOT_MEMBER, send, far, room)


def test_muted_member_is_refused_with_until(cast, garden_room):
    until = moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 30)
    err = refused(ErrorCode.MUTED, send, cast.resident, garden_room)
    assert err.extra["until"] == until


def test_mute_expires_by_itself(cast, garden_room):
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 30)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert send(cast.resident, garden_room).message.seq


def test_retry_of_a_stored_message_is_acked_even_after_the_sender_was_muted(cast, garden_room):
    first = send(cast.resident, garden_room, client_id="before-mute")
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 30)
    again = send(cast.resident, garden_room, client_id="before-mute")
    assert again.duplicate and again.message.seq == first.message.seq


def test_sent_message_is_returned_as_stored(cast, garden_room):
    sent = send(cast.resident, garden_room, body="楼道灯坏了", client_id="as-stored").message
    stored = Message.objects.get(pk=sent.pk)
    assert (stored.room_id, stored.seq, stored.body, stored.client_id, stored.created_at) == (
        sent.room_id,
        sent.seq,
        sent.body,
        sent.client_id,
        sent.created_at,
    )


def test_refused_send_stores_nothing(cast, garden_room):
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 0)
    garden_room.refresh_from_db()
    before = garden_room.last_seq
    refused(ErrorCode.MUTED, send, cast.resident, garden_room)
    garden_room.refresh_from_db()
    assert garden_room.last_seq == before


def test_reply_to_a_seq_not_yet_assigned_is_invalid(cast, garden_room):
    refused(ErrorCode.INVALID, send, cast.resident, garden_room, reply_to=10_000)


def test_reply_to_a_deleted_message_is_not_found(cast, garden_room):
    first = send(cast.resident, garden_room).message
    messages.do_delete(actor(cast.resident), garden_room.pk, first.seq)
    refused(ErrorCode.NOT_FOUND, send, cast.neighbour, garden_room, reply_to=first.seq)


def test_reply_to_keeps_the_thread(cast, garden_room):
    first = send(cast.resident, garden_room).message
    reply = send(cast.neighbour, garden_room, reply_to=first.seq).message
    assert reply.reply_to == first.seq


def test_mentions_keep_only_members_of_the_room(cast, garden_room):
    msg = send(cast.resident, garden_room, mentions=[cast.neighbour.pk, cast.resident_b.pk]).message
    assert msg.mentions == [cast.neighbour.pk]


def test_own_message_can_be_edited_within_the_window(cast, garden_room):
    msg = send(cast.resident, garden_room).message
    edited = messages.do_edit(actor(cast.resident), garden_room.pk, msg.seq, "改过的")
    assert edited.body == "改过的" and edited.edited_at is not None


def test_editing_after_the_window_is_forbidden(cast, garden_room):
    msg = send(cast.resident, garden_room).message
    with time_machine.travel(timezone.now() + messages.EDIT_WINDOW + timedelta(seconds=1)):
        refused(
            ErrorCode.FORBIDDEN,
            messages.do_edit,
            actor(cast.resident),
            garden_room.pk,
            msg.seq,
            "晚了",
        )


def test_someone_elses_message_cannot_be_edited(cast, garden_room):
    msg = send(cast.resident, garden_room).message
    refused(
        ErrorCode.FORBIDDEN, messages.do_edit, actor(cast.neighbour), garden_room.pk, msg.seq, "x"
    )


def test_deleting_keeps_the_seq_and_drops_the_text(cast, garden_room):
    msg = send(cast.resident, garden_room, body="说错了").message
    messages.do_delete(actor(cast.resident), garden_room.pk, msg.seq)
    msg.refresh_from_db()
    assert msg.deleted_at is not None and msg.body == "" and msg.seq


def test_resident_cannot_delete_someone_elses_message(cast, garden_room):
    msg = send(cast.resident, garden_room).message
    refused(ErrorCode.FORBIDDEN, messages.do_delete, actor(cast.neighbour), garden_room.pk, msg.seq)


def test_moderator_deletes_a_message_and_the_act_is_audited(cast, garden_room):
    msg = send(cast.resident, garden_room).message
    messages.do_delete(actor(cast.moderator), garden_room.pk, msg.seq)
    assert garden_room.audit.filter(action="delete", target_seq=msg.seq).exists()


def test_read_marker_moves_forward_only(cast, garden_room):
    for _ in range(3):
        send(cast.neighbour, garden_room)
    garden_room.refresh_from_db()
    me = actor(cast.resident)
    messages.do_read(me, garden_room.pk, garden_room.last_seq)
    assert messages.do_read(me, garden_room.pk, 1) == 0


def test_reading_returns_what_is_left_unread(cast, garden_room):
    for _ in range(3):
        send(cast.neighbour, garden_room)
    garden_room.refresh_from_db()
    me = actor(cast.resident)
    assert messages.do_read(me, garden_room.pk, garden_room.last_seq - 2) == 2


def test_reading_a_room_one_is_not_in_is_not_member(cast, coordination_room):
    refused(ErrorCode.NOT_MEMBER, messages.do_read, actor(cast.resident), coordination_room.pk, 1)


def test_an_observer_keeps_no_read_marker(cast, garden_room):
    send(cast.resident, garden_room)
    assert messages.do_read(actor(cast.observer), garden_room.pk, 1) == 0


def test_read_beyond_the_last_seq_is_invalid(cast, garden_room):
    refused(ErrorCode.INVALID, messages.do_read, actor(cast.resident), garden_room.pk, 10_000)


@pytest.mark.postgres_redis
def test_a_send_outside_a_transaction_is_two_statements_on_postgresql(tcast):
    """The access check, then one statement that takes the seq, stores the message and moves
    the sender's read marker: no transaction round trips (the send path's latency)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from chat.models import Room

    garden_room = Room.objects.get(neighbourhood=tcast.garden)
    me = actor(tcast.resident)
    messages.do_send(me, garden_room.pk, "先来一条", "warm")  # later sends reuse the connection
    with CaptureQueriesContext(connection) as statements:
        messages.do_send(me, garden_room.pk, "你好", "counted")
    assert len(statements) == 2
