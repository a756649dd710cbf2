"""/api/: the read-only JSON API, its OpenAPI description at /api/schema/ (outside the language prefix: the data
carries every language)."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import api

# JSON only: no format suffixes (`/api/editions.json`), one address per resource.
router = DefaultRouter()
router.include_format_suffixes = False
router.register("editions", api.EditionViewSet, basename="edition")
router.register("partners", api.PartnerViewSet, basename="partner")
router.register("challenges", api.ChallengeViewSet, basename="challenge")
router.register("selections", api.SelectionViewSet, basename="selection")
router.register("results", api.ResultViewSet, basename="result")
router.register("partnerships", api.PartnershipViewSet, basename="partnership")
router.register("datasets", api.DatasetViewSet, basename="dataset")
router.register("experiments", api.ExperimentViewSet, basename="experiment")

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include(router.urls)),
]
