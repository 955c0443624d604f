"""Events an action publishes on the database thread are handed back to the event loop."""

import pytest
from django.db import transaction

from chat import broadcast

pytestmark = pytest.mark.django_db(transaction=True)


def publish_in_transaction(room_id: int, fail_after: bool = False) -> str:
    with transaction.atomic():
        broadcast.publish_room_event(room_id, {"type": "pins", "room": room_id, "pins": []})
    if fail_after:
        raise ValueError("after commit")
    return "done"


def rolled_back(room_id: int) -> None:
    with transaction.atomic():
        broadcast.publish_room_event(room_id, {"type": "pins", "room": room_id, "pins": []})
        raise ValueError("rolled back")


def test_collected_action_returns_its_events_instead_of_sending_them():
    result, error, events = broadcast.collected(publish_in_transaction)(7)
    assert (result, error) == ("done", None)
    assert [group for group, _ in events] == [broadcast.room_group(7)]


def test_events_committed_before_an_action_failed_are_still_returned():
    result, error, events = broadcast.collected(publish_in_transaction)(7, fail_after=True)
    assert result is None and isinstance(error, ValueError)
    assert len(events) == 1


def test_events_of_a_rolled_back_transaction_are_never_returned():
    _result, error, events = broadcast.collected(rolled_back)(7)
    assert isinstance(error, ValueError) and events == []


def test_collected_events_carry_both_encodings_and_the_room():
    _result, _error, events = broadcast.collected(publish_in_transaction)(7)
    message = events[0][1]
    assert message["room"] == 7 and message["json"] and message["msgpack"]
