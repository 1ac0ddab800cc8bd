"""The town office's rules pages, under /households/ (names in the households namespace)."""

from django.urls import path

from households.policy import views

urlpatterns = [
    path("standards/", views.standard_list, name="standards"),
    path("standards/new/", views.standard_new, name="standard_new"),
    path("standards/<int:pk>/", views.standard_edit, name="standard_edit"),
    path("standards/<int:pk>/delete/", views.standard_delete, name="standard_delete"),
    path("categories/", views.category_list, name="categories"),
    path("categories/mapping/", views.category_mapping, name="category_mapping"),
    path("categories/changes/", views.supplement_changes, name="supplement_changes"),
    path("categories/new/", views.category_new, name="category_new"),
    path("categories/<int:pk>/", views.category_edit, name="category_edit"),
    path("categories/<int:pk>/remove/", views.category_remove, name="category_remove"),
    path("property-rules/", views.property_rule_list, name="property_rules"),
    path("property-rules/new/", views.property_rule_new, name="property_rule_new"),
    path("property-rules/<int:pk>/", views.property_rule_edit, name="property_rule_edit"),
]
