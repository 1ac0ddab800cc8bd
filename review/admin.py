"""Admin registrations: one module per topic."""

from review.cases import admin as case_admin  # noqa: F401
from review.teams import admin as team_admin  # noqa: F401
