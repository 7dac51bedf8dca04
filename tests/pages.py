"""Every page of the site, and what each asks the browser to load or run.

Shared by test_headers (CSP), test_assets (front-end files), test_look
(markup) and test_browser (axe-core).
"""
from html.parser import HTMLParser
from urllib.parse import urlsplit

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
    case.logout()

    case.add_user(email='susan@example.com', username='susan',
                  confirmed=False)
    case.login(email='susan@example.com')
    get('/auth/unconfirmed')
    get('/auth/confirm')
    case.logout()
    return pages
