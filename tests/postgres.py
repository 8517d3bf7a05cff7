"""A fresh PostgreSQL database per test on the server DIENSTPLAN_TEST_POSTGRES names."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

POSTGRES_VARIABLE = "DIENSTPLAN_TEST_POSTGRES"


def _admin(server: str):  # type: ignore[no-untyped-def]
    import psycopg2

    connection = psycopg2.connect(server)
    connection.autocommit = True
    return connection


def with_database(server: str, name: str) -> str:
    """The server's URL naming another database."""
    parts = urlsplit(server)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def fresh_postgres(server: str) -> Iterator[str]:
    """A new empty database's URL; the database is dropped afterwards, with whatever
    connections a killed bot left open."""
    name = f"dienstplan_test_{uuid.uuid4().hex[:12]}"
    admin = _admin(server)
    try:
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(server, name)
        finally:
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def execute(database: str | Path, sql: str, params: tuple[object, ...] = ()) -> None:
    """One statement (with `?` placeholders) on a test's database, whichever engine it is:
    what a test does to the database behind the bot's back."""
    if isinstance(database, Path):
        with sqlite3.connect(database) as connection:
            connection.execute(sql, params)
        connection.close()
        return
    connection = _admin(database)
    try:
        connection.cursor().execute(sql.replace("?", "%s"), params)
    finally:
        connection.close()
