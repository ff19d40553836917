from django.urls import path

from care2.users import views

app_name = "users"

urlpatterns = [
    path("inbox/", views.inbox, name="inbox"),
    path("<int:pk>/", views.profile, name="profile"),
]
