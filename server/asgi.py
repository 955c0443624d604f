"""The ASGI application: Django for HTTP, Linli's consumer for ``/ws/v1``."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application
from django.urls import path

django_asgi_app = get_asgi_application()

from chat.consumers import ChatConsumer  # noqa: E402
from server import heap  # noqa: E402
from server.community.ws_auth import LinliAuthMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": LinliAuthMiddleware(URLRouter([path("ws/v1", ChatConsumer.as_asgi())])),
    }
)

# Everything loaded so far lives as long as the process: collections need never walk it again.
heap.freeze_loaded()
