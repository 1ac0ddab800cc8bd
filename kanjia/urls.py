from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from kanjia import views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/manage/", include("kanjia.accounts.urls")),
    path("calendar/", views.calendar_page, name="calendar"),
    path("households/", include("households.urls")),
    path("review/", include("review.urls")),
    path("publicity/", include("publicity.urls")),
    path("archives/", include("archives.urls")),
    path("audit/", include("archives.audit.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "kanjia.errors.permission_denied"
handler404 = "kanjia.errors.page_not_found"
handler500 = "kanjia.errors.server_error"
