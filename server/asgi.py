"""The ASGI application: Django for HTTP, Linli's consumer for ``/ws/v1``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from chat.consumers import ChatConsumer  # noqa: E402
from serving import compat, daphne_server, heap, teardown  # noqa: E402

# Before anything is changed: a library release that lacks what serving/compat/ reaches into
# stops the worker here, naming it (also when daphne is started without `linli serve`).
compat.require()
daphne_server.defer_log_text()
daphne_server.spread_timeout_checks()
teardown.install()

#: The chat socket's one path (docs/protocol.md); authenticated by the consumer at the handshake.
CHAT_PATH = "/ws/v1"


async def application(scope, receive, send):
    """HTTP to Django, the chat socket to its consumer; any other WebSocket path is refused.

    Routed here rather than by Channels' ``ProtocolTypeRouter`` and ``URLRouter``: both stay in
    every socket's call stack for as long as it is open, the second with its own copy of the
    scope, which for one fixed path was about 1 KiB of every connection.
    """
    if scope["type"] != "websocket":
        return await django_asgi_app(scope, receive, send)
    if _path(scope) == CHAT_PATH:
        return await ChatConsumer()(scope, receive, send)
    return await _refuse(receive, send)


def _path(scope) -> str:
    """The path below the server's root path (``daphne --root-path``, as URLRouter reads it)."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


async def _refuse(receive, send) -> None:
    """Close the handshake of an unknown WebSocket path (the client sees HTTP 403)."""
    if (await receive())["type"] == "websocket.connect":
        await send({"type": "websocket.close"})


# Everything loaded so far lives as long as the process: collections need never walk it again.
heap.freeze_loaded()
