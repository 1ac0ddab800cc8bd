from django.urls import path

from review.cases import views

# Included by review/urls.py, inside the "review" namespace.
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_create, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/launch/", views.campaign_launch, name="campaign_launch"),
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/", views.case_detail, name="case_detail"),
    path("cases/<int:pk>/stage/<slug:stage>/", views.case_stage, name="case_stage"),
    path("cases/<int:pk>/action/<slug:action>/", views.case_action, name="case_action"),
    path("cases/<int:pk>/sign/", views.case_sign, name="case_sign"),
    path("cases/<int:pk>/registration.pdf", views.registration_pdf, name="registration_pdf"),
    path("cases/<int:pk>/notice.pdf", views.acceptance_notice_pdf, name="acceptance_notice_pdf"),
    path("households/<int:household_pk>/apply/", views.application_new, name="application_new"),
    path("worklist/", views.worklist_view, name="worklist"),
]
