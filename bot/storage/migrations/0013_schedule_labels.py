"""Schedules' commands without the labels Slack may add to a mention (`<@U1|bob>` is
`<@U1>`), and their keys too, so that `schedule delete` finds a schedule whichever way the
client wrote the mention. The rule is copied here, frozen, rather than imported from the
live parser. Two schedules of a channel that become one command both stay: `schedule delete`
removes them one by one.
"""

import re

from peewee import CharField, IntegerField, Model, TextField

# The key is case-folded: its ids are lower case there.
_LABEL = re.compile(
    r"(?P<token><(?:@[UW][A-Z0-9]+|#[CGD][A-Z0-9]+|!subteam\^[A-Z0-9]+))\|[^>]*>", re.IGNORECASE
)


def _without_labels(text: str) -> str:
    return _LABEL.sub(r"\g<token>>", text)


def up(migrator, db):  # type: ignore[no-untyped-def]
    class Schedule(Model):
        id = IntegerField(primary_key=True)
        channel = CharField()
        command = TextField()
        command_key = TextField()

        class Meta:
            database = db
            table_name = "schedule"

    for schedule in Schedule.select():
        command = _without_labels(schedule.command)
        key = _without_labels(schedule.command_key)
        if (command, key) != (schedule.command, schedule.command_key):
            Schedule.update(command=command, command_key=key).where(
                Schedule.id == schedule.id
            ).execute()
