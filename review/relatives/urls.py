from django.urls import path

from review.relatives import views

app_name = "relatives"
urlpatterns = [
    path("mine/", views.my_declaration, name="mine"),
    path("mine/none/", views.my_declaration_none, name="mine_none"),
    path("register/", views.register, name="register"),
    path("register/export.xlsx", views.register_export, name="export"),
    path("register/new/", views.filing_new, name="filing_new"),
    path("register/<int:pk>/", views.filing_detail, name="filing"),
    path("register/<int:pk>/report/", views.filing_report_view, name="filing_report"),
    path("register/<int:pk>/verify/", views.filing_verify_view, name="filing_verify"),
    path("register/<int:pk>/form.pdf", views.filing_pdf, name="filing_pdf"),
]
