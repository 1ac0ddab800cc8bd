from django.urls import path

from archives.clues import views

# Included by archives/audit/urls.py under "clues/", inside the "audit" namespace.
# The inspector's one write: kanjia.middleware.INSPECTOR_WRITE_VIEWS names the views below that take it.
urlpatterns = [
    path("", views.clue_list, name="clues"),
    path("new/", views.clue_create, name="clue_create"),
    path("<int:pk>/", views.clue_detail, name="clue_detail"),
    path("<int:pk>/edit/", views.clue_edit, name="clue_edit"),
    path("<int:pk>/refer/", views.clue_refer, name="clue_refer"),
    path("<int:pk>/answer/", views.clue_answer, name="clue_answer"),
]
