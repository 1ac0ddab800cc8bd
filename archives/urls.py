from django.urls import path

from archives import views

app_name = "archives"
urlpatterns = [
    path("", views.archive_index, name="index"),
]
