from django.urls import path

from review.teams import views

# Included by review/urls.py, inside the "review" namespace.
urlpatterns = [
    path("teams/", views.team_list, name="team_list"),
    path("teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/", views.team_detail, name="team_detail"),
    path("teams/<int:pk>/edit/", views.team_update, name="team_update"),
    path("teams/<int:pk>/members/", views.team_member_add, name="team_member_add"),
    path("teams/<int:pk>/members/<int:user_id>/remove/", views.team_member_remove, name="team_member_remove"),
    path("teams/<int:pk>/villages/", views.team_village_add, name="team_village_add"),
    path("teams/<int:pk>/villages/<int:village_id>/remove/", views.team_village_remove, name="team_village_remove"),
    path("my-team/", views.my_team, name="my_team"),
    path("staff/", views.staff_list, name="staff_list"),
    path("staff/<int:user_id>/", views.staff_detail, name="staff_detail"),
]
