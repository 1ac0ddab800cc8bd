from django.urls import path

from review.dynamic import views

app_name = "dynamic"
urlpatterns = [
    path("", views.index, name="index"),
    path("run/", views.run_now, name="run"),
    path("rules/", views.rules, name="rules"),
    path("households/<int:pk>/", views.household, name="household"),
    path("households/<int:pk>/change/", views.household_change, name="household_change"),
    path("households/<int:pk>/grace/", views.household_grace, name="household_grace"),
    path("grace/", views.graces, name="graces"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/", views.report_detail, name="report"),
    path("reports/<int:pk>/file.<slug:kind>", views.report_file, name="report_file"),
    path("reports/district/", views.district_start, name="district_start"),
    path("reports/district/<int:pk>/", views.district_report, name="district_report"),
    path("reports/district/<int:pk>/progress/", views.district_progress, name="district_progress"),
    path("reports/district/<int:pk>/file.<slug:kind>", views.district_file, name="district_file"),
    path("analysis/", views.analyses, name="analyses"),
    path("analysis/<int:pk>/", views.analysis, name="analysis"),
    path("analysis/<int:pk>/<slug:what>/", views.analysis_post, name="analysis_post"),
    path("analysis/<int:pk>/items/<int:item_id>/", views.analysis_item, name="analysis_item"),
    path("spot-checks/", views.samples, name="samples"),
    path("spot-checks/<int:pk>/", views.sample, name="sample"),
    path("spot-checks/<int:pk>/results.xlsx", views.sample_xlsx, name="sample_xlsx"),
    path("spot-checks/checks/<int:pk>/", views.check, name="check"),
    path("spot-checks/checks/<int:pk>/assign/", views.check_assign, name="check_assign"),
    path("spot-checks/checks/<int:pk>/rectify/", views.check_rectify, name="check_rectify"),
    path("spot-checks/checks/<int:pk>/close/", views.check_close, name="check_close"),
    path("campaigns/<int:pk>/summary/", views.campaign_summary, name="summary"),
    path("campaigns/<int:pk>/summary.xlsx", views.summary_xlsx, name="summary_xlsx"),
    path("campaigns/<int:pk>/summary.pdf", views.summary_pdf, name="summary_pdf"),
]
