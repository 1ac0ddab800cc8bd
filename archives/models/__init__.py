# One module per topic: audit.py (audit seals, issue 8), documents.py
# (archive locations, documents, payment rolls; issue 9).
from archives.models.audit import *  # noqa: F403
from archives.models.documents import *  # noqa: F403
