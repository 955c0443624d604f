"""Browser pages: the web client (``/`` once approved), login/logout, join, language."""

from django.contrib.auth.views import LogoutView
from django.urls import include, path, register_converter

from community import views


class InviteCodeConverter:
    """An invite code in a page's URL: letters, digits and dashes only, so a NUL or a control
    character is a 404 here instead of reaching the database (PostgreSQL cannot hold NUL)."""

    regex = "[0-9A-Za-z-]{1,64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(InviteCodeConverter, "invite")

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", LogoutView.as_view(next_page="landing"), name="logout"),
    path("join/<invite:code>", views.join, name="join"),
    path("activate/<str:code>", views.activate, name="activate"),
    path("application", views.application_status, name="application_status"),
    path("i18n/", include("django.conf.urls.i18n")),
]
