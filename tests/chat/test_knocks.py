"""敲门: knock, accept or decline, block."""

import pytest

from chat.actions import knocks, messages
from chat.models import Knock, Membership, Message
from core.errors import ActionError, ErrorCode
from tests.chat.conftest import actor


def knock(sender, recipient, body="你好，我是楼下邻居", client_id="k1"):
    return knocks.do_knock(actor(sender), recipient.pk, body, client_id)


def refused(code, fn, *args):
    with pytest.raises(ActionError) as exc:
        fn(*args)
    assert exc.value.code == code


def test_knock_waits_for_an_answer(cast):
    result = knock(cast.resident, cast.resident_b)
    assert Knock.objects.get(pk=result["knock"]["id"]).status == "pending"


def test_accepting_opens_a_direct_room_whose_first_message_is_the_knock(cast):
    k = knock(cast.resident, cast.resident_b, body="想借个梯子")
    answer = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], True)
    first = Message.objects.get(room_id=answer["room"], seq=1)
    assert first.body == "想借个梯子" and first.author == cast.resident


def test_the_direct_room_has_exactly_its_two_parties(cast):
    k = knock(cast.resident, cast.resident_b)
    room_id = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], True)["room"]
    people = set(Membership.objects.filter(room_id=room_id).values_list("person", flat=True))
    assert people == {cast.resident.pk, cast.resident_b.pk}


def test_a_cadre_cannot_read_a_direct_room(cast):
    k = knock(cast.resident, cast.resident_b)
    room_id = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], True)["room"]
    from chat.actions import reading

    refused(ErrorCode.NOT_MEMBER, reading.history, actor(cast.cadre), room_id, None, 50)


def test_declining_tells_nothing_but_closes_the_knock(cast):
    k = knock(cast.resident, cast.resident_b)
    result = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], False)
    assert result == {"knock": k["knock"]["id"], "accepted": False, "room": None}


def test_a_knock_to_a_cadre_cannot_be_declined(cast):
    k = knock(cast.resident, cast.cadre)
    refused(ErrorCode.FORBIDDEN, knocks.do_answer_knock, actor(cast.cadre), k["knock"]["id"], False)


def test_knocking_on_another_community_is_not_found(cast):
    refused(ErrorCode.NOT_FOUND, knock, cast.resident, cast.outsider)


def test_observer_cannot_knock(cast):
    refused(ErrorCode.FORBIDDEN, knock, cast.observer, cast.resident)


def test_blocked_knocker_is_refused(cast):
    knocks.do_block(actor(cast.resident_b), cast.resident.pk)
    refused(ErrorCode.FORBIDDEN, knock, cast.resident, cast.resident_b)


def test_block_silences_an_open_direct_room_both_ways(cast):
    k = knock(cast.resident, cast.resident_b)
    room_id = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], True)["room"]
    knocks.do_block(actor(cast.resident), cast.resident_b.pk)
    refused(ErrorCode.FORBIDDEN, messages.do_send, actor(cast.resident_b), room_id, "在吗", "d1")
    refused(ErrorCode.FORBIDDEN, messages.do_send, actor(cast.resident), room_id, "在吗", "d2")


def test_a_second_pending_knock_is_invalid(cast):
    knock(cast.resident, cast.resident_b, client_id="k1")
    refused(ErrorCode.INVALID, knock, cast.resident, cast.resident_b, "再敲", "k2")


def test_a_retried_knock_is_not_stored_twice(cast):
    knock(cast.resident, cast.resident_b, client_id="same")
    knock(cast.resident, cast.resident_b, client_id="same")
    assert Knock.objects.filter(sender=cast.resident).count() == 1


def test_knocking_on_an_open_door_just_sends_the_message(cast):
    k = knock(cast.resident, cast.resident_b)
    room_id = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], True)["room"]
    again = knock(cast.resident, cast.resident_b, body="第二句", client_id="k2")
    assert again["room"] == room_id and again["seq"] == 2


def test_knocks_are_limited_per_day(cast):
    from tests.factories import make_person

    for i in range(knocks.KNOCKS_PER_DAY):
        knock(
            cast.resident, make_person(cast.community, neighbourhood=cast.garden), client_id=f"k{i}"
        )
    refused(ErrorCode.RATE_LIMITED, knock, cast.resident, cast.neighbour, "hi", "over")
