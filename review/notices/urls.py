from django.urls import path

from review.notices import views

# Included by review/urls.py, inside the "review" namespace.
urlpatterns = [
    path("notices/", views.notice_list, name="notices"),
    path("notices/settings/", views.notice_settings, name="notice_settings"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/reasons/", views.notice_reasons, name="notice_reasons"),
    path("notices/<int:pk>/deliver/", views.notice_deliver, name="notice_deliver"),
    path("notices/<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("complaints/", views.complaint_list, name="complaints"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("cases/<int:pk>/complaints/new/", views.complaint_new, name="complaint_new"),
]
