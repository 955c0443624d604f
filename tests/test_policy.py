"""The rulebook's specification (core/policy.py): who may do what, to whom, in which room.

Plain values only — no database: one community with its people (``PEOPLE``), one room of each
kind (``ROOMS``), and every person's seat in each as the rules themselves decide it (automatic
rooms) or as the scene sets it (topic and direct rooms). Each table row is one act by one person
(or several: ``others`` is everyone not named under that act), with the answer in each kind of
room; each cell is one call of the rulebook, in the order the action makes its checks.
Answers: ``ok``; an error code (``forbidden``, ``not_member``, ``not_found``, ``invalid``,
``muted``); a join's outcome (``joined``, ``applied``, ``already``); ``yes``/``no``; ``-`` where
the act has no object (a message by someone who is not in that room).

The scene:

* ``nbhd``, the 小区群: the garden's room. Cadres own it, the resident moderator is its 版主,
  residents of the garden are members.
* ``open`` and ``approval``, topic rooms (专题公共群) joined at once or on approval: opened by
  the resident moderator (owner); every other person of the community is a member. ``join``
  and ``rejoin`` (after being removed) are asked as by someone not (or no longer) in it.
* ``direct`` (敲门): each person with a neighbour; ``blocked``'s neighbour has blocked them.
* ``coord`` (五位一体) and ``work`` (党员群) seat by role, as ``automatic_rank`` says.
* ``muted`` (a resident) and ``muted_mod`` (a resident moderator) are muted until lifted in
  every room they sit in.
* The observers: ``observer_in`` watches the community's street, ``observer_out`` another.
* ``court_resident`` lives in the community's other 小区; ``suspended`` is a resident whose
  account is no longer approved (still seated where the scene seats everyone).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from core import policy
from core.errors import ActionError, ErrorCode
from core.policy import Actor, Party, Place, RoomFacts, Seat
from core.roles import Rank, Role
from core.rooms import JoinPolicy, RoomKind, WorkGroup

NOW = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
COMMUNITY, OTHER_COMMUNITY = 1, 2
GARDEN, COURT = 11, 12
PLACE = Place(street_id=21, district_id=31)
ELSEWHERE_STREET = 22


def person(person_id: int, role: str = Role.RESIDENT, **fields) -> Actor:
    defaults = {
        "community_id": None if role == Role.OBSERVER else COMMUNITY,
        "party_member": False,
        "observer_street_id": None,
        "observer_district_id": None,
        "approved": True,
    }
    return Actor(person_id=person_id, role=role, **{**defaults, **fields})


PEOPLE: dict[str, Actor] = {
    "resident": person(1),
    "party_member": person(2, party_member=True),
    "moderator": person(3, Role.MODERATOR),
    "cadre": person(4, Role.CADRE),
    "owners": person(5, Role.OWNERS_COMMITTEE),
    "property": person(6, Role.PROPERTY),
    "police": person(7, Role.POLICE),
    "observer_in": person(8, Role.OBSERVER, observer_street_id=PLACE.street_id),
    "observer_out": person(9, Role.OBSERVER, observer_street_id=ELSEWHERE_STREET),
    "muted": person(10),
    "muted_mod": person(11, Role.MODERATOR),
    "blocked": person(12),
    "court_resident": person(13),
    "suspended": person(14, approved=False),
}
HOME = {name: GARDEN for name, a in PEOPLE.items() if a.role in (Role.RESIDENT, Role.MODERATOR)}
HOME["court_resident"] = COURT
MUTED = {"muted", "muted_mod"}
TOPIC_OWNER = "moderator"


def room(kind: str, **fields) -> RoomFacts:
    return RoomFacts(kind=kind, community_id=COMMUNITY, place=PLACE, **fields)


ROOMS: dict[str, RoomFacts] = {
    "nbhd": room(RoomKind.NEIGHBOURHOOD, neighbourhood_id=GARDEN),
    "open": room(RoomKind.TOPIC, join_policy=JoinPolicy.OPEN),
    "approval": room(RoomKind.TOPIC, join_policy=JoinPolicy.APPROVAL),
    "direct": room(RoomKind.DIRECT, join_policy=JoinPolicy.INVITE),
    "coord": room(RoomKind.COORDINATION),
    "work": room(RoomKind.WORK, work_group=WorkGroup.PARTY),
}
KINDS = list(ROOMS)


def rank_of(name: str, room_name: str) -> str | None:
    actor = PEOPLE[name]
    if actor.is_observer:
        return None
    if ROOMS[room_name].kind == RoomKind.TOPIC:
        return Rank.OWNER if name == TOPIC_OWNER else Rank.MEMBER
    if room_name == "direct":
        return Rank.MEMBER
    return policy.automatic_rank(party(name), ROOMS[room_name])


def seat_of(name: str, room_name: str) -> Seat | None:
    rank = rank_of(name, room_name)
    if rank is None:
        return None
    return Seat(rank, muted_forever=name in MUTED)


def party(name: str, room_name: str | None = None) -> Party:
    actor = PEOPLE[name]
    return Party(
        person_id=actor.person_id,
        role=actor.role,
        community_id=actor.community_id,
        approved=actor.approved,
        party_member=actor.party_member,
        neighbourhood_id=HOME.get(name),
        seat=seat_of(name, room_name) if room_name else None,
    )


def facts(name: str, room_name: str) -> RoomFacts:
    if room_name == "direct" and name == "blocked":
        return replace(ROOMS["direct"], blocked=True)
    return ROOMS[room_name]


# --- The acts, each as its action checks it ---------------------------------------------------


def read(name, r):
    policy.require_read_room(PEOPLE[name], facts(name, r), seat_of(name, r))


def send(name, r):
    read(name, r)
    policy.require_send(PEOPLE[name], facts(name, r), seat_of(name, r), NOW)


def typing(name, r):
    actor = PEOPLE[name]
    reads = policy.may_read_room(actor, facts(name, r), seat_of(name, r))
    policy.require_typing(actor, reads_room=reads)


def edit(name, r, *, sent_ago=timedelta(minutes=1)):
    read(name, r)
    policy.require_edit(
        PEOPLE[name],
        facts(name, r),
        seat_of(name, r),
        author_id=PEOPLE[name].person_id,
        sent_at=NOW - sent_ago,
        now=NOW,
    )


def edit_late(name, r):
    edit(name, r, sent_ago=policy.EDIT_WINDOW + timedelta(seconds=1))


def edit_others(name, r):
    read(name, r)
    other = "party_member" if name != "party_member" else "resident"
    policy.require_edit(
        PEOPLE[name],
        facts(name, r),
        seat_of(name, r),
        author_id=PEOPLE[other].person_id,
        sent_at=NOW,
        now=NOW,
    )


def delete(target):
    def act(name, r):
        read(name, r)
        author = party(target, r) if target != "self" else party(name, r)
        if author.seat is None:
            return "-"  # the author never wrote in this room
        return policy.require_delete(PEOPLE[name], seat_of(name, r), author)

    return act


def moderate(rule, target):
    """mute / unmute: the room's moderator first, then a member to act on, then whom."""

    def act(name, r):
        read(name, r)
        rank = rank_of(name, r)
        policy.require_moderate(PEOPLE[name], rank)
        subject = party(name if target == "self" else target, r)
        if subject.seat is None:
            raise ActionError(ErrorCode.NOT_FOUND, "not in the room")
        rule(PEOPLE[name], rank, subject)

    return act


def pin(name, r):
    read(name, r)
    policy.require_moderate(PEOPLE[name], rank_of(name, r))


def remove(target):
    def act(name, r):
        policy.require_see_topic(PEOPLE[name], ROOMS[r])
        subject = party(name if target == "self" else target, r)
        policy.require_remove(PEOPLE[name], rank_of(name, r), subject)

    return act


def join(name, r):
    return policy.join_outcome(PEOPLE[name], ROOMS[r], None, removed=False)


def rejoin(name, r):
    return policy.join_outcome(PEOPLE[name], ROOMS[r], None, removed=True)


def leave(name, r):
    policy.require_leave(PEOPLE[name], ROOMS[r], seat_of(name, r), other_owners=0)


def read_audit(name, r):
    policy.require_read_audit(PEOPLE[name], facts(name, r), seat_of(name, r))


ACTS = {
    "read": read,
    "send": send,
    "typing": typing,
    "edit": edit,
    "edit_late": edit_late,
    "edit_others": edit_others,
    "delete_own": delete("self"),
    "delete:resident": delete("resident"),
    "delete:moderator": delete("moderator"),
    "delete:property": delete("property"),
    "delete:cadre": delete("cadre"),
    "pin": pin,
    "mute:resident": moderate(policy.require_mute, "resident"),
    "mute:moderator": moderate(policy.require_mute, "moderator"),
    "mute:property": moderate(policy.require_mute, "property"),
    "mute:cadre": moderate(policy.require_mute, "cadre"),
    "mute:self": moderate(policy.require_mute, "self"),
    "unmute:muted": moderate(policy.require_act_on, "muted"),
    "unmute:muted_mod": moderate(policy.require_act_on, "muted_mod"),
    "unmute:self": moderate(policy.require_act_on, "self"),
    "remove:resident": remove("resident"),
    "remove:moderator": remove("moderator"),
    "remove:cadre": remove("cadre"),
    "remove:self": remove("self"),
    "join": join,
    "rejoin": rejoin,
    "leave": leave,
    "read_audit": read_audit,
}


def answer(act, name: str, room_name: str) -> str:
    try:
        outcome = act(name, room_name)
    except ActionError as refused:
        return str(refused.code)
    return outcome if isinstance(outcome, str) else "ok"


# --- Acts on a person, wherever they are (knocking, blocking, reviewing an application) ---------

NEIGHBOUR = Party(person_id=100, role=Role.RESIDENT, community_id=COMMUNITY)
TARGETS: dict[str, Party | None] = {
    "neighbour": NEIGHBOUR,
    "cadre": Party(person_id=PEOPLE["cadre"].person_id, role=Role.CADRE, community_id=COMMUNITY),
    "observer": Party(person_id=PEOPLE["observer_in"].person_id, role=Role.OBSERVER),
    "outsider": Party(person_id=101, role=Role.RESIDENT, community_id=OTHER_COMMUNITY),
    "unknown": None,  # no such person id
    "self": None,  # filled in with the actor
    "blocked": NEIGHBOUR,  # a block stands between the two
}
TARGET_COLUMNS = list(TARGETS)


def target(name: str, column: str) -> Party | None:
    return party(name) if column == "self" else TARGETS[column]


def knock(name, column):
    policy.require_knock(PEOPLE[name], target(name, column), blocked=column == "blocked")


def block(name, column):
    policy.require_block(PEOPLE[name], target(name, column))


def review(name, column):
    """Approve or reject the join application of that person (pending)."""
    applicant = target(name, column)
    policy.require_review_application(PEOPLE[name], applicant.community_id if applicant else None)


PERSON_ACTS = {"knock": knock, "block": block, "review": review}

# --- What a person may do or see at all --------------------------------------------------------

ANYWHERE_ACTS = {
    "create_topic": lambda name: policy.may_create_topic(PEOPLE[name]),
    "decline_a_knock": lambda name: policy.may_decline_knock(PEOPLE[name].role),
    "see_who_is_online": lambda name: policy.may_see_who(PEOPLE[name]),
    "seen_online": lambda name: policy.seen_online(PEOPLE[name]),
    "see_officials_online": lambda name: policy.may_see_officials_online(PEOPLE[name]),
}


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


# --- The tables -------------------------------------------------------------------------------
# A line with one word names an act; the lines below it say who gets which answer in each
# column. ``others``: everyone not named on another line of that act.

ROOM_TABLE = """
who                         nbhd       open       approval   direct     coord      work
read
  party_member              ok         ok         ok         ok         not_member ok
  cadre                     ok         ok         ok         ok         ok         ok
  owners,property,police    not_member ok         ok         ok         ok         not_member
  observer_in               ok         ok         ok         not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member ok         ok         ok         not_member not_member
  others                    ok         ok         ok         ok         not_member not_member
send
  resident,moderator        ok         ok         ok         ok         not_member not_member
  party_member              ok         ok         ok         ok         not_member ok
  cadre                     ok         ok         ok         ok         ok         ok
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted,muted_mod           muted      muted      muted      muted      not_member not_member
  blocked                   ok         ok         ok         forbidden  not_member not_member
  court_resident            not_member ok         ok         ok         not_member not_member
  others                    not_member ok         ok         ok         ok         not_member
typing
  party_member              ok         ok         ok         ok         not_member ok
  cadre                     ok         ok         ok         ok         ok         ok
  owners,property,police    not_member ok         ok         ok         ok         not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member ok         ok         ok         not_member not_member
  others                    ok         ok         ok         ok         not_member not_member
edit
  resident,moderator        ok         ok         ok         ok         not_member not_member
  party_member              ok         ok         ok         ok         not_member ok
  cadre                     ok         ok         ok         ok         ok         ok
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted,muted_mod           muted      muted      muted      muted      not_member not_member
  blocked                   ok         ok         ok         forbidden  not_member not_member
  court_resident            not_member ok         ok         ok         not_member not_member
  others                    not_member ok         ok         ok         ok         not_member
edit_late
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  cadre                     forbidden  forbidden  forbidden  forbidden  forbidden  forbidden
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted,muted_mod           muted      muted      muted      muted      not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
edit_others
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  cadre                     forbidden  forbidden  forbidden  forbidden  forbidden  forbidden
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
delete_own
  party_member              ok         ok         ok         ok         not_member ok
  cadre                     ok         ok         ok         ok         ok         ok
  owners,property,police    not_member ok         ok         ok         ok         not_member
  observer_in               -          -          -          not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member ok         ok         ok         not_member not_member
  others                    ok         ok         ok         ok         not_member not_member
delete:resident
  resident                  ok         ok         ok         ok         not_member not_member
  party_member              forbidden  forbidden  forbidden  forbidden  not_member -
  moderator                 ok         ok         ok         forbidden  not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  -          -
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted,blocked             forbidden  forbidden  forbidden  forbidden  not_member not_member
  muted_mod                 ok         forbidden  forbidden  forbidden  not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    not_member forbidden  forbidden  forbidden  -          not_member
delete:moderator
  party_member              forbidden  forbidden  forbidden  forbidden  not_member -
  moderator                 ok         ok         ok         ok         not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  -          -
  owners,property,police    not_member forbidden  forbidden  forbidden  -          not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
delete:property
  party_member              -          forbidden  forbidden  forbidden  not_member -
  cadre                     -          forbidden  forbidden  forbidden  ok         -
  owners,police             not_member forbidden  forbidden  forbidden  forbidden  not_member
  property                  not_member ok         ok         ok         ok         not_member
  observer_in               -          forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    -          forbidden  forbidden  forbidden  not_member not_member
delete:cadre
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  cadre                     ok         ok         ok         ok         ok         ok
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
pin
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator                 ok         ok         ok         forbidden  not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  ok         ok
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted_mod                 ok         forbidden  forbidden  forbidden  not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
mute:resident
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator                 ok         ok         ok         forbidden  not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  not_found  not_found
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted_mod                 ok         forbidden  forbidden  forbidden  not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
mute:moderator
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator                 invalid    invalid    invalid    forbidden  not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  not_found  not_found
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
mute:property
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator,muted_mod       not_found  forbidden  forbidden  forbidden  not_member not_member
  cadre                     not_found  forbidden  forbidden  forbidden  ok         not_found
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
mute:cadre
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  cadre                     invalid    forbidden  forbidden  forbidden  invalid    invalid
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
mute:self
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator                 invalid    invalid    invalid    forbidden  not_member not_member
  cadre                     invalid    forbidden  forbidden  forbidden  invalid    invalid
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted_mod                 invalid    forbidden  forbidden  forbidden  not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
unmute:muted
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator                 ok         ok         ok         forbidden  not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  not_found  not_found
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted_mod                 ok         forbidden  forbidden  forbidden  not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
unmute:muted_mod
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  cadre                     ok         forbidden  forbidden  forbidden  not_found  not_found
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
unmute:self
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  cadre                     forbidden  forbidden  forbidden  forbidden  forbidden  forbidden
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               forbidden  forbidden  forbidden  not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
remove:resident
  moderator                 not_found  ok         ok         not_found  not_found  not_found
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  forbidden  forbidden  not_found  not_found  not_found
remove:moderator
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  forbidden  forbidden  not_found  not_found  not_found
remove:cadre
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  forbidden  forbidden  not_found  not_found  not_found
remove:self
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  forbidden  forbidden  not_found  not_found  not_found
join
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  joined     applied    not_found  not_found  not_found
rejoin
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  applied    applied    not_found  not_found  not_found
leave
  moderator                 not_found  forbidden  forbidden  not_found  not_found  not_found
  observer_in,observer_out  not_found  not_found  not_found  not_found  not_found  not_found
  suspended                 not_found  not_found  not_found  not_found  not_found  not_found
  others                    not_found  ok         ok         not_found  not_found  not_found
read_audit
  party_member              forbidden  forbidden  forbidden  forbidden  not_member forbidden
  moderator                 ok         ok         ok         forbidden  not_member not_member
  cadre                     ok         forbidden  forbidden  forbidden  ok         ok
  owners,property,police    not_member forbidden  forbidden  forbidden  forbidden  not_member
  observer_in               ok         ok         ok         not_member not_member not_member
  observer_out,suspended    not_member not_member not_member not_member not_member not_member
  muted_mod                 ok         forbidden  forbidden  forbidden  not_member not_member
  court_resident            not_member forbidden  forbidden  forbidden  not_member not_member
  others                    forbidden  forbidden  forbidden  forbidden  not_member not_member
"""

PERSON_TABLE = """
who                         neighbour cadre     observer  outsider  unknown   self      blocked
knock
  cadre                     ok        invalid   not_found not_found not_found invalid   forbidden
  observer_in,observer_out  forbidden forbidden forbidden forbidden forbidden forbidden forbidden
  suspended                 forbidden forbidden forbidden forbidden forbidden forbidden forbidden
  others                    ok        ok        not_found not_found not_found invalid   forbidden
block
  cadre                     ok        invalid   invalid   invalid   invalid   invalid   ok
  observer_in,observer_out  invalid   invalid   invalid   invalid   invalid   invalid   invalid
  others                    ok        ok        invalid   invalid   invalid   invalid   ok
review
  cadre                     ok        ok        not_found not_found not_found ok        ok
  others                    forbidden forbidden forbidden forbidden forbidden forbidden forbidden
"""

ANYWHERE_TABLE = """
who                         answer
create_topic
  moderator,cadre,muted_mod yes
  others                    no
decline_a_knock
  cadre                     no
  others                    yes
see_who_is_online
  observer_in,observer_out  no
  others                    yes
seen_online
  observer_in,observer_out  no
  others                    yes
see_officials_online
  cadre,owners,property     yes
  police                    yes
  others                    no
"""


def rows(table: str, columns: list[str]) -> list:
    """(act, who, answers) for every person under every act of the table (a list: pytest 9
    refuses generators as parameter lists)."""
    header, *lines = (line.split() for line in table.strip().splitlines())
    assert header == ["who", *columns]
    acts: dict[str, dict[str, list[str]]] = {}
    for words in lines:
        if len(words) == 1:
            act = words[0]
            acts[act] = {}
        else:
            who, *answers = words
            assert len(answers) == len(columns), words
            for name in who.split(","):
                acts[act][name] = answers
    params = []
    for act, answers in acts.items():
        for name in PEOPLE:
            row = answers.get(name, answers.get("others"))
            assert row is not None, f"{act}: no answer for {name}"
            params.append(pytest.param(act, name, row, id=f"{act}-{name}"))
    return params


@pytest.mark.parametrize(("act", "who", "expected"), rows(ROOM_TABLE, KINDS))
def test_acts_in_rooms(act, who, expected):
    assert [answer(ACTS[act], who, room_name) for room_name in KINDS] == expected


@pytest.mark.parametrize(("act", "who", "expected"), rows(PERSON_TABLE, TARGET_COLUMNS))
def test_acts_on_a_person(act, who, expected):
    assert [answer(PERSON_ACTS[act], who, column) for column in TARGET_COLUMNS] == expected


@pytest.mark.parametrize(("act", "who", "expected"), rows(ANYWHERE_TABLE, ["answer"]))
def test_what_a_person_may_do_or_see_anywhere(act, who, expected):
    assert [yes_no(ANYWHERE_ACTS[act](who))] == expected


@pytest.mark.parametrize(
    ("table", "acts"),
    [(ROOM_TABLE, ACTS), (PERSON_TABLE, PERSON_ACTS), (ANYWHERE_TABLE, ANYWHERE_ACTS)],
)
def test_every_act_has_its_rows(table, acts):
    named = {line.strip() for line in table.strip().splitlines()[1:] if len(line.split()) == 1}
    assert named == set(acts)
