"""The App Home: when each rotation's duty started (the Home says "since"), who has opened the
Home (only they are republished when something on it changes), and a note per away period
(the Home's Set away form takes one)."""


def up(migrator, db):  # type: ignore[no-untyped-def]
    db.execute_sql("ALTER TABLE rotation ADD COLUMN duty_since DATETIME")
    db.execute_sql("ALTER TABLE away ADD COLUMN note TEXT")
    db.execute_sql(
        """
        CREATE TABLE home_user (
            user VARCHAR(255) NOT NULL PRIMARY KEY,
            opened_at DATETIME NOT NULL
        )
        """
    )
