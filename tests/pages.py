"""Every page of the site, and what each asks the browser to load or run.

Shared by test_headers (CSP), test_assets (front-end files), test_look
(markup) and test_browser (axe-core).
"""
from html.parser import HTMLParser
from urllib.parse import urlsplit

from app import db
from app.models import User
from app.passkeys.models import Passkey
from app.two_step.models import RecoveryCode, TwoStep
from tests.support import PASSWORD

URL_ATTRIBUTES = ('href', 'src', 'action', 'formaction')


class PageParser(HTMLParser):
    """Collects scripts, styles, event handlers and linked files."""

    def __init__(self):
        super().__init__()
        self.scripts = []          # the src of every <script src=...>
        self.stylesheets = []      # the href of every stylesheet <link>
        self.resources = []        # every URL the page loads by itself
        self.inline = []           # what a CSP without 'unsafe-inline'
        self._in_script = False    # ... would refuse

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith('on'):
                self.inline.append(f'<{tag} {name}=...> event handler')
            elif name == 'style':
                self.inline.append(f'<{tag} style=...> attribute')
            elif name in URL_ATTRIBUTES and value and \
                    value.strip().lower().startswith('javascript:'):
                self.inline.append(f'<{tag} {name}="javascript:...">')
        if tag == 'script':
            self._in_script = True
            if attrs.get('src'):
                self.scripts.append(attrs['src'])
                self.resources.append(attrs['src'])
            else:
                self.inline.append('<script> without src')
        elif tag == 'style':
            self.inline.append('<style> element')
        elif tag == 'link' and attrs.get('href'):
            if 'stylesheet' in (attrs.get('rel') or '').split():
                self.stylesheets.append(attrs['href'])
            self.resources.append(attrs['href'])
        elif tag in ('img', 'iframe', 'embed', 'source') and \
                attrs.get('src'):
            self.resources.append(attrs['src'])
        elif tag == 'object' and attrs.get('data'):
            self.resources.append(attrs['data'])

    def handle_endtag(self, tag):
        if tag == 'script':
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.inline.append('<script> with a body')


def parse(page):
    parser = PageParser()
    parser.feed(page)
    parser.close()
    return parser


def is_this_site(url):
    """True for a path on this site: no scheme, no host, not //host."""
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and \
        url.startswith('/') and not url.startswith('//')


def every_page(case):
    """(name, status, html) of each page a visitor can see.

    `case` is a tests.support.FlaskyTestCase; this adds users, logs in
    and out with its client, and adds a route that fails (for the 500
    page), so call it before any other request of the test.
    """
    def boom():
        raise RuntimeError('a failing view, for the 500 page')

    case.app.add_url_rule('/test-500', 'test_500', boom)
    case.app.config['PROPAGATE_EXCEPTIONS'] = False
    pages = []

    def get(url, name=None):
        response = case.client.get(url)
        pages.append((name or url, response.status_code,
                      case.page(response)))

    user_id = case.add_user()
    for url in ('/', '/auth/login', '/auth/register', '/auth/reset'):
        get(url)
    token = case.token_for(user_id, 'generate_reset_token')
    get(f'/auth/reset/{token}', '/auth/reset/<token>')
    get('/no-such-page', '404 page')
    with case.assertLogs(case.app.logger, 'ERROR'):
        get('/test-500', '500 page')
    response = case.login(password='wrong')
    pages.append(('login failed (a flashed alert)', response.status_code,
                  case.page(response)))

    case.login()
    for url in ('/', '/secret', '/auth/account', '/auth/change-password',
                '/auth/change_email', '/auth/sessions', '/auth/logout'):
        get(url, f'{url} (logged in)')
    passkey_id = add_passkey(case, user_id)
    for url in ('/auth/passkeys/', f'/auth/passkeys/{passkey_id}/rename',
                f'/auth/passkeys/{passkey_id}/remove'):
        get(url, url.replace(str(passkey_id), '<id>'))
    get('/auth/two-step/enable', '/auth/two-step/enable (logged in)')
    response = case.submit('/auth/two-step/enable', {'password': PASSWORD})
    pages.append(('/auth/two-step/setup (logged in)', response.status_code,
                  case.page(response)))
    turn_on_two_step(case, user_id)
    for url in ('/auth/two-step/recovery-codes', '/auth/two-step/disable'):
        get(url, f'{url} (logged in)')
    case.logout()
    response = case.login()
    pages.append(('/auth/two-step/verify', response.status_code,
                  case.page(response)))

    case.add_user(email='susan@example.com', username='susan',
                  confirmed=False)
    case.login(email='susan@example.com')
    get('/auth/unconfirmed')
    get('/auth/confirm')
    case.logout()
    return pages


def turn_on_two_step(case, user_id):
    """Two-step sign-in on for the user, straight into the database."""
    with case.app.app_context():
        user = db.session.get(User, user_id)
        row = TwoStep.of(user) or TwoStep.begin(user)
        row.enabled_at = row.enabled_at or user.member_since
        RecoveryCode.new_set(user)
        db.session.commit()


def add_passkey(case, user_id):
    """A passkey of the user, straight into the database; its id."""
    with case.app.app_context():
        passkey = Passkey(user_id=user_id, credential_id=b'credential',
                          public_key=b'key', name='laptop')
        db.session.add(passkey)
        db.session.commit()
        return passkey.id
