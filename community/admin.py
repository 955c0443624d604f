"""Django admin for the structure, the people and the invite codes.

Changes that other apps hang rooms on go through the actions (so a community made here gets its
rooms, and an approval seats the person). The ID hash is never shown; opening a person's page is
logged as a personal-data access.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from community import actions as community_actions
from community import links
from community.models import (
    Community,
    District,
    InviteCode,
    Neighbourhood,
    Person,
    PersonalDataAccess,
    Street,
    Verification,
)
from community.views import guard_login
from core.errors import ActionError, ErrorCode
from core.policy import Actor

# The admin's own login page is a password form too: same limit as /accounts/login/ and the API.
admin.site.login = guard_login(admin.site.login)


def _adopt(obj, created) -> None:
    """Make the admin's unsaved form object stand for the row an action created."""
    obj.pk = created.pk
    obj._state.adding = False
    obj._state.db = created._state.db


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ["name", "district"]
    list_filter = ["district"]
    search_fields = ["name"]


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "street", "created_at"]
    list_filter = ["kind", "street__district"]
    search_fields = ["name"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            _adopt(obj, community_actions.create_community(obj.street, obj.name, obj.kind))


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "community"]
    search_fields = ["name", "community__name"]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            _adopt(obj, community_actions.create_neighbourhood(obj.community, obj.name))


#: Person fields the admin changes only through an action.
ROUTED_FIELDS = frozenset({"community", "neighbourhood", "role", "party_member", "is_active"})


def _apply_routed(actor: Actor, person: Person, wanted: dict) -> None:
    """The admin form's changes to routed fields, one action per act."""
    if {"community", "neighbourhood"} & set(wanted):
        community = wanted.get("community", person.community)
        neighbourhood = wanted.get("neighbourhood", person.neighbourhood)
        if community is None:
            raise ActionError(ErrorCode.INVALID, _("请选择社区。"), field="community")
        community_actions.move_person(actor, person.pk, community, neighbourhood)
    if {"role", "party_member"} & set(wanted):
        community_actions.change_role(
            actor, person.pk, role=wanted.get("role"), party_member=wanted.get("party_member")
        )
    if wanted.get("is_active") is False:
        community_actions.deactivate_person(actor, person.pk)
    elif wanted.get("is_active") is True:
        community_actions.reactivate_person(actor, person.pk)


class PersonForm(forms.ModelForm):
    """The admin's form for a person: the display name follows the rules it follows everywhere
    else (``community.actions.checked_display_name``)."""

    class Meta:
        model = Person
        fields = ["display_name"]  # the admin's ``fields`` below decide what the form shows

    def clean(self):
        cleaned = super().clean()
        if "display_name" in cleaned:
            role = cleaned.get("role") or self.instance.role
            try:
                cleaned["display_name"] = community_actions.checked_display_name(
                    role, cleaned["display_name"]
                )
            except ActionError as err:
                self.add_error("display_name", str(err.message))
        return cleaned


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """People: review joins here or over the API. New accounts come from the join form, the
    roster import (``linli import_residents``) or ``linli createsuperuser``, which seat them."""

    list_display = [
        "username",
        "display_name",
        "community",
        "neighbourhood",
        "role",
        "verification",
        "applied_at",
    ]
    form = PersonForm
    list_filter = ["verification", "role", "community"]
    search_fields = ["username", "display_name"]
    actions = ["approve_applications", "reject_applications"]
    # id_hash and password are deliberately absent.
    fields = [
        "username",
        "display_name",
        "show_building",
        "real_name",
        "id_masked",
        "phone_masked",
        "community",
        "neighbourhood",
        "building",
        "unit",
        "room_number",
        "role",
        "party_member",
        "verification",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "applied_at",
        "observer_street",
        "observer_district",
        "is_active",
        "is_staff",
        "is_superuser",
    ]
    readonly_fields = [
        "real_name",
        "id_masked",
        "phone_masked",
        "verification",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
        "applied_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        person = self.get_object(request, object_id)
        if person is not None and request.user.pk != person.pk:
            community_actions.record_personal_data_access(
                Actor.of(request.user), [person], "admin_view"
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        """Other fields as the form has them; 小区, community, role and account state through
        the actions (community.actions), which the person's open sockets follow."""
        routed = ROUTED_FIELDS & set(form.changed_data)
        if not change or not routed:
            super().save_model(request, obj, form, change)
            return
        wanted = {name: getattr(obj, name) for name in routed}
        for name in routed:  # as loaded: the form's initial holds a foreign key's id
            attname = Person._meta.get_field(name).attname
            setattr(obj, attname, form.initial.get(name))
        super().save_model(request, obj, form, change)
        try:
            _apply_routed(Actor.of(request.user), obj, wanted)
        except ActionError as err:
            self.message_user(request, f"{obj}: {err.message}", messages.ERROR)
        obj.refresh_from_db()

    def _review(self, request, queryset, review) -> int:
        actor, done = Actor.of(request.user), 0
        for person in queryset.filter(verification=Verification.PENDING):
            try:
                review(actor, person.pk)
                done += 1
            except ActionError as err:
                self.message_user(request, f"{person}: {err.message}", messages.ERROR)
        return done

    @admin.action(description=_("通过所选的入驻申请"), permissions=["change"])
    def approve_applications(self, request, queryset):
        done = self._review(request, queryset, community_actions.do_approve)
        self.message_user(request, _("已通过 %(n)d 份申请。") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("拒绝所选的入驻申请"), permissions=["change"])
    def reject_applications(self, request, queryset):
        reason = request.POST.get("reason", "").strip()
        if "apply" not in request.POST or not reason:
            # First step: ask for the reason the applicants will see.
            people = queryset.filter(verification=Verification.PENDING)
            context = {
                **self.admin_site.each_context(request),
                "people": people,
                "opts": self.model._meta,
                "title": _("拒绝入驻申请"),
            }
            return TemplateResponse(request, "admin/community/person/reject.html", context)
        done = self._review(
            request, queryset, lambda actor, pk: community_actions.do_reject(actor, pk, reason)
        )
        self.message_user(request, _("已拒绝 %(n)d 份申请。") % {"n": done}, messages.SUCCESS)
        return None


@admin.register(InviteCode)
class InviteCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "community", "expires_at", "revoked", "created_by", "created_at"]
    list_filter = ["revoked", "community"]
    fields = [
        "community",
        "code",
        "join_url",
        "expires_at",
        "max_uses",
        "uses",
        "revoked",
        "created_by",
        "created_at",
    ]
    readonly_fields = ["code", "join_url", "uses", "created_by", "created_at"]

    @admin.display(description=_("加入链接"))
    def join_url(self, obj: InviteCode) -> str:
        return links.join_url(obj.code) if obj.code else "-"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        invite = community_actions.create_invite_code(
            Actor.of(request.user), obj.community, obj.expires_at, max_uses=obj.max_uses
        )
        _adopt(obj, invite)
        obj.code = invite.code


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """Read-only: who looked at whose real-name data (全程可追溯)."""

    list_display = ["at", "viewer", "subject", "purpose"]
    list_filter = ["purpose"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
