"""The weekly review: which weeks were reviewed, and what became of each pick left untouched.

Revision ID: 0009_week_reviews
Revises: 0008_session_clock
"""

from alembic import op

revision = "0009_week_reviews"
down_revision = "0008_session_clock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    fk = "BIGINT" if op.get_bind().dialect.name == "postgresql" else "INTEGER"
    op.execute("""
        CREATE TABLE week_reviews (
            week TEXT PRIMARY KEY,
            reviewed_at TEXT NOT NULL
        )""")
    # carry: into the next week's plan; let-go: back to the inbox, no judgement; schedule: a deeper dive on a day
    op.execute(f"""
        CREATE TABLE review_choices (
            week TEXT NOT NULL,
            item_id {fk} NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            choice TEXT NOT NULL CHECK (choice IN ('carry', 'let-go', 'schedule')),
            day TEXT,
            at TEXT NOT NULL,
            PRIMARY KEY (week, item_id)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE review_choices")
    op.execute("DROP TABLE week_reviews")
