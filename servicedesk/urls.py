from django.urls import path

from . import views

app_name = "servicedesk"

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/tickets/", views.portal_tickets, name="portal_tickets"),
    path("portal/tickets/<str:number>/", views.portal_ticket, name="portal_ticket"),
    path("portal/tickets/<str:number>/reply/", views.portal_reply, name="portal_reply"),
    path("portal/attachments/<int:pk>/", views.portal_attachment, name="portal_attachment"),
    path("desk/", views.desk_queue, name="desk_queue"),
    path("desk/queues/<slug:queue>/", views.desk_queue, name="desk_queue_named"),
    path("desk/tickets/<str:number>/", views.desk_ticket, name="desk_ticket"),
    path("desk/tickets/<str:number>/comment/", views.desk_comment, name="desk_comment"),
    path("desk/tickets/<str:number>/assign/", views.desk_assign, name="desk_assign"),
    path("desk/tickets/<str:number>/take/", views.desk_take, name="desk_take"),
    path("desk/tickets/<str:number>/watch/", views.desk_watch, name="desk_watch"),
    path("desk/group-members/", views.desk_group_members, name="desk_group_members"),
    path("desk/attachments/<int:pk>/", views.desk_attachment, name="desk_attachment"),
]
