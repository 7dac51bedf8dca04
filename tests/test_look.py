"""The pages' markup, through the client: what makes the site look cared
for and usable with a keyboard or a screen reader. Flashed messages
coloured by their category, one <h1> and a title naming each page,
labels tied to their fields, errors tied to theirs, one primary button,
forms lined up with the page header, the home and account pages, and
every text of the page templates given to gettext.

tests/test_browser.py checks what the browser makes of it (axe-core,
small screens).
"""
import os
import re
from html.parser import HTMLParser

from flask import flash, redirect

from app import db
from app.models import User
from tests.messages import (ACCOUNT_HEADING, BAD_EMAIL, BAD_USERNAME,
                            HELLO_STRANGER, INVALID_LOGIN, LOGGED_OUT,
                            PASSWORDS_DIFFER, hello)
from tests.pages import every_page
from tests.support import PASSWORD, FlaskyTestCase

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEMPLATES = os.path.join(ROOT, 'app', 'templates')

# The title of each page of tests.pages.every_page: "Flasky - <page>".
TITLES = {
    '/': 'Flasky',
    '/auth/login': 'Flasky - Login',
    '/auth/register': 'Flasky - Register',
    '/auth/reset': 'Flasky - Password Reset',
    '/auth/reset/<token>': 'Flasky - Password Reset',
    '404 page': 'Flasky - Page Not Found',
    '500 page': 'Flasky - Internal Server Error',
    'login failed (a flashed alert)': 'Flasky - Login',
    '/ (logged in)': 'Flasky',
    '/secret (logged in)': 'Flasky - Secret',
    '/auth/account (logged in)': 'Flasky - Account',
    '/auth/change-password (logged in)': 'Flasky - Change Password',
    '/auth/change_email (logged in)': 'Flasky - Change Email Address',
    '/auth/sessions (logged in)': 'Flasky - Sessions',
    '/auth/logout (logged in)': 'Flasky - Log Out',
    '/auth/unconfirmed': 'Flasky - Confirm your account',
    '/auth/confirm': 'Flasky - Confirm your account',
    '/auth/passkeys/': 'Flasky - Passkeys',
    '/auth/passkeys/<id>/rename': 'Flasky - Rename a passkey',
    '/auth/passkeys/<id>/remove': 'Flasky - Remove a passkey',
    '/auth/two-step/enable (logged in)': 'Flasky - Two-Step Sign-In',
    '/auth/two-step/setup (logged in)': 'Flasky - Two-Step Sign-In',
    '/auth/two-step/recovery-codes (logged in)': 'Flasky - Recovery Codes',
    '/auth/two-step/disable (logged in)': 'Flasky - Two-Step Sign-In',
    '/auth/two-step/verify': 'Flasky - Two-Step Sign-In',
}

# The pages whose main action is a form drawn by quick_form.
FORM_PAGES = {'/auth/login', '/auth/register', '/auth/reset',
              '/auth/reset/<token>', 'login failed (a flashed alert)',
              '/auth/change-password (logged in)',
              '/auth/change_email (logged in)',
              '/auth/passkeys/<id>/rename', '/auth/passkeys/<id>/remove',
              '/auth/two-step/enable (logged in)',
              '/auth/two-step/setup (logged in)',
              '/auth/two-step/disable (logged in)', '/auth/two-step/verify'}

VOID = {'area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link',
        'meta', 'source', 'track', 'wbr'}


class Element:
    def __init__(self, tag, attrs=(), parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.parent = parent
        self.children = []

    @property
    def classes(self):
        return (self.attrs.get('class') or '').split()

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(self, tag=None, cls=None, **attrs):
        """The elements below (and including) this one with that tag,
        class and attributes (`for_` for `for`)."""
        attrs = {name.rstrip('_').replace('_', '-'): value
                 for name, value in attrs.items()}
        return [e for e in self.iter()
                if (tag is None or e.tag == tag)
                and (cls is None or cls in e.classes)
                and all(e.attrs.get(k) == v for k, v in attrs.items())]

    def find(self, *args, **kwargs):
        found = self.find_all(*args, **kwargs)
        return found[0] if found else None

    def ancestors(self):
        parent = self.parent
        while parent is not None:
            yield parent
            parent = parent.parent

    def text(self):
        parts = [child if isinstance(child, str) else child.text()
                 for child in self.children]
        return ' '.join(''.join(parts).split())


class TreeBuilder(HTMLParser):
    """The page as a tree of Elements (enough HTML for our pages)."""

    def __init__(self):
        super().__init__()
        self.root = self.current = Element('#document')

    def handle_starttag(self, tag, attrs):
        element = Element(tag, attrs, self.current)
        self.current.children.append(element)
        if tag not in VOID:
            self.current = element

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Element(tag, attrs, self.current))

    def handle_endtag(self, tag):
        for element in [self.current, *self.current.ancestors()]:
            if element.tag == tag:
                self.current = element.parent
                return

    def handle_data(self, data):
        self.current.children.append(data)


def tree(page):
    builder = TreeBuilder()
    builder.feed(page)
    builder.close()
    return builder.root


def main(page):
    return tree(page).find('main')


class LookTestCase(FlaskyTestCase):

    def get(self, url):
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return tree(self.page(response))


class EveryPageTestCase(LookTestCase):
    """What each page of tests.pages.every_page has."""

    def setUp(self):
        super().setUp()
        self.pages = [(name, tree(page)) for name, status, page
                      in every_page(self)]

    def test_the_list_of_titles_has_every_page(self):
        self.assertEqual(sorted(name for name, _ in self.pages),
                         sorted(TITLES))

    def test_title_names_the_page(self):
        for name, page in self.pages:
            with self.subTest(page=name):
                [title] = page.find_all('title')
                self.assertEqual(title.text(), TITLES[name])

    def test_one_h1(self):
        for name, page in self.pages:
            with self.subTest(page=name):
                [h1] = page.find_all('h1')
                self.assertTrue(h1.text())

    def test_landmarks_and_the_skip_link(self):
        for name, page in self.pages:
            with self.subTest(page=name):
                [header] = page.find_all('header')
                [nav] = header.find_all('nav')
                self.assertEqual(len(page.find_all('nav')), 1)
                [main] = page.find_all('main')
                self.assertEqual(main.attrs.get('id'), 'main')
                skip = page.find('a', cls='skip-link')
                self.assertEqual(skip.attrs['href'], '#main')
                self.assertEqual(skip.text(), 'Skip to main content')
                self.assertIsNotNone(main.find('h1'))

    def test_navbar_toggle_controls_the_menu(self):
        for name, page in self.pages:
            with self.subTest(page=name):
                toggle = page.find('button', cls='navbar-toggle')
                self.assertEqual(toggle.attrs['data-target'], '#navbar')
                self.assertEqual(toggle.attrs['aria-controls'], 'navbar')
                self.assertEqual(toggle.attrs['aria-expanded'], 'false')
                self.assertTrue(toggle.text())  # "Toggle navigation"
                [menu] = page.find_all(id='navbar')
                self.assertIn('navbar-collapse', menu.classes)

    def test_ids_are_unique(self):
        for name, page in self.pages:
            with self.subTest(page=name):
                ids = [e.attrs['id'] for e in page.iter()
                       if e.attrs.get('id')]
                self.assertEqual(len(ids), len(set(ids)), ids)

    def test_every_field_has_a_label(self):
        fields = 0
        for name, page in self.pages:
            with self.subTest(page=name):
                for field in page.iter():
                    if field.tag not in ('input', 'select', 'textarea') \
                            or field.attrs.get('type') in (
                                'hidden', 'submit', 'button'):
                        continue
                    fields += 1
                    if any(e.tag == 'label' for e in field.ancestors()):
                        continue
                    self.assertTrue(field.attrs.get('id'), field.attrs)
                    [label] = page.find_all('label', for_=field.attrs['id'])
                    self.assertTrue(label.text())
        self.assertGreater(fields, 10)

    def test_forms_have_one_primary_button(self):
        for name, page in self.pages:
            if name not in FORM_PAGES:
                continue
            with self.subTest(page=name):
                main = page.find('main')
                [button] = main.find_all(cls='btn-primary')
                self.assertEqual(button.tag, 'input')
                self.assertEqual(button.attrs['type'], 'submit')

    def test_columns_are_in_rows(self):
        # A .col-* outside a .row is 15 px to the right of the header.
        columns = 0
        for name, page in self.pages:
            with self.subTest(page=name):
                for element in page.iter():
                    if any(c.startswith('col-') for c in element.classes):
                        columns += 1
                        self.assertIn('row', element.parent.classes)
        self.assertGreaterEqual(columns, len(FORM_PAGES))

    def test_forms_are_in_a_column(self):
        for name, page in self.pages:
            if name not in FORM_PAGES:
                continue
            with self.subTest(page=name):
                form = page.find('main').find('form', cls='form')
                self.assertIn('col-md-4', form.parent.classes)


class FlashTestCase(LookTestCase):
    """Each flashed message is coloured by its category."""

    def setUp(self):
        super().setUp()

        def flash_one(category):
            if category == 'none':
                flash('Something happened.')
            else:
                flash('Something happened.', category)
            return redirect('/')
        self.app.add_url_rule('/test-flash/<category>', 'test_flash',
                              flash_one)

    def alerts(self, page):
        return page.find('main').find_all(cls='alert')

    def test_classes_and_roles(self):
        for category, kind, role in (
                ('success', 'alert-success', 'status'),
                ('error', 'alert-danger', 'alert'),
                ('danger', 'alert-danger', 'alert'),
                ('warning', 'alert-warning', 'alert'),
                ('info', 'alert-info', 'status'),
                ('message', 'alert-info', 'status'),
                ('none', 'alert-info', 'status'),
                ('other', 'alert-info', 'status')):
            with self.subTest(category=category):
                response = self.client.get(f'/test-flash/{category}',
                                           follow_redirects=True)
                [alert] = self.alerts(tree(self.page(response)))
                self.assertIn(kind, alert.classes)
                self.assertIn('alert-dismissible', alert.classes)
                self.assertEqual(alert.attrs['role'], role)
                self.assertEqual(alert.text(), '× Something happened.')
                close = alert.find('button', cls='close')
                self.assertEqual(close.attrs['aria-label'], 'Close')

    def test_no_message_no_alert(self):
        self.assertEqual(self.alerts(self.get('/')), [])

    def test_a_failed_login_is_an_error(self):
        self.add_user()
        [alert] = self.alerts(tree(self.page(self.login(password='wrong'))))
        self.assertIn('alert-danger', alert.classes)
        self.assertIn(INVALID_LOGIN, alert.text())

    def test_logging_out_is_news(self):
        self.add_user()
        self.login()
        [alert] = self.alerts(tree(self.page(self.logout())))
        self.assertIn('alert-info', alert.classes)
        self.assertIn(LOGGED_OUT, alert.text())


class FieldErrorsTestCase(LookTestCase):
    """A field's errors are shown under it, in red, in its own group."""

    def test_errors_are_shown_with_their_field(self):
        response = self.register(email='not-an-email', username='a b',
                                 password=PASSWORD, password2='other')
        form = main(self.page(response)).find('form')
        wanted = {'email': [BAD_EMAIL], 'username': [BAD_USERNAME],
                  'password': [PASSWORDS_DIFFER]}
        for name, errors in wanted.items():
            with self.subTest(field=name):
                field = form.find(name=name)
                group = field.parent
                self.assertIn('has-error', group.classes)
                self.assertEqual(
                    [p.text() for p in group.find_all('p')], errors)
                self.assertEqual(
                    [p.classes for p in group.find_all('p')],
                    [['help-block']] * len(errors))
                [label] = form.find_all('label', for_=field.attrs['id'])
        field = form.find(name='password2')
        self.assertNotIn('has-error', field.parent.classes)
        self.assertEqual(field.parent.find_all('p'), [])

    def test_the_checkbox_is_labelled_by_its_label(self):
        label = main(self.page(self.client.get('/auth/login'))).find(
            'input', type='checkbox').parent
        self.assertEqual(label.tag, 'label')
        self.assertEqual(label.text(), 'Keep me logged in')


class HomePageTestCase(LookTestCase):

    def buttons(self, page):
        return {a.attrs['href']: a.text()
                for a in page.find('main').find_all('a', cls='btn')}

    def test_stranger(self):
        page = self.get('/')
        self.assertEqual(page.find('h1').text(), HELLO_STRANGER)
        self.assertTrue(page.find('main').find('p', cls='lead').text())
        self.assertEqual(self.buttons(page), {'/auth/login': 'Log In',
                                              '/auth/register': 'Register'})
        self.assertIn('btn-primary',
                      page.find('main').find('a', href='/auth/login').classes)

    def test_logged_in(self):
        self.add_user()
        self.login()
        page = self.get('/')
        self.assertEqual(page.find('h1').text(), hello('john'))
        self.assertEqual(self.buttons(page),
                         {'/auth/account': 'Your account'})

    def test_a_name_is_escaped(self):
        self.add_user(username='a<b>')
        self.login()
        page = self.page(self.client.get('/'))
        self.assertIn('<h1>Hello, a&lt;b&gt;!</h1>', page)


class AccountPageTestCase(LookTestCase):

    def details(self, page):
        dl = page.find('main').find('dl')
        terms = [dt.text() for dt in dl.find_all('dt')]
        return dict(zip(terms, [dd.text() for dd in dl.find_all('dd')]))

    def test_details_and_links(self):
        user_id = self.add_user()
        self.login()
        page = self.get('/auth/account')
        self.assertEqual(page.find('h1').text(), ACCOUNT_HEADING)
        with self.app.app_context():
            since = db.session.get(User, user_id).member_since
        self.assertEqual(self.details(page), {
            'Username': 'john', 'Email': 'john@example.com',
            'Email confirmed': 'Yes',
            'Member since': since.strftime('%Y-%m-%d')})
        # Flask-Moment's script writes the date in the page's language.
        time = page.find('time', cls='flask-moment')
        iso = since.strftime('%Y-%m-%dT%H:%M:%SZ')
        self.assertEqual(time.attrs['data-timestamp'], iso)
        self.assertEqual(time.attrs['datetime'], iso)
        self.assertEqual(time.attrs['data-function'], 'format')
        self.assertEqual(time.attrs['data-format'], 'LL')
        self.assertNotIn('style', time.attrs)
        links = {a.attrs['href']: a.text()
                 for a in page.find('main').find_all('a')}
        self.assertEqual(links, {
            '/auth/change-password': 'Change your password',
            '/auth/change_email': 'Change your email address',
            '/auth/sessions': 'See the browsers logged in to your account',
            '/auth/logout': 'Log out of this browser',
            '/auth/two-step/enable': 'Turn two-step sign-in on',
            '/auth/passkeys/': 'Manage your passkeys'})

    def test_unconfirmed_and_no_date(self):
        user_id = self.add_user(confirmed=False)
        with self.app.app_context():
            db.session.get(User, user_id).member_since = None
            db.session.commit()
        self.login()
        page = self.get('/auth/account')
        self.assertEqual(self.details(page), {
            'Username': 'john', 'Email': 'john@example.com',
            'Email confirmed': 'No'})
        self.assertIsNone(page.find('time'))

    def test_first_in_the_account_menu(self):
        self.add_user()
        self.login()
        menu = self.get('/').find('ul', cls='dropdown-menu')
        first = menu.find('li').find('a')
        self.assertEqual(first.attrs['href'], '/auth/account')
        self.assertEqual(first.text(), ACCOUNT_HEADING)

    def test_sessions_table_scrolls_in_its_box(self):
        self.add_user()
        self.login()
        table = self.get('/auth/sessions').find('table')
        self.assertIn('table-responsive', table.parent.classes)


# Text a page template may show as it is: the name, the time zone of
# the sessions page, and commands (inside <pre>).
UNTRANSLATED = {'Flasky', 'UTC'}


def literal_text(source):
    """The words of a template outside Jinja's tags, comments,
    expressions, HTML tags (and attributes, as in a block of them) and
    <pre>: what gettext never sees."""
    for pattern in (r'\{#.*?#\}', r'<pre>.*?</pre>', r'\{%.*?%\}',
                    r'\{\{.*?\}\}', r'[\w-]+="[^"]*"', r'<[^>]*>',
                    r'&\w+;'):
        source = re.sub(pattern, ' ', source, flags=re.S)
    return [word for word in re.findall(r'\w[\w\'.,!?-]*', source)
            if word.strip('.,!?') not in UNTRANSLATED]


class TranslatableTemplatesTestCase(LookTestCase):
    """Every text of the page templates goes through gettext."""

    def templates(self):
        for folder in (TEMPLATES, os.path.join(TEMPLATES, 'auth')):
            for name in sorted(os.listdir(folder)):
                if name.endswith('.html'):
                    yield os.path.join(folder, name)

    def test_no_literal_text(self):
        paths = list(self.templates())
        self.assertGreater(len(paths), 15)
        for path in paths:
            with self.subTest(template=os.path.relpath(path, TEMPLATES)):
                with open(path, encoding='utf-8') as f:
                    source = f.read()
                self.assertEqual(literal_text(source), [])
                # Nor in the attributes a person hears or sees.
                self.assertEqual(re.findall(
                    r'(?:aria-label|title|placeholder|alt)="[^"{]*\w',
                    source), [])

    def test_the_check_finds_literal_text(self):
        self.assertEqual(literal_text(
            '{% block title %}Flasky - Login{% endblock %}'
            '<h1>{{ _("Login") }}</h1>{# a comment #}'
            '<p>Forgot your <b>password</b>?</p><pre>make run</pre>'),
            ['Login', 'Forgot', 'your', 'password'])
