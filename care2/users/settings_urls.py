from django.urls import path

from care2.users import settings_views

app_name = "settings"

urlpatterns = [
    path("", settings_views.settings_page, name="index"),
    path("avatar/", settings_views.avatar_upload, name="avatar"),
    path("avatar/remove/", settings_views.avatar_delete, name="avatar_remove"),
    path("my-data.json", settings_views.data_download, name="data_download"),
    path("delete-account/", settings_views.account_delete, name="account_delete"),
]
