from django.urls import path

from review.outreach import views

# Included by review/urls.py under "outreach/", inside the "review" namespace.
urlpatterns = [
    path("", views.outreach_list, name="outreach"),
    path("new/", views.outreach_new, name="outreach_new"),
    path("<int:pk>/", views.outreach_detail, name="outreach_detail"),
    path("<int:pk>/photo/", views.outreach_photo, name="outreach_photo"),
]
