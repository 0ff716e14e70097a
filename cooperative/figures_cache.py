"""Cached aggregates: figures computed over many rows (the dashboard, the partner summary report), kept until
the data changes.

How a change is noticed: every INSERT, UPDATE or DELETE that Django sends to a domain table (ORM saves, bulk
operations, raw SQL through Django's connection) marks its transaction, and when the transaction commits the
version of its topic (a row of DataVersion) goes up by one. Two topics: VISITS, the farm visits the field app
writes all day long, and FIGURES, every other domain table; so a synchronised visit recomputes the visit
counts only. Cached figures are keyed by their topic's version, so the first request after a commit
computes them again, in every process. The bump runs after the commit, so figures computed while a
change is still uncommitted are stored under the old version and never served once the change is visible.
Writes that bypass Django's connection (PostgreSQL COPY in bench.seeding) call `bump_data_version` themselves.

The cache is the `figures` alias of CACHES (a local memory cache per process by default; the tests use a
dummy cache, so each test computes its figures).
"""

import hashlib
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.backends.signals import connection_created
from django.db.models import F
from django.db.models.signals import post_migrate, pre_migrate
from django.utils import translation

CACHE_ALIAS = "figures"
CACHE_SECONDS = 24 * 60 * 60
# Topics: the primary keys of their DataVersion rows.
FIGURES = 1
VISITS = 2
VISIT_TABLES = frozenset(
    {
        "members_farmvisit",
        "members_historicalfarmvisit",
        "members_visitpestobservation",
        "members_historicalvisitpestobservation",
        "members_visitphoto",
    }
)
# Tables whose changes alter no cached figure: the version rows themselves, API tokens and the request log.
# Deliveries are not tracked either: no cached figure reads them (a settlement's loan deductions are credit
# rows, which are).
UNTRACKED_TABLES = frozenset({"cooperative_dataversion", "cooperative_apitoken", "cooperative_apirequestlog"})
TRACKED_PREFIXES = ("members_", "certifications_", "credit_", "cooperative_")
_WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def _topic_changed(sql: str) -> int | None:
    """The topic a statement changes, or None."""
    match = _WRITE.match(sql)
    if match is None:
        return None
    table = match.group(1).lower()
    if table in VISIT_TABLES:
        return VISITS
    if table.startswith(TRACKED_PREFIXES) and table not in UNTRACKED_TABLES:
        return FIGURES
    return None


def bump_data_version(using: str = DEFAULT_DB_ALIAS, topics: tuple[int, ...] = (FIGURES, VISITS)) -> None:
    """Raise the versions of `topics` now (callers that wrote outside Django's connection: every topic)."""
    from cooperative.models import DataVersion

    DataVersion.objects.using(using).filter(pk__in=topics).update(version=F("version") + 1)


_migrating = False


def _migration_starts(**kwargs: Any) -> None:
    global _migrating
    _migrating = True


def _migration_ends(using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """After `migrate` (and `flush`): one bump for whatever the migrations wrote, when the row exists."""
    global _migrating
    _migrating = False
    if "cooperative_dataversion" in connections[using].introspection.table_names():
        bump_data_version(using)


class _WriteWatcher:
    """An execute wrapper (Django's database instrumentation) on one connection: after a statement that
    changes a domain table, bump the version when the transaction commits (once per transaction)."""

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self.bumps = {topic: partial(bump_data_version, alias, (topic,)) for topic in (FIGURES, VISITS)}

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        result = execute(sql, params, many, context)
        topic = None if _migrating else _topic_changed(sql)
        if topic is not None and not self._pending(context["connection"], self.bumps[topic]):
            transaction.on_commit(self.bumps[topic], using=self.alias, robust=True)
        return result

    @staticmethod
    def _pending(connection: Any, bump: Callable) -> bool:
        """Whether this transaction already bumps the topic on commit (a rollback drops the callback)."""
        return any(callback is bump for _, callback, _ in connection.run_on_commit)


def _watch(sender: Any, connection: Any, **kwargs: Any) -> None:
    if not any(isinstance(wrapper, _WriteWatcher) for wrapper in connection.execute_wrappers):
        connection.execute_wrappers.append(_WriteWatcher(connection.alias))


def install() -> None:
    """Watch every database connection (called by CooperativeConfig.ready)."""
    connection_created.connect(_watch, dispatch_uid="cooperative.figures_cache")
    # While migrations run, the version table may not exist yet: no bump until they end.
    pre_migrate.connect(_migration_starts, dispatch_uid="cooperative.figures_cache")
    post_migrate.connect(_migration_ends, dispatch_uid="cooperative.figures_cache")
    for connection in connections.all(initialized_only=True):
        _watch(None, connection)


def data_version(topic: int = FIGURES, using: str = DEFAULT_DB_ALIAS) -> int | None:
    """The topic's current version (one query), or None when its row is missing (then nothing is cached)."""
    from cooperative.models import DataVersion

    return DataVersion.objects.using(using).filter(pk=topic).values_list("version", flat=True).first()


def cached_figures(name: str, key_parts: tuple, compute: Callable[[], Any], *, topic: int = FIGURES) -> Any:
    """`compute()`'s result, from the cache when the topic's data has not changed since it was stored.

    `key_parts` must hold everything the result depends on besides the data: the scope (region ids, the
    partner), the filters, the date. The active language is added, as figures carry translated labels.
    One query (the version) on a hit."""
    version = data_version(topic)
    if version is None:
        return compute()
    digest = hashlib.sha256(repr((key_parts, translation.get_language())).encode()).hexdigest()
    key = f"{name}:{topic}:{version}:{digest}"
    cache = caches[CACHE_ALIAS]
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, CACHE_SECONDS)
    return found
