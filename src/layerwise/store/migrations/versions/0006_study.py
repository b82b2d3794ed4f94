"""Study sessions (a timebox on an item or a concept, at a layer, with its outcome) and scheduled deeper dives.

Revision ID: 0006_study
Revises: 0005_meta
"""

from alembic import op

revision = "0006_study"
down_revision = "0005_meta"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    pk = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    fk = "BIGINT" if postgres else "INTEGER"
    op.execute(f"""
        CREATE TABLE sessions (
            id {pk},
            item_id {fk} REFERENCES items (id) ON DELETE SET NULL,
            slug TEXT,
            layer TEXT NOT NULL,
            planned_minutes REAL NOT NULL,
            seconds REAL NOT NULL DEFAULT 0,
            outcome TEXT NOT NULL DEFAULT 'running',
            track TEXT,
            area TEXT,
            extended INTEGER NOT NULL DEFAULT 0,
            started_at TEXT NOT NULL,
            ended_at TEXT
        )""")
    op.execute("CREATE INDEX sessions_started ON sessions (started_at)")
    op.execute(f"""
        CREATE TABLE dives (
            id {pk},
            item_id {fk} REFERENCES items (id) ON DELETE CASCADE,
            slug TEXT,
            layer TEXT NOT NULL,
            minutes REAL NOT NULL,
            day TEXT NOT NULL,
            session_id {fk} REFERENCES sessions (id) ON DELETE SET NULL,
            created_at TEXT NOT NULL
        )""")
    op.execute("CREATE INDEX dives_day ON dives (day)")


def downgrade() -> None:
    op.execute("DROP TABLE dives")
    op.execute("DROP TABLE sessions")
