"""Rotations, their members, and the events already applied (for redelivery)."""

from peewee import (
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)


def up(migrator, db):  # type: ignore[no-untyped-def]
    # Frozen copies of the schema at this version, independent of bot.storage.models.
    class Rotation(Model):
        channel = CharField()
        name = CharField()
        name_key = CharField()
        description = TextField()
        created_at = DateTimeField()
        created_by = CharField()
        duty_position = IntegerField(default=0)
        member_count = IntegerField()

        class Meta:
            database = db
            table_name = "rotation"
            indexes = ((("channel", "name_key"), True),)

    class Member(Model):
        rotation = ForeignKeyField(Rotation, on_delete="CASCADE")
        position = IntegerField()
        ref = CharField()
        kind = CharField()
        label = CharField(null=True)

        class Meta:
            database = db
            table_name = "member"
            indexes = (
                (("rotation", "position"), True),
                (("rotation", "ref"), False),
            )

    class ProcessedEvent(Model):
        event_id = CharField(primary_key=True)
        received_at = DateTimeField(index=True)
        reply = TextField(null=True)
        delivered_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "processed_event"

    db.create_tables([Rotation, Member, ProcessedEvent])
