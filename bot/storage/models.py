"""The live peewee models (migrations keep their own frozen copies)."""

from peewee import (
    AutoField,
    CharField,
    CompositeKey,
    DateField,
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
    duty_since = DateTimeField(null=True)  # when the duty holder took over; None: before 0008

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

    class Meta:
        table_name = "processed_event"


class OutboxMessageRow(BaseModel):
    """One message to send; see bot.core.ports.OutboxStore for the lease protocol."""

    id = AutoField()
    channel = CharField()
    kind = CharField()
    reply = TextField()
    thread_ts = CharField(null=True)
    created_at = DateTimeField()
    state = CharField(default="pending")  # pending, delivered, failed
    sent = IntegerField(default=0)
    attempts = IntegerField(default=0)
    error = CharField(null=True)
    lease_owner = CharField(null=True)
    lease_until = DateTimeField(null=True)
    delivered_at = DateTimeField(null=True)

    class Meta:
        table_name = "outbox"


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


class WelcomeRow(BaseModel):
    channel = CharField(primary_key=True)
    welcomed_at = DateTimeField()

    class Meta:
        table_name = "welcome"


class AwayRow(BaseModel):
    id = AutoField()
    user = CharField()
    start_date = DateField()
    end_date = DateField()
    note = TextField(null=True)

    class Meta:
        table_name = "away"


class PersonalOffRow(BaseModel):
    user = CharField()
    type = CharField()

    class Meta:
        table_name = "notification_personal_off"
        primary_key = CompositeKey("user", "type")


class ChannelOffRow(BaseModel):
    channel = CharField()
    rotation = ForeignKeyField(RotationRow, on_delete="CASCADE", column_name="rotation_id")
    type = CharField()

    class Meta:
        table_name = "notification_channel_off"
        primary_key = CompositeKey("channel", "rotation", "type")


class RemindRow(BaseModel):
    user = CharField(primary_key=True)
    hours = IntegerField()

    class Meta:
        table_name = "notification_remind"


class SentRow(BaseModel):
    key = CharField(primary_key=True)
    due_at = DateTimeField()

    class Meta:
        table_name = "notification_sent"


class HomeUserRow(BaseModel):
    """Someone who opened the App Home: only their Home is republished on a change."""

    user = CharField(primary_key=True)
    opened_at = DateTimeField()

    class Meta:
        table_name = "home_user"


class LinkRow(BaseModel):
    """A rotation linked to a channel other than its own."""

    channel = CharField()
    rotation = ForeignKeyField(RotationRow, on_delete="CASCADE", column_name="rotation_id")
    linked_by = CharField()
    linked_at = DateTimeField()

    class Meta:
        table_name = "link"
        primary_key = CompositeKey("channel", "rotation")
