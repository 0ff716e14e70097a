from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cooperative.views import health, tokens

admin.site.site_header = admin.site.site_title = settings.COOPERATIVE_NAME

urlpatterns = [
    path("health/", health.health, name="health"),
    path("tokens/", tokens.api_token_list, name="api_token_list"),
    path("tokens/new/", tokens.api_token_create, name="api_token_create"),
    path("tokens/<int:pk>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    path("api/v1/", include("api.urls")),
    path("", include("reporting.urls")),
    path("field/", include("members.urls_field")),
    path("certifications/", include("certifications.urls")),
    path("credit/", include("credit.urls_portfolio")),
    path("credit/", include("credit.urls")),
    path("deliveries/", include("deliveries.urls")),
    path("", include("members.urls_eudr")),
    path("", include("deliveries.urls_eudr")),
    path("", include("members.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Errors outside a DRF view (an unknown route, middleware, a crash): JSON under /api/, the HTML pages
# elsewhere (api.errors).
handler400 = "api.errors.bad_request"
handler403 = "api.errors.permission_denied"
handler404 = "api.errors.page_not_found"
handler500 = "api.errors.server_error"
