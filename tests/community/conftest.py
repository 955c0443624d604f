"""Fixtures for the community tests: an invite code, valid join input, HTTP helpers."""

from __future__ import annotations

import datetime
import itertools

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from community import actions
from community.identity import make_id_number
from community.tokens import issue_token
from core.policy import Actor

_ids = itertools.count(100)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Rate-limit counters live in the cache, which outlives a test's database."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _default_language():
    """LocaleMiddleware activates a request's language and never deactivates it: without this,
    an ``Accept-Language: en`` test would leave later tests (and other suites) in English."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


def new_id_number() -> str:
    """A valid, fictitious ID number, different each call."""
    n = next(_ids)
    return make_id_number("310113", datetime.date(1980 + n % 30, n % 12 + 1, n % 28 + 1), n)


@pytest.fixture
def invite(cast):
    return actions.create_invite_code(Actor.of(cast.cadre), cast.community)


@pytest.fixture
def join_input(cast, invite):
    """Keyword arguments of a valid ``do_apply`` call; tests change one thing."""

    def make(**changes) -> dict:
        n = next(_ids)
        values = {
            "invite_code": invite.code,
            "real_name": "林晓华",
            "id_number": new_id_number(),
            "phone": "13812345678",
            "neighbourhood_id": cast.garden.pk,
            "building": "3号楼",
            "unit": "2单元",
            "room_number": "501",
            "username": f"applicant{n}",
            "password": "bright-river-42",
            "display_name": "小林",
        }
        values.update(changes)
        return values

    return make


def api_join_body(values: dict) -> dict:
    """The HTTP body for ``POST /api/v1/join`` from ``do_apply`` keyword arguments."""
    body = dict(values)
    body["neighbourhood"] = body.pop("neighbourhood_id")
    body["room"] = body.pop("room_number")
    return body


def form_body(values: dict) -> dict:
    """The join page's form fields from ``do_apply`` keyword arguments (the code is in the URL)."""
    body = dict(values)
    body.pop("invite_code")
    return body


@pytest.fixture
def api():
    return Client()


def bearer(person) -> dict:
    return {"Authorization": f"Bearer {issue_token(person)}"}


def post_json(client: Client, url: str, body: dict | None = None, **kwargs):
    return client.post(url, body or {}, content_type="application/json", **kwargs)
