from django.urls import path

from credits import views

app_name = "credits"

urlpatterns = [
    path("", views.learn_more, name="learn_more"),
    path("mine/", views.my_credits, name="mine"),
    path("leaderboard/", views.leaderboard, name="leaderboard"),
    path("causes/", views.causes, name="causes"),
    path("causes/<slug:slug>/", views.cause_detail, name="cause"),
]
