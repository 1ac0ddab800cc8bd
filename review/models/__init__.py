# The review app's models live in one module per topic; import them here so
# Django finds them. teams.py: staff and 清理小组 (issue 4); cases.py: campaigns
# and the case pipeline (issue 5).
from review.models.cases import *  # noqa: F403
from review.models.dynamic import *  # noqa: F403
from review.models.leadership import *  # noqa: F403
from review.models.meetings import *  # noqa: F403
from review.models.notices import *  # noqa: F403
from review.models.outreach import *  # noqa: F403
from review.models.relatives import *  # noqa: F403
from review.models.teams import *  # noqa: F403
from review.models.visits import *  # noqa: F403
