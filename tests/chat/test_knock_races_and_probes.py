"""Input that must not reach the wrong layer: crossed knocks, a block against @mentions, ids
probed across communities."""

import threading

import pytest
from channels.db import database_sync_to_async
from django.db import connection

from chat.actions import knocks, messages
from chat.models import DirectPair, Knock, Membership, Message
from community.models import Person
from core.errors import ActionError, ErrorCode
from tests.chat.conftest import actor, connect, room_id

GARDEN = "翠湖苑小区群"


def knock(sender, recipient, body, client_id):
    return knocks.do_knock(actor(sender), recipient.pk, body, client_id)["knock"]


def answer(recipient, knock_view):
    return knocks.do_answer_knock(actor(recipient), knock_view["id"], True)


# --- Crossed knocks --------------------------------------------------------------------------


def test_crossed_knocks_both_accepted_open_one_direct_room(cast):
    mine = knock(cast.resident, cast.neighbour, "借个梯子？", "k-a")
    theirs = knock(cast.neighbour, cast.resident, "我也想找你", "k-b")
    first = answer(cast.neighbour, mine)
    second = answer(cast.resident, theirs)
    assert first["room"] == second["room"]
    assert DirectPair.objects.count() == 1
    assert set(Knock.objects.values_list("status", flat=True)) == {"accepted"}
    bodies = list(
        Message.objects.filter(room_id=first["room"]).order_by("seq").values_list("seq", "body")
    )
    assert bodies == [(1, "借个梯子？"), (2, "我也想找你")]


@pytest.mark.django_db(transaction=True)
def test_crossed_knocks_accepted_at_the_same_moment_open_one_direct_room(tcast):
    """Both sides accept at once, each on its own connection: one room, two clear answers."""
    mine = knock(tcast.resident, tcast.neighbour, "借个梯子？", "k-a")
    theirs = knock(tcast.neighbour, tcast.resident, "我也想找你", "k-b")
    start = threading.Barrier(2)
    answers, errors = [], []

    def accept(recipient, view):
        try:
            me = actor(recipient)
            start.wait()
            answers.append(knocks.do_answer_knock(me, view["id"], True))
        except Exception as exc:  # reported below, not lost in the thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=accept, args=(tcast.neighbour, mine)),
        threading.Thread(target=accept, args=(tcast.resident, theirs)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len({a["room"] for a in answers}) == 1
    assert DirectPair.objects.count() == 1
    assert Membership.objects.filter(room_id=answers[0]["room"]).count() == 2


def test_a_retried_knock_that_races_its_original_is_answered_with_the_original(cast):
    """Both got past the retry check before either was stored: the unique client_id decides."""
    recipient = Person.objects.get(pk=cast.neighbour.pk)
    first = knocks._store_knock(actor(cast.resident), recipient, "借个梯子？", "k-same")
    again = knocks._store_knock(actor(cast.resident), recipient, "借个梯子？", "k-same")
    assert again["id"] == first["id"]
    assert Knock.objects.count() == 1


# --- A block silences @mentions -----------------------------------------------------------------


def test_a_blocked_persons_mention_does_not_reach_the_one_who_blocked_them(cast, garden_room):
    knocks.do_block(actor(cast.resident), cast.neighbour.pk)
    msg = messages.do_send(
        actor(cast.neighbour), garden_room.pk, "@居民 出来", "m1", mentions=[cast.resident.pk]
    ).message
    assert msg.mentions == []


@pytest.mark.django_db(transaction=True)
async def test_over_the_socket_the_blocker_hears_only_mentions_of_others(tcast):
    def block():
        knocks.do_block(actor(tcast.resident), tcast.neighbour.pk)

    await database_sync_to_async(block)()
    me = await connect(tcast.resident)
    blocked, friend = await connect(tcast.neighbour), await connect(tcast.party_member)
    room = room_id(me, GARDEN)
    for sender, client_id in ((blocked, "m-blocked"), (friend, "m-friend")):
        await sender.request(
            {
                "type": "send",
                "room": room,
                "body": "@你",
                "client_id": client_id,
                "mentions": [tcast.resident.pk],
            }
        )
    assert (await me.recv_until("mention"))["by"]["id"] == tcast.party_member.pk
    await me.close(), await blocked.close(), await friend.close()


# --- Ids cannot be probed across communities ----------------------------------------------------


def refusal(fn, *args):
    with pytest.raises(ActionError) as exc:
        fn(*args)
    return exc.value.code, str(exc.value.message)


def test_blocking_someone_of_another_community_answers_as_for_an_id_that_does_not_exist(cast):
    elsewhere = refusal(knocks.do_block, actor(cast.resident), cast.outsider.pk)
    nowhere = refusal(knocks.do_block, actor(cast.resident), 999_999)
    assert elsewhere == nowhere
    assert elsewhere[0] == ErrorCode.INVALID
