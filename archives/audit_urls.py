from django.urls import path

from archives import audit_views as views

app_name = "audit"
urlpatterns = [
    path("", views.audit_index, name="index"),
]
