from flask import Blueprint

passkeys = Blueprint('passkeys', __name__)

# The models are imported here, so that db.create_all() makes their tables.
from . import models, views  # noqa: E402,F401
