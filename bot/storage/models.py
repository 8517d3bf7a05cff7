"""The live peewee models (migrations keep their own frozen copies)."""

from peewee import (
    AutoField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from bot.storage.db import database_proxy


class BaseModel(Model):
    class Meta:
        database = database_proxy


class RotationRow(BaseModel):
    id = AutoField()
    channel = CharField()
    name = CharField()
    name_key = CharField()
    description = TextField()
    created_at = DateTimeField()
    created_by = CharField()
    duty_position = IntegerField(default=0)
    member_count = IntegerField()

    class Meta:
        table_name = "rotation"


class MemberRow(BaseModel):
    rotation = ForeignKeyField(RotationRow, on_delete="CASCADE", backref="member_rows")
    position = IntegerField()
    ref = CharField()
    kind = CharField()
    label = CharField(null=True)

    class Meta:
        table_name = "member"


class ProcessedEventRow(BaseModel):
    event_id = CharField(primary_key=True)
    received_at = DateTimeField()
    reply = TextField(null=True)
    delivered_at = DateTimeField(null=True)
    channel = CharField(null=True)

    class Meta:
        table_name = "processed_event"


class ScheduleRow(BaseModel):
    id = AutoField()
    channel = CharField()
    command = TextField()
    command_key = TextField()
    rotation_key = CharField(null=True)
    crontab = CharField()
    timezone = CharField(null=True)
    zone = CharField(null=True)
    created_by = CharField()
    created_at = DateTimeField()
    next_run_at = DateTimeField(null=True)
    last_run_at = DateTimeField(null=True)

    class Meta:
        table_name = "schedule"
