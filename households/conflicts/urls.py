"""Duplicate-ID answers for the town office, under /households/ (names in the households namespace)."""

from django.urls import path

from households.conflicts import views

urlpatterns = [
    path("conflicts/", views.conflict_list, name="conflicts"),
    path("conflicts/<int:pk>/resolve/", views.conflict_resolve, name="conflict_resolve"),
]
