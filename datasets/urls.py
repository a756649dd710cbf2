from django.urls import path

from . import access_views, distribution_views, views

app_name = "datasets"

urlpatterns = [
    path("", views.DatasetListView.as_view(), name="list"),
    path("catalog.jsonld", views.catalog_jsonld, name="catalog"),
    path("new/<slug:partner_slug>/", views.dataset_create, name="create"),
    path("requests/<slug:partner>/", access_views.partner_requests, name="requests"),
    path("startup/<slug:slug>/", access_views.startup_access, name="startup_access"),
    path("downloads/<slug:partner>/", access_views.partner_downloads, name="downloads"),
    path("<slug:slug>/files/<int:version>/download/", access_views.download, name="download"),
    path("<slug:slug>/agreement/", access_views.agreement, name="agreement"),
    path("<slug:slug>/agreement/new/", access_views.agreement_publish, name="agreement_publish"),
    path("<slug:slug>/request-access/", access_views.request_access, name="request_access"),
    path("<slug:slug>/edit/", views.dataset_edit, name="edit"),
    path("<slug:slug>/", views.dataset_detail, name="detail"),
    path("<slug:slug>/files/new/", distribution_views.distribution_upload, name="upload"),
    path("<slug:slug>/files/<int:version>/preview/", distribution_views.distribution_preview, name="preview"),
]
