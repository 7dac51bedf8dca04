"""Bootstrap and jQuery from app/static/vendor/, not from Flask-Bootstrap.

Flask-Bootstrap 3.3.7.1 bundles Bootstrap 3.3.7 and jQuery 1.12.4, both
with published XSS flaws. tools/update-vendor.sh copies newer releases
into app/static/vendor/; here Flask-Bootstrap's `bootstrap/base.html` is
pointed at them through the CDN table its `bootstrap_find_resource` reads.
"""
from flask import abort

from .caching import url_for

# What bootstrap/base.html asks for (without any ".min") -> our file.
FILES = {
    'bootstrap': {
        'css/bootstrap.css': 'vendor/bootstrap/css/bootstrap.min.css',
        # Only some plugins, concatenated and not minified.
        'js/bootstrap.js': 'vendor/bootstrap/js/bootstrap.js',
    },
    'jquery': {
        'jquery.js': 'vendor/jquery/jquery.min.js',
    },
}


class VendorCDN:
    """A Flask-Bootstrap "CDN" that answers with our own static files."""

    def __init__(self, files):
        self.files = files

    def get_resource_url(self, filename):
        return url_for('static',
                       filename=self.files[filename.replace('.min.', '.')])


def bundled_file_not_served(filename):
    abort(404)


def init_app(app):
    """Call after Flask-Bootstrap's init_app."""
    cdns = app.extensions['bootstrap']['cdns']
    for name, files in FILES.items():
        cdns[name] = VendorCDN(files)
    # Flask-Bootstrap's own outdated copies under /static/bootstrap/ are
    # not served at all: with the CSP allowing this site's scripts, an
    # injected <script src> could otherwise load them.
    app.view_functions['bootstrap.static'] = bundled_file_not_served
