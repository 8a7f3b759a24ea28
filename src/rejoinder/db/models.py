"""Imports every domain's tables so that ``Base.metadata`` knows them all (Alembic, tests)."""

from rejoinder.accounts import models as accounts
from rejoinder.comments import models as comments
from rejoinder.db.base import Base
from rejoinder.fetching import models as fetching
from rejoinder.identity import models as identity
from rejoinder.importers import models as importers
from rejoinder.moderation import models as moderation
from rejoinder.notifications import models as notifications
from rejoinder.pages import models as pages
from rejoinder.resets import models as resets
from rejoinder.submissions import models as submissions
from rejoinder.votes import models as votes
from rejoinder.webhooks import models as webhooks

__all__ = [
    "Base",
    "accounts",
    "comments",
    "fetching",
    "identity",
    "importers",
    "moderation",
    "notifications",
    "pages",
    "resets",
    "submissions",
    "votes",
    "webhooks",
]
