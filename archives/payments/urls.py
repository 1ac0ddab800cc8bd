from django.urls import path

from archives.payments import views

# Included by archives/urls.py, inside the "archives" namespace.
urlpatterns = [
    path("rolls/", views.roll_list, name="rolls"),
    path("rolls/<int:pk>/", views.roll_detail, name="roll"),
    path("rolls/<int:pk>/roll.xlsx", views.roll_xlsx, name="roll_xlsx"),
    path("rolls/<int:pk>/roll.pdf", views.roll_pdf, name="roll_pdf"),
]
