"""What a person is in their community, and what they are in a room: the names the rules read.

Plain string enums, so the rulebook (``core.policy``) and its table test need no app; the
community and chat models build their database choices from these values.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a person is in their community (DESIGN.md's table)."""

    RESIDENT = "resident"  # 居民
    CADRE = "cadre"  # 居委干部
    MODERATOR = "moderator"  # 居民版主
    OWNERS_COMMITTEE = "owners_committee"  # 业委会
    PROPERTY = "property"  # 物业
    POLICE = "police"  # 社区民警
    OBSERVER = "observer"  # 街镇/区 观察员


#: Roles that may knock across their whole community and whose messages carry their role.
OFFICIAL_ROLES = frozenset({Role.CADRE, Role.PROPERTY, Role.POLICE, Role.OWNERS_COMMITTEE})
#: Roles seated in the coordination room (五位一体).
COORDINATION_ROLES = frozenset({Role.CADRE, Role.OWNERS_COMMITTEE, Role.PROPERTY, Role.POLICE})
#: Roles whose messages show the role as a badge (党员亮身份 adds ``party`` for party members).
BADGE_ROLES = OFFICIAL_ROLES | {Role.MODERATOR}


def badges(role: str, party_member: bool) -> list[str]:
    """党员亮身份: party members carry ``party``; officials and moderators carry their role."""
    return (["party"] if party_member else []) + ([role] if role in BADGE_ROLES else [])


class Rank(StrEnum):
    """What a person is in one room."""

    MEMBER = "member"  # 成员
    MODERATOR = "moderator"  # 版主
    OWNER = "owner"  # 群主


#: Ranks that moderate their room.
MODERATOR_RANKS = frozenset({Rank.OWNER, Rank.MODERATOR})
