from django.urls import path

from . import views

app_name = "cmdb"

urlpatterns = [
    path("desk/cmdb/", views.ci_list, name="ci_list"),
    path("desk/cmdb/<int:pk>/", views.ci_detail, name="ci_detail"),
]
