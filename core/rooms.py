"""The kinds of room and how they are joined: the values the rules read of a room."""

from __future__ import annotations

from enum import StrEnum


class RoomKind(StrEnum):
    NEIGHBOURHOOD = "neighbourhood"  # 小区群 (or the community-wide room)
    TOPIC = "topic"  # 专题公共群
    DIRECT = "direct"  # 敲门
    COORDINATION = "coordination"  # 五位一体
    WORK = "work"  # 工作群: 党员群, 居委工作群


class JoinPolicy(StrEnum):
    AUTOMATIC = "automatic"  # membership follows from role or address
    OPEN = "open"
    APPROVAL = "approval"
    INVITE = "invite"  # direct rooms: the two people only


class WorkGroup(StrEnum):
    NONE = ""
    PARTY = "party"  # 党员群
    STAFF = "staff"  # 居委工作群


#: Rooms an observer may read in the communities under them (观察权限).
PUBLIC_ROOM_KINDS = frozenset({RoomKind.NEIGHBOURHOOD, RoomKind.TOPIC})
#: Rooms whose membership follows from address and role; nobody joins or leaves them by choice.
AUTOMATIC_ROOM_KINDS = frozenset({RoomKind.NEIGHBOURHOOD, RoomKind.COORDINATION, RoomKind.WORK})
