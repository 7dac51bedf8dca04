"""The floor: what Flask itself does to serve one page.

A Flask app with no extensions, no database and no session use that
renders one Jinja template (compiled once, then taken from Jinja's
cache) into a page of FLOOR_PAGE_BYTES bytes, the size of the page it is
compared with. `make bench` serves it with the same gunicorn settings as
the site and measures it with the same wrk settings.
"""
import os

from flask import Flask, render_template

app = Flask(__name__)

PAGE_BYTES = int(os.environ.get('FLOOR_PAGE_BYTES', '2000'))
CONTEXT = dict(title='Flasky', name='Stranger')


def _filler(size):
    """Text that brings the rendered page to `size` bytes."""
    with app.app_context():
        bare = len(render_template('floor.html', filler='', **CONTEXT)
                   .encode())
    if size < bare:
        raise ValueError(f'FLOOR_PAGE_BYTES must be at least {bare}')
    return 'x' * (size - bare)


FILLER = _filler(PAGE_BYTES)


@app.route('/')
def index():
    return render_template('floor.html', filler=FILLER, **CONTEXT)
