from django.urls import path

from . import views, views_escalation, views_major

app_name = "incidents"

urlpatterns = [
    path("portal/report/", views.report, name="report"),
    path("portal/incidents/<str:number>/accept/", views.accept, name="accept"),
    path("portal/incidents/<str:number>/reopen/", views.reopen, name="reopen"),
    path("portal/incidents/<str:number>/cancel/", views.cancel, name="cancel"),
    path("desk/incidents/<str:number>/take/", views.take, name="take"),
    path("desk/incidents/<str:number>/start/", views.start, name="start"),
    path("desk/incidents/<str:number>/resolve/", views.resolve, name="resolve"),
    path("desk/incidents/<str:number>/hold/", views.hold, name="hold"),
    path("desk/incidents/<str:number>/resume/", views.resume, name="resume"),
    path("desk/incidents/<str:number>/classify/", views.classify, name="classify"),
    path("desk/incidents/<str:number>/priority/", views.override_priority, name="override_priority"),
    path("desk/incidents/<str:number>/priority/matrix/", views.restore_priority, name="restore_priority"),
    # Major incidents and merging duplicates (views_major).
    path("desk/incidents/<str:number>/major/promote/", views_major.promote, name="promote_major"),
    path("desk/incidents/<str:number>/major/announcement/", views_major.announcement, name="major_announcement"),
    path("desk/incidents/<str:number>/major/link/", views_major.link, name="link_child"),
    path("desk/incidents/<str:number>/major/unlink/", views_major.unlink, name="unlink_child"),
    path("desk/incidents/<str:number>/merge/", views_major.merge, name="merge"),
    # Escalation to another group or to the group's manager (views_escalation).
    path("desk/incidents/<str:number>/escalate/group/", views_escalation.escalate_group, name="escalate_group"),
    path("desk/incidents/<str:number>/escalate/manager/", views_escalation.escalate_manager, name="escalate_manager"),
]
