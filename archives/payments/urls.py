from django.urls import path

from archives.payments import views

# Included by archives/urls.py, inside the "archives" namespace.
urlpatterns = [
    path("rolls/", views.roll_list, name="rolls"),
    path("rolls/<int:pk>/", views.roll_detail, name="roll"),
    path("rolls/district/", views.district_start, name="district_rolls_start"),
    path("rolls/district/<int:pk>/", views.district_detail, name="district_rolls"),
    path("rolls/district/<int:pk>/progress/", views.district_progress, name="district_rolls_progress"),
    path("rolls/district/<int:pk>/rolls.zip", views.district_download, name="district_rolls_zip"),
    path("rolls/<int:pk>/roll.xlsx", views.roll_xlsx, name="roll_xlsx"),
    path("rolls/<int:pk>/roll.pdf", views.roll_pdf, name="roll_pdf"),
    path("rolls/<int:pk>/villages/<int:village_id>/roll.pdf", views.roll_village_pdf, name="roll_village_pdf"),
]
