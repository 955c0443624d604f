"""The browser join form. It only shapes the input: ``actions.do_apply`` holds every rule."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from community.models import Community
from core import text

#: Each text field's rule (``core.text``), as the HTTP API applies it (``community.schemas``).
_TEXT_RULES = {
    "real_name": (text.name, 200),
    "id_number": (text.token, 64),
    "phone": (text.token, 32),
    "building": (text.line, 100),
    "unit": (text.line, 100),
    "room_number": (text.line, 100),
    "display_name": (text.name, 200),
    "username": (text.token, 150),
}


def _display_name_field() -> forms.CharField:
    return forms.CharField(
        label=_("昵称"),
        help_text=_("邻居们在群里看到的名字；真实姓名只有审核你的居委干部能看到。"),
        required=False,
        max_length=200,
    )


def _new_password_field(label) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=1024,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def _apply_text_rule(form: forms.Form, cleaned: dict, field: str, rule, limit: int) -> None:
    """A non-empty value through Linli's text rule (``core.text``); a refusal shown at its field."""
    value = cleaned.get(field)
    if not value:
        return
    try:
        cleaned[field] = text.field_rule(rule, field=field, limit=limit)(value)
    except text.TextError as err:
        form.add_error(field, forms.ValidationError(err.message))


class JoinForm(forms.Form):
    real_name = forms.CharField(label=_("真实姓名"), required=False, max_length=200)
    id_number = forms.CharField(
        label=_("身份证号码"),
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text"}),
    )
    phone = forms.CharField(
        label=_("手机号码"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    neighbourhood_id = forms.TypedChoiceField(
        label=_("小区"), required=False, coerce=int, empty_value=None
    )
    building = forms.CharField(label=_("楼号"), required=False, max_length=100)
    unit = forms.CharField(label=_("单元（可不填）"), required=False, max_length=100)
    room_number = forms.CharField(label=_("室号"), required=False, max_length=100)
    display_name = _display_name_field()
    username = forms.CharField(
        label=_("用户名"),
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = _new_password_field(_("密码"))

    def __init__(self, *args, community: Community, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("请选择"))]
        choices += [(n.pk, n.name) for n in community.neighbourhoods.order_by("name")]
        self.fields["neighbourhood_id"].choices = choices

    def clean(self) -> dict:
        """Every text field through Linli's text rules; each refusal is shown at its field."""
        cleaned = super().clean()
        for field, (rule, limit) in _TEXT_RULES.items():
            _apply_text_rule(self, cleaned, field, rule, limit)
        return cleaned


class ActivationForm(forms.Form):
    """Choose password and display name (``activation.do_activate`` holds the rules)."""

    display_name = _display_name_field()
    password = _new_password_field(_("密码"))
    password_again = _new_password_field(_("再输一次密码"))

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一样。"))
        _apply_text_rule(self, cleaned, "display_name", *_TEXT_RULES["display_name"])
        return cleaned
