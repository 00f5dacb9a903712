"""Flask extensions, created unbound and initialised in create_app."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from tracker.db import Base

db = SQLAlchemy(model_class=Base)
babel = Babel()
csrf = CSRFProtect()
# Storage from RATELIMIT_STORAGE_URI (config.py): Redis when TRACKER_REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address)
