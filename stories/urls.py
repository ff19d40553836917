from django.urls import path

from stories import views

app_name = "stories"

urlpatterns = [
    path("", views.front_page, name="front"),
    path("newly-submitted/", views.newly_submitted, name="newly_submitted"),
    path("submit/", views.story_submit, name="submit"),
    path("category/<slug:slug>/", views.category_detail, name="category"),
    path("tags/<str:slug>/", views.tag_detail, name="tag"),
    path("stories/<int:pk>/vet/", views.story_vet, name="vet"),
    path("stories/<int:pk>/report/", views.story_report, name="report"),
    path("stories/<int:pk>/<str:slug>/noted-by/", views.noted_by, name="noted_by"),
    path("stories/<int:pk>/<str:slug>/", views.story_detail, name="detail"),
]
