from django.urls import path

from archives.records import views

# Included by archives/urls.py under "records/", inside the "archives" namespace.
urlpatterns = [
    path("", views.records_index, name="records"),
    path("campaigns/<int:pk>/", views.records_campaign, name="records_campaign"),
    path("upload/", views.record_upload, name="record_upload"),
    path("documents/<int:pk>/download/", views.record_download, name="record_download"),
    path("documents/<int:pk>/delete/", views.record_delete, name="record_delete"),
    path("boxes/<int:pk>/", views.record_box, name="record_box"),
    path("labels.pdf", views.record_labels, name="record_labels"),
    path("kinds/", views.record_kinds, name="record_kinds"),
    path("kinds/<int:pk>/", views.record_kind_edit, name="record_kind_edit"),
]
