"""Admin registrations: one module per topic."""

from archives import document_admin  # noqa: F401
