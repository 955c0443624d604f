"""Invite codes: who may issue them, what they look like, the QR poster (command and HTTP)."""

import pytest
from django.core.management import call_command

from community import actions
from community.models import InviteCode
from core.errors import ActionError, ErrorCode
from core.policy import Actor
from tests.community.conftest import bearer, post_json


def test_a_cadre_issues_an_invite_code_for_their_community(cast):
    invite = actions.create_invite_code(Actor.of(cast.cadre), cast.community)
    assert invite.community == cast.community and invite.created_by == cast.cadre
    assert invite.is_valid()


def test_a_resident_may_not_issue_invite_codes(cast):
    with pytest.raises(ActionError) as caught:
        actions.create_invite_code(Actor.of(cast.resident), cast.community)
    assert caught.value.code == ErrorCode.FORBIDDEN
    assert not InviteCode.objects.exists()


def test_a_cadre_of_another_community_may_not_issue_invite_codes(cast):
    with pytest.raises(ActionError):
        actions.create_invite_code(Actor.of(cast.cadre), cast.other_community)


def test_invite_codes_are_long_random_and_unambiguous(cast):
    codes = {actions.create_invite_code(None, cast.community).code for _i in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert len(code) == 16 and set(code) <= set(actions.INVITE_ALPHABET)
        assert not set(code) & set("01OIL")


def test_the_command_prints_the_code_and_join_url_and_writes_the_poster(cast, tmp_path, settings):
    settings.LINLI_PUBLIC_URL = "https://linli.example.cn"
    out = _run("invite_code", "--community", str(cast.community.pk), "--out", str(tmp_path))
    invite = InviteCode.objects.get(community=cast.community)
    assert invite.code in out
    assert f"https://linli.example.cn/join/{invite.code}" in out
    svg = (tmp_path / f"invite-{invite.code}.svg").read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg and "长江路居委" in svg
    png = (tmp_path / f"invite-{invite.code}.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")


def test_the_command_sets_an_expiry_in_days(cast, tmp_path):
    _run(
        "invite_code",
        "--community",
        str(cast.community.pk),
        "--expires-days",
        "7",
        "--out",
        str(tmp_path),
    )
    invite = InviteCode.objects.get(community=cast.community)
    assert invite.expires_at is not None and invite.is_valid()


def test_a_cadre_downloads_the_poster_svg(api, cast, invite):
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite.svg", headers=bearer(cast.cadre)
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/svg+xml"
    assert invite.code in response.content.decode()


def test_a_cadre_downloads_the_qr_png(api, cast, invite):
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite.png", headers=bearer(cast.cadre)
    )
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_a_resident_cannot_download_the_poster(api, cast, invite):
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite.svg", headers=bearer(cast.resident)
    )
    assert response.status_code == 403


def test_the_current_code_is_the_newest_live_one(api, cast, invite):
    newer = actions.create_invite_code(None, cast.community)
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite", headers=bearer(cast.cadre)
    )
    assert response.json()["code"] == newer.code
    assert response.json()["url"].endswith(f"/join/{newer.code}")


def test_without_a_live_code_the_poster_is_404(api, cast):
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite.png", headers=bearer(cast.cadre)
    )
    assert response.status_code == 404


def test_a_cadre_issues_a_code_over_http(api, cast):
    response = post_json(
        api,
        f"/api/v1/communities/{cast.community.pk}/invites",
        {"expires_days": 30},
        headers=bearer(cast.cadre),
    )
    assert response.status_code == 201
    assert InviteCode.objects.get(code=response.json()["code"]).expires_at is not None


def _run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()
