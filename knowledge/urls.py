from django.urls import path

from . import views

app_name = "knowledge"

urlpatterns = [
    # Portal: search and read published public articles; suggestions while reporting an issue.
    path("portal/kb/", views.portal_search, name="portal_search"),
    path("portal/kb/suggest/", views.portal_suggest, name="portal_suggest"),
    path("portal/kb/attachments/<int:pk>/", views.attachment, name="attachment"),
    path("portal/kb/<str:number>/", views.portal_article, name="portal_article"),
    path("portal/kb/<str:number>/feedback/", views.portal_feedback, name="portal_feedback"),
    # Desk: write, review and curate.
    path("desk/kb/", views.desk_home, name="desk_home"),
    path("desk/kb/new/", views.desk_new, name="desk_new"),
    path("desk/kb/contributions/", views.desk_contributions, name="desk_contributions"),
    path("desk/kb/tickets/<str:number>/link/", views.ticket_link, name="ticket_link"),
    path("desk/kb/tickets/<str:number>/unlink/", views.ticket_unlink, name="ticket_unlink"),
    path("desk/kb/tickets/<str:number>/draft/", views.ticket_draft, name="ticket_draft"),
    path("desk/kb/<str:number>/", views.desk_article, name="desk_article"),
    path("desk/kb/<str:number>/edit/", views.desk_edit, name="desk_edit"),
    path("desk/kb/<str:number>/versions/<int:version>/", views.desk_version, name="desk_version"),
    path(
        "desk/kb/<str:number>/attachments/<int:pk>/remove/",
        views.desk_remove_attachment,
        name="desk_remove_attachment",
    ),
    path("desk/kb/<str:number>/<slug:action>/", views.desk_action, name="desk_action"),
]
