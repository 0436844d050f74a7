from django.contrib import admin
from django.urls import path

admin.site.site_header = "ACV Suivi — administration"
admin.site.site_title = "ACV Suivi"
admin.site.index_title = "Données du programme"

urlpatterns = [
    path("admin/", admin.site.urls),
]
