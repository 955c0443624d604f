"""Browser pages: the web client (``/`` once approved), login/logout, join, language."""

from django.contrib.auth.views import LogoutView
from django.urls import include, path

from community import views

urlpatterns = [
    path("", views.landing, name="landing"),
    path("accounts/login/", views.login_view, name="login"),
    path("accounts/logout/", LogoutView.as_view(next_page="landing"), name="logout"),
    path("join/<str:code>", views.join, name="join"),
    path("activate/<str:code>", views.activate, name="activate"),
    path("application", views.application_status, name="application_status"),
    path("i18n/", include("django.conf.urls.i18n")),
]
