from django.urls import include, path

from archives.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_index, name="index"),
    path("export.xlsx", views.audit_export, name="export"),
    path("verify/", views.audit_verify, name="verify"),
    path("households/<int:pk>/", views.audit_household, name="household"),
    path("users/<int:pk>/", views.audit_user, name="user"),
    path("anomalies/<slug:slug>/", views.audit_anomaly, name="anomaly"),
    path("clues/", include("archives.clues.urls")),
]
