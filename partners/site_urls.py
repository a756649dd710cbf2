"""The public pages of the experimentation sites, at the site's root: the list with its map, and the GeoJSON feed."""

from django.urls import path

from . import site_views

app_name = "sites"

urlpatterns = [
    path("sites/", site_views.site_list, name="list"),
    path("sites.geojson", site_views.sites_geojson, name="geojson"),
]
