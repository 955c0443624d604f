"""A worker's kept frames of each room's latest messages (chat.recent)."""

import json

import pytest

from chat import broadcast, recent
from chat.outbox import framed, payloads

ROOM, OTHER = 7, 8


def message_event(seq, room=ROOM, revision=0, body="你好"):
    frame = {"type": "message", "room": room, "seq": seq, "body": body}
    return broadcast.event_message(frame, room, seq, revision=revision)


def hear(kept, *seqs, room=ROOM, revision=0):
    for seq in seqs:
        kept.heard(message_event(seq, room, revision))


def texts(kept, low, high, room=ROOM):
    """The seqs that the kept JSON frames of low < seq ≤ high carry, in order."""
    return [json.loads(p)["seq"] for p in payloads(kept.span(room, low, high, binary=False))]


@pytest.fixture
def kept():
    return recent.RecentMessages(budget_bytes=1 << 20, per_room=10)


def test_messages_heard_in_order_are_kept_and_written_again(kept):
    hear(kept, 1, 2, 3)
    assert kept.kept(ROOM, 0, 3) == 0
    assert texts(kept, 1, 3) == [2, 3]


def test_a_range_reaching_past_what_was_heard_is_not_kept(kept):
    hear(kept, 5, 6)
    assert kept.kept(ROOM, 3, 6) is None and kept.kept(ROOM, 4, 7) is None


def test_a_skipped_seq_starts_a_new_run(kept):
    hear(kept, 1, 2, 4)
    assert kept.kept(ROOM, 3, 4) == 0 and kept.kept(ROOM, 0, 2) is None


def test_an_edit_or_tombstone_heard_forgets_the_room(kept):
    hear(kept, 1, 2)
    kept.heard(broadcast.event_message({"type": "edited", "room": ROOM, "seq": 1}, ROOM))
    assert kept.kept(ROOM, 0, 2) is None


def test_soft_state_changes_nothing(kept):
    hear(kept, 1, 2)
    kept.heard(broadcast.event_message({"type": "typing", "room": ROOM}, ROOM, soft=True))
    assert kept.kept(ROOM, 0, 2) == 0


def test_a_message_without_a_revision_is_not_kept(kept):
    hear(kept, 1)
    kept.heard(broadcast.event_message({"type": "message", "room": ROOM, "seq": 2}, ROOM, 2))
    assert kept.kept(ROOM, 0, 1) is None and kept.kept(ROOM, 1, 2) is None


def test_a_run_is_current_only_at_its_oldest_frames_revision(kept):
    hear(kept, 1, revision=3)
    hear(kept, 2, revision=2)
    assert kept.kept(ROOM, 0, 2) == 2


def test_a_run_keeps_only_the_latest_messages(kept):
    hear(kept, *range(1, 16))
    assert kept.kept(ROOM, 5, 15) == 0 and kept.kept(ROOM, 4, 15) is None


def test_the_least_recently_used_room_goes_first_past_the_budget():
    event = message_event(1)
    one = recent._cost((framed(event, binary=False), framed(event, binary=True)))
    kept = recent.RecentMessages(budget_bytes=5 * one, per_room=10)
    hear(kept, 1, 2)
    hear(kept, 1, 2, room=OTHER)
    kept.span(ROOM, 0, 2, binary=False)  # ROOM is used: OTHER is now the least recent …
    hear(kept, 3, room=OTHER)  # … until it hears a message
    hear(kept, 4, room=OTHER)  # six messages: one room must go, the least recently used
    assert kept.kept(ROOM, 0, 2) is None and kept.kept(OTHER, 0, 4) == 0


def test_a_page_read_just_before_the_run_is_put_in_front(kept):
    hear(kept, 4, 5)
    pages = [recent.ready_pair({"type": "message", "room": ROOM, "seq": s}) for s in (2, 3)]
    kept.learn(ROOM, 1, pages, revision=0)
    assert texts(kept, 1, 5) == [2, 3, 4, 5]


def test_a_page_read_at_another_revision_replaces_the_run(kept):
    hear(kept, 4, 5)
    pages = [recent.ready_pair({"type": "message", "room": ROOM, "seq": s}) for s in (4, 5)]
    kept.learn(ROOM, 3, pages, revision=1)
    assert kept.kept(ROOM, 3, 5) == 1


def test_a_page_is_kept_in_a_room_with_no_run(kept):
    pages = [recent.ready_pair({"type": "message", "room": ROOM, "seq": s}) for s in (1, 2)]
    kept.learn(ROOM, 0, pages, revision=4)
    assert kept.kept(ROOM, 0, 2) == 4 and texts(kept, 0, 2) == [1, 2]


def test_binary_and_text_frames_carry_the_same_message(kept):
    hear(kept, 1)
    text, packed = kept.span(ROOM, 0, 1, binary=False), kept.span(ROOM, 0, 1, binary=True)
    assert text[0] == 0x81 and packed[0] == 0x82
