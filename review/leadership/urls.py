from django.urls import path

from review.leadership import views

# Included by review/urls.py, inside the "review" namespace.
urlpatterns = [
    path("campaigns/<int:pk>/leadership/", views.leadership_set, name="leadership_set"),
    path("campaigns/<int:pk>/leadership/<int:member_id>/remove/", views.leadership_remove, name="leadership_remove"),
]
