"""A session's clock kept by the database, so a countdown in the browser survives a page reload.

Revision ID: 0008_session_clock
Revises: 0007_cards
"""

from alembic import op

revision = "0008_session_clock"
down_revision = "0007_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # While a web session runs, `running_since` is when its clock last started; `seconds` holds what was
    # counted before (pauses stop the clock). Terminal sessions keep it NULL and checkpoint `seconds`.
    op.execute("ALTER TABLE sessions ADD COLUMN running_since TEXT")


def downgrade() -> None:
    op.execute("ALTER TABLE sessions DROP COLUMN running_since")
