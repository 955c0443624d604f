"""Linli's shared text rules (``core.text``) and the display-name rule (``core.policy``).

Every text field, over HTTP and over the socket, goes through these rules; the tests of each door
(tests/community/test_text_inputs.py, tests/chat/test_topic_texts.py, the protocol's) show that it
does.
"""

import pytest

from core import policy, text
from core.roles import Role

NAME = {"field": "display_name", "limit": 40}


@pytest.mark.parametrize(
    "raw",
    [
        "\u200b\u200b",  # zero-width spaces only
        "\u3164",  # Hangul filler
        "\u2800\u115f",  # blank braille pattern + Hangul choseong filler
        "\u200e \u200f",  # direction marks and a space
        "\ufe0f",  # a variation selector alone
    ],
    ids=repr,
)
def test_a_name_of_only_invisible_characters_is_refused(raw):
    with pytest.raises(text.TextError):
        text.name(raw, **NAME)


@pytest.mark.parametrize(
    "raw", ["小林\x1b[31m", "小\n林", "小林\r", "小林\x00", "\x85小林"], ids=repr
)
def test_a_name_with_a_control_character_is_refused(raw):
    with pytest.raises(text.TextError):
        text.name(raw, **NAME)


@pytest.mark.parametrize("control", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066"])
def test_bidi_controls_are_removed_from_names(control):
    assert text.name(f"居委{control}记书李", **NAME) == "居委记书李"


def test_combining_marks_on_a_name_are_capped():
    assert text.name("q" + "\u0301" * 16, **NAME) == "q" + "\u0301" * text.MAX_COMBINING_MARKS


def test_a_name_keeps_an_emoji_zwj_sequence():
    assert text.name("小林👨\u200d👩\u200d👧", **NAME) == "小林👨\u200d👩\u200d👧"


@pytest.mark.parametrize("raw", ["\u3164", "\u2800\u115f", "\u200e", "\u200b \u3000"], ids=repr)
def test_a_line_of_only_invisible_characters_is_blank(raw):
    assert text.line(raw, field="title", limit=100) is None


def test_a_paragraph_keeps_newlines_and_refuses_other_controls():
    assert text.paragraph("第一行\n第二行", field="reason", limit=100) == "第一行\n第二行"
    with pytest.raises(text.TextError):
        text.paragraph("原因\x1b[2J", field="reason", limit=100)


@pytest.mark.parametrize("rule", [text.token, text.line, text.name, text.paragraph])
def test_nul_is_refused_by_every_rule(rule):
    with pytest.raises(text.TextError):
        rule("AB\x00CD", field="f", limit=100)


def test_folding_sees_through_spaces_punctuation_invisibles_and_full_width():
    assert text.fold("书 记") == text.fold("书-记") == text.fold("书\u200b记") == "书记"
    assert text.fold("ＡＢＣ") == "abc"


@pytest.mark.parametrize(
    ("role", "name", "allowed"),
    [
        (Role.RESIDENT, "李书记", False),
        (Role.RESIDENT, "居委\u202e记书李", False),
        (Role.RESIDENT, "书 记 老 王", False),
        (Role.RESIDENT, "王主任", False),
        (Role.RESIDENT, "社区民警小何", False),
        (Role.RESIDENT, "物业小沈", False),
        (Role.RESIDENT, "業委會老錢", False),
        (Role.MODERATOR, "居委老周", False),
        (Role.RESIDENT, "楼组长老周", True),
        (Role.RESIDENT, "3号楼王阿姨", True),
        (Role.CADRE, "李书记", True),
        (Role.POLICE, "社区民警何警官", True),
        (Role.PROPERTY, "物业小沈", True),
        (Role.OWNERS_COMMITTEE, "业委会钱主任", True),
    ],
)
def test_only_officials_may_take_an_official_title_as_display_name(role, name, allowed):
    assert policy.may_take_display_name(role, name) is allowed
