from django.urls import path

from review.meetings import views

# Included by review/urls.py under "meetings/", inside the "review" namespace.
urlpatterns = [
    path("", views.meeting_list, name="meetings"),
    path("new/", views.meeting_new, name="meeting_new"),
    path("<int:pk>/", views.meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="meeting_edit"),
    path("<int:pk>/link/", views.meeting_link, name="meeting_link"),
    path("<int:pk>/unlink/<int:link_id>/", views.meeting_unlink, name="meeting_unlink"),
    path("<int:pk>/minutes/", views.meeting_minutes, name="meeting_minutes"),
]
