from django.urls import path

from households.ledger import views

app_name = "ledger"
urlpatterns = [
    path("", views.ledger_index, name="index"),
    path("template.xlsx", views.template_download, name="template"),
    path("import/", views.import_upload, name="upload"),
    path("import/<int:pk>/", views.batch_detail, name="batch"),
    path("import/<int:pk>/progress/", views.batch_progress, name="batch_progress"),
    path("import/<int:pk>/commit/", views.batch_commit, name="batch_commit"),
    path("import/<int:pk>/errors.xlsx", views.batch_errors, name="batch_errors"),
    path("export/", views.export_new, name="export"),
    path("export/<int:pk>/", views.export_detail, name="export_job"),
    path("export/<int:pk>/progress/", views.export_progress, name="export_progress"),
    path("export/<int:pk>/download/", views.export_download, name="export_download"),
    path("rosters/", views.roster_list, name="rosters"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster"),
    path("rosters/<int:pk>/progress/", views.roster_progress, name="roster_progress"),
    path("rosters/<int:pk>/download.xlsx", views.roster_download, name="roster_download"),
    path("rosters/<int:pk>/flags/", views.roster_flags, name="roster_flags"),
]
