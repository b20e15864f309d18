from django.urls import path

from . import views, views_bulk, views_notifications, views_tools

app_name = "servicedesk"

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/tickets/", views.portal_tickets, name="portal_tickets"),
    path("portal/tickets/<str:number>/", views.portal_ticket, name="portal_ticket"),
    path("portal/tickets/<str:number>/reply/", views.portal_reply, name="portal_reply"),
    path("portal/attachments/<int:pk>/", views.portal_attachment, name="portal_attachment"),
    path(
        "portal/notifications/",
        views_notifications.portal_notification_preferences,
        name="portal_notification_preferences",
    ),
    path("desk/", views.desk_queue, name="desk_queue"),
    path("desk/queues/<slug:queue>/", views.desk_queue, name="desk_queue_named"),
    path("desk/tickets/<str:number>/", views.desk_ticket, name="desk_ticket"),
    path("desk/tickets/<str:number>/comment/", views.desk_comment, name="desk_comment"),
    path("desk/tickets/<str:number>/assign/", views.desk_assign, name="desk_assign"),
    path("desk/tickets/<str:number>/take/", views.desk_take, name="desk_take"),
    path("desk/tickets/<str:number>/watch/", views.desk_watch, name="desk_watch"),
    path("desk/group-members/", views.desk_group_members, name="desk_group_members"),
    path("desk/attachments/<int:pk>/", views.desk_attachment, name="desk_attachment"),
    # Desk tools: bulk actions, saved filters, canned responses, the collision warning, the time report.
    path("desk/bulk/", views_bulk.desk_bulk, name="desk_bulk"),
    path("desk/filters/", views_tools.desk_save_filter, name="desk_save_filter"),
    path("desk/filters/<int:pk>/delete/", views_tools.desk_delete_filter, name="desk_delete_filter"),
    path(
        "desk/tickets/<str:number>/canned/<int:pk>/",
        views_tools.desk_canned_response,
        name="desk_canned_response",
    ),
    path("desk/tickets/<str:number>/presence/", views_tools.desk_presence, name="desk_presence"),
    path("desk/time/", views_tools.desk_time, name="desk_time"),
]
