from django.urls import path

from . import views

app_name = "requests_catalog"

urlpatterns = [
    path("portal/catalog/", views.catalog, name="catalog"),
    path("portal/catalog/items/<slug:slug>/", views.order_item, name="item"),
    path("portal/catalog/cart/", views.cart, name="cart"),
    path("portal/catalog/cart/<int:pk>/remove/", views.cart_remove, name="cart_remove"),
    path("portal/requests/<str:number>/cancel/", views.cancel, name="cancel"),
    path("portal/requests/<str:number>/confirm/", views.confirm, name="confirm"),
    path("portal/approvals/", views.approvals, name="approvals"),
    path("portal/approvals/<int:pk>/", views.approval, name="approval"),
    path("portal/delegations/", views.delegations, name="delegations"),
    path("portal/delegations/<int:pk>/delete/", views.delegation_delete, name="delegation_delete"),
    path("desk/tasks/<str:number>/start/", views.task_start, name="task_start"),
    path("desk/tasks/<str:number>/complete/", views.task_complete, name="task_complete"),
    path("desk/tasks/<str:number>/ask/", views.task_ask, name="task_ask"),
]
