from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("story/<int:story_pk>/add/", views.comment_add, name="add"),
    path("story/<int:story_pk>/track/", views.track, name="track"),
    path("stop-tracking/<str:token>/", views.stop_tracking, name="stop_tracking"),
    path("<int:pk>/", views.comment_permalink, name="permalink"),
    path("<int:pk>/reply/", views.comment_reply, name="reply"),
    path("<int:pk>/edit/", views.comment_edit, name="edit"),
    path("<int:pk>/delete/", views.comment_delete, name="delete"),
    path("<int:pk>/remove/", views.comment_remove, name="remove"),
    path("<int:pk>/report/", views.comment_report, name="report"),
]
