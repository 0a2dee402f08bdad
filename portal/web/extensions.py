"""The Flask extensions every area shares, created here and bound in ``portal.web.init_app``."""

from flask_htmx import HTMX
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
htmx = HTMX()
# Limits are declared where they apply; storage: RATELIMIT_STORAGE_URI (memory:// by default,
# redis://... when several processes must share counts).
limiter = Limiter(key_func=get_remote_address)
