"""The reference graph: what each captured thing cites, which curated lists endorse which items, items only
mentioned so far (cited, not captured yet), and the external cited-by count of an item.

Revision ID: 0011_reference_graph
Revises: 0010_items_added_at
"""

from alembic import op

revision = "0011_reference_graph"
down_revision = "0010_items_added_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    fk = "BIGINT" if op.get_bind().dialect.name == "postgresql" else "INTEGER"
    # target is what the citing text pointed at (arxiv:ID, doi:DOI, url:CANONICAL-URL); to_item is the library
    # item it resolves to, NULL until such an item arrives (a link to a page not captured yet)
    op.execute(f"""
        CREATE TABLE citations (
            from_item {fk} NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            target TEXT NOT NULL,
            to_item {fk} REFERENCES items (id) ON DELETE SET NULL,
            context TEXT,
            origin TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (from_item, target)
        )""")
    op.execute("CREATE INDEX citations_to_item ON citations (to_item)")
    op.execute("CREATE INDEX citations_target ON citations (target)")
    # a curated list (a reading list, a bibliography) names the items it recommends
    op.execute(f"""
        CREATE TABLE endorsements (
            list TEXT NOT NULL,
            item_id {fk} NOT NULL REFERENCES items (id) ON DELETE CASCADE,
            context TEXT,
            added_at TEXT NOT NULL,
            PRIMARY KEY (list, item_id)
        )""")
    op.execute("CREATE INDEX endorsements_item ON endorsements (item_id)")
    op.execute(f"""
        CREATE TABLE mentions (
            item_id {fk} PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
            added_at TEXT NOT NULL
        )""")
    op.execute("ALTER TABLE items ADD COLUMN cited_by INTEGER")


def downgrade() -> None:
    op.execute("ALTER TABLE items DROP COLUMN cited_by")
    for table in ("mentions", "endorsements", "citations"):
        op.execute(f"DROP TABLE {table}")
