"""Spaced-repetition cards (from the user's notes and glossary, or imported from Anki decks) with their FSRS
state, and the log of every review.

Revision ID: 0007_cards
Revises: 0006_study
"""

from alembic import op

revision = "0007_cards"
down_revision = "0006_study"
branch_labels = None
depends_on = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    pk = "BIGSERIAL PRIMARY KEY" if postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
    fk = "BIGINT" if postgres else "INTEGER"
    op.execute(f"""
        CREATE TABLE cards (
            id {pk},
            origin TEXT NOT NULL,
            position BIGINT NOT NULL,
            kind TEXT NOT NULL,
            question TEXT NOT NULL,
            answer TEXT NOT NULL,
            deck TEXT NOT NULL,
            fields TEXT,
            fsrs TEXT NOT NULL,
            due TEXT NOT NULL,
            retired INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )""")
    op.execute("CREATE INDEX cards_due ON cards (retired, due)")
    op.execute("CREATE INDEX cards_origin ON cards (origin, position)")
    op.execute(f"""
        CREATE TABLE reviews (
            id {pk},
            card_id {fk} NOT NULL REFERENCES cards (id) ON DELETE CASCADE,
            rating INTEGER NOT NULL,
            reviewed_at TEXT NOT NULL,
            log TEXT NOT NULL
        )""")
    op.execute("CREATE INDEX reviews_card ON reviews (card_id)")


def downgrade() -> None:
    op.execute("DROP TABLE reviews")
    op.execute("DROP TABLE cards")
