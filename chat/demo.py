"""The demo's life: topic rooms, a morning of conversation in each 小区群, a 议题, a knock.

What a newcomer should see in the first minute: neighbours asking about a parcel, a lost cat, the
lift and 垃圾分类; the property company and the police answering; a pinned 议题; topic rooms to
join (one open, one by approval, with an application waiting); someone at the cadre's door.
Everything goes through the actions, as a resident's socket would. Idempotent: messages carry
fixed ``client_id``s (a rerun is acked with the originals), rooms are found by name, a join or
pin already made is not made again. New messages are dated over the latest morning past, since
a demo started at seven in the evening should not show a conversation from the future, and the
"joined" notices of the people just seated to an hour before it.
"""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chat.actions import knocks, messages, moderation, rooms
from chat.actions.access import actor_of
from chat.models import JoinRequest, Membership, Message, Pin, Room, RoomKind
from community.models import Community, Person
from core.errors import ActionError
from core.policy import Actor


@dataclass(frozen=True)
class Line:
    """One message of the script: when, who, what; ``key`` names it for replies and pins."""

    at: str  # "HH:MM", local time of the demo morning
    by: str  # username
    body: str
    key: str = ""
    reply_to: str = ""  # key of an earlier line
    mentions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    name: str
    category: str
    description: str
    open_to_all: bool
    members: tuple[str, ...] = ()
    script: tuple[Line, ...] = ()
    applicants: tuple[str, ...] = ()  # applications left waiting for the owner


@dataclass
class Pinned:
    key: str
    title: str
    by: str = "cadre1"


@dataclass
class Conversation:
    script: tuple[Line, ...]
    pins: list[Pinned] = field(default_factory=list)


#: The morning in 海滨一村: the lift, a lost cat, 垃圾分类, a parcel at the wrong door.
FIRST_VILLAGE = Conversation(
    (
        Line("07:42", "resident1", "早上好！菜场门口今天有卖新鲜的崇明糕，去晚了就没了😄"),
        Line(
            "07:58",
            "resident15",
            "3号楼电梯又停了，我腿脚不好，上下楼实在吃力。物业什么时候来修？",
            key="lift",
        ),
        Line(
            "08:06",
            "cadre1",
            "@高爷爷 已经通知物业了，电梯是主板故障，维保公司在路上，预计上午11点前恢复。",
            reply_to="lift",
            mentions=("resident15",),
        ),
        Line(
            "08:10",
            "moderator1",
            "电梯维修的进度置顶了，有情况就在这条下面说。需要帮忙把东西搬上楼的老人可以@我。",
            reply_to="lift",
        ),
        Line(
            "08:15",
            "resident7",
            "有人看到一只橘猫吗？昨晚从5号楼1单元跑出去的，脖子上有红色项圈，叫“团团”。",
            key="cat",
        ),
        Line(
            "08:21",
            "resident3",
            "@赵姐 刚才在自行车棚那边看到一只橘猫，红项圈，往垃圾房方向去了。",
            reply_to="cat",
            mentions=("resident7",),
        ),
        Line("08:24", "resident7", "太感谢了！我马上下去找🙏", reply_to="cat"),
        Line("08:40", "resident11", "请问湿垃圾早上几点前要扔掉？我总是记不住。", key="trash"),
        Line(
            "08:44",
            "moderator1",
            "徐阿婆，定时投放是早上7点到9点、晚上6点到8点，其他时间可以投到小区门口的误时投放点。",
            reply_to="trash",
        ),
        Line(
            "08:52",
            "resident9",
            "谁家的快递放到我家门口了？6号楼302，顺丰，收件人姓陈。@陈奶奶 是不是您的？",
            key="parcel",
            mentions=("resident5",),
        ),
        Line("09:05", "resident5", "是我的是我的！谢谢小周，我待会儿下来拿。", reply_to="parcel"),
        Line(
            "09:30",
            "resident7",
            "找到团团了！躲在垃圾房后面的草丛里，谢谢张老师和大家❤️",
            reply_to="cat",
        ),
        Line(
            "10:48",
            "cadre1",
            "物业反馈：3号楼电梯已经修好，维保检测通过，可以正常使用了。",
            reply_to="lift",
        ),
        Line("11:02", "resident15", "谢谢李书记，谢谢物业，辛苦了👍", reply_to="lift"),
    ),
    [Pinned("lift", "议题：3号楼电梯维修进度")],
)

#: The morning in 海滨二村: parking, a pram to lend, a health check, the stairwell.
SECOND_VILLAGE = Conversation(
    (
        Line(
            "07:50",
            "resident2",
            "晚上回来地面车位又被外来车占了，东门那辆白色SUV已经停了三天。",
            key="parking",
        ),
        Line(
            "08:02",
            "cadre1",
            "业委会正在商量停车管理办法，周六上午开议事会，听听大家的意见。",
            reply_to="parking",
            key="meeting",
        ),
        Line("08:05", "resident4", "几点开？在哪里？上班的也想参加。", reply_to="meeting"),
        Line(
            "08:09",
            "cadre1",
            "周六上午9点，居委会二楼会议室，议题：海滨二村停车管理。来不了的可以在这条下面留言。",
            reply_to="meeting",
            key="agenda",
        ),
        Line(
            "08:12",
            "resident6",
            "东门那辆车我拍了照发给何警官，他说上午来联系车主。",
            reply_to="parking",
        ),
        Line(
            "08:30",
            "resident16",
            "有没有邻居家里有不用的婴儿推车？想借两周，外婆来上海帮忙带娃😊",
            key="pram",
        ),
        Line(
            "08:36",
            "resident14",
            "@林妈妈 我家有一辆，孩子大了用不上，送你吧，下午来12号楼拿。",
            reply_to="pram",
            mentions=("resident16",),
        ),
        Line(
            "08:50",
            "resident10",
            "提醒一下：下周二上午社区卫生服务中心在居委会门口免费量血压、测血糖，家里老人可以去。",
            key="health",
        ),
        Line("09:12", "resident8", "好的吴医生，到时候我陪老伴一起去。", reply_to="health"),
        Line(
            "09:40",
            "resident18",
            "今天垃圾分类值守还差一个志愿者，9点半到10点半在2号垃圾房，@罗姐姐 有空吗？",
            key="volunteer",
            mentions=("resident20",),
        ),
        Line("09:45", "resident20", "我来！已经在路上了。", reply_to="volunteer"),
        Line(
            "10:20",
            "resident12",
            "楼道里堆的纸箱是谁家的？消防检查马上要来了，麻烦尽快清理一下。",
            key="boxes",
        ),
        Line(
            "10:35",
            "cadre1",
            "孙师傅，已经请物业中午安排保洁统一清理。也请大家不要在楼道里堆放杂物。",
            reply_to="boxes",
        ),
    ),
    [Pinned("agenda", "议题：周六议事会·停车管理")],
)

#: The 五位一体 coordination room the same morning: what the residents raised, followed up.
COORDINATION = Conversation(
    (
        Line(
            "08:04",
            "cadre1",
            "@物业小沈 海滨一村3号楼电梯停了，楼里老人多，请尽快安排维保，修好后告诉我一声。",
            key="lift",
            mentions=("property1",),
        ),
        Line(
            "08:05",
            "property1",
            "收到，主板故障，维保公司已经在路上，预计11点前恢复。",
            reply_to="lift",
        ),
        Line(
            "08:14",
            "police1",
            "海滨二村东门那辆白色SUV占了消防通道，我上午去联系车主。",
            key="suv",
        ),
        Line(
            "08:20",
            "owners1",
            "周六议事会的停车方案初稿，业委会下午发到群里，请各方先看看。",
        ),
        Line("10:46", "property1", "3号楼电梯已修复，检测通过。", reply_to="lift"),
        Line("10:50", "police1", "车主已联系上，车已挪走。", reply_to="suv"),
    ),
)

#: Each demo 小区 (``linli seed_demo``) and its morning.
MORNINGS = {"海滨一村": FIRST_VILLAGE, "海滨二村": SECOND_VILLAGE}

TOPICS = (
    Topic(
        "邻里互助",
        "互助",
        "搭把手的事：拼车、代收快递、借工具、陪老人看病。",
        open_to_all=True,
        members=("resident3", "resident6", "resident9"),
        script=(
            Line("09:20", "resident3", "周末有人去宜家吗？想拼个车带个书架回来。", key="ikea"),
            Line("09:26", "resident6", "我周六下午去，后备箱够大，可以带。", reply_to="ikea"),
            Line("09:31", "resident9", "我下午在家，谁家快递需要代收可以说一声。"),
        ),
    ),
    Topic(
        "闲置交换",
        "闲置物品",
        "用不上的东西送给用得上的邻居，免费或者以物换物。",
        open_to_all=True,
        members=("resident14", "resident1"),
        script=(
            Line(
                "10:02", "resident14", "九成新电饭煲，搬家用不上了，免费送，12号楼自取。", key="pot"
            ),
            Line("10:05", "resident1", "我要！下午四点来拿可以吗？", reply_to="pot"),
        ),
    ),
    Topic(
        "兴趣·合唱团",
        "兴趣",
        "每周四晚上7点在社区活动室排练，喜欢唱歌的邻居申请加入。",
        open_to_all=False,
        members=("resident5",),
        script=(
            Line("09:00", "cadre1", "这周四排练《茉莉花》和《我和我的祖国》，谱子发在群里了。"),
            Line("09:15", "resident5", "收到，我把老伴也带来听听😄"),
        ),
        applicants=("resident11",),
    ),
)

#: Someone waiting at the cadre's door.
KNOCK = ("resident19", "cadre1", "李书记您好，我想问一下老年助餐点怎么报名，方便的时候回我一下。")


def _morning() -> dt.date:
    """The latest morning that is over: today after half past eleven, else yesterday."""
    now = timezone.localtime()
    return now.date() if now.time() >= dt.time(11, 30) else now.date() - dt.timedelta(days=1)


class _Seeder:
    def __init__(self, community: Community):
        self.community = community
        self.day = _morning()
        usernames = Person.objects.filter(community=community).values_list("username", "pk")
        self.people = dict(usernames)

    def actor(self, username: str) -> Actor:
        return actor_of(self.people[username])

    def play(self, room: Room, script: tuple[Line, ...]) -> dict[str, int]:
        """Send each line (idempotent by ``client_id``); the seqs by key."""
        seqs: dict[str, int] = {}
        for n, line in enumerate(script, start=1):
            sent = messages.do_send(
                self.actor(line.by),
                room.pk,
                line.body,
                f"demo-{room.pk}-{n}",
                reply_to=seqs.get(line.reply_to),
                mentions=[self.people[m] for m in line.mentions],
            )
            if not sent.duplicate:
                self._date(sent.message, line.at)
            if line.key:
                seqs[line.key] = sent.message.seq
        return seqs

    def _date(self, message: Message, at: str) -> None:
        hour, minute = map(int, at.split(":"))
        moment = timezone.make_aware(dt.datetime.combine(self.day, dt.time(hour, minute)))
        Message.objects.filter(pk=message.pk).update(created_at=moment)

    def date_arrivals(self) -> None:
        """The "joined" notices of the people just seated, moved to before the morning, in
        their order: a room's notices and messages then run forward in time with its seqs."""
        start = timezone.make_aware(dt.datetime.combine(self.day, dt.time(7)))
        arrivals = Message.objects.filter(
            room__community=self.community, kind=Message.Kind.SYSTEM, created_at__gt=start
        )
        shift = timezone.now() - (start - dt.timedelta(hours=1))
        arrivals.update(created_at=F("created_at") - shift)

    def pin(self, room: Room, seqs: dict[str, int], pinned: Pinned) -> None:
        if not Pin.objects.filter(room=room, seq=seqs[pinned.key]).exists():
            moderation.do_pin(self.actor(pinned.by), room.pk, seqs[pinned.key], pinned.title)

    def topic(self, topic: Topic) -> Room:
        room = Room.objects.filter(
            community=self.community, kind=RoomKind.TOPIC, name=topic.name
        ).first()
        cadre = self.actor("cadre1")
        if room is None:
            room = rooms.create_topic_room(
                cadre,
                name=topic.name,
                description=topic.description,
                category=topic.category,
                open_to_all=topic.open_to_all,
            )
        for username in topic.members:
            if rooms.do_join_topic(self.actor(username), room.pk) == "applied":
                rooms.do_answer_join(cadre, room.pk, self.people[username], accept=True)
        for username in topic.applicants:
            if not Membership.objects.filter(room=room, person_id=self.people[username]).exists():
                rooms.do_join_topic(self.actor(username), room.pk)
        self.play(room, topic.script)
        return room

    def knock(self) -> None:
        sender, recipient, body = KNOCK
        # Answered or declined since a first run: the door is not knocked on again.
        with suppress(ActionError):
            knocks.do_knock(self.actor(sender), self.people[recipient], body, "demo-knock")


@transaction.atomic
def seed_demo_life(community: Community) -> None:
    """Topic rooms, each 小区群's morning with its pinned 议题, and a knock; idempotent."""
    seeder = _Seeder(community)
    villages = Room.objects.filter(
        community=community, kind=RoomKind.NEIGHBOURHOOD, neighbourhood__name__in=MORNINGS
    ).select_related("neighbourhood")
    for room in villages:
        conversation = MORNINGS[room.neighbourhood.name]
        seqs = seeder.play(room, conversation.script)
        for pinned in conversation.pins:
            seeder.pin(room, seqs, pinned)
    coordination = Room.objects.filter(community=community, kind=RoomKind.COORDINATION).first()
    if coordination is not None:
        seeder.play(coordination, COORDINATION.script)
    for topic in TOPICS:
        seeder.topic(topic)
    seeder.knock()
    seeder.date_arrivals()


def pending_applications(community: Community) -> int:
    """Applications to the community's topic rooms that wait for an owner (for the summary)."""
    return JoinRequest.objects.filter(
        room__community=community, status=JoinRequest.Status.PENDING
    ).count()
