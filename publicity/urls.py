from django.urls import path

from publicity import views

app_name = "publicity"
urlpatterns = [
    path("", views.round_list, name="rounds"),
]
