"""Measurement logic of `manage.py benchmark`: server-side timings of the staff pages, the partner API, the
member exports and the reports, against whatever database DATABASE_URL names (a seeded PostgreSQL).

Requests go through Django's test client in this process (no network, no web server): what is measured is
Django's own work, middleware, views, templates and queries included. Each URL is requested twice to warm
up (the second time with its queries captured), then `repeat` times timed; p50 and p95 are the 10th and
19th cut points of statistics.quantiles(samples, n=20, method="inclusive") (linear interpolation between
the samples). The number of queries is counted on every timed run and must not vary between runs.

One mode only, the worst case a user meets: every Django cache alias is replaced by a dummy cache for the
whole run (fetching.caches_off), and every request, warm-up and timed, comes right after a real write to
the rows the figures read (writing.AfterWrite: a member, its farm, loan, certification and visit, each
column set to its own value in one committed transaction; not timed, its queries not counted).

Besides the requests, the raw SQL of each report (bench.raw_sql) is timed the same way, after the same write,
and its numbers are compared with the report's: the report's p95 divided by the SQL's p95 is the report's
overhead. The budgets are in bench.measuring.budgets.

What the benchmark writes: a `bench-manager` user with a manager role over all regions (created once), a
session for it (deleted at the end), a partner API token created for the run and revoked at the end (the
plain token of an earlier run cannot be recovered, so each run has its own), and what the measured
requests write themselves: one API request log row per API request, the token's `last_used_at`. The
measured data (members, farms, loans...) is not modified: the write before each sample leaves every value
as it was (no history rows, `updated_at` untouched).

Settings overridden while measuring: DEBUG off (no query log in memory), ALLOWED_HOSTS = the test client's
host, API throttling off, and static files without the manifest when `collectstatic` has not been run.
Requests are made as HTTPS (SECURE_SSL_REDIRECT) in the default language.
"""
