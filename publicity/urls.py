from django.urls import path

from publicity import views

app_name = "publicity"
urlpatterns = [
    path("", views.round_list, name="rounds"),
    path("rounds/new/", views.round_prepare, name="round_prepare"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/open/", views.round_open, name="round_open"),
    path("rounds/<int:pk>/close/", views.round_close, name="round_close"),
    path("rounds/<int:pk>/correct/", views.round_correct, name="round_correct"),
    path("campaigns/<int:campaign_pk>/period/", views.round_setting, name="round_setting"),
    path("rounds/<int:pk>/posting/", views.round_posting, name="round_posting"),
    path("rounds/<int:pk>/photo/", views.round_photo, name="round_photo"),
    path("rounds/<int:pk>/notice.pdf", views.round_pdf, name="round_pdf"),
    path("rounds/<int:pk>/objections/new/", views.objection_register, name="objection_register"),
    path("objections/", views.objection_list, name="objections"),
    path("objections/<int:pk>/", views.objection_detail, name="objection"),
    path("campaigns/<int:campaign_pk>/rounds/<int:number>/generate/", views.generate, name="generate"),
    path("jobs/<int:pk>/", views.job_status, name="job"),
    path("combined/<int:pk>.pdf", views.combined_pdf, name="combined_pdf"),
    path("boards/", views.board_list, name="boards"),
    path("boards/<int:village_pk>/regenerate/", views.board_regenerate, name="board_regenerate"),
    path("boards/<int:village_pk>/board.pdf", views.board_pdf, name="board_pdf"),
    path("policy/", views.policy_edit, name="policy"),
    path("policy.pdf", views.policy_pdf, name="policy_pdf"),
]
