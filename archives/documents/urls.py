from django.urls import path

from archives.documents import views

# Included by archives/urls.py, inside the "archives" namespace.
urlpatterns = [
    path("", views.archive_index, name="index"),
    path("sync/", views.locations_sync_view, name="sync"),
    path("households/<int:pk>/", views.bag_detail, name="bag"),
    path("households/<int:pk>/upload/", views.document_upload, name="upload"),
    path("documents/<int:pk>/download/", views.document_download, name="download"),
    path("documents/<int:pk>/delete/", views.document_delete, name="delete"),
    path("completeness/", views.completeness, name="completeness"),
    path("completeness.xlsx", views.completeness_export, name="completeness_xlsx"),
    path("labels.pdf", views.labels_print, name="labels"),
]
