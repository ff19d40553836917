from django.urls import path

from stories import views
from stories.feeds import CategoryFeed, NewlySubmittedFeed, StoryFeed, TagFeed, atom

app_name = "stories"

urlpatterns = [
    path("", views.front_page, name="front"),
    path("newly-submitted/", views.newly_submitted, name="newly_submitted"),
    path("submit/", views.story_submit, name="submit"),
    path("category/<slug:slug>/", views.category_detail, name="category"),
    path("tags/<str:slug>/", views.tag_detail, name="tag"),
    path("stories/<int:pk>/vet/", views.story_vet, name="vet"),
    path("stories/<int:pk>/save/", views.story_save_toggle, name="save"),
    path("saved/", views.saved_stories, name="saved"),
    path("stories/<int:pk>/report/", views.story_report, name="report"),
    path("stories/<int:pk>/<str:slug>/noted-by/", views.noted_by, name="noted_by"),
    path("stories/<int:pk>/<str:slug>/", views.story_detail, name="detail"),
    path("feeds/stories.rss", StoryFeed(), name="feed_rss"),
    path("feeds/stories.atom", atom(StoryFeed)(), name="feed_atom"),
    path("feeds/newly-submitted.rss", NewlySubmittedFeed(), name="feed_new_rss"),
    path("feeds/newly-submitted.atom", atom(NewlySubmittedFeed)(), name="feed_new_atom"),
    path("feeds/category/<slug:slug>.rss", CategoryFeed(), name="feed_category_rss"),
    path("feeds/category/<slug:slug>.atom", atom(CategoryFeed)(), name="feed_category_atom"),
    path("feeds/tags/<str:slug>.rss", TagFeed(), name="feed_tag_rss"),
    path("feeds/tags/<str:slug>.atom", atom(TagFeed)(), name="feed_tag_atom"),
]
