"""Reports may read from a PostgreSQL read replica, and nothing else does.

When `DATABASE_REPLICA_URL` is set, settings declare a second database, "replica". Only code that wraps its
reads in `reading_from_replica()` reaches it — the report tasks, whose reading is long and tolerates the
replica's few seconds of lag. Every other read and every write goes to the primary, so a person always reads
back what was just saved. Without a replica the context changes nothing.
"""

import contextlib
import contextvars

from django.conf import settings

REPLICA = "replica"
_reading_from_replica = contextvars.ContextVar("reading_from_replica", default=False)


@contextlib.contextmanager
def reading_from_replica():
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


class ReplicaRouter:
    """Reads inside reading_from_replica() go to the replica when one is configured; the rest is the primary's."""

    def db_for_read(self, model, **hints):
        if _reading_from_replica.get() and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: an object read there may be related to one read here.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary's schema through replication; nothing is migrated on it directly.
        return db != REPLICA
