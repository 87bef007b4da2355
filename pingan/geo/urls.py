"""Pages for regions and grids (the API lives in pingan/api_urls.py)."""

from __future__ import annotations

from django.urls import path

from pingan.geo import views

app_name = "geo"
urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("map/grids.geojson", views.map_grids, name="map_grids"),
    path("map/regions.geojson", views.map_regions, name="map_regions"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/export.xlsx", views.region_export, name="region_export"),
    path("regions/<int:pk>/", views.region_detail, name="region_detail"),
    path("grids/", views.grid_list, name="grid_list"),
    path("grids/export.xlsx", views.grid_export, name="grid_export"),
    path("grids/<int:pk>/", views.grid_detail, name="grid_detail"),
]
