"""Imports every domain's models so ``Base.metadata`` knows all tables (for Alembic and tests)."""
from zegel.accounts import models as accounts_models  # noqa: F401
from zegel.audit import models as audit_models  # noqa: F401
from zegel.db import Base
from zegel.delivery import models as delivery_models  # noqa: F401
from zegel.dlp import models as dlp_models  # noqa: F401
from zegel.messages import models as messages_models  # noqa: F401
from zegel.storage import models as storage_models  # noqa: F401
from zegel.uploads import models as uploads_models  # noqa: F401

metadata = Base.metadata
