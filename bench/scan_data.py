"""A helpdesk's history for the scan benchmark, generated inside PostgreSQL (INSERT … SELECT over
generate_series, so nothing crosses the wire row by row).

Two years of it, ending `now`: 100 customers, 50,000 backup users (one in fifty still pending
activation; each sent one activation e-mail), 1,000 invitation batches holding 500,000
invitations spread evenly over the two years and valid 7 days each - those of the last week
still live (queued, sent or opened), older ones expired, enrolled (a device each, in the licence
tally as deskops keeps it), revoked or failed - and one outbox row per invitation, delivered. Deterministic: the same `now` gives the
same rows.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

# Half the size of the first runs (1,000,000 invitations): generating them took 35 s on a quiet
# machine and 2.5 min on a busy one, which `make bench` as a whole cannot afford; the plans and
# the verdicts are the same (`python -m bench.scans`' run() takes other sizes).
USERS = 50_000
INVITATIONS = 500_000
CUSTOMERS = 100
BATCHES = 1_000
DAYS = 730

# Each statement takes %(now)s; ages are spread evenly over DAYS.
STATEMENTS = [
    (
        "customers",
        """INSERT INTO customers (id, name, provider_id, created_at)
        SELECT g, 'Customer ' || lpad(g::text, 3, '0'), 'local-' || g, %(now)s - interval '800 days'
        FROM generate_series(1, {customers}) AS g""",
    ),
    (
        "backup_users",
        """INSERT INTO backup_users (id, customer_id, first_name, last_name, email, email_key, role,
            status, provisioning, created_by, created_at, activated_at)
        SELECT g, 1 + g %% {customers}, 'First' || g, 'Last' || g, 'user' || g || '@c' || (1 + g %% {customers}) || '.example',
            'user' || g || '@c' || (1 + g %% {customers}) || '.example', 'user',
            CASE WHEN g %% 50 = 0 THEN 'pending_activation' ELSE 'active' END, 'done', 'U0BENCH00',
            %(now)s - (g::float / {users} * {days}) * interval '1 day',
            CASE WHEN g %% 50 = 0 THEN NULL
                 ELSE %(now)s - (g::float / {users} * {days}) * interval '1 day' + interval '1 day' END
        FROM generate_series(1, {users}) AS g""",
    ),
    (
        "activation_tokens",
        """INSERT INTO activation_tokens (id, user_id, token_hash, nonce, created_at, expires_at, used_at)
        SELECT u.id, u.id, md5('activation' || u.id), md5('nonce' || u.id), u.created_at,
            u.created_at + interval '7 days', u.activated_at
        FROM backup_users AS u""",
    ),
    (
        "invitation_batches",
        """INSERT INTO invitation_batches (id, created_by, created_at, channel_id, platform, days,
            expires_at, invitees, invitations, state, request_key, finished_at)
        SELECT g, 'U0BENCH00', %(now)s - ((g - 1)::float / {batches} * {days}) * interval '1 day',
            'C0BENCH1', 'ios', 7,
            %(now)s - ((g - 1)::float / {batches} * {days}) * interval '1 day' + interval '7 days',
            {per_batch}, {per_batch}, 'done', 'bench-' || g,
            %(now)s - ((g - 1)::float / {batches} * {days}) * interval '1 day' + interval '1 hour'
        FROM generate_series(1, {batches}) AS g""",
    ),
    (
        "invitations",
        """INSERT INTO invitations (id, batch_id, display_name, directory_id, username, email,
            email_key, platform, token_hash, nonce, state, created_at, expires_at, sent_at,
            opened_at, enrolled_at, revoked_at, failure)
        SELECT g, 1 + (g - 1) / {per_batch}, 'User ' || (g %% {users}), NULL, 'user' || (g %% {users}),
            'user' || (g %% {users}) || '@c' || (1 + g %% {customers}) || '.example',
            'user' || (g %% {users}) || '@c' || (1 + g %% {customers}) || '.example',
            CASE WHEN g %% 2 = 0 THEN 'ios' ELSE 'android' END,
            md5('invitation' || g), md5('n' || g), s.state, s.created, s.created + interval '7 days',
            CASE WHEN s.state IN ('queued', 'failed') THEN NULL ELSE s.created + interval '1 minute' END,
            CASE WHEN s.state IN ('opened', 'enrolled') THEN s.created + interval '2 hours' END,
            CASE WHEN s.state = 'enrolled' THEN s.created + interval '3 hours' END,
            CASE WHEN s.state = 'revoked' THEN s.created + interval '1 day' END,
            CASE WHEN s.state = 'failed' THEN 'the SMTP server refused the recipient' END
        FROM generate_series(1, {invitations}) AS g
        CROSS JOIN LATERAL (
            SELECT %(now)s - ((g - 1)::float / {invitations} * {days}) * interval '1 day' AS created
        ) AS t
        CROSS JOIN LATERAL (
            SELECT t.created, CASE
                WHEN t.created > %(now)s - interval '7 days' THEN
                    CASE WHEN g %% 100 < 2 THEN 'queued' WHEN g %% 100 < 50 THEN 'sent'
                         WHEN g %% 100 < 70 THEN 'opened' ELSE 'enrolled' END
                ELSE
                    CASE WHEN g %% 100 < 60 THEN 'expired' WHEN g %% 100 < 90 THEN 'enrolled'
                         WHEN g %% 100 < 97 THEN 'revoked' ELSE 'failed' END
            END AS state
        ) AS s""",
    ),
    (
        "devices",
        """INSERT INTO devices (owner_email, platform, device_id, invitation_id, enrolled_at)
        SELECT email_key, platform, 'device-' || id, id, enrolled_at
        FROM invitations WHERE state = 'enrolled'""",
    ),
    (
        "device_owners",
        """INSERT INTO device_owners (owner_email, devices)
        SELECT owner_email, count(*) FROM devices GROUP BY owner_email""",
    ),
    (
        "device_tally",
        """INSERT INTO device_tally (devices, owners)
        SELECT devices, count(*) FROM device_owners GROUP BY devices""",
    ),
    (
        "outbox",
        """INSERT INTO outbox (kind, payload, group_key, status, attempts, max_attempts,
            next_attempt_at, created_at, delivered_at, last_error)
        SELECT 'enroll.invitation_email', json_build_object('invitation_id', id), 'batch:' || batch_id,
            CASE WHEN state = 'failed' THEN 'failed' ELSE 'delivered' END, 1, 8, created_at, created_at,
            CASE WHEN state = 'failed' THEN NULL ELSE sent_at END,
            CASE WHEN state = 'failed' THEN failure END
        FROM invitations WHERE state <> 'queued'""",
    ),
]


def load(dsn: str, now: datetime, *, invitations: int = INVITATIONS, users: int = USERS) -> dict[str, float]:
    """Fill an empty, migrated database; returns seconds per table."""
    import time

    sizes = {
        "customers": CUSTOMERS,
        "users": users,
        "invitations": invitations,
        "batches": BATCHES,
        "per_batch": invitations // BATCHES,
        "days": DAYS,
    }
    seconds: dict[str, float] = {}
    with psycopg.connect(dsn, autocommit=True) as connection:
        for table, template in STATEMENTS:
            started = time.perf_counter()
            connection.execute(template.format(**sizes), {"now": now})
            seconds[table] = time.perf_counter() - started
        for table in (
            "customers",
            "backup_users",
            "activation_tokens",
            "invitation_batches",
            "invitations",
            "devices",
            "outbox",
        ):
            connection.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        started = time.perf_counter()
        connection.execute("VACUUM (ANALYZE)")
        seconds["vacuum_analyze"] = time.perf_counter() - started
    return seconds
