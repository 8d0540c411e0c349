from django.urls import path

from . import views

app_name = "schools"

urlpatterns = [
    path("lookup/<str:dfes_number>/", views.dfes_lookup, name="dfes_lookup"),
]
