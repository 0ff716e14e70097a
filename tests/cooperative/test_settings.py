"""The settings module fails loudly on bad configuration and is production-ready with DEBUG off."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k7#q2!vZ9@xP4$mR8^tL1&wN6*yB3(cH5)jD0_fG-sA+eU=iO[pK]lM{nQ}rS|tV",
    "ALLOWED_HOSTS": "cooperativa.example.org",
    "DATABASE_URL": "sqlite:////tmp/check-deploy.sqlite3",
}


def run(code_or_args: list[str], **env: str) -> subprocess.CompletedProcess:
    configured = {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "SECURE_SSL_REDIRECT", "REDIS_URL"}
    clean_env = {k: v for k, v in os.environ.items() if k not in configured}
    clean_env.update(env, DJANGO_SETTINGS_MODULE="cooperative.settings")
    return subprocess.run(
        [sys.executable, *code_or_args], cwd=PROJECT, env=clean_env, capture_output=True, text=True, timeout=120
    )


def import_settings(**env: str) -> subprocess.CompletedProcess:
    return run(["-c", "import cooperative.settings"], **env)


def test_it_refuses_to_start_without_a_secret_key_when_debug_is_off():
    result = import_settings(DEBUG="false", ALLOWED_HOSTS="example.org")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_it_refuses_a_short_secret_key_in_production():
    result = import_settings(DEBUG="false", SECRET_KEY="short", ALLOWED_HOSTS="example.org")

    assert result.returncode != 0
    assert "SECRET_KEY must be at least 50 characters" in result.stderr


@pytest.mark.parametrize("value", ["maybe", "2", "si"])
def test_it_refuses_a_debug_value_it_cannot_read(value):
    result = import_settings(DEBUG=value)

    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_it_refuses_a_database_url_it_cannot_use():
    result = import_settings(DEBUG="true", DATABASE_URL="mysql://root@localhost/coop")

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_it_refuses_a_wildcard_host_in_production():
    result = import_settings(**{**PRODUCTION_ENV, "ALLOWED_HOSTS": "*"})

    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_it_defaults_to_a_sqlite_file_in_the_project_folder_spanish_and_lima_time():
    code = (
        "from django.conf import settings as s; "
        "import json; print(json.dumps([s.DATABASES['default']['ENGINE'], str(s.DATABASES['default']['NAME']), "
        "s.LANGUAGE_CODE, s.TIME_ZONE, [code for code, _ in s.LANGUAGES], "
        "'django.middleware.locale.LocaleMiddleware' in s.MIDDLEWARE]))"
    )
    result = run(["-c", f"import django; django.setup(); {code}"], DEBUG="true")

    assert result.returncode == 0, result.stderr
    engine, name, language, zone, languages, locale_middleware = json.loads(result.stdout)
    assert engine == "django.db.backends.sqlite3"
    assert name == str(PROJECT / "db.sqlite3")
    assert (language, zone) == ("es", "America/Lima")
    assert languages == ["es", "en"]
    assert locale_middleware is True


def test_it_reads_postgresql_from_database_url():
    code = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['ENGINE'], d['NAME'], d['HOST'], repr(d['OPTIONS']['options']))"
    )
    result = run(
        ["-c", f"import django; django.setup(); {code}"],
        DEBUG="true",
        DATABASE_URL="postgres://coop:secret@db.internal:5432/cooperativa",
    )

    assert result.returncode == 0, result.stderr
    # JIT compilation is switched off: it costs seconds on the dashboard's aggregates over many rows.
    assert result.stdout.split(maxsplit=3) == [
        "django.db.backends.postgresql",
        "cooperativa",
        "db.internal",
        "'-c jit=off'\n",
    ]


def test_it_refuses_a_redis_url_it_cannot_use():
    result = import_settings(DEBUG="true", REDIS_URL="localhost:6379")

    assert result.returncode != 0
    assert "REDIS_URL must start with redis:// or rediss://" in result.stderr


def test_with_redis_url_the_cache_the_throttle_and_the_sessions_are_shared():
    code = (
        "from django.conf import settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.CACHES['limits']['BACKEND'], s.SESSION_ENGINE, "
        "s.CACHES['default']['OPTIONS'].get('IGNORE_EXCEPTIONS'), "
        "s.CACHES['limits']['OPTIONS'].get('IGNORE_EXCEPTIONS'))"
    )
    result = run(
        ["-c", f"import django; django.setup(); {code}"], DEBUG="true", REDIS_URL="redis://cache.internal:6379/0"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django_redis.cache.RedisCache",
        "django_redis.cache.RedisCache",
        "django.contrib.sessions.backends.cached_db",
        "True",  # pages go on from the database while Redis is down
        "None",  # the throttle does not: it refuses (api.throttling)
    ]


def test_check_deploy_is_clean_with_redis_too():
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION_ENV,
        REDIS_URL="redis://127.0.0.1:6379/0",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_check_deploy_reports_no_warnings_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_collectstatic_with_the_production_storage_succeeds(tmp_path, settings):
    """The manifest storage refuses a file referencing a missing one (e.g. a source map): production's
    collectstatic must go through with every vendored file."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }

    call_command("collectstatic", interactive=False, verbosity=0)

    assert (tmp_path / "staticfiles.json").exists()
