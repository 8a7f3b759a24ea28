"""Imports every domain's tables so that ``Base.metadata`` knows them all (Alembic, tests)."""

from rejoinder.accounts import models as accounts
from rejoinder.comments import models as comments
from rejoinder.db.base import Base
from rejoinder.fetching import models as fetching
from rejoinder.moderation import models as moderation
from rejoinder.pages import models as pages
from rejoinder.submissions import models as submissions
from rejoinder.votes import models as votes

__all__ = [
    "Base",
    "accounts",
    "comments",
    "fetching",
    "moderation",
    "pages",
    "submissions",
    "votes",
]
