"""Server-rendered pages: the landing page (the web client once approved), logging in and out,
the join form."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth import login
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_http_methods

from community import actions, activation, ratelimit
from community.forms import ActivationForm, JoinForm
from community.models import Verification
from core.errors import ActionError, ErrorCode


def rate_limited_page(request: HttpRequest, err: ActionError) -> HttpResponse:
    retry_after = int(err.extra.get("retry_after", 60))
    response = render(
        request,
        "registration/rate_limited.html",
        {"message": err.message, "retry_after": retry_after},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def guard_login(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Put a password form behind the failure limit ``POST /api/v1/auth/token`` has.

    Judged by the view's response: a redirect means the password was right, a re-rendered form
    that it was wrong. Used for ``/accounts/login/`` and for the admin's login page.
    """

    @wraps(view)
    def guarded(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "POST":
            return view(request, *args, **kwargs)
        username, address = request.POST.get("username", ""), ratelimit.client_address(request)
        try:
            ratelimit.check_login_allowed(username, address)
        except ActionError as err:
            return rate_limited_page(request, err)
        response = view(request, *args, **kwargs)
        if response.status_code == 302:
            ratelimit.record_login_success(username, address)
        elif username and request.POST.get("password"):
            ratelimit.record_login_failure(username, address)
        return response

    return guarded


def landing(request: HttpRequest) -> HttpResponse:
    """``/``: the web client for an approved person; otherwise what Linli is and, for a
    logged-in applicant, where their application stands."""
    user = request.user
    if user.is_authenticated and user.verification == Verification.APPROVED:
        return web_client(request)
    context: dict = {}
    if user.is_authenticated:
        context["application"] = user.verification
    return render(request, "community/landing.html", context)


def web_client(request: HttpRequest) -> HttpResponse:
    """The web client's shell: its script reads this boot data and opens the socket (``/ws/v1``);
    everything else it learns from the socket's ``welcome`` and the HTTP API."""
    boot = {
        "language": get_language(),
        "csrf_token": get_token(request),
        "urls": {
            "socket": "/ws/v1",
            "api": "/api/v1",
            "logout": reverse("logout"),
            "set_language": reverse("set_language"),
        },
    }
    return render(request, "app/shell.html", {"boot": boot})


def application_status(request: HttpRequest) -> JsonResponse:
    """``/application``: where the logged-in person's application stands, for the pending page
    to turn into the chat once a cadre approves (an applicant cannot use the API yet)."""
    if not request.user.is_authenticated:
        return JsonResponse({"status": None}, status=401)
    return JsonResponse({"status": request.user.verification})


@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, code: str) -> HttpResponse:
    """``/join/<code>``: the page the invite poster's QR code opens."""
    address = ratelimit.client_address(request)
    try:
        invite = ratelimit.check_invite(code, address)
    except ActionError as err:
        if err.code == ErrorCode.RATE_LIMITED:
            return rate_limited_page(request, err)
        return render(request, "community/join_invalid.html", {"message": err.message}, status=404)
    community = invite.community
    form = JoinForm(request.POST or None, community=community)
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.spend_application(address)
        except ActionError as err:
            return rate_limited_page(request, err)
        try:
            person = actions.do_apply(invite_code=invite.code, **form.cleaned_data)
        except ActionError as err:
            ratelimit.record_join_failure(address)
            field = err.extra.get("field")
            form.add_error(field if field in form.fields else None, str(err.message))
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("landing")
    return render(request, "community/join.html", {"form": form, "community": community})


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, code: str) -> HttpResponse:
    """``/activate/<code>``: an enrolled person chooses password and display name, once."""
    address = ratelimit.client_address(request)
    try:
        ratelimit.check_join_allowed(address)  # guessing codes costs like guessing invites
        found = activation.check_activation(code)
    except ActionError as err:
        if err.code == ErrorCode.RATE_LIMITED:
            return rate_limited_page(request, err)
        ratelimit.record_join_failure(address)
        return render(
            request, "community/activate_invalid.html", {"message": err.message}, status=404
        )
    person = found.person
    initial = {"display_name": person.display_name}
    form = ActivationForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            person = activation.do_activate(
                code, form.cleaned_data["password"], form.cleaned_data["display_name"]
            )
        except ActionError as err:
            field = err.extra.get("field")
            form.add_error(field if field in form.fields else None, str(err.message))
        else:
            login(request, person, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("landing")
    return render(request, "community/activate.html", {"form": form, "person": person})


#: ``/accounts/login/``: Django's login page behind the rate limit.
login_view = guard_login(LoginView.as_view())
