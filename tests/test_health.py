"""``GET /api/v1/health`` (docs/protocol.md): 200 when the database and the channel layer answer."""

import pytest

from chat import broadcast


@pytest.mark.django_db(transaction=True)  # the view closes connections, as under ASGI
def test_health_is_ok_when_database_and_layer_answer(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "channel_layer": True}


@pytest.mark.django_db(transaction=True)  # the view closes connections, as under ASGI
def test_health_is_503_when_the_layer_does_not_answer(client, monkeypatch):
    async def silent():
        raise ConnectionError("redis is down")

    monkeypatch.setattr("server.health.layer_round_trip", silent)
    response = client.get("/api/v1/health")
    assert response.status_code == 503 and response.json()["channel_layer"] is False


def test_health_probe_reuses_its_channel():
    assert broadcast._Probe().channel is None  # made on first use, then kept per event loop
