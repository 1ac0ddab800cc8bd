"""Admin registrations: one module per topic."""

from archives.documents import admin as document_admin  # noqa: F401
