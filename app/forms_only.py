"""One way in for posted data: the body of an HTML form.

Flask-WTF also reads JSON bodies and file parts, which the forms' fields
and the limits' keys (auth/throttling.py) were never written for, so a
POST must carry a form of text fields, or nothing at all; anything else
is answered before any view runs. MAX_CONTENT_LENGTH (config.py) refuses
a body too long (413) before it is read.
"""
from flask import abort, request

FORM_TYPES = {'application/x-www-form-urlencoded', 'multipart/form-data'}


def refuse_other_bodies():
    if request.method != 'POST':
        return
    # Browsers give a form's length. Werkzeug would cut a longer body of
    # unknown length at MAX_CONTENT_LENGTH and parse the rest as a form.
    if 'Transfer-Encoding' in request.headers:
        abort(411)
    if request.mimetype in FORM_TYPES:
        # Reading the form raises the 413 for a body over the limit.
        if request.files:
            abort(415)  # no form of ours has a file field
    elif request.mimetype or request.content_length:
        abort(415)


def init_app(app):
    app.before_request(refuse_other_bodies)
