"""Schedules (bot commands on a crontab) and the channel of each applied event."""

from peewee import CharField, DateTimeField, Model, TextField


def up(migrator, db):  # type: ignore[no-untyped-def]
    class Schedule(Model):
        channel = CharField()
        command = TextField()
        command_key = TextField()
        rotation_key = CharField(null=True)
        crontab = CharField()
        timezone = CharField(null=True)
        created_by = CharField()
        created_at = DateTimeField()
        next_run_at = DateTimeField(null=True, index=True)
        last_run_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "schedule"
            indexes = (
                (("channel", "command_key"), True),
                (("channel", "rotation_key"), False),
            )

    db.create_tables([Schedule])
    # Scheduled runs have no Slack redelivery: the channel lets a restart post their replies.
    migrator.migrate(migrator.add_column("processed_event", "channel", CharField(null=True)))
