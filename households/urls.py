from django.urls import include, path

from households import views
from households.paychecks import views as paychecks_views

app_name = "households"
urlpatterns = [
    path("", views.household_list, name="list"),
    path("search/", views.household_search, name="search"),
    path("paychecks/refresh/", paychecks_views.refresh, name="paychecks_refresh"),
    path("ledger/", include("households.ledger.urls")),
    path("", include("households.policy.urls")),
    path("", include("households.conflicts.urls")),
    path("new/", views.household_new, name="create"),
    path("<int:pk>/", views.household_detail, name="detail"),
    path("<int:pk>/edit/", views.household_edit, name="edit"),
    path("<int:pk>/history/", views.household_history, name="history"),
    path("<int:pk>/members/<int:member_pk>/reveal-id/", views.member_reveal_id, name="reveal_id"),
    path("<int:pk>/flags/new/", views.flag_new, name="flag_new"),
    path("<int:pk>/flags/<int:flag_pk>/", views.flag_dispose, name="flag"),
]
