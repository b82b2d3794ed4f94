"""The team's side of a shared library: summaries people share from their notes, the curator's published
weekly digests (each week kept, for the team's Atom feed), and item embeddings kept in the database, so that
each item is embedded once for every machine that serves the library (used on PostgreSQL).

Revision ID: 0013_team
Revises: 0012_people
"""

from alembic import op

revision = "0013_team"
down_revision = "0012_people"
branch_labels = None
depends_on = None


def upgrade() -> None:
    fk = "BIGINT" if op.get_bind().dialect.name == "postgresql" else "INTEGER"
    # a copy of the Summary section of a person's note, made when they share it (the note stays their file)
    op.execute(f"""
        CREATE TABLE shared_notes (
            item_id {fk} NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            person {fk} NOT NULL REFERENCES people (id),
            summary TEXT NOT NULL,
            shared_at TEXT NOT NULL,
            PRIMARY KEY (item_id, person)
        )""")
    # links: JSON list of {item_id, title, url, kind, blurb}, in the curator's order
    op.execute(f"""
        CREATE TABLE team_digests (
            week TEXT PRIMARY KEY,
            links TEXT NOT NULL,
            published_by {fk} NOT NULL REFERENCES people (id),
            published_at TEXT NOT NULL
        )""")


    # float16, little-endian; `at` is the item's change stamp the vector was computed from (older: recompute)
    blob = "BYTEA" if op.get_bind().dialect.name == "postgresql" else "BLOB"
    op.execute(f"""
        CREATE TABLE item_vectors (
            item_id {fk} NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            model TEXT NOT NULL,
            vector {blob} NOT NULL,
            at TEXT NOT NULL,
            PRIMARY KEY (model, item_id)
        )""")


def downgrade() -> None:
    op.execute("DROP TABLE item_vectors")
    op.execute("DROP TABLE team_digests")
    op.execute("DROP TABLE shared_notes")
