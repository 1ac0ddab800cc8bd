# One module per topic: audit.py (audit seals, issue 8), documents.py
# (archive locations, documents, payment rolls; issue 9), records.py (the town's
# and campaigns' files) and clues.py (the inspector's register; issue 18).
from archives.models.audit import *  # noqa: F403
from archives.models.clues import *  # noqa: F403
from archives.models.documents import *  # noqa: F403
from archives.models.records import *  # noqa: F403
