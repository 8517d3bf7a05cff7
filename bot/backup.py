"""`dienstplan export` and `dienstplan import`: files and messages around bot.storage.portable."""

from __future__ import annotations

import io
import os
import sys
import tempfile
from pathlib import Path

from peewee import DatabaseError

from bot.config import Config, ConfigError
from bot.storage.db import DatabaseMissing, open_database
from bot.storage.portable import (
    ImportRefused,
    export_state,
    import_state,
    read_document,
    write_document,
)
from bot.storage.urls import redact_url


def export(config: Config, file: str) -> int:
    """Never creates or migrates the database: the document says which migrations its rows
    were written under, and an import upgrades them. A file is replaced only by a complete
    document, so a failed export leaves the previous backup in place."""
    try:
        db = open_database(config.database_target, create=False)
        try:
            document = export_state(db)
        finally:
            db.close_all()
    except DatabaseMissing as error:
        raise ConfigError(f"DIENSTPLAN_DATABASE / dienstplan.database: {error}.") from error
    except DatabaseError as error:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: cannot read `{config.database_shown}` as "
            f"the {config.database_engine} database: {redact_url(str(error)).strip()}."
        ) from error
    if file == "-":
        # UTF-8 whatever the locale says, as a file would be.
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
        try:
            write_document(document, out)
            out.flush()
        except BrokenPipeError:  # `dienstplan export | head`: the reader has had enough
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        finally:
            out.detach()
        return 0
    target = Path(file)
    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            newline="\n",
            dir=target.parent,
            prefix=f".{target.name}.",
            delete=False,
        ) as written:
            temporary = written.name
            write_document(document, written)
        os.replace(temporary, target)
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        print(f"dienstplan: cannot write {file}: {error.strerror or error}.", file=sys.stderr)
        return 1
    rows = sum(len(rows) for rows in document["tables"].values())
    print(f"Exported {rows} rows from {config.database_shown} to {file}.", file=sys.stderr)
    return 0


def import_(config: Config, file: str, *, replace: bool) -> int:
    """Stop the bot first: the import replaces the schema under it in one transaction."""
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        print(f"dienstplan: not imported: cannot read {file}: {reason}.", file=sys.stderr)
        return 1
    try:
        document = read_document(text)
        db = open_database(config.database_target, create=True)
        try:
            rows = import_state(db, document, replace=replace)
        finally:
            db.close_all()
    except ImportRefused as error:
        print(f"dienstplan: not imported: {error}.", file=sys.stderr)
        return 1
    except (OSError, DatabaseError) as error:
        raise ConfigError(
            f"DIENSTPLAN_DATABASE / dienstplan.database: cannot use "
            f"`{config.database_shown}` as the {config.database_engine} database: "
            f"{redact_url(str(error)).strip()}."
        ) from error
    print(f"Imported {rows} rows into {config.database_shown}.", file=sys.stderr)
    return 0
