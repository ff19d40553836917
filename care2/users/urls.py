from django.urls import path

from care2.users import views

app_name = "users"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/read-all/", views.messages_mark_all_read, name="inbox_read_all"),
    path("inbox/<int:pk>/", views.message_open, name="message_open"),
    path("inbox/<int:pk>/read/", views.message_mark_read, name="message_read"),
    path("<int:pk>/", views.profile, name="profile"),
]
