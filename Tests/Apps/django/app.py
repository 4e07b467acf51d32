"""A one-file Django app on the cache (or cached_db) session backend over Django's Redis cache,
with django.contrib.auth, as the sessionctl tests drive it.

/login?user=NAME creates the user if needed, logs them in with django.contrib.auth.login,
keeps the IP, user agent and login time in the session, and writes the mapping key
user:<pk>:<session key> -> the session's cache key; /me answers 200 "user=<pk>" while the
session authenticates, else 401; /slow?ms=N is a request in flight: it reads the session, waits
N ms, changes it, and the middleware saves it as the response goes out. SESSION_ENGINE comes from $DJANGO_SESSION_ENGINE; on the
database backend (django.contrib.sessions.backends.db) there is no Redis and no mapping: the
sessions are rows of django_session in the app's SQLite file.
"""
import os
import sys
import time

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    SECRET_KEY="sessionctl-test-secret-key-0123456789",
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions"],
    MIDDLEWARE=[
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    SESSION_ENGINE=os.environ.get("DJANGO_SESSION_ENGINE", "django.contrib.sessions.backends.cache"),
    SESSION_COOKIE_AGE=3600,
    CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": f"redis://127.0.0.1:{os.environ['REDIS_PORT']}"}} if "REDIS_PORT" in os.environ
    else {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.path.join(os.environ["APP_DIR"], "db.sqlite3")}},
    USE_TZ=True,
    LOGGING_CONFIG=None,
)
django.setup()

import redis  # noqa: E402
from django.contrib.auth import login  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402

store = redis.Redis(host="127.0.0.1", port=int(os.environ["REDIS_PORT"])) if "REDIS_PORT" in os.environ else None


def do_login(request):
    user, _ = User.objects.get_or_create(username=request.GET["user"])
    login(request, user)
    request.session["ip"] = request.META.get("REMOTE_ADDR")
    request.session["user_agent"] = request.META.get("HTTP_USER_AGENT", "")
    request.session["created_at"] = int(time.time())
    request.session.save()
    if store is None:
        return HttpResponse(f"user={user.pk}")
    # The cache key the session lives under (KEY_PREFIX:VERSION:key), as the cache writes it.
    key = cache.make_key(request.session.cache_key)
    store.set(f"user:{user.pk}:{request.session.session_key}", key, ex=3600)
    return HttpResponse(f"user={user.pk}")


def me(request):
    if request.user.is_authenticated:
        return HttpResponse(f"user={request.user.pk}")
    return HttpResponse("anonymous", status=401)


def slow(request):
    logged_in = request.user.is_authenticated
    time.sleep(int(request.GET.get("ms", "1500")) / 1000)
    request.session["touched"] = time.time()
    if logged_in:
        return HttpResponse(f"user={request.user.pk}")
    return HttpResponse("anonymous", status=401)


def poison(request):
    """Puts what Django 5.2 writes but a strict JSON reader refuses into the session: NaN,
    Infinity, a lone surrogate, lists nested 120 deep, or 210,000 values."""
    kind = request.GET["kind"]
    value = {
        "nan": float("nan"),
        "inf": float("inf"),
        "surrogate": "\ud800",
        "deep": __import__("functools").reduce(lambda inner, _: [inner], range(120), 0),
        "huge": list(range(210_000)),
    }[kind]
    request.session["extra"] = value
    request.session.save()
    return HttpResponse(f"poisoned={kind}")


urlpatterns = [path("login", do_login), path("me", me), path("slow", slow), path("poison", poison)]

if __name__ == "__main__":
    call_command("migrate", verbosity=0, interactive=False)
    from django.core.management import execute_from_command_line
    execute_from_command_line([sys.argv[0], "runserver", "--noreload", "--skip-checks", f"127.0.0.1:{os.environ['PORT']}"])
