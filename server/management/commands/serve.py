"""``linli serve``: HTTP and WebSockets with daphne, in this process."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

#: The ASGI application daphne serves.
APPLICATION = "server.asgi:application"


#: Connections the kernel holds for the worker to accept (Twisted's default is 50). When
#: thousands of clients reconnect at once, a full queue makes the kernel drop their handshakes
#: half-done and reset them later; queued instead, they wait their turn (``serving.admission``).
LISTEN_BACKLOG = 1024


#: Seconds a handshake may wait for its turn before daphne drops it (daphne's default is 5, and
#: it resets the connection). In a storm of reconnects a handshake waits behind those that came
#: first (``serving.admission``): resetting it after 5 s only makes the client start over later.
HANDSHAKE_TIMEOUT_S = 30


def listen_endpoint(host: str, port: int, backlog: int = LISTEN_BACKLOG) -> str:
    """Daphne's (Twisted's) endpoint string for a TCP listener with a deep accept queue."""
    interface = host.replace(":", "\\:")  # an IPv6 address's colons are escaped
    return f"tcp:port={port}:interface={interface}:backlog={backlog}"


def daphne_args(host: str, port: int, *, access_log: bool, proxy_headers: bool) -> list[str]:
    """Daphne's command line for these options.

    Verbosity stays 0: daphne turns its access log on at verbosity 1, and without --access-log
    there must be none. With it, ``-`` (stdout) goes through ``RedactingServer``.
    """
    args = ["-e", listen_endpoint(host, port), "-v", "0"]
    args += ["--websocket_connect_timeout", str(HANDSHAKE_TIMEOUT_S)]
    if access_log:
        args += ["--access-log", "-"]
    if proxy_headers:
        args.append("--proxy-headers")
    return [*args, APPLICATION]


class Command(BaseCommand):
    help = (
        "Serve Linli (HTTP and WebSockets) with daphne. The access log is off by default; "
        "--access-log writes it to stdout with token= and other credentials in URLs redacted."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--port", type=int, default=8000, help="port (8000)")
        parser.add_argument(
            "--access-log", action="store_true", help="log requests to stdout (secrets redacted)"
        )
        parser.add_argument(
            "--proxy-headers",
            action="store_true",
            help="take the client address from X-Forwarded-For: only behind a proxy such as "
            "nginx that sets it, and with the port closed to everyone else",
        )

    def handle(
        self, *args, host: str, port: int, access_log: bool, proxy_headers: bool, **options
    ) -> None:
        collect_static_if_needed()
        self.stdout.write(f"Linli serving on http://{host}:{port}/  (Ctrl-C to stop)")
        self.stdout.flush()
        run_daphne(
            daphne_args(host, port, access_log=access_log, proxy_headers=proxy_headers),
            facing_clients=not proxy_headers,
        )


def collect_static_if_needed() -> None:
    """With DEBUG, servestatic serves straight from the finders; otherwise it serves
    STATIC_ROOT, which must exist."""
    if not settings.DEBUG and not (
        settings.STATIC_ROOT.exists() and any(settings.STATIC_ROOT.iterdir())
    ):
        call_command("collectstatic", interactive=False, verbosity=0)


def run_daphne(argv: list[str], *, facing_clients: bool) -> None:
    """Run daphne in this process; a worker facing clients (no proxy in front) guards its plain
    HTTP itself (``serving.http_guard``: body size, header time, pipelined answers)."""
    # Imported here: daphne.server installs Twisted's asyncio reactor on import.
    from serving import http_guard
    from serving.accesslog import RedactingServer
    from serving.compat import daphne as compat_daphne

    if facing_clients:
        http_guard.install()
    compat_daphne.command_line(RedactingServer).run(argv)
