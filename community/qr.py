"""The invite poster: a QR code of the join URL that a 居委 prints and pins up in the lobby.

Rendered locally with segno (no network, no Pillow): the SVG poster carries the community's name,
the QR code, the code in letters and the URL; the PNG is the bare QR code, for chat apps and slides.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from django.conf import settings
from django.utils.translation import gettext as _

from community.models import InviteCode

#: Pixels per QR module: 10 makes a ~370 px PNG that stays sharp on a phone screen.
PNG_SCALE = 10
SVG_SCALE = 8
POSTER_WIDTH = 420
_FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"


def join_url(code: str) -> str:
    """``{LINLI_PUBLIC_URL}/join/<code>``: the browser registration page."""
    return f"{settings.LINLI_PUBLIC_URL.rstrip('/')}/join/{code}"


def _qr(code: str) -> segno.QRCode:
    # Level M survives a smudged or partly torn poster (15 % damage) and keeps the code small.
    return segno.make(join_url(code), error="m", micro=False)


def qr_png(invite: InviteCode) -> bytes:
    buffer = io.BytesIO()
    _qr(invite.code).save(buffer, kind="png", scale=PNG_SCALE, border=4)
    return buffer.getvalue()


def poster_svg(invite: InviteCode) -> bytes:
    """A printable poster: title, community, QR code, the code and the URL."""
    qr = _qr(invite.code)
    size = qr.symbol_size(scale=SVG_SCALE, border=2)[0]
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=SVG_SCALE, border=2, xmldecl=False, svgns=True)
    qr_svg = buffer.getvalue().decode()
    x = (POSTER_WIDTH - size) // 2
    height = size + 210
    title = escape(_("扫码加入邻里"))
    community = escape(invite.community.name)
    hint = escape(_("实名申请，居委审核后即可进入小区群"))
    code = escape(invite.code)
    url = escape(join_url(invite.code))
    text = f'font-family="{_FONT}" text-anchor="middle" fill="#222"'
    mid = POSTER_WIDTH // 2
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{POSTER_WIDTH}" height="{height}" '
        f'viewBox="0 0 {POSTER_WIDTH} {height}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<text x="{mid}" y="48" font-size="28" font-weight="bold" {text}>{title}</text>'
        f'<text x="{mid}" y="86" font-size="22" {text}>{community}</text>'
        f'<g transform="translate({x},106)">{qr_svg}</g>'
        f'<text x="{mid}" y="{size + 140}" font-size="15" {text}>{hint}</text>'
        f'<text x="{mid}" y="{size + 170}" font-size="18" font-family="monospace" '
        f'text-anchor="middle" letter-spacing="2">{code}</text>'
        f'<text x="{mid}" y="{size + 194}" font-size="11" {text}>{url}</text>'
        f"</svg>\n"
    ).encode()


def write_poster(invite: InviteCode, out_dir: Path) -> tuple[Path, Path]:
    """Write ``invite-<code>.svg`` (the poster) and ``invite-<code>.png`` (the QR code)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    svg_path = out_dir / f"invite-{invite.code}.svg"
    png_path = out_dir / f"invite-{invite.code}.png"
    svg_path.write_bytes(poster_svg(invite))
    png_path.write_bytes(qr_png(invite))
    return svg_path, png_path
