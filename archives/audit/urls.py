from django.urls import include, path

from archives.audit import views

app_name = "audit"
urlpatterns = [
    path("", views.audit_index, name="index"),
    path("export.xlsx", views.audit_export, name="export"),
    path("verify/", views.audit_verify, name="verify"),
    path("verify/receipt/", views.audit_verify_receipt, name="verify_receipt"),
    path("seals/receipt.pdf", views.seal_receipt, name="seal_receipt"),
    path("households/<int:pk>/", views.audit_household, name="household"),
    path("users/<int:pk>/", views.audit_user, name="user"),
    path("anomalies/<slug:slug>/", views.audit_anomaly, name="anomaly"),
    path("clues/", include("archives.clues.urls")),
]
