"""Requests of the measured URLs through Django's test client: a 200 or RequestFailed, bodies read to the end
(streamed ones too), an API list's later page, and every cache switched off."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponseBase
from django.test import Client
from django.test.utils import override_settings

LATER_PAGE_HOPS = 3  # a "later" API page: the first page's `next`, followed this many times


class RequestFailed(Exception):
    """A measured request did not answer 200."""


def request(client: Client, url: str) -> HttpResponseBase:
    """The response to a GET over HTTPS; RequestFailed unless it is a 200."""
    response = client.get(url, secure=True)
    if response.status_code != 200:
        raise RequestFailed(f"HTTP {response.status_code} for {url}")
    return response


def fetch(client: Client, url: str) -> HttpResponseBase:
    """The response, its body read to the end (a streamed one too)."""
    response = request(client, url)
    for _chunk in body_chunks(response):
        pass
    return response


def body_chunks(response: HttpResponseBase) -> Iterator[bytes]:
    """The body as the client receives it: chunk by chunk when streamed, else in one piece."""
    if response.streaming:
        yield from response.streaming_content
    else:
        yield response.content


DUMMY_CACHE = "django.core.cache.backends.dummy.DummyCache"


@contextmanager
def caches_off() -> Iterator[None]:
    """Every cache alias of settings.CACHES, whatever it is named, replaced by Django's dummy cache (which stores
    nothing), so every figure is computed on every request. Django's setting_changed handler drops the cache
    connections, so `caches[alias]` and `django.core.cache.cache` give dummies until the block ends."""
    with override_settings(CACHES={alias: {"BACKEND": DUMMY_CACHE} for alias in settings.CACHES}):
        yield


def get_json(client: Client, url: str) -> Any:
    with caches_off():
        return request(client, url).json()


def follow_next(client: Client, url: str) -> tuple[str, int]:
    """The URL reached by following `next` up to LATER_PAGE_HOPS times from `url`, and the hops made."""
    hops = 0
    while hops < LATER_PAGE_HOPS:
        following = request(client, url).json().get("next")
        if not following:
            break
        parts = urlsplit(following)
        url = f"{parts.path}?{parts.query}"
        hops += 1
    return url, hops
