"""A small key-value table for the library's own bookkeeping (e.g. how far items were linked to concepts).

Revision ID: 0005_meta
Revises: 0004_item_concepts
"""

from alembic import op

revision = "0005_meta"
down_revision = "0004_item_concepts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")


def downgrade() -> None:
    op.execute("DROP TABLE meta")
