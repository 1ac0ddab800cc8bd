from django.urls import include, path

from review import case_views, views

app_name = "review"
urlpatterns = [
    path("campaigns/", case_views.campaign_list, name="campaigns"),
    path("campaigns/new/", case_views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", case_views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/launch/", case_views.campaign_launch, name="campaign_launch"),
    path("cases/<int:pk>/", case_views.case_detail, name="case_detail"),
    path("cases/<int:pk>/stage/<slug:stage>/", case_views.case_stage, name="case_stage"),
    path("cases/<int:pk>/action/<slug:action>/", case_views.case_action, name="case_action"),
    path("cases/<int:pk>/sign/", case_views.case_sign, name="case_sign"),
    path("cases/<int:pk>/registration.pdf", case_views.registration_pdf, name="registration_pdf"),
    path("cases/<int:pk>/notice.pdf", case_views.acceptance_notice_pdf, name="acceptance_notice_pdf"),
    path("households/<int:household_pk>/apply/", case_views.application_new, name="application_new"),
    path("worklist/", case_views.worklist_view, name="worklist"),
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
    path("relatives/", include("review.relative_urls")),
    path("dynamic/", include("review.dynamic_urls")),
]
