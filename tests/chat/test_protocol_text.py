"""Text rules on the wire, as a specification: BAD-INPUTS C1–C3, C5, C6; titles, mentions.

Pure unit tests: no database, no sockets; each runs once per encoding (``wire``) where it applies.
"""

from __future__ import annotations

import pytest

from chat.protocol import (
    MAX_BODY_CHARS,
    MAX_COMBINING_MARKS,
    MAX_ID_CHARS,
    MAX_TITLE_CHARS,
    ErrorCode,
    decode,
    encode_both,
    error_from,
)
from tests.chat.wire import (
    JSON,
    accepted,
    read,
    refused,
    refused_obj,
    send,
)

# --- C1: body emptiness and length ---------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    ["", " ", "\n\t ", "\u3000\u3000", "\u200b", " \u200d\ufeff ", "\u202e", "\u2060\n"],
    ids=["empty", "space", "whitespace", "ideographic-space", "zwsp", "zero-width", "rlo", "wj"],
)
def test_blank_body_is_invalid(body, wire):
    err = refused_obj(send(body=body), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


@pytest.mark.parametrize("char", ["汉", "😀", "a"], ids=["hanzi", "emoji", "ascii"])
def test_body_of_exactly_the_limit_in_characters_is_accepted(char, wire):
    body = char * MAX_BODY_CHARS
    assert accepted(send(body=body), wire).body == body


@pytest.mark.parametrize("char", ["汉", "😀", "a"], ids=["hanzi", "emoji", "ascii"])
def test_body_one_character_over_the_limit_is_invalid(char, wire):
    err = refused_obj(send(body=char * (MAX_BODY_CHARS + 1)), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


def test_body_length_is_counted_after_stripping(wire):
    body = "  \n" + "汉" * MAX_BODY_CHARS + "\u3000 "
    assert accepted(send(body=body), wire).body == "汉" * MAX_BODY_CHARS


def test_body_length_is_counted_after_nfc(wire):
    decomposed = "e\u0301" * MAX_BODY_CHARS  # 8,000 code points, 4,000 after NFC
    assert accepted(send(body=decomposed), wire).body == "\u00e9" * MAX_BODY_CHARS


def test_body_is_stripped_of_surrounding_whitespace(wire):
    assert accepted(send(body="\n  早上好，邻居们！ \u3000"), wire).body == "早上好，邻居们！"


def test_body_keeps_inner_whitespace_and_newlines(wire):
    assert accepted(send(body="第一行\n\n第二行  结束"), wire).body == "第一行\n\n第二行  结束"


def test_body_must_be_a_string(wire):
    err = refused_obj(send(body=["hi"]), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


# --- C2: NUL -------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["\x00", "a\x00b", "你好\x00"])
def test_body_with_nul_is_invalid(body, wire):
    err = refused_obj(send(body=body), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


def test_title_with_nul_is_invalid(wire):
    err = refused_obj({"type": "pin", "room": 1, "seq": 1, "title": "a\x00"}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


# --- C3: lone surrogates (JSON can carry them as escapes; msgpack cannot) ------------------------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"type":"send","room":1,"client_id":"c","body":"\\ud800"}', "body"),
        ('{"type":"send","room":1,"client_id":"c","body":"hi \\udfff there"}', "body"),
        ('{"type":"send","room":1,"client_id":"\\ud83d","body":"hi"}', "client_id"),
        ('{"type":"edit","room":1,"seq":1,"body":"\\ud800"}', "body"),
        ('{"type":"knock","user":1,"client_id":"k","body":"\\ud800"}', "body"),
        ('{"type":"pin","room":1,"seq":1,"title":"\\ud800"}', "title"),
        ('{"type":"promote","room":1,"seq":1,"title":"t","category":"\\udc00"}', "category"),
        ('{"type":"ping","ref":"\\ud800"}', "ref"),
    ],
)
def test_lone_surrogate_in_a_text_field_is_invalid(text, field):
    err = refused(text, JSON)
    assert (err.code, err.field) == (ErrorCode.INVALID, field)


def test_error_for_a_surrogate_ref_does_not_echo_it_and_can_be_sent_as_msgpack():
    err = refused('{"type":"ping","ref":"\\ud800"}', JSON)
    assert err.ref is None
    encode_both(error_from(err))


def test_surrogate_pair_escape_is_a_real_character():
    frame = decode('{"type":"send","room":1,"client_id":"c","body":"\\ud83d\\ude00"}', JSON)
    assert frame.body == "😀"


# --- C5: bidi controls, zero-width characters, combining marks -----------------------------------


BIDI_CONTROLS = [chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]


@pytest.mark.parametrize("control", BIDI_CONTROLS, ids=lambda c: f"U+{ord(c):04X}")
def test_bidi_controls_are_removed_from_bodies(control, wire):
    assert accepted(send(body=f"invoice{control}fdp.exe"), wire).body == "invoicefdp.exe"


def test_bidi_marks_stay_in_bodies(wire):
    body = "שלום\u200f abc \u200e"
    assert accepted(send(body=body), wire).body == body.strip()


def test_bidi_controls_are_removed_from_titles(wire):
    frame = accepted({"type": "pin", "room": 1, "seq": 1, "title": "停车\u202e议题"}, wire)
    assert frame.title == "停车议题"


def test_zero_width_joiner_sequences_are_kept(wire):
    family = "👨\u200d👩\u200d👧\u200d👦"
    assert accepted(send(body=f"全家福 {family}"), wire).body == f"全家福 {family}"


def test_long_runs_of_combining_marks_are_cut_to_the_limit(wire):
    body = "Z" + "\u0336" * 500 + "algo"
    expected = "Z" + "\u0336" * MAX_COMBINING_MARKS + "algo"
    assert accepted(send(body=body), wire).body == expected


def test_short_runs_of_combining_marks_are_untouched(wire):
    body = "Tiếng Việt · नमस्ते · x" + "\u0301\u0302\u0303"
    assert accepted(send(body=body), wire).body == body


def test_body_is_nfc_normalised(wire):
    assert accepted(send(body="Cafe\u0301"), wire).body == "Caf\u00e9"


def test_a_long_zwj_emoji_string_is_judged_by_its_length(wire):
    err = refused_obj(send(body="👨\u200d" * 5000), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")


def test_markup_in_a_body_is_kept_as_text(wire):
    body = "<script>alert(1)</script><img src=x onerror=alert(1)> [x](javascript:alert(1))"
    assert accepted(send(body=body), wire).body == body


# --- C6: client_id and ref -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "client_id",
    [
        "",
        "x" * (MAX_ID_CHARS + 1),
        "x" * 10_000,
        "a\x00b",
        "a\nb",
        "\x1b[31m",
        "a\u200bb",
        "\u202eabc",
        "a\u3000b",
        5,
        True,
        None,
    ],
    ids=repr,
)
def test_bad_client_id_is_invalid(client_id, wire):
    err = refused_obj(send(client_id=client_id), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "client_id")


@pytest.mark.parametrize(
    "client_id",
    ["0b9f4c1e-6f2a-4f5e-9d3b-2a7c8e1f0a11", "x" * MAX_ID_CHARS, "手机-1", "web 1"],
)
def test_good_client_id_is_kept_exactly(client_id, wire):
    assert accepted(send(client_id=client_id), wire).client_id == client_id


def test_ref_of_ten_kilobytes_is_invalid_and_not_echoed(wire):
    err = refused_obj(read(ref="r" * 10_000), wire)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "ref", None)


def test_ref_one_over_the_limit_is_invalid(wire):
    err = refused_obj(read(ref="r" * (MAX_ID_CHARS + 1)), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "ref")


@pytest.mark.parametrize("ref", ["", "a\tb", "a\x00b", "\u200b"], ids=repr)
def test_short_bad_string_ref_is_invalid_but_echoed(ref, wire):
    err = refused_obj(read(ref=ref), wire)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "ref", ref)


@pytest.mark.parametrize("ref", [5, True, [], {"a": 1}], ids=repr)
def test_non_string_ref_is_invalid_and_not_echoed(ref, wire):
    err = refused_obj(read(ref=ref), wire)
    assert (err.code, err.field, err.ref) == (ErrorCode.INVALID, "ref", None)


def test_ref_is_carried_into_the_frame(wire):
    assert accepted(read(ref="x" * MAX_ID_CHARS), wire).ref == "x" * MAX_ID_CHARS


# --- Titles, categories, mentions ----------------------------------------------------------------


def test_pin_without_title_has_none(wire):
    assert accepted({"type": "pin", "room": 1, "seq": 2}, wire).title is None


def test_pin_with_blank_title_has_none(wire):
    assert accepted({"type": "pin", "room": 1, "seq": 2, "title": " \u3000"}, wire).title is None


def test_title_over_the_limit_is_invalid(wire):
    err = refused_obj(
        {"type": "pin", "room": 1, "seq": 2, "title": "题" * (MAX_TITLE_CHARS + 1)}, wire
    )
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


def test_title_with_a_newline_is_invalid(wire):
    err = refused_obj({"type": "pin", "room": 1, "seq": 2, "title": "一\n二"}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


def test_promote_without_title_is_invalid(wire):
    err = refused_obj({"type": "promote", "room": 1, "seq": 2, "title": "  "}, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "title")


def test_promote_category_over_its_limit_is_invalid(wire):
    obj = {"type": "promote", "room": 1, "seq": 2, "title": "电梯故障", "category": "类" * 21}
    err = refused_obj(obj, wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "category")


def test_send_mentions_become_a_tuple_without_duplicates(wire):
    assert accepted(send(mentions=[3, 5, 3]), wire).mentions == (3, 5)


@pytest.mark.parametrize("mentions", [[0], ["3"], [True], 3, list(range(1, 22))], ids=repr)
def test_bad_send_mentions_are_invalid(mentions, wire):
    err = refused_obj(send(mentions=mentions), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "mentions")


@pytest.mark.parametrize(
    "body", ["\u3164", "\u2800\u115f", "\u200e", "\u200b\u3000\ufeff", "\u2800 \u3164"], ids=repr
)
def test_a_body_of_only_invisible_characters_is_empty(body, wire):
    err = refused_obj(send(body=body), wire)
    assert (err.code, err.field) == (ErrorCode.INVALID, "body")
