from django.urls import path

from . import views

app_name = "datasets"

urlpatterns = [
    path("", views.DatasetListView.as_view(), name="list"),
    path("catalog.jsonld", views.catalog_jsonld, name="catalog"),
    path("new/<slug:partner_slug>/", views.dataset_create, name="create"),
    path("<slug:slug>/edit/", views.dataset_edit, name="edit"),
    path("<slug:slug>/", views.dataset_detail, name="detail"),
]
