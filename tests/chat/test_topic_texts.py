"""A topic room's name, description and category go through Linli's text rules over HTTP."""

import pytest
from django.test import Client

from chat.models import Room
from community.tokens import issue_token


@pytest.fixture
def create_topic(cast):
    client = Client()
    headers = {"Authorization": f"Bearer {issue_token(cast.moderator)}"}

    def create(**fields):
        body = {"name": "旧物交换", "category": "闲置物品", **fields}
        return client.post("/api/v1/topics", body, headers=headers, content_type="application/json")

    return create


def refused(response) -> bool:
    return response.status_code == 400 and response.json()["error"]["code"] == "invalid"


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "旧物\x00交换"},
        {"description": "说明\x00"},
        {"category": "闲置\x00物品"},
        {"name": "\u200b\u200b"},
        {"name": "\u3164"},
        {"name": "旧物\n交换"},
        {"name": "\x1b[5m旧物交换"},
        {"description": "说明\x1b[2J"},
    ],
    ids=repr,
)
def test_a_topic_with_bad_text_is_invalid_and_not_created(create_topic, fields):
    before = Room.objects.count()
    assert refused(create_topic(**fields))
    assert Room.objects.count() == before


def test_bidi_controls_are_removed_from_a_topic_name(create_topic):
    response = create_topic(name="旧物\u202e交换")
    assert response.status_code == 201 and response.json()["name"] == "旧物交换"


def test_a_topic_description_keeps_its_lines(create_topic):
    response = create_topic(description="周六上午\n3号楼门口")
    assert response.json()["description"] == "周六上午\n3号楼门口"
