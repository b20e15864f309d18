from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("portal/report/", views.report, name="report"),
    path("portal/incidents/<str:number>/accept/", views.accept, name="accept"),
    path("portal/incidents/<str:number>/reopen/", views.reopen, name="reopen"),
    path("portal/incidents/<str:number>/cancel/", views.cancel, name="cancel"),
    path("desk/incidents/<str:number>/take/", views.take, name="take"),
    path("desk/incidents/<str:number>/start/", views.start, name="start"),
    path("desk/incidents/<str:number>/resolve/", views.resolve, name="resolve"),
]
