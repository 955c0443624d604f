"""The small community the browser tests run against, written into the server's own database.

Run in a subprocess with the server's settings (``python -m tests.browser.seed``): the browser
server has a database of its own for the whole test module, apart from pytest-django's. Every
account's password is ``tests.factories.PASSWORD``.
"""

from __future__ import annotations

import django

GARDEN_ROOM = "翠湖苑小区群"
#: Markup in a display name and a room name: the page must show it as text.
XSS_NAME = '<img src=x onerror="window.pwned=1">小坏'
XSS_ROOM = "<script>window.pwned=1</script>闲置群"
#: username → display name
PEOPLE = {"cadre": "陈书记", "wang": "小王", "li": "老李", "zhang": "张阿姨", "xss": XSS_NAME}


def seed() -> None:
    from chat.actions.rooms import create_topic_room, do_join_topic
    from community.models import Role
    from core.policy import Actor
    from tests.factories import make_community, make_neighbourhood, make_person

    community = make_community("长江路居委")
    garden = make_neighbourhood(community, "翠湖苑")
    people = {
        username: make_person(
            community,
            role=Role.CADRE if username == "cadre" else Role.RESIDENT,
            neighbourhood=None if username == "cadre" else garden,
            username=username,
            display_name=name,
            party_member=username == "zhang",
        )
        for username, name in PEOPLE.items()
    }
    cadre = Actor.of(people["cadre"])
    market = create_topic_room(cadre, name=XSS_ROOM, description="<b>粗体</b>", category="闲置物品")
    do_join_topic(Actor.of(people["xss"]), market.pk)
    create_topic_room(cadre, name="遛狗群", description="每晚七点在小区花园", category="兴趣")


if __name__ == "__main__":
    django.setup()
    seed()
