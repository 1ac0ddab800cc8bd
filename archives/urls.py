from django.urls import include, path

# One URLconf per topic package; every URL keeps its name in the "archives" namespace.
app_name = "archives"
urlpatterns = [
    path("", include("archives.documents.urls")),
    path("", include("archives.payments.urls")),
    path("records/", include("archives.records.urls")),
]
