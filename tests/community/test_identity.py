"""GB 11643-1999 ID numbers, phones, and how they are kept (hashed and masked, never clear)."""

import datetime

import pytest
from django.test import override_settings

from community.identity import (
    check_id_number,
    hash_id_number,
    id_check_char,
    id_number_problem,
    is_valid_id_number,
    is_valid_phone,
    make_id_number,
    mask_id_number,
    mask_phone,
)
from core.errors import ActionError, ErrorCode

# The standard's worked example: weights × digits = 189, 189 mod 11 = 2 → check character X.
EXAMPLE_X = "11010519491231002X"
# 11010119900307 876 → weighted sum 256, 256 mod 11 = 3 → check character 9.
EXAMPLE_DIGIT = "110101199003078769"


def test_a_number_with_the_right_check_digit_is_valid():
    assert is_valid_id_number(EXAMPLE_DIGIT)


def test_check_character_x_is_accepted():
    assert id_check_char(EXAMPLE_X[:17]) == "X"
    assert is_valid_id_number(EXAMPLE_X)


def test_lowercase_x_and_full_width_digits_are_normalised():
    assert check_id_number(EXAMPLE_X.lower()) == EXAMPLE_X
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in EXAMPLE_DIGIT)
    assert check_id_number(full_width) == EXAMPLE_DIGIT


def test_a_wrong_check_digit_is_refused():
    wrong = EXAMPLE_DIGIT[:17] + "5"
    assert not is_valid_id_number(wrong)
    assert "校验位" in str(id_number_problem(wrong))


def test_a_changed_digit_in_the_body_is_caught_by_the_check_digit():
    assert not is_valid_id_number("110101199003078169")


def test_an_impossible_birth_date_is_refused():
    first17 = "11010519490230002"  # 30 February
    assert "出生日期" in str(id_number_problem(first17 + id_check_char(first17)))


def test_a_birth_date_in_the_future_is_refused():
    future = datetime.date.today() + datetime.timedelta(days=400)
    assert "出生日期" in str(id_number_problem(make_id_number("310113", future, 1)))


@pytest.mark.parametrize("value", ["", "11010519491231002", "11010519491231002X1", "110105194912"])
def test_a_number_of_the_wrong_length_is_refused(value):
    assert "18" in str(id_number_problem(value))


def test_letters_other_than_a_final_x_are_refused():
    assert not is_valid_id_number("1101051949123100X2")
    assert not is_valid_id_number("11010519491231002A")


def test_check_id_number_raises_invalid_naming_the_field():
    with pytest.raises(ActionError) as caught:
        check_id_number(EXAMPLE_DIGIT[:17] + "0")
    assert caught.value.code == ErrorCode.INVALID
    assert caught.value.extra["field"] == "id_number"


def test_generated_demo_numbers_are_valid():
    assert is_valid_id_number(make_id_number("310113", datetime.date(1988, 8, 8), 123))


def test_the_id_hash_is_a_keyed_hmac_not_a_plain_hash():
    digest = hash_id_number(EXAMPLE_X)
    assert len(digest) == 64 and EXAMPLE_X not in digest
    with override_settings(LINLI_ID_HASH_KEY="another-key"):
        assert hash_id_number(EXAMPLE_X) != digest


def test_the_id_hash_ignores_case_of_x():
    assert hash_id_number(EXAMPLE_X.lower()) == hash_id_number(EXAMPLE_X)


def test_the_masked_id_keeps_the_first_and_last_four():
    assert mask_id_number("310113199001011234") == "3101**********1234"


@pytest.mark.parametrize(
    "phone", ["13812345678", "19912345678", "+86 138 1234 5678", "138-1234-5678"]
)
def test_mainland_mobile_numbers_are_valid(phone):
    assert is_valid_phone(phone)


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "138123456789", "021-12345678", ""])
def test_other_numbers_are_not_mobile_numbers(phone):
    assert not is_valid_phone(phone)


def test_the_masked_phone_hides_the_middle_four():
    assert mask_phone("13812345678") == "138****5678"
