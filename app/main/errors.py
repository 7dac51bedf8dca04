from flask import render_template

from .. import db
from . import main


@main.app_errorhandler(404)
def page_not_found(e):
    return render_template('404.html'), 404


@main.app_errorhandler(500)
def internal_server_error(e):
    # Whatever failed may have left the session in a broken transaction.
    db.session.rollback()
    return render_template('500.html'), 500
