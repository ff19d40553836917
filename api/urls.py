from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("stories/", views.story_list, name="stories"),
    path("stories/<int:pk>/", views.story_detail, name="story"),
    path("petitions/", views.petition_list, name="petitions"),
    path("petitions/<int:pk>/", views.petition_detail, name="petition"),
]
