from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("stories/", views.story_list, name="stories"),
    path("stories/<int:pk>/", views.story_detail, name="story"),
]
