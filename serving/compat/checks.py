"""The start-up check of the serving libraries' internals (``linli.E010``)."""

from __future__ import annotations

from django.core.checks import Error, Tags, register

from serving import compat


@register(Tags.compatibility)
def serving_internals(app_configs, **kwargs) -> list[Error]:
    """linli.E010: each private attribute serving/compat/ relies on exists in this release."""
    return [
        Error(
            f"{name} is missing from the installed library.",
            hint="Install the versions pinned in constraints.txt, or adapt serving/compat/.",
            obj=name,
            id="linli.E010",
        )
        for name in compat.missing()
    ]
