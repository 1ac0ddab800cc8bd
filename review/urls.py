from django.urls import include, path

# One URLconf per topic package; every URL keeps its name in the "review" namespace.
app_name = "review"
urlpatterns = [
    path("", include("review.cases.urls")),
    path("", include("review.teams.urls")),
    path("", include("review.leadership.urls")),
    path("meetings/", include("review.meetings.urls")),
    path("outreach/", include("review.outreach.urls")),
    path("", include("review.notices.urls")),
    path("relatives/", include("review.relatives.urls")),
    path("dynamic/", include("review.dynamic.urls")),
    path("visits/", include("review.visits.urls")),
]
