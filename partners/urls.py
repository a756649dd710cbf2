from django.urls import path

from . import views

app_name = "partners"

urlpatterns = [
    path("", views.PartnerListView.as_view(), name="list"),
    path("<slug:slug>/", views.partner_detail, name="detail"),
]
