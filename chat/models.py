"""Rooms, memberships and messages.

The database is the truth: each room numbers its messages 1, 2, 3 … (``Room.last_seq`` is bumped
under a row lock in the transaction that inserts the message), and the channel layer only rings
the doorbell after commit.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Community, Neighbourhood
from core import roles, rooms


class RoomKind(models.TextChoices):
    """``core.rooms.RoomKind``'s values with their names."""

    NEIGHBOURHOOD = rooms.RoomKind.NEIGHBOURHOOD.value, _("小区群")
    TOPIC = rooms.RoomKind.TOPIC.value, _("专题公共群")
    DIRECT = rooms.RoomKind.DIRECT.value, _("敲门")
    COORDINATION = rooms.RoomKind.COORDINATION.value, _("五位一体")
    WORK = rooms.RoomKind.WORK.value, _("工作群")


class Room(models.Model):
    class JoinPolicy(models.TextChoices):
        AUTOMATIC = rooms.JoinPolicy.AUTOMATIC.value, _("自动")  # follows from role or address
        OPEN = rooms.JoinPolicy.OPEN.value, _("开放")
        APPROVAL = rooms.JoinPolicy.APPROVAL.value, _("需审核")
        INVITE = rooms.JoinPolicy.INVITE.value, _("仅限双方")  # direct rooms

    class WorkGroup(models.TextChoices):
        NONE = rooms.WorkGroup.NONE.value, "-"
        PARTY = rooms.WorkGroup.PARTY.value, _("党员群")
        STAFF = rooms.WorkGroup.STAFF.value, _("居委工作群")

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="rooms")
    kind = models.CharField(max_length=16, choices=RoomKind.choices)
    name = models.CharField(max_length=60)
    description = models.CharField(max_length=500, blank=True)
    category = models.CharField(max_length=20, blank=True)
    neighbourhood = models.OneToOneField(
        Neighbourhood, null=True, blank=True, on_delete=models.PROTECT, related_name="room"
    )
    work_group = models.CharField(max_length=10, choices=WorkGroup.choices, blank=True)
    join_policy = models.CharField(
        max_length=10, choices=JoinPolicy.choices, default=JoinPolicy.AUTOMATIC
    )
    last_seq = models.PositiveBigIntegerField(default=0)
    #: Bumped whenever a stored message changes (edited, deleted): frames of this room kept by a
    #: worker from before (``chat.recent``) are no longer current.
    revision = models.PositiveBigIntegerField(default=0)
    muted_until = models.DateTimeField(null=True, blank=True)  # 全员禁言
    muted_forever = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["community", "kind"])]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "kind"],
                condition=Q(kind="coordination") | Q(kind="neighbourhood", neighbourhood=None),
                name="one_coordination_and_community_room",
            ),
            models.UniqueConstraint(
                fields=["community", "work_group"],
                condition=Q(kind="work"),
                name="one_work_room_per_group",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} #{self.pk}"


class Membership(models.Model):
    class Rank(models.TextChoices):
        MEMBER = roles.Rank.MEMBER.value, _("成员")
        MODERATOR = roles.Rank.MODERATOR.value, _("版主")
        OWNER = roles.Rank.OWNER.value, _("群主")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    rank = models.CharField(max_length=10, choices=Rank.choices, default=Rank.MEMBER)
    muted_until = models.DateTimeField(null=True, blank=True)
    muted_forever = models.BooleanField(default=False)
    read_seq = models.PositiveBigIntegerField(default=0)
    joined_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "person"], name="one_membership")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.room_id} ({self.rank})"


class Message(models.Model):
    class Kind(models.TextChoices):
        USER = "user", _("用户")
        SYSTEM = "system", _("系统")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.USER)
    body = models.TextField(blank=True)
    # NULL, not "", for system messages: the (author, client_id) constraint skips them.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    reply_to = models.PositiveBigIntegerField(null=True, blank=True)
    mentions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["room", "seq"], name="message_seq"),
            # A retried send (same client_id) stores nothing new: the original is acked again.
            models.UniqueConstraint(
                fields=["author", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_client_id",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.room_id}:{self.seq}"


class Pin(models.Model):
    """A 议题 or announcement pinned to a room by its owner or a moderator."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="pins")
    seq = models.PositiveBigIntegerField()
    title = models.CharField(max_length=100, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["room", "seq"], name="one_pin_per_message")]

    def __str__(self) -> str:
        return f"pin #{self.room_id}:{self.seq}"


class JoinRequest(models.Model):
    """An application to a topic room whose join policy is ``approval``."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REFUSED = "refused", _("已拒绝")

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="join_requests")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["room", "person"], condition=Q(status="pending"), name="one_pending_request"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id} → {self.room_id} ({self.status})"


class Knock(models.Model):
    """敲门: a request to open a direct room, carrying its first message."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待回应")
        ACCEPTED = "accepted", _("已开门")
        DECLINED = "declined", _("已婉拒")

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    body = models.TextField()
    client_id = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    room = models.ForeignKey(Room, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["sender", "created_at"])]
        constraints = [
            models.UniqueConstraint(fields=["sender", "client_id"], name="knock_client_id"),
            models.UniqueConstraint(
                fields=["sender", "recipient"],
                condition=Q(status="pending"),
                name="one_pending_knock",
            ),
        ]

    def __str__(self) -> str:
        return f"knock {self.sender_id} → {self.recipient_id} ({self.status})"


class DirectPair(models.Model):
    """The one direct room of two people (low id first), so a second knock reuses it."""

    low = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    high = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    room = models.OneToOneField(Room, on_delete=models.CASCADE, related_name="direct_pair")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["low", "high"], name="one_direct_room")]

    def __str__(self) -> str:
        return f"{self.low_id} & {self.high_id}"


class Block(models.Model):
    """One person blocks another: no knocks, no direct messages, either way."""

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="one_block")]

    def __str__(self) -> str:
        return f"{self.blocker_id} blocks {self.blocked_id}"


class AuditQuerySet(models.QuerySet):
    def delete(self):
        raise PermissionError("the audit log is append-only")

    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    """Every moderation act (全程可监督、可追溯); observers may read these.

    Append-only: an entry is written once, in the act's transaction, and never edited or
    deleted (``save`` of a stored entry, ``delete`` and queryset ``update``/``delete`` refuse).
    """

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="audit")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    target_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_seq = models.PositiveBigIntegerField(null=True, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    objects = AuditQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.action} by {self.actor_id} in {self.room_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")
