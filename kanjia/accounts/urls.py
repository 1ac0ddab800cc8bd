from django.urls import path

from kanjia.accounts import views

app_name = "accounts"
urlpatterns = [
    path("", views.account_list, name="list"),
    path("<int:pk>/", views.account_detail, name="account"),
    path("<int:pk>/<slug:what>/", views.account_post, name="account_post"),
    path("roles/", views.role_changes, name="roles"),
    path("roles/<int:pk>/<slug:what>/", views.role_change_post, name="role_change"),
]
