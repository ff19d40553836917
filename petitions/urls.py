from django.urls import path

from petitions import views
from petitions.feeds import (
    CategoryPetitionFeed,
    NewestPetitionFeed,
    PetitionFeed,
    VictoryFeed,
    atom,
)

app_name = "petitions"

urlpatterns = [
    path("", views.petition_list, name="list"),
    path("newest/", views.petition_newest, name="newest"),
    path("victories/", views.petition_victories, name="victories"),
    path("category/<slug:slug>/", views.petition_category, name="category"),
    path("start/", views.petition_start, name="start"),
    path("confirm/<str:token>/", views.signature_confirm, name="confirm"),
    path("withdraw/<str:token>/", views.signature_withdraw_link, name="withdraw_link"),
    path("<int:pk>/sign/", views.petition_sign, name="sign"),
    path("<int:pk>/signed/", views.petition_check_email, name="check_email"),
    path("<int:pk>/withdraw/", views.signature_withdraw, name="withdraw"),
    path("<int:pk>/manage/", views.petition_manage, name="manage"),
    path("<int:pk>/close/", views.petition_close, name="close"),
    path("<int:pk>/victory/", views.petition_victory, name="victory"),
    path("<int:pk>/updates/", views.petition_update, name="update"),
    path("<int:pk>/signatures.csv", views.petition_csv, name="csv"),
    path("<int:pk>/embed/", views.petition_embed, name="embed"),
    path("start/picture/<str:token>/", views.petition_image_preview, name="image_preview"),
    path("<int:pk>/<str:slug>/", views.petition_detail, name="detail"),
    path("feeds/featured.rss", PetitionFeed(), name="feed_rss"),
    path("feeds/featured.atom", atom(PetitionFeed)(), name="feed_atom"),
    path("feeds/newest.rss", NewestPetitionFeed(), name="feed_newest_rss"),
    path("feeds/newest.atom", atom(NewestPetitionFeed)(), name="feed_newest_atom"),
    path("feeds/victories.rss", VictoryFeed(), name="feed_victories_rss"),
    path("feeds/victories.atom", atom(VictoryFeed)(), name="feed_victories_atom"),
    path("feeds/category/<slug:slug>.rss", CategoryPetitionFeed(), name="feed_category_rss"),
    path(
        "feeds/category/<slug:slug>.atom", atom(CategoryPetitionFeed)(), name="feed_category_atom"
    ),
]
