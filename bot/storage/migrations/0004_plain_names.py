"""Rotation names as people see them: Slack's `&amp;`, `&lt;`, `&gt;` unescaped, in Unicode
NFC, without the control and text-direction characters names now refuse.

Names created from Slack were stored as Slack sent them (`R&amp;D`), names from the console as
typed (`R&D`); the parser now unescapes, so both are one rotation. When that makes two names
in a channel equal, the rotation whose name was already plain keeps it and the other gets a
` (2)` suffix (logged). Schedules' rotation keys follow the same rule, so deleting a rotation
still finds the schedules whose command names it. The rules are copied here, frozen, rather
than imported from the live parser.
"""

import logging
import re
import unicodedata

from peewee import CharField, IntegerField, Model

log = logging.getLogger(__name__)

_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_MAX_NAME_LENGTH = 80


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFC", _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], name))
    text = "".join(c for c in text if c not in _BIDI_CONTROLS and unicodedata.category(c) != "Cc")
    return " ".join(text.split())


def _key(name: str) -> str:
    return unicodedata.normalize("NFC", " ".join(name.split()).casefold())


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 1
    while _key(candidate) in taken:
        number += 1
        suffix = f" ({number})"
        candidate = name[: _MAX_NAME_LENGTH - len(suffix)] + suffix
    return candidate


def _plan(rows: list[tuple[int, str, str, str]]) -> dict[int, str]:
    """New names by rotation id, for the rows (id, channel, name, name_key) that change.
    Rows already plain keep their names; the others get theirs in id order."""
    taken: dict[str, set[str]] = {}
    changed: list[tuple[int, str, str, str]] = []
    for row in rows:
        id_, channel, name, key = row
        if (_plain(name) or f"rotation {id_}") == name and _key(name) == key:
            taken.setdefault(channel, set()).add(key)
        else:
            changed.append(row)
    renames: dict[int, str] = {}
    for id_, channel, old, _ in changed:
        wanted = _plain(old) or f"rotation {id_}"
        name = _unique(wanted, taken.setdefault(channel, set()))
        taken[channel].add(_key(name))
        if name != wanted:
            log.warning(
                "rotation %r in channel %s is now %r: %r was taken", old, channel, name, wanted
            )
        renames[id_] = name
    return renames


def up(migrator, db):  # type: ignore[no-untyped-def]
    class Rotation(Model):
        id = IntegerField(primary_key=True)
        channel = CharField()
        name = CharField()
        name_key = CharField()

        class Meta:
            database = db
            table_name = "rotation"

    class Schedule(Model):
        id = IntegerField(primary_key=True)
        rotation_key = CharField(null=True)

        class Meta:
            database = db
            table_name = "schedule"

    rows = Rotation.select(Rotation.id, Rotation.channel, Rotation.name, Rotation.name_key)
    renames = _plan(list(rows.order_by(Rotation.id).tuples()))
    # Two steps, so no intermediate state breaks the unique (channel, name_key) index.
    for id_ in renames:
        Rotation.update(name_key=f"\x01{id_}").where(Rotation.id == id_).execute()
    for id_, name in renames.items():
        Rotation.update(name=name, name_key=_key(name)).where(Rotation.id == id_).execute()
    for schedule in Schedule.select().where(Schedule.rotation_key.is_null(False)):
        key = _key(_plain(schedule.rotation_key))
        if key != schedule.rotation_key:
            Schedule.update(rotation_key=key).where(Schedule.id == schedule.id).execute()
