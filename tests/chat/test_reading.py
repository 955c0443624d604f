"""History pages, sync batches and the welcome."""

import pytest

from chat import protocol
from chat.actions import knocks, messages, reading
from core.errors import ActionError, ErrorCode
from tests.chat.conftest import actor


def fill(person, room, n):
    me = actor(person)
    for i in range(n):
        messages.do_send(me, room.pk, f"消息{i}", f"fill-{room.pk}-{i}")
    room.refresh_from_db()
    return room.last_seq


def test_history_without_before_is_the_newest_page_ascending(cast, garden_room):
    last = fill(cast.resident, garden_room, 10)
    page = reading.history(actor(cast.neighbour), garden_room.pk, None, 3)
    assert [m["seq"] for m in page] == [last - 2, last - 1, last]


def test_history_before_pages_back(cast, garden_room):
    last = fill(cast.resident, garden_room, 10)
    page = reading.history(actor(cast.neighbour), garden_room.pk, last - 2, 3)
    assert [m["seq"] for m in page] == [last - 5, last - 4, last - 3]


def test_observer_reads_history_of_a_public_room(cast, garden_room):
    fill(cast.resident, garden_room, 2)
    assert reading.history(actor(cast.observer), garden_room.pk, None, 50)


def test_observer_cannot_read_the_coordination_room(cast, coordination_room):
    with pytest.raises(ActionError) as exc:
        reading.history(actor(cast.observer), coordination_room.pk, None, 50)
    assert exc.value.code == ErrorCode.NOT_MEMBER


def test_history_shows_tombstones_without_body(cast, garden_room):
    fill(cast.resident, garden_room, 1)
    messages.do_delete(actor(cast.resident), garden_room.pk, garden_room.last_seq)
    last = reading.history(actor(cast.neighbour), garden_room.pk, None, 1)[0]
    assert last["deleted"] is True and "body" not in last


def test_history_shows_the_latest_text_and_that_it_was_edited(cast, garden_room):
    fill(cast.resident, garden_room, 1)
    messages.do_edit(actor(cast.resident), garden_room.pk, garden_room.last_seq, "改正")
    last = reading.history(actor(cast.neighbour), garden_room.pk, None, 1)[0]
    assert last["body"] == "改正" and last["edited"] is True


def test_sync_stops_at_the_sockets_ceiling():
    ranges, more = reading.sync_ranges({7: 0}, {7: 3})
    assert ranges == {7: (0, 3)} and more == {}


def test_sync_is_batched_per_room_and_names_rooms_with_more():
    ranges, more = reading.sync_ranges({7: 0}, {7: protocol.SYNC_BATCH + 5})
    assert ranges == {7: (0, protocol.SYNC_BATCH)} and more == {7: protocol.SYNC_BATCH}


def test_one_sync_answer_holds_at_most_sync_total_messages():
    rooms = {room: 0 for room in range(1, 5)}
    ranges, more = reading.sync_ranges(rooms, dict.fromkeys(rooms, protocol.SYNC_BATCH))
    assert sum(high - low for low, high in ranges.values()) == protocol.SYNC_TOTAL
    assert more == {room: 0 for room in rooms if room not in ranges}


def test_sync_of_a_room_not_on_the_socket_is_not_member():
    with pytest.raises(ActionError) as exc:
        reading.sync_ranges({8: 0}, {7: 5})
    assert exc.value.code == ErrorCode.NOT_MEMBER


def test_sync_pages_are_the_messages_of_each_range(cast, garden_room):
    last = fill(cast.resident, garden_room, 5)
    answer = reading.sync_pages(actor(cast.neighbour), {garden_room.pk: (last - 3, last)}, {})
    revision, page = answer[garden_room.pk]
    assert [m["seq"] for m in page] == [last - 2, last - 1, last] and revision == 0


def test_sync_pages_skip_a_range_kept_at_the_rooms_revision(cast, garden_room):
    last = fill(cast.resident, garden_room, 2)
    kept = {garden_room.pk: 0}
    answer = reading.sync_pages(actor(cast.neighbour), {garden_room.pk: (0, last)}, kept)
    assert answer[garden_room.pk] == (0, None)


def test_an_edit_makes_kept_frames_of_the_room_stale(cast, garden_room):
    last = fill(cast.resident, garden_room, 2)
    messages.do_edit(actor(cast.resident), garden_room.pk, last, "改过了")
    kept = {garden_room.pk: 0}
    revision, page = reading.sync_pages(actor(cast.neighbour), {garden_room.pk: (0, last)}, kept)[
        garden_room.pk
    ]
    assert revision == 1 and page[-1]["body"] == "改过了"


def test_a_deletion_makes_kept_frames_of_the_room_stale(cast, garden_room):
    last = fill(cast.resident, garden_room, 1)
    messages.do_delete(actor(cast.resident), garden_room.pk, last)
    garden_room.refresh_from_db()
    assert garden_room.revision == 1


def test_sync_pages_check_access_to_every_room(cast, garden_room, coordination_room):
    with pytest.raises(ActionError) as exc:
        reading.sync_pages(actor(cast.resident), {coordination_room.pk: (0, 1)}, {})
    assert exc.value.code == ErrorCode.NOT_MEMBER


def test_welcome_lists_rooms_with_unread_counts(cast, garden_room):
    fill(cast.neighbour, garden_room, 3)
    entry = next(
        r for r in reading.welcome(actor(cast.resident))["rooms"] if r["id"] == garden_room.pk
    )
    assert entry["unread"] == garden_room.last_seq and entry["kind"] == "neighbourhood"


def test_welcome_carries_no_personal_data(cast):
    user = reading.welcome(actor(cast.resident))["user"]
    text = repr(user)
    assert "real_name" not in text and "phone" not in text and "id_" not in text


def test_welcome_names_a_direct_room_after_the_other_party(cast):
    k = knocks.do_knock(actor(cast.resident), cast.resident_b.pk, "你好", "k")
    room = knocks.do_answer_knock(actor(cast.resident_b), k["knock"]["id"], True)["room"]
    entry = next(r for r in reading.welcome(actor(cast.resident))["rooms"] if r["id"] == room)
    assert entry["kind"] == "direct" and entry["name"] == cast.resident_b.display_name


def test_observer_welcome_lists_the_public_rooms_in_scope(cast):
    kinds = {r["kind"] for r in reading.welcome(actor(cast.observer))["rooms"]}
    assert kinds == {"neighbourhood"}


def unread(person, room) -> int:
    rooms = reading.welcome(actor(person))["rooms"]
    return next(r["unread"] for r in rooms if r["id"] == room.pk)


def test_ones_own_messages_are_not_unread(cast, garden_room):
    fill(cast.resident, garden_room, 3)
    assert unread(cast.resident, garden_room) == 0


def test_sending_marks_what_came_before_as_read(cast, garden_room):
    fill(cast.neighbour, garden_room, 2)
    fill(cast.resident, garden_room, 1)
    assert (unread(cast.resident, garden_room), unread(cast.neighbour, garden_room)) == (0, 1)
