from django.urls import path

from review import views

app_name = "review"
urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaigns"),
]
