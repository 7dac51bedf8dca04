from flask import Blueprint

two_step = Blueprint('two_step', __name__)

from . import models, views  # noqa: E402,F401
