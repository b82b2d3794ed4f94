"""An index on when items were added: stats count what was captured in a week or month, and at 170k items that
count was a table scan (0.27 s on every stats page).

Revision ID: 0010_items_added_at
Revises: 0009_week_reviews
"""

from alembic import op

revision = "0010_items_added_at"
down_revision = "0009_week_reviews"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX items_added_at ON items (added_at)")


def downgrade() -> None:
    op.execute("DROP INDEX items_added_at")
