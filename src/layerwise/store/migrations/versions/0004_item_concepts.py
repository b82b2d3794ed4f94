"""Links between items and concepts, found automatically (with a confidence) or set by the user.

Revision ID: 0004_item_concepts
Revises: 0003_concept_layers
"""

from alembic import op

revision = "0004_item_concepts"
down_revision = "0003_concept_layers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    fk = "BIGINT" if op.get_bind().dialect.name == "postgresql" else "INTEGER"
    op.execute(f"""
        CREATE TABLE item_concepts (
            item_id {fk} NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            slug TEXT NOT NULL,
            confidence REAL NOT NULL,
            state TEXT NOT NULL DEFAULT 'auto' CHECK (state IN ('auto', 'confirmed', 'removed')),
            PRIMARY KEY (item_id, slug)
        )""")
    op.execute("CREATE INDEX item_concepts_slug ON item_concepts (slug, confidence)")
