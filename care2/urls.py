from django.conf import settings
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path

from care2.admin_site import protect_admin_login
from care2.sitemaps import SITEMAPS
from care2.views import healthz, readyz, robots_txt

admin.site.site_header = f"{settings.SITE_NAME} moderation"
admin.site.site_title = settings.SITE_NAME
admin.site.login = protect_admin_login(admin.site.login)

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("sitemap.xml", sitemap_views.sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("members/", include("care2.users.urls")),
    path("settings/", include("care2.users.settings_urls")),
    path("comments/", include("comments.urls")),
    path("petitions/", include("petitions.urls")),
    path("search/", include("search.urls")),
    path("api/v1/", include("api.urls")),
    path("credits/", include("credits.urls")),
    path("", include("stories.urls")),
]

handler400 = "care2.views.bad_request"
handler403 = "care2.views.permission_denied"
handler404 = "care2.views.page_not_found"
handler500 = "care2.views.server_error"

if settings.SERVE_MEDIA:
    # Uploaded pictures from the local disk, also without DEBUG (django.conf.urls.static
    # would serve nothing then): for a single server or docker compose without S3.
    import re

    from django.urls import re_path
    from django.views.static import serve

    urlpatterns += [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.*)$",
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
