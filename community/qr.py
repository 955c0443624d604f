"""What a 居委 prints: the invite poster for the lobby, and activation sheets per building.

Rendered locally with segno (no network, no Pillow). The SVG poster carries the community's name,
the QR code of the join URL, the code in letters, the URL and until when it is valid; the PNG is
the bare QR code, for chat apps and slides. An activation sheet has one card per household to cut
out and hand over: the address, the username, the QR code of the activation link, the code in
letters and until when it works.
"""

from __future__ import annotations

import io
from pathlib import Path
from xml.sax.saxutils import escape

import segno
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from community.links import activation_url, join_url
from community.models import InviteCode, Person

#: Pixels per QR module: 10 makes a ~370 px PNG that stays sharp on a phone screen.
PNG_SCALE = 10
SVG_SCALE = 8
POSTER_WIDTH = 420
_FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, sans-serif"


def _qr(url: str) -> segno.QRCode:
    # Level M survives a smudged or partly torn poster (15 % damage) and keeps the code small.
    return segno.make(url, error="m", micro=False)


def _qr_svg(url: str) -> tuple[str, int]:
    """The QR code as an inline ``<svg>`` element, and its width in pixels."""
    qr = _qr(url)
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=SVG_SCALE, border=2, xmldecl=False, svgns=True)
    return buffer.getvalue().decode(), qr.symbol_size(scale=SVG_SCALE, border=2)[0]


def _until(moment) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def qr_png(invite: InviteCode, request: HttpRequest | None = None) -> bytes:
    buffer = io.BytesIO()
    _qr(join_url(invite.code, request)).save(buffer, kind="png", scale=PNG_SCALE, border=4)
    return buffer.getvalue()


def poster_svg(invite: InviteCode, request: HttpRequest | None = None) -> bytes:
    """A printable poster: title, community, QR code, the code, the URL and its validity."""
    qr_svg, size = _qr_svg(join_url(invite.code, request))
    x = (POSTER_WIDTH - size) // 2
    height = size + 234
    title = escape(_("扫码加入邻里"))
    community = escape(invite.community.name)
    hint = escape(_("实名申请，居委审核后即可进入小区群"))
    code = escape(invite.code)
    url = escape(join_url(invite.code, request))
    valid = escape(_("有效期至 %(until)s") % {"until": _until(invite.expires_at)})
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
        f'<text x="{mid}" y="{size + 220}" font-size="14" {text}>{valid}</text>'
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


#: Cards per row on an A4-wide activation sheet.
SHEET_COLUMNS = 3
CARD_WIDTH = 260
CARD_HEIGHT = 400


def activation_sheet_svg(
    title: str, cards: list[tuple[Person, str]], expires_at, request: HttpRequest | None = None
) -> bytes:
    """One building's activation cards: (person, clear code) each, cut along the dashed lines."""
    rows = (len(cards) + SHEET_COLUMNS - 1) // SHEET_COLUMNS
    width, height = SHEET_COLUMNS * CARD_WIDTH, 60 + rows * CARD_HEIGHT
    text = f'font-family="{_FONT}" text-anchor="middle" fill="#222"'
    until = escape(_("有效期至 %(until)s，只能使用一次") % {"until": _until(expires_at)})
    hint = escape(_("扫码设置密码和昵称"))
    parts = [
        f'<?xml version="1.0" encoding="utf-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<text x="{width // 2}" y="38" font-size="22" font-weight="bold" {text}>'
        f"{escape(title)}</text>"
    ]
    for i, (person, code) in enumerate(cards):
        x, y = (i % SHEET_COLUMNS) * CARD_WIDTH, 60 + (i // SHEET_COLUMNS) * CARD_HEIGHT
        qr_svg, size = _qr_svg(activation_url(code, request))
        mid = x + CARD_WIDTH // 2
        parts.append(
            f'<rect x="{x + 4}" y="{y + 4}" width="{CARD_WIDTH - 8}" height="{CARD_HEIGHT - 8}" '
            f'fill="none" stroke="#999" stroke-dasharray="6 4"/>'
            f'<text x="{mid}" y="{y + 34}" font-size="18" {text}>{escape(person.location)}</text>'
            f'<text x="{mid}" y="{y + 58}" font-size="13" {text}>'
            f"{escape(_('用户名：%(username)s') % {'username': person.username})}</text>"
            f'<g transform="translate({mid - size // 2},{y + 70}) scale(0.75)">{qr_svg}</g>'
            f'<text x="{mid}" y="{y + 320}" font-size="13" {text}>{hint}</text>'
            f'<text x="{mid}" y="{y + 346}" font-size="16" font-family="monospace" '
            f'text-anchor="middle" letter-spacing="2">{escape(code)}</text>'
            f'<text x="{mid}" y="{y + 372}" font-size="11" {text}>{until}</text>'
        )
    parts.append("</svg>\n")
    return "".join(parts).encode()


def activation_sheets(issued, request: HttpRequest | None = None) -> dict[tuple[str, str], bytes]:
    """One sheet per (小区, building) from ``activation.Issued`` codes."""
    by_building: dict[tuple[str, str], list] = {}
    for item in issued:
        person = item.person
        place = (person.neighbourhood.name if person.neighbourhood else "", person.building)
        by_building.setdefault(place, []).append(item)
    sheets = {}
    for (neighbourhood, building), items in sorted(by_building.items()):
        title = _("%(neighbourhood)s %(building)s 邻里激活码") % {
            "neighbourhood": neighbourhood,
            "building": building,
        }
        cards = [(item.person, item.code) for item in items]
        expires_at = min(item.expires_at for item in items)
        sheets[neighbourhood, building] = activation_sheet_svg(title, cards, expires_at, request)
    return sheets


def write_activation_sheets(issued, out_dir: Path) -> list[Path]:
    """One sheet per 小区 and building, ``activation-<小区>-<building>.svg``, from
    ``activation.Issued`` codes; the paths written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for (neighbourhood, building), svg in activation_sheets(issued).items():
        safe = "".join(c for c in f"{neighbourhood}-{building}" if c.isalnum() or c in "-_")
        path = out_dir / f"activation-{safe or 'people'}.svg"
        path.write_bytes(svg)
        written.append(path)
    return written
