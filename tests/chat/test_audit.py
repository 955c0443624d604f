"""The moderation log (全程可监督、可追溯): what is recorded, who reads it, how it pages."""

import pytest

from chat.actions import messages, moderation
from chat.models import AuditEntry
from community.tokens import issue_token
from tests.chat.conftest import actor
from tests.factories import make_person, make_street


@pytest.fixture
def audit_of(client):
    """GET the room's audit log as a person: (status, JSON)."""

    def get(person, room, query=""):
        response = client.get(
            f"/api/v1/rooms/{room.pk}/audit{query}",
            headers={"Authorization": f"Bearer {issue_token(person)}"},
        )
        return response.status_code, response.json()

    return get


def mutes(cast, room, n):
    """``n`` audited acts: timed mutes of the resident, each with another length."""
    for minutes in range(1, n + 1):
        moderation.do_mute(actor(cast.cadre), room.pk, cast.resident.pk, minutes)


def test_an_entry_says_who_did_what_to_whom(cast, garden_room, audit_of):
    moderation.do_mute(actor(cast.moderator), garden_room.pk, cast.resident.pk, 30)
    status, entries = audit_of(cast.cadre, garden_room)
    assert status == 200
    (entry,) = entries
    assert set(entry) == {"id", "ts", "actor", "action", "target", "reason"}
    assert entry["actor"] == {"id": cast.moderator.pk, "display_name": cast.moderator.display_name}
    assert entry["action"] == "mute"
    assert entry["target"]["user"] == cast.resident.pk
    assert entry["target"]["display_name"] == cast.resident.display_name
    assert entry["target"]["minutes"] == 30
    assert entry["reason"] is None
    assert entry["ts"].endswith("Z")


def test_a_deletion_names_the_message_and_its_author(cast, garden_room, audit_of):
    msg = messages.do_send(actor(cast.resident), garden_room.pk, "广告", "ad").message
    messages.do_delete(actor(cast.cadre), garden_room.pk, msg.seq)
    _status, (entry,) = audit_of(cast.cadre, garden_room)
    assert entry["action"] == "delete"
    assert entry["target"]["seq"] == msg.seq
    assert entry["target"]["user"] == cast.resident.pk


def test_the_log_pages_back_newest_first(cast, garden_room, audit_of):
    mutes(cast, garden_room, 5)
    _status, first = audit_of(cast.cadre, garden_room, "?limit=2")
    _status, second = audit_of(cast.cadre, garden_room, f"?limit=2&before={first[-1]['id']}")
    _status, last = audit_of(cast.cadre, garden_room, f"?limit=2&before={second[-1]['id']}")
    minutes = [e["target"]["minutes"] for e in first + second + last]
    assert minutes == [5, 4, 3, 2, 1]


def test_a_page_holds_50_entries_unless_asked(cast, garden_room, audit_of):
    mutes(cast, garden_room, 51)
    _status, page = audit_of(cast.cadre, garden_room)
    assert len(page) == 50


@pytest.mark.parametrize("query", ["?limit=0", "?limit=101", "?before=0", "?limit=x"])
def test_a_bad_page_is_invalid(cast, garden_room, audit_of, query):
    status, _body = audit_of(cast.cadre, garden_room, query)
    assert status == 400


# --- Acts that change nothing leave no record -------------------------------------------------


def test_lifting_a_mute_that_is_not_there_is_not_audited(cast, garden_room):
    moderation.do_unmute(actor(cast.cadre), garden_room.pk, cast.resident.pk)
    assert not AuditEntry.objects.exists()


def test_muting_until_lifted_twice_is_audited_once(cast, garden_room):
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 0)
    moderation.do_mute(actor(cast.cadre), garden_room.pk, cast.resident.pk, 0)
    assert AuditEntry.objects.filter(action="mute").count() == 1


def test_no_op_unmutes_cannot_push_a_deletion_out_of_the_first_page(cast, garden_room, audit_of):
    msg = messages.do_send(actor(cast.resident), garden_room.pk, "谣言", "r1").message
    messages.do_delete(actor(cast.cadre), garden_room.pk, msg.seq)
    for _ in range(100):
        moderation.do_unmute(actor(cast.cadre), garden_room.pk, cast.resident.pk)
    _status, page = audit_of(cast.observer, garden_room)
    assert [e["action"] for e in page] == ["delete"]


# --- Who reads it ---------------------------------------------------------------------------


def test_the_rooms_moderator_reads_the_log(cast, garden_room, audit_of):
    assert audit_of(cast.moderator, garden_room)[0] == 200


def test_an_observer_whose_scope_covers_the_room_reads_the_log(cast, garden_room, audit_of):
    assert audit_of(cast.observer, garden_room)[0] == 200


def test_an_observer_of_another_street_does_not(cast, garden_room, audit_of):
    elsewhere = make_person(None, role="observer", observer_street=make_street("宝山区", "淞南镇"))
    status, body = audit_of(elsewhere, garden_room)
    assert (status, body["error"]["code"]) == (404, "not_member")


def test_a_member_who_does_not_moderate_does_not(cast, garden_room, audit_of):
    status, body = audit_of(cast.resident, garden_room)
    assert (status, body["error"]["code"]) == (403, "forbidden")


# --- Nothing edits or deletes an entry --------------------------------------------------------


def test_an_entry_cannot_be_edited(cast, garden_room):
    mutes(cast, garden_room, 1)
    entry = AuditEntry.objects.get()
    entry.action = "pin"
    with pytest.raises(PermissionError):
        entry.save()
    assert AuditEntry.objects.get().action == "mute"


def test_an_entry_cannot_be_deleted(cast, garden_room):
    mutes(cast, garden_room, 1)
    with pytest.raises(PermissionError):
        AuditEntry.objects.get().delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.count() == 1
