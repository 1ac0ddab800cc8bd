from django.urls import path

from review.visits import views

urlpatterns = [
    path("", views.visit_app, name="visit_app"),
    path("sw.js", views.visit_worker, name="visit_worker"),
    path("session/", views.visit_session, name="visit_session"),
    path("download/", views.visit_download, name="visit_download"),
    path("sync/", views.visit_sync, name="visit_sync"),
]
