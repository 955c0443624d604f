"""Create the bench's people in Linli's database, idempotently, and write their bearer tokens.

Run from the repository root with Linli's settings and database, for example::

    DJANGO_SETTINGS_MODULE=server.settings \\
    DATABASE_URL=postgres://root@127.0.0.1:5432/linli_bench REDIS_URL=redis://127.0.0.1:6379/1 \\
    python bench/setup_linli.py --big 3000 --many-rooms 200 --many-members 50 \\
        --out bench/.state/linli_tokens.json

Two layouts, both through Linli's own actions (``community.actions``), so residents are
seated in their rooms exactly as real enrolment seats them:

* ``big``: one community (基准社区) with one 小区 (基准小区) of ``--big`` residents: the 3,000 room
  of S1, S4–S8.
* ``many``: ``--many-rooms`` 小区 of ``--many-members`` residents each, ten 小区 per community:
  S2's 200 rooms × 50 and S3's 10,000 connections.

The output JSON holds, per layout, the room id and the members' tokens in a fixed order. Tokens are
stored hashed, so the file is also the cache: a token still valid in the database is reused, and a
new one is issued only for people who lack one.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "server.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from community import actions  # noqa: E402
from community.models import ApiToken, Person  # noqa: E402
from community.tokens import issue_token  # noqa: E402

ROOMS_PER_COMMUNITY = 10
BATCH = 250


def room_of(neighbourhood) -> int:
    from chat.models import Room

    room = Room.objects.filter(neighbourhood=neighbourhood).first()
    if room is None:
        raise SystemExit(
            f"no room for 小区 {neighbourhood} (#{neighbourhood.pk}): the chat app does not create "
            "the 小区群 on neighbourhood_created yet, so Linli cannot be benchmarked."
        )
    return room.pk


def valid_cached(cache: dict[str, str]) -> dict[str, str]:
    """The cached tokens that the database still knows, by username."""
    if not cache:
        return {}
    by_hash = {ApiToken.hash_key(tok): (user, tok) for user, tok in cache.items()}
    alive = {}
    hashes = list(by_hash)
    for i in range(0, len(hashes), 2000):
        rows = ApiToken.objects.filter(key_hash__in=hashes[i : i + 2000]).values_list(
            "key_hash", "person__username"
        )
        for key_hash, username in rows:
            user, tok = by_hash[key_hash]
            if user == username:
                alive[user] = tok
    return alive


def ensure_people(community, neighbourhood, usernames, names, cache, stats) -> list[str]:
    existing = {p.username: p for p in Person.objects.filter(username__in=usernames)}
    tokens = []
    t0 = time.monotonic()
    for start in range(0, len(usernames), BATCH):
        with transaction.atomic():
            for username, display in zip(
                usernames[start : start + BATCH], names[start : start + BATCH], strict=True
            ):
                person = existing.get(username)
                if person is None:
                    person = actions.do_enrol(
                        username=username,
                        password=None,
                        display_name=display,
                        community=community,
                        neighbourhood=neighbourhood,
                        role="resident",
                    )
                    stats["created"] += 1
                token = cache.get(username)
                if token is None:
                    token = issue_token(person)
                    stats["tokens_issued"] += 1
                tokens.append(token)
        done = start + min(BATCH, len(usernames) - start)
        if len(usernames) > BATCH:
            print(
                f"  {neighbourhood.name}: {done}/{len(usernames)} ({time.monotonic() - t0:.0f} s)",
                flush=True,
            )
    return tokens


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big", type=int, default=3000, help="residents of the big 小区")
    ap.add_argument("--many-rooms", type=int, default=200)
    ap.add_argument("--many-members", type=int, default=50)
    ap.add_argument("--out", default=str(ROOT / "bench" / ".state" / "linli_tokens.json"))
    args = ap.parse_args()

    out = Path(args.out)
    old = json.loads(out.read_text()) if out.exists() else {}
    cache = valid_cached(old.get("cache", {}))
    stats = {"created": 0, "tokens_issued": 0, "tokens_reused": len(cache)}

    district = actions.create_district("基准区")
    street = actions.create_street(district, "基准街道")

    result = {"cache": {}}
    # The big 小区.
    community = actions.create_community(street, "基准社区")
    nb = actions.create_neighbourhood(community, "基准小区")
    users = [f"bench_big_{i:05d}" for i in range(args.big)]
    names = [f"居民{i:04d}" for i in range(args.big)]
    tokens = ensure_people(community, nb, users, names, cache, stats)
    result["big"] = {"room": room_of(nb), "community": community.pk, "tokens": tokens}
    result["cache"].update(zip(users, tokens, strict=True))

    # Many small 小区, ten per community.
    rooms = []
    communities = {}
    for r in range(args.many_rooms):
        c, k = divmod(r, ROOMS_PER_COMMUNITY)
        if c not in communities:
            communities[c] = actions.create_community(street, f"基准多群社区{c:03d}")
        nb = actions.create_neighbourhood(communities[c], f"{c:03d}-{k:02d}小区")
        users = [f"bench_m{r:03d}_{m:03d}" for m in range(args.many_members)]
        names = [f"邻居{r:03d}-{m:03d}" for m in range(args.many_members)]
        tokens = ensure_people(communities[c], nb, users, names, cache, stats)
        rooms.append({"room": room_of(nb), "tokens": tokens})
        result["cache"].update(zip(users, tokens, strict=True))
    result["many"] = {"rooms": rooms}
    # Keep cached tokens of people outside this run's sizes, so a smaller run never forgets them.
    for user, tok in cache.items():
        result["cache"].setdefault(user, tok)
    result["stats"] = stats

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result))
    tmp.chmod(0o600)
    tmp.replace(out)
    print(
        json.dumps(
            {"out": str(out), **stats, "big_room": result["big"]["room"], "many_rooms": len(rooms)}
        )
    )


if __name__ == "__main__":
    main()
