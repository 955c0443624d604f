"""``linli seed_demo_chat``: the demo community's topic rooms, a morning of talk, a knock."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from chat import demo
from community.models import Community

#: The community ``linli seed_demo`` makes.
DEMO_COMMUNITY = "海滨新村居委"


class Command(BaseCommand):
    help = (
        "Bring the demo community (run seed_demo first) to life: topic rooms 邻里互助 and 闲置交换 "
        "(open) and 兴趣·合唱团 (by approval, an application waiting), a morning of conversation "
        "in each 小区群 with replies, mentions and a pinned 议题, and a knock at cadre1's door. "
        "Running it again adds nothing."
    )

    def handle(self, *args, **options) -> None:
        community = Community.objects.filter(name=DEMO_COMMUNITY).first()
        if community is None:
            raise CommandError("no demo community: run `linli seed_demo` first")
        demo.seed_demo_life(community)
        waiting = demo.pending_applications(community)
        self.stdout.write(
            f"{community.name}: {len(demo.TOPICS)} topic rooms, a morning in each 小区群, "
            f"{waiting} application(s) waiting, a knock at cadre1's door"
        )
