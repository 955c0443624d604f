"""Invite codes: who may issue them, what they look like, the QR poster (command and HTTP)."""

from datetime import timedelta

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


# --- Expiry, use limit, listing and revoking ---------------------------------------------------


def test_a_code_expires_after_thirty_days_unless_told_otherwise(cast):
    import time_machine
    from django.utils import timezone

    invite = actions.create_invite_code(None, cast.community)
    later = time_machine.travel(timezone.now() + timedelta(days=30, minutes=1))
    with later, pytest.raises(ActionError):
        actions.check_invite_code(invite.code)


def test_a_code_stops_after_its_use_limit(cast, join_input):
    invite = actions.create_invite_code(None, cast.community, max_uses=1)
    actions.do_apply(**join_input(invite_code=invite.code))
    with pytest.raises(ActionError) as caught:
        actions.do_apply(**join_input(invite_code=invite.code))
    assert caught.value.code == ErrorCode.NOT_FOUND
    invite.refresh_from_db()
    assert invite.uses == 1


def test_a_refused_application_uses_nothing(cast, join_input):
    invite = actions.create_invite_code(None, cast.community, max_uses=1)
    with pytest.raises(ActionError):
        actions.do_apply(**join_input(invite_code=invite.code, id_number="110101199003078760"))
    invite.refresh_from_db()
    assert invite.uses == 0 and invite.is_valid()


def test_a_revoked_code_stops_working_at_once(cast, invite):
    actions.do_revoke_invite(Actor.of(cast.cadre), cast.community.pk, invite.code)
    with pytest.raises(ActionError):
        actions.check_invite_code(invite.code)


def test_a_resident_may_not_revoke_codes(cast, invite):
    with pytest.raises(ActionError) as caught:
        actions.do_revoke_invite(Actor.of(cast.resident), cast.community.pk, invite.code)
    assert caught.value.code == ErrorCode.FORBIDDEN


def test_a_cadre_lists_and_revokes_codes_over_http(api, cast, invite):
    url = f"/api/v1/communities/{cast.community.pk}/invites"
    listed = api.get(url, headers=bearer(cast.cadre)).json()
    assert [(i["code"], i["valid"], i["uses"]) for i in listed] == [(invite.code, True, 0)]
    revoked = api.delete(f"{url}/{invite.code}", headers=bearer(cast.cadre))
    assert revoked.status_code == 200 and revoked.json()["revoked"] is True
    assert api.get(url, headers=bearer(cast.cadre)).json()[0]["valid"] is False


def test_a_code_issued_over_http_has_a_use_limit(api, cast):
    response = post_json(
        api,
        f"/api/v1/communities/{cast.community.pk}/invites",
        {"expires_days": 7, "max_uses": 40},
        headers=bearer(cast.cadre),
    )
    assert (response.json()["max_uses"], response.json()["uses"]) == (40, 0)


def test_the_command_lists_and_revokes_codes(cast, invite, tmp_path):
    community = str(cast.community.pk)
    assert f"{invite.code}  valid" in _run("invite_code", "--community", community, "--list")
    _run("invite_code", "--community", community, "--revoke", invite.code)
    assert f"{invite.code}  revoked" in _run("invite_code", "--community", community, "--list")


def test_the_poster_says_until_when_it_is_valid(api, cast, invite):
    from django.utils import timezone

    svg = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite.svg", headers=bearer(cast.cadre)
    ).content.decode()
    assert f"有效期至 {timezone.localtime(invite.expires_at):%Y-%m-%d %H:%M}" in svg


# --- Where the links point ------------------------------------------------------------------------


def test_without_a_public_url_links_name_the_address_served(api, cast, invite, settings):
    settings.LINLI_PUBLIC_URL = ""
    settings.ALLOWED_HOSTS = ["linli.lan"]
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite",
        headers=bearer(cast.cadre),
        HTTP_HOST="linli.lan:8600",
    )
    assert response.json()["url"] == f"http://linli.lan:8600/join/{invite.code}"
    svg = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite.svg",
        headers=bearer(cast.cadre),
        HTTP_HOST="linli.lan:8600",
    ).content.decode()
    assert f"http://linli.lan:8600/join/{invite.code}" in svg


def test_without_a_public_url_the_command_uses_the_development_address(cast, tmp_path, settings):
    settings.LINLI_PUBLIC_URL = ""
    out = _run("invite_code", "--community", str(cast.community.pk), "--out", str(tmp_path))
    assert "join URL:  http://127.0.0.1:8000/join/" in out


def test_a_public_url_wins_over_the_request(api, cast, invite, settings):
    settings.LINLI_PUBLIC_URL = "https://linli.example.cn/"
    response = api.get(
        f"/api/v1/communities/{cast.community.pk}/invite", headers=bearer(cast.cadre)
    )
    assert response.json()["url"] == f"https://linli.example.cn/join/{invite.code}"


def test_production_requires_a_public_url(settings):
    from server.checks import public_url_in_production

    settings.PRODUCTION, settings.LINLI_PUBLIC_URL = True, ""
    assert [e.id for e in public_url_in_production(None)] == ["linli.E020"]
    settings.LINLI_PUBLIC_URL = "https://linli.example.cn"
    assert public_url_in_production(None) == []
