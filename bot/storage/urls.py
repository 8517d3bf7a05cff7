"""Database URLs without the database: the configuration reads them before (and whether or
not) peewee is imported, so a bot on SQLite never loads a PostgreSQL driver."""

from __future__ import annotations

import re
from pathlib import Path

# Up to the last `@` of the authority, so an unencoded `@` in the password is not half shown.
_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/\s]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&\s]*")


def is_postgres_url(target: str | Path) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


# Up to the last `@` of the authority, so an unencoded `@` in the password is not half shown.
_PASSWORD = re.compile(r"(?<=://)([^/@:\s]*):[^/\s]*@")
_QUERY_PASSWORD = re.compile(r"([?&]password=)[^&\s]*")


def redact_url(text: str) -> str:
    """`postgresql://user:secret@host/db` as `postgresql://user:***@host/db`, wherever a URL
    appears in `text` (a driver's error message may quote it); a `password=` parameter too."""
    return _QUERY_PASSWORD.sub(r"\1***", _PASSWORD.sub(r"\1:***@", text))
