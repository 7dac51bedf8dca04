"""A person's journeys through the site, in a real browser.

Playwright drives Debian's Chromium (/usr/bin/chromium) against the app
served by `manage.py runserver` on 127.0.0.1, with a real SMTP server
(aiosmtpd) whose emails the tests read and whose links they open. The
tests assert what a person sees, and that no page logs a script error or
fails to load a style sheet, script or font.

Without Chromium the browser tests are skipped with one line saying why,
except on CI (CI set in the environment), where a missing browser is an
error. Each test saves the screenshots of the pages it passes by in
tmp/screenshots/; `make screenshots` copies them to docs/screenshots/.
"""
import base64
import fcntl
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock
from urllib.parse import urlsplit

import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright

from app import create_app, db
from app.models import User
from bench.server import clean_environ
from config import TestingConfig
from tests.messages import (
    ACCOUNT_HEADING, BAD_USERNAME, CHANGE_PASSWORD_HEADING, CONFIRM_RESENT,
    CONFIRM_SENT, CONFIRM_SUBJECT, CONFIRMED, EMAIL_CHANGE_SENT,
    EMAIL_CHANGE_SUBJECT, EMAIL_CHANGE_UNDONE, EMAIL_CHANGED_SUBJECT,
    EMAIL_RESTORED_SUBJECT, EMAIL_TAKEN, EMAIL_UPDATED, HELLO_STRANGER,
    INVALID_LOGIN, LOGGED_OUT, LOGIN_HEADING, LOGIN_REQUIRED,
    PASSWORD_CHANGED_SUBJECT, PASSWORD_UPDATED, PASSWORDS_DIFFER,
    REGISTER_HEADING, RESET_HEADING, RESET_SENT, RESET_SUBJECT,
    SESSION_ENDED, SUBJECT_PREFIX, UNCONFIRMED, hello)
from tests.pages import every_page
from tests.support import (HAN, NEW_PASSWORD, PASSWORD, FlaskyTestCase,
                           MailSink, ProgramMissing, free_port, link_in,
                           require_program, stop_process, text_part,
                           translated)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A test run writes to tmp/ (git-ignored) and never changes the pictures
# in docs/: `make screenshots` does.
SCREENSHOTS = os.path.join(ROOT, 'tmp', 'screenshots')
PUBLISHED = os.path.join(ROOT, 'docs', 'screenshots')

CHROMIUM = '/usr/bin/chromium'
CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu',
                 '--disable-background-networking',
                 '--disable-component-update', '--no-first-run',
                 '--disable-sync', '--disable-quic']
VIEWPORT = {'width': 1000, 'height': 700}
# A phone's: the navbar collapses behind its toggle.
MOBILE = {'width': 390, 'height': 844}

COMMAND_TIMEOUT = 60   # seconds, for `manage.py deploy`
SERVER_START = 30      # seconds, for the server to accept connections
PAGE_TIMEOUT = 15_000  # milliseconds, for any one browser action or check

# Loads of these kinds must all succeed on every page.
ASSET_TYPES = ('stylesheet', 'script', 'font', 'image')


# The focused element: its name, and whether its focus shows.
FOCUSED = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return null;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== 'none'
        && parseFloat(style.outlineWidth) > 0;
    const glow = style.boxShadow !== 'none';
    const name = (element.innerText || element.value
                  || element.getAttribute('aria-label') || element.name
                  || element.tagName).trim();
    return [name, outline || glow];
}"""

# axe-core's problems of these impacts, one line each: the rule, its
# impact, what it asks for and the elements that fail it.
FAILING_IMPACTS = ('serious', 'critical')
AXE_RUN = """async (impacts) => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations
        .filter((v) => impacts.includes(v.impact))
        .map((v) => `${v.id} (${v.impact}): ${v.help}: `
             + v.nodes.map((n) => n.target.join(' ')).join(', '));
}"""
AXE_DIR = os.path.join(ROOT, 'tmp', 'node_modules', 'axe-core')
FETCH_AXE = os.path.join(ROOT, 'tools', 'fetch_axe.sh')
FETCH_TIMEOUT = 300  # seconds, for npm

# Compares two images pixel by pixel, in the browser.
SAME_PICTURE = """async (sources) => {
    const pixels = async (src) => {
        const image = new Image();
        image.src = src;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const context = canvas.getContext('2d');
        context.drawImage(image, 0, 0);
        return [image.width, image.height,
                context.getImageData(0, 0, image.width, image.height).data];
    };
    const [[w1, h1, a], [w2, h2, b]] = await Promise.all(sources.map(pixels));
    if (w1 !== w2 || h1 !== h2) return false;
    for (let i = 0; i < a.length; i++) {
        if (Math.abs(a[i] - b[i]) > 2) return false;
    }
    return true;
}"""


def check_browser(path=CHROMIUM, environ=None):
    require_program(path, 'Chromium', 'chromium', environ)


class LiveServer:
    """`manage.py runserver` on 127.0.0.1 with its own SQLite database,
    sending mail to the SMTP server on `mail_port`."""

    def __init__(self, tmp, mail_port):
        self.db_url = 'sqlite:///' + os.path.join(tmp, 'browser.sqlite')
        self.log_path = os.path.join(tmp, 'server.log')
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.proc = None
        self.env = clean_environ(
            FLASK_DEBUG='0', FLASK_CONFIG='development',
            DEV_DATABASE_URL=self.db_url, MAIL_SERVER='127.0.0.1',
            MAIL_PORT=str(mail_port), MAIL_USE_TLS='false',
            FLASK_SKIP_DOTENV='1', PYTHONDONTWRITEBYTECODE='1',
            # As in the testing configuration: a cheap hash keeps the
            # tests fast (the tests of hashing use the real method).
            FLASKY_PASSWORD_HASH_METHOD=TestingConfig
            .FLASKY_PASSWORD_HASH_METHOD)

    def start(self):
        """Start the server; wait_until_serving() waits for it."""
        deploy = subprocess.run(
            [sys.executable, 'manage.py', 'deploy'], cwd=ROOT,
            env=self.env, stdin=subprocess.DEVNULL, capture_output=True,
            text=True, timeout=COMMAND_TIMEOUT)
        if deploy.returncode != 0:
            raise RuntimeError('manage.py deploy failed:\n'
                               + deploy.stdout + deploy.stderr)
        with open(self.log_path, 'w') as log:
            self.proc = subprocess.Popen(
                [sys.executable, 'manage.py', 'runserver', '--host',
                 '127.0.0.1', '--port', str(self.port), '--no-reload'],
                cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT)

    def wait_until_serving(self):
        deadline = time.monotonic() + SERVER_START
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                socket.create_connection(('127.0.0.1', self.port),
                                         timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f'the server at {self.url} did not start:\n'
                           + self.log())

    def stop(self):
        if self.proc is not None:
            stop_process(self.proc)

    def log(self):
        with open(self.log_path) as log:
            return log.read()


class BrowserTestBase(unittest.TestCase):
    """One server, one SMTP sink and one Chromium for the class; a fresh
    browser context (no cookies) for each test. The helpers of every
    browser test, and no test of its own: test files of other features
    subclass it."""

    @classmethod
    def setUpClass(cls):
        check_browser()
        tmp = tempfile.mkdtemp()
        cls.addClassCleanup(shutil.rmtree, tmp, ignore_errors=True)
        cls.mail = MailSink()
        cls.mail.start()
        cls.addClassCleanup(cls.mail.stop)
        cls.server = LiveServer(tmp, cls.mail.port)
        cls.addClassCleanup(cls.server.stop)
        cls.server.start()
        # The browser starts while the server does.
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        cls.addClassCleanup(cls.browser.close)
        expect.set_options(timeout=PAGE_TIMEOUT)
        cls.server.wait_until_serving()
        # The tests' own way into the server's database, to add users.
        cls.db_app = create_app(type('BrowserDBConfig', (TestingConfig,),
                                     dict(SQLALCHEMY_DATABASE_URI=
                                          cls.server.db_url)))
        cls.addClassCleanup(cls.dispose_db)

    @classmethod
    def dispose_db(cls):
        with cls.db_app.app_context():
            db.engine.dispose()

    def setUp(self):
        self.mail.clear()
        self.problems = []
        self.contexts = []
        self.page = self.new_page()

    def tearDown(self):
        # Checked after every test: a page that showed the right words
        # may still have failed to load its scripts.
        problems = list(self.problems)
        for context in self.contexts:
            context.close()
        with self.db_app.app_context():
            db.engine.dispose()
        self.assertEqual(problems, [], 'problems in the browser')

    # -- the browser ----------------------------------------------------

    def new_page(self, viewport=VIEWPORT, **options):
        """A page in a new browser context (Playwright's `options`, such
        as locale or storage_state), watched for problems."""
        context = self.browser.new_context(
            base_url=self.server.url, viewport=viewport, **options)
        context.set_default_timeout(PAGE_TIMEOUT)
        self.contexts.append(context)
        page = context.new_page()
        self.watch(page)
        return page

    def watch(self, page):
        """Record console errors, script errors and failed loads."""
        def console(message):
            if message.type == 'error':
                self.problems.append(
                    f'console error on {page.url}: {message.text}')

        def request_failed(request):
            if request.resource_type in ASSET_TYPES:
                self.problems.append(
                    f'{request.resource_type} {request.url} failed: '
                    f'{request.failure}')

        def response(response):
            if response.status >= 400 and \
                    response.request.resource_type in ASSET_TYPES:
                self.problems.append(
                    f'{response.request.resource_type} {response.url}: '
                    f'HTTP {response.status}')

        page.on('console', console)
        page.on('pageerror',
                lambda error: self.problems.append(
                    f'script error on {page.url}: {error}'))
        page.on('requestfailed', request_failed)
        page.on('response', response)

    def screenshot(self, page, name):
        """Save tmp/screenshots/<name>.png: the page's picture, or the
        one in docs/screenshots/ if that shows the same, so that copying
        them there changes only the pictures that changed."""
        png = page.screenshot(animations='disabled')
        try:
            with open(os.path.join(PUBLISHED, name + '.png'), 'rb') as f:
                old = f.read()
        except FileNotFoundError:
            pass
        else:
            if old == png or self.same_picture(page.context, old, png):
                png = old
        os.makedirs(SCREENSHOTS, exist_ok=True)
        with open(os.path.join(SCREENSHOTS, name + '.png'), 'wb') as f:
            f.write(png)

    def same_picture(self, context, *pngs):
        """Whether two PNGs differ at most by the shade or two that
        Chromium's anti-aliasing varies by from run to run."""
        blank = context.new_page()  # no CSP here to refuse data: URLs
        try:
            return blank.evaluate(SAME_PICTURE, [
                'data:image/png;base64,' + base64.b64encode(png).decode()
                for png in pngs])
        finally:
            blank.close()

    # -- what a person sees ---------------------------------------------

    def expect_heading(self, page, text):
        expect(page.get_by_role('heading', level=1)).to_have_text(text)
        self.loaded(page)

    def flashed(self, page):
        """The flashed messages: errors and warnings are alerts, the
        others statuses."""
        return page.get_by_role('alert').or_(page.get_by_role('status'))

    def expect_flash(self, page, text):
        expect(self.flashed(page)).to_contain_text(text)
        self.loaded(page)

    def loaded(self, page):
        """Wait until the page has loaded its styles and scripts: only
        then do its menus work, and leaving it aborts no load."""
        page.wait_for_load_state('load')

    def field(self, page, label):
        return page.get_by_label(label, exact=True)

    # -- what a person does ---------------------------------------------

    def log_in(self, page, email, name, password=PASSWORD, remember=False):
        """Log in from the login page; the next page greets `name`."""
        self.loaded(page)
        page.goto('/auth/login')
        self.field(page, 'Email').fill(email)
        self.field(page, 'Password').fill(password)
        if remember:
            page.get_by_label('Keep me logged in').check()
        page.get_by_role('button', name='Log In').click()
        self.expect_heading(page, hello(name))

    def navbar(self, page):
        """The page's header: the site's name, the menu and its toggle."""
        return page.get_by_role('banner')

    def account_menu(self, page, name='Account'):
        """The Account menu's button in the navbar."""
        return self.navbar(page).get_by_role('button', name=name,
                                             exact=True)

    def open_account_menu(self, page, name='Account'):
        self.loaded(page)
        self.account_menu(page, name).click()

    def choose(self, page, item, menu='Account'):
        """Pick an item of the Account menu."""
        self.open_account_menu(page, menu)
        self.navbar(page).get_by_role('link', name=item, exact=True).click()

    def log_out(self, page):
        # A button that posts a small form, in the menu as a link.
        self.open_account_menu(page)
        page.get_by_role('button', name='Log Out').click()
        self.expect_flash(page, LOGGED_OUT)
        self.expect_heading(page, HELLO_STRANGER)

    # -- email and the database -----------------------------------------

    def read_email(self, to, subject, timeout=10):
        """The email sent to `to` with `subject`, once it has arrived."""
        subject = SUBJECT_PREFIX + subject
        deadline = time.monotonic() + timeout
        count = 1
        while True:
            try:
                messages = self.mail.wait_for(
                    count, timeout=max(0.0, deadline - time.monotonic()))
            except AssertionError:
                got = [(m['To'], m['Subject']) for m in self.mail.messages]
                self.fail(f'no email {subject!r} to {to}; got {got}')
            for msg in messages:
                if msg['To'] == to and msg['Subject'] == subject:
                    return msg
            count = len(messages) + 1

    def emailed_link(self, to, subject, path):
        """The link in that email; it must lead to `path` on the server."""
        link = link_in(self.read_email(to, subject))
        self.assertTrue(link.startswith(self.server.url + path), link)
        return link

    def add_user(self, email, username, password=PASSWORD, confirmed=True):
        with self.db_app.app_context():
            db.session.add(User(email=email, username=username,
                                password=password, confirmed=confirmed))
            db.session.commit()

    def user(self, email):
        with self.db_app.app_context():
            return db.session.scalar(sa.select(User.username).where(
                User.email == email))


class BrowserTestCase(BrowserTestBase):
    """A person's journeys through the chapter-8 pages."""

    def test_register_and_confirm_by_email(self):
        page = self.page
        page.goto('/')
        self.expect_heading(page, HELLO_STRANGER)
        self.screenshot(page, 'home-anonymous')
        self.navbar(page).get_by_role('link', name='Log In').click()
        self.expect_heading(page, LOGIN_HEADING)
        self.screenshot(page, 'login')
        page.get_by_role('link', name='Click here to register').click()
        self.expect_heading(page, REGISTER_HEADING)
        self.screenshot(page, 'register')
        self.field(page, 'Email').fill('susan@example.com')
        self.field(page, 'Username').fill('susan')
        self.field(page, 'Password').fill(PASSWORD)
        self.field(page, 'Confirm password').fill(PASSWORD)
        page.get_by_role('button', name='Register').click()
        self.expect_flash(page, CONFIRM_SENT)
        self.expect_heading(page, LOGIN_HEADING)
        self.screenshot(page, 'flashed-message')
        link = self.emailed_link('susan@example.com', CONFIRM_SUBJECT,
                                 '/auth/confirm/')

        self.log_in(page, 'susan@example.com', 'susan')
        expect(page.get_by_text(UNCONFIRMED)).to_be_visible()
        page.goto(link)
        self.expect_flash(page, CONFIRMED)
        self.expect_heading(page, hello('susan'))

    def test_unconfirmed_page_sends_a_new_email(self):
        self.add_user('uma@example.com', 'uma', confirmed=False)
        page = self.page
        self.log_in(page, 'uma@example.com', 'uma')
        expect(page.get_by_text(UNCONFIRMED)).to_be_visible()
        self.screenshot(page, 'unconfirmed')
        self.assertEqual(self.mail.messages, [])

        page.get_by_role('button', name='Click here').click()
        self.expect_flash(page, CONFIRM_RESENT)
        link = self.emailed_link('uma@example.com', CONFIRM_SUBJECT,
                                 '/auth/confirm/')
        page.goto(link)
        self.expect_flash(page, CONFIRMED)
        self.expect_heading(page, hello('uma'))

    def restart_browser(self, page):
        """Close the browser and open it again: its cookies are kept on
        disk, except the session cookies, which die with the browser."""
        self.loaded(page)
        state = page.context.storage_state()
        page.context.close()
        self.contexts.remove(page.context)
        state['cookies'] = [cookie for cookie in state['cookies']
                            if cookie['expires'] != -1]
        page = self.new_page(storage_state=state)
        page.goto('/')
        return page

    def test_keep_me_logged_in_survives_closing_the_browser(self):
        self.add_user('kim@example.com', 'kim')
        page = self.page
        # Control: a plain login ends when the browser is closed.
        self.log_in(page, 'kim@example.com', 'kim')
        page = self.restart_browser(page)
        self.expect_heading(page, HELLO_STRANGER)

        self.log_in(page, 'kim@example.com', 'kim', remember=True)
        page = self.restart_browser(page)
        self.expect_heading(page, hello('kim'))
        expect(self.account_menu(page)).to_be_visible()
        self.screenshot(page, 'home')

        # Control: another browser, without those cookies, is a stranger.
        stranger = self.new_page()
        stranger.goto('/')
        self.expect_heading(stranger, HELLO_STRANGER)
        expect(self.navbar(stranger).get_by_role('link', name='Log In')) \
            .to_be_visible()

        self.log_out(page)

    def test_an_answer_from_before_the_login_does_not_log_out(self):
        # A request the login page made (the favicon, say) is answered
        # only after the login: the browser takes any cookie it sets.
        self.add_user('ida@example.com', 'ida')
        page = self.page
        page.goto('/auth/login')
        before = page.context.cookies()
        held = []
        page.route('**/static/favicon.ico?late',
                   lambda route: held.append(route))
        page.evaluate("() => { fetch('/static/favicon.ico?late')"
                      ".catch(() => {}); }")
        self.field(page, 'Email').fill('ida@example.com')
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Log In').click()
        self.expect_heading(page, hello('ida'))
        self.assertEqual(len(held), 1)
        cookie = '; '.join(f"{c['name']}={c['value']}" for c in before)
        late = held[0].fetch(headers=dict(held[0].request.headers,
                                          cookie=cookie))
        held[0].fulfill(response=late)
        page.goto('/')
        self.expect_heading(page, hello('ida'))
        self.log_out(page)

    def test_account_menu_opens_on_click(self):
        self.add_user('mia@example.com', 'mia')
        page = self.page
        self.log_in(page, 'mia@example.com', 'mia')
        items = [self.navbar(page).get_by_role('link', name=name,
                                               exact=True) for name in
                 ('Account', 'Change Password', 'Change Email', 'Sessions')]
        items.append(page.get_by_role('button', name='Log Out'))
        for item in items:
            expect(item).to_be_hidden()
        expect(self.account_menu(page)).to_have_attribute(
            'aria-expanded', 'false')
        self.open_account_menu(page)
        expect(self.account_menu(page)).to_have_attribute(
            'aria-expanded', 'true')
        for item in items:
            expect(item).to_be_visible()
        self.screenshot(page, 'account-menu')
        items[1].click()
        self.expect_heading(page, CHANGE_PASSWORD_HEADING)
        self.choose(page, 'Account')
        self.expect_heading(page, ACCOUNT_HEADING)
        main = page.get_by_role('main')
        expect(main).to_contain_text('mia@example.com')
        # Flask-Moment's script wrote the date, as moment.js does.
        expect(main.locator('time')).to_have_text(
            re.compile(r'^[A-Z][a-z]+ \d{1,2}, \d{4}$'))
        self.screenshot(page, 'account')

    def test_a_login_ended_from_another_browser_is_logged_out(self):
        self.add_user('lea@example.com', 'lea')
        laptop, phone = self.page, self.new_page()
        self.log_in(laptop, 'lea@example.com', 'lea', remember=True)
        self.log_in(phone, 'lea@example.com', 'lea')
        self.choose(phone, 'Sessions')
        self.expect_heading(phone, 'Sessions')
        rows = phone.get_by_role('row')
        expect(rows).to_have_count(3)
        expect(rows.filter(has_text='(this browser)')).to_have_count(1)
        self.loaded(phone)
        rows.filter(has_not_text='(this browser)').get_by_role(
            'button', name='End').click()
        self.expect_flash(phone, SESSION_ENDED)
        expect(phone.get_by_role('row')).to_have_count(2)
        # The laptop's next page: logged out, its remember-me cookie too.
        self.loaded(laptop)
        laptop.goto('/secret')
        self.expect_heading(laptop, LOGIN_HEADING)
        self.loaded(laptop)
        laptop.goto('/')
        self.expect_heading(laptop, HELLO_STRANGER)
        self.log_out(phone)

    def test_change_password(self):
        self.add_user('carl@example.com', 'carl')
        page = self.page
        self.log_in(page, 'carl@example.com', 'carl')
        self.choose(page, 'Change Password')
        self.expect_heading(page, CHANGE_PASSWORD_HEADING)
        self.screenshot(page, 'change-password')
        self.field(page, 'Old password').fill(PASSWORD)
        self.field(page, 'New password').fill(NEW_PASSWORD)
        self.field(page, 'Confirm new password').fill(NEW_PASSWORD)
        page.get_by_role('button', name='Update Password').click()
        self.expect_flash(page, PASSWORD_UPDATED)
        self.expect_heading(page, hello('carl'))
        self.read_email('carl@example.com', PASSWORD_CHANGED_SUBJECT)

        self.log_out(page)
        self.log_in(page, 'carl@example.com', 'carl', NEW_PASSWORD)

    def zh(self, text, **variables):
        """`text` in Traditional Chinese, from the site's catalogue."""
        chinese = translated(self.db_app, text, **variables)
        self.assertRegex(chinese, HAN, f'{text!r} is not translated')
        return chinese

    def test_journey_in_traditional_chinese(self):
        """Register, confirm by email, log in and change the password,
        in a browser set to zh-TW, with the emails in zh-TW too."""
        zh = self.zh
        page = self.new_page(locale='zh-TW')
        page.goto('/')
        expect(page.locator('html')).to_have_attribute('lang', 'zh-TW')
        self.expect_heading(page, zh('Hello, Stranger!'))
        self.screenshot(page, 'zh-home-anonymous')
        page.get_by_role('main').get_by_role(
            'link', name=zh('Register')).click()
        self.expect_heading(page, zh('Register'))
        self.field(page, zh('Email')).fill('mei@example.com')
        self.field(page, zh('Username')).fill('mei')
        self.field(page, zh('Password')).fill(PASSWORD)
        self.field(page, zh('Confirm password')).fill(PASSWORD)
        self.screenshot(page, 'zh-register')
        page.get_by_role('button', name=zh('Register')).click()
        self.expect_flash(page, zh(CONFIRM_SENT))
        self.expect_heading(page, zh('Login'))
        self.screenshot(page, 'zh-flashed-message')
        email = self.read_email('mei@example.com', zh(CONFIRM_SUBJECT))
        self.assertRegex(text_part(email), HAN)
        self.assertNotIn('Dear', text_part(email))
        link = link_in(email)

        self.field(page, zh('Email')).fill('mei@example.com')
        self.field(page, zh('Password')).fill(PASSWORD)
        page.get_by_role('button', name=zh('Log In'), exact=True).click()
        expect(page.get_by_text(zh(UNCONFIRMED))).to_be_visible()
        self.screenshot(page, 'zh-unconfirmed')
        page.goto(link)
        self.expect_flash(page, zh(CONFIRMED))
        self.expect_heading(page, zh('Hello, %(name)s!', name='mei'))
        self.screenshot(page, 'zh-home')

        self.choose(page, zh('Change Password'), menu=zh('Account'))
        self.expect_heading(page, zh(CHANGE_PASSWORD_HEADING))
        self.field(page, zh('Old password')).fill(PASSWORD)
        self.field(page, zh('New password')).fill(NEW_PASSWORD)
        self.field(page, zh('Confirm new password')).fill(NEW_PASSWORD)
        self.screenshot(page, 'zh-change-password')
        page.get_by_role('button', name=zh('Update Password')).click()
        self.expect_flash(page, zh(PASSWORD_UPDATED))
        email = self.read_email('mei@example.com',
                                zh(PASSWORD_CHANGED_SUBJECT))
        self.assertRegex(text_part(email), HAN)
        self.choose(page, zh('Account'), menu=zh('Account'))
        self.expect_heading(page, zh(ACCOUNT_HEADING))
        self.screenshot(page, 'zh-account')

        phone = self.new_page(viewport=MOBILE, locale='zh-TW')
        phone.goto('/auth/login')
        self.expect_heading(phone, zh('Login'))
        self.assertFits(phone)
        self.screenshot(phone, 'zh-mobile-login')

    def test_the_site_works_with_javascript_off(self):
        """Register, confirm, log in, change the password, switch the
        language and log out, with no script run: the passkey button
        stays hidden."""
        page = self.new_page(java_script_enabled=False)
        page.goto('/')
        page.get_by_role('main').get_by_role('link', name='Register').click()
        self.field(page, 'Email').fill('noscript@example.com')
        self.field(page, 'Username').fill('noscript')
        self.field(page, 'Password').fill(PASSWORD)
        self.field(page, 'Confirm password').fill(PASSWORD)
        page.get_by_role('button', name='Register').click()
        self.expect_flash(page, CONFIRM_SENT)
        expect(page.get_by_role('button', name='Sign in with a passkey')) \
            .to_be_hidden()
        link = self.emailed_link('noscript@example.com', CONFIRM_SUBJECT,
                                 '/auth/confirm/')
        self.field(page, 'Email').fill('noscript@example.com')
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Log In', exact=True).click()
        page.goto(link)
        self.expect_flash(page, CONFIRMED)
        page.get_by_role('link', name='Your account').click()
        self.expect_heading(page, ACCOUNT_HEADING)
        page.get_by_role('link', name='Change your password').click()
        self.field(page, 'Old password').fill(PASSWORD)
        self.field(page, 'New password').fill(NEW_PASSWORD)
        self.field(page, 'Confirm new password').fill(NEW_PASSWORD)
        page.get_by_role('button', name='Update Password').click()
        self.expect_flash(page, PASSWORD_UPDATED)
        self.navbar(page).get_by_role('button', name='繁體中文').click()
        expect(page.locator('html')).to_have_attribute('lang', 'zh-TW')
        self.navbar(page).get_by_role('button', name='English').click()
        expect(page.locator('html')).to_have_attribute('lang', 'en')
        page.get_by_role('main').get_by_role(
            'link', name='Your account').click()
        page.get_by_role('link', name='Log out of this browser').click()
        page.get_by_role('main').get_by_role('button', name='Log Out').click()
        self.expect_flash(page, LOGGED_OUT)
        self.expect_heading(page, HELLO_STRANGER)

    def test_reset_a_forgotten_password(self):
        self.add_user('rita@example.com', 'rita')
        page = self.page
        page.goto('/auth/login')
        page.get_by_role('link', name='Click here to reset it').click()
        self.expect_heading(page, RESET_HEADING)
        self.field(page, 'Email').fill('rita@example.com')
        page.get_by_role('button', name='Reset Password').click()
        self.expect_flash(page, RESET_SENT)
        link = self.emailed_link('rita@example.com', RESET_SUBJECT,
                                 '/auth/reset/')

        page.goto(link)
        self.field(page, 'New Password').fill(NEW_PASSWORD)
        self.field(page, 'Confirm password').fill(NEW_PASSWORD)
        page.get_by_role('button', name='Reset Password').click()
        self.expect_flash(page, PASSWORD_UPDATED)
        self.expect_heading(page, LOGIN_HEADING)
        self.read_email('rita@example.com', PASSWORD_CHANGED_SUBJECT)
        self.log_in(page, 'rita@example.com', 'rita', NEW_PASSWORD)

    def test_change_email_by_the_emailed_link(self):
        self.add_user('ed@example.com', 'ed')
        page = self.page
        self.log_in(page, 'ed@example.com', 'ed')
        self.choose(page, 'Change Email')
        self.field(page, 'New Email').fill('edward@example.org')
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Update Email Address').click()
        self.expect_flash(page, EMAIL_CHANGE_SENT)
        link = self.emailed_link('edward@example.org', EMAIL_CHANGE_SUBJECT,
                                 '/auth/change_email/')

        page.goto(link)
        self.expect_flash(page, EMAIL_UPDATED)
        self.read_email('ed@example.com', EMAIL_CHANGED_SUBJECT)
        self.assertEqual(self.user('edward@example.org'), 'ed')
        self.log_out(page)
        self.log_in(page, 'edward@example.org', 'ed')

    def test_undo_an_email_change_from_the_old_mailbox(self):
        self.add_user('ivy@example.com', 'ivy')
        thief = self.page
        self.log_in(thief, 'ivy@example.com', 'ivy')
        self.choose(thief, 'Change Email')
        self.field(thief, 'New Email').fill('mallory@example.net')
        self.field(thief, 'Password').fill(PASSWORD)
        self.loaded(thief)
        thief.get_by_role('button', name='Update Email Address').click()
        self.expect_flash(thief, EMAIL_CHANGE_SENT)
        self.loaded(thief)
        thief.goto(self.emailed_link('mallory@example.net',
                                     EMAIL_CHANGE_SUBJECT,
                                     '/auth/change_email/'))
        self.expect_flash(thief, EMAIL_UPDATED)

        # The owner opens the notice's link in a browser of their own.
        owner = self.new_page()
        notice = self.read_email('ivy@example.com', EMAIL_CHANGED_SUBJECT)
        owner.set_content(notice.get_body(('html',)).get_content())
        owner.get_by_role('link', name='This was not me: undo it').click()
        self.loaded(owner)
        owner.get_by_role('button', name='Undo the change').click()
        self.expect_flash(owner, EMAIL_CHANGE_UNDONE)
        self.loaded(thief)
        thief.goto('/')
        self.expect_heading(thief, HELLO_STRANGER)
        # The new address no longer logs in, nor the old password.
        for email in ('mallory@example.net', 'ivy@example.com'):
            self.loaded(owner)
            owner.goto('/auth/login')
            self.field(owner, 'Email').fill(email)
            self.field(owner, 'Password').fill(PASSWORD)
            self.loaded(owner)
            owner.get_by_role('button', name='Log In').click()
            self.expect_flash(owner, INVALID_LOGIN)
        self.loaded(owner)
        owner.goto(self.emailed_link('ivy@example.com',
                                     EMAIL_RESTORED_SUBJECT, '/auth/reset/'))
        self.field(owner, 'New Password').fill(NEW_PASSWORD)
        self.field(owner, 'Confirm password').fill(NEW_PASSWORD)
        self.loaded(owner)
        owner.get_by_role('button', name='Reset Password').click()
        self.expect_flash(owner, PASSWORD_UPDATED)
        self.log_in(owner, 'ivy@example.com', 'ivy', password=NEW_PASSWORD)
        self.log_out(owner)

    def test_flashed_message_is_dismissed_with_its_close_button(self):
        page = self.page
        page.goto('/secret')
        alert = self.flashed(page)
        expect(alert).to_contain_text(LOGIN_REQUIRED)
        alert.get_by_role('button', name='Close').click()
        expect(alert).to_have_count(0)
        expect(page.get_by_text(LOGIN_REQUIRED)).to_be_hidden()
        self.expect_heading(page, LOGIN_HEADING)

    def test_enter_key_submits_the_login_form(self):
        self.add_user('nina@example.com', 'nina')
        page = self.page
        page.goto('/auth/login')
        self.field(page, 'Email').fill('nina@example.com')
        password = self.field(page, 'Password')
        password.fill(PASSWORD)
        password.press('Enter')
        self.expect_heading(page, hello('nina'))

    def test_problems_in_the_browser_are_caught(self):
        # The watch on every page: a missing script and a script error.
        page = self.page
        page.goto('/')
        self.expect_heading(page, HELLO_STRANGER)
        self.assertEqual(self.problems, [])
        with page.expect_response('**/static/missing.js'):
            page.evaluate("""() => {
                const script = document.createElement('script');
                script.src = '/static/missing.js';
                document.head.appendChild(script);
            }""")
        with page.expect_event('pageerror'):
            page.evaluate('() => { setTimeout(() => { throw new Error('
                          '"broken") }) }')
        found = '\n'.join(self.problems)
        self.assertIn('script http://127.0.0.1:', found)
        self.assertIn('/static/missing.js: HTTP 404', found)
        self.assertIn('script error on', found)
        self.assertIn('broken', found)
        self.problems.clear()

    def test_screenshots_are_compared_by_what_they_show(self):
        # A screenshot is rewritten only when its picture changed: not
        # for a shade of difference, as anti-aliasing varies by.
        def picture(colour, text=''):
            self.page.set_content(
                f'<body style="margin:0;background:{colour}">{text}</body>')
            return self.page.screenshot()
        context = self.page.context
        grey = picture('#f6f6f6')
        self.assertTrue(self.same_picture(context, grey, grey))
        self.assertTrue(self.same_picture(context, grey,
                                          picture('#f7f7f7')))
        self.assertFalse(self.same_picture(context, grey,
                                           picture('#f0f0f0')))
        self.assertFalse(self.same_picture(context, grey,
                                           picture('#f6f6f6', 'Hello')))
        self.page.set_viewport_size({'width': 999, 'height': 700})
        self.assertFalse(self.same_picture(context, grey,
                                           picture('#f6f6f6')))

    # -- small screens and the keyboard --------------------------------

    def assertFits(self, page):
        """The page is no wider than the screen: no sideways scrolling."""
        width = page.viewport_size['width']
        scroll_width = page.evaluate(
            '() => document.documentElement.scrollWidth')
        self.assertLessEqual(scroll_width, width,
                             f'{page.url} scrolls sideways')

    def visit_small(self, page, pages):
        """Open each (url, name): it fits the screen; a screenshot."""
        for url, name in pages:
            with self.subTest(page=url):
                self.loaded(page)
                page.goto(url)
                self.loaded(page)
                self.assertFits(page)
                self.screenshot(page, 'mobile-' + name)

    def open_collapsed_menu(self, page):
        # Found by what it controls: its name is in the page's language.
        toggle = page.locator('button[aria-controls="navbar"]')
        self.loaded(page)
        toggle.click()
        expect(toggle).to_have_attribute('aria-expanded', 'true')
        # Opened: Bootstrap's transition is over.
        expect(page.locator('#navbar')).to_have_class(
            re.compile(r'(^|\s)in(\s|$)'))

    def test_small_screen_for_a_visitor(self):
        page = self.new_page(viewport=MOBILE)
        self.visit_small(page, [('/', 'home-anonymous'),
                                ('/auth/login', 'login'),
                                ('/auth/register', 'register'),
                                ('/auth/reset', 'reset')])
        page.goto('/')
        nav = self.navbar(page)
        log_in = nav.get_by_role('link', name='Log In')
        chinese = nav.get_by_role('button', name='繁體中文')
        expect(log_in).to_be_hidden()
        expect(chinese).to_be_hidden()
        self.open_collapsed_menu(page)
        expect(log_in).to_be_visible()
        expect(chinese).to_be_visible()
        self.assertFits(page)
        self.screenshot(page, 'mobile-menu')

        # The language switcher, there and back.
        chinese.click()
        expect(page.locator('html')).to_have_attribute('lang', 'zh-TW')
        self.assertFits(page)
        self.open_collapsed_menu(page)
        nav.get_by_role('button', name='English').click()
        expect(page.locator('html')).to_have_attribute('lang', 'en')
        self.open_collapsed_menu(page)
        log_in.click()
        self.expect_heading(page, LOGIN_HEADING)

    def test_small_screen_for_a_user(self):
        self.add_user('max@example.com', 'max')
        # A second session: the sessions table has two rows.
        self.log_in(self.page, 'max@example.com', 'max')
        page = self.new_page(viewport=MOBILE)
        self.log_in(page, 'max@example.com', 'max')
        self.visit_small(page, [('/', 'home'), ('/auth/account', 'account'),
                                ('/auth/change-password', 'change-password'),
                                ('/auth/change_email', 'change-email'),
                                ('/auth/sessions', 'sessions'),
                                ('/secret', 'secret')])
        # The table scrolls in its own box, if at all.
        page.goto('/auth/sessions')
        expect(page.get_by_role('row')).to_have_count(3)
        self.assertFits(page)

        nav = self.navbar(page)
        log_out = nav.get_by_role('button', name='Log Out')
        expect(self.account_menu(page)).to_be_hidden()
        self.open_collapsed_menu(page)
        expect(nav.get_by_role('button', name='繁體中文')).to_be_visible()
        self.account_menu(page).click()
        expect(log_out).to_be_visible()
        expect(nav.get_by_role('link', name='Sessions')).to_be_visible()
        self.assertFits(page)
        self.screenshot(page, 'mobile-account-menu')
        log_out.click()
        self.expect_flash(page, LOGGED_OUT)
        self.expect_heading(page, HELLO_STRANGER)
        self.log_out(self.page)

    def test_form_errors_are_shown_with_their_field(self):
        self.add_user('taken@example.com', 'taken')
        page = self.page
        page.goto('/auth/register')
        self.field(page, 'Email').fill('taken@example.com')
        self.field(page, 'Username').fill('two words')
        self.field(page, 'Password').fill(PASSWORD)
        self.field(page, 'Confirm password').fill(NEW_PASSWORD)
        self.loaded(page)
        page.get_by_role('button', name='Register').click()
        self.expect_heading(page, REGISTER_HEADING)
        for label, error in (('Email', EMAIL_TAKEN),
                             ('Username', BAD_USERNAME),
                             ('Password', PASSWORDS_DIFFER)):
            group = page.locator('.form-group.has-error').filter(
                has=self.field(page, label))
            expect(group.get_by_text(error)).to_be_visible()
        expect(page.locator('.form-group.has-error').filter(
            has=self.field(page, 'Confirm password'))).to_have_count(0)
        # The form lines up with the page's heading.
        heading = page.get_by_role('heading', level=1).bounding_box()
        label = page.get_by_text('Email', exact=True).bounding_box()
        self.assertEqual(label['x'], heading['x'])
        self.screenshot(page, 'form-errors')

    def tab_through(self, page, steps=30):
        """Press Tab until the focus comes back to the skip link; for
        each element focused on the way, whether its focus shows (an
        outline, or Bootstrap's glow around a field)."""
        seen = []
        for _ in range(steps):
            page.keyboard.press('Tab')
            focused = page.evaluate(FOCUSED)
            if focused is None or (seen and focused[0] == seen[0][0]):
                break
            seen.append(focused)
        return seen

    def test_keyboard_focus_shows(self):
        self.add_user('kai@example.com', 'kai')
        page = self.page
        for url in ('/auth/login', '/'):
            with self.subTest(page=url):
                self.loaded(page)
                page.goto(url)
                self.loaded(page)
                focused = self.tab_through(page)
                self.assertGreater(len(focused), 4, focused)
                self.assertEqual(focused[0][0], 'Skip to main content')
                self.assertEqual(
                    [name for name, shows in focused if not shows], [])
        self.log_in(page, 'kai@example.com', 'kai')
        focused = self.tab_through(page)
        self.assertEqual([name for name, shows in focused if not shows], [])
        self.assertIn('Your account', [name for name, shows in focused])

        # The skip link shows when focused, and leads to the page's main.
        page.goto('/')
        self.loaded(page)
        page.keyboard.press('Tab')
        skip = page.get_by_role('link', name='Skip to main content')
        expect(skip).to_be_focused()
        box = skip.bounding_box()
        self.assertGreater(box['width'], 50)
        self.assertGreater(box['height'], 10)
        self.screenshot(page, 'skip-link')
        page.keyboard.press('Enter')
        expect(page.get_by_role('main')).to_be_focused()
        page.keyboard.press('Tab')
        expect(page.get_by_role('link', name='Your account')) \
            .to_be_focused()
        self.log_out(page)


def installed_axe_version():
    try:
        with open(os.path.join(AXE_DIR, 'package.json')) as f:
            return json.load(f)['version']
    except FileNotFoundError:
        return None


def axe_source():
    """The pinned axe-core's axe.min.js; tools/fetch_axe.sh fetches it
    into tmp/node_modules/ when it is missing or of another version."""
    with open(FETCH_AXE) as f:
        wanted = re.search(r'^AXE_CORE_VERSION=(\S+)$', f.read(),
                           re.M).group(1)
    os.makedirs(os.path.join(ROOT, 'tmp'), exist_ok=True)
    with open(os.path.join(ROOT, 'tmp', 'fetch_axe.lock'), 'w') as lock:
        # Test workers in parallel fetch it once.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if installed_axe_version() != wanted:
            require_program(shutil.which('npm') or '/usr/bin/npm', 'npm',
                            'npm')
            fetch = subprocess.run([FETCH_AXE], cwd=ROOT, capture_output=True,
                                   text=True, stdin=subprocess.DEVNULL,
                                   timeout=FETCH_TIMEOUT)
            if fetch.returncode != 0 or installed_axe_version() != wanted:
                raise RuntimeError('tools/fetch_axe.sh failed:\n'
                                   + fetch.stdout + fetch.stderr)
    with open(os.path.join(AXE_DIR, 'axe.min.js')) as f:
        return f.read()


class AccessibilityTestCase(FlaskyTestCase):
    """axe-core run in every page of tests.pages.every_page (and a form
    with errors, and a page in Chinese), at a desktop's width and at a
    phone's with the menu open: no problem of serious or critical impact.

    The pages are the test client's, as test_headers and test_assets
    see them; the browser asks for them, and for the files they load,
    at a made-up host whose every request the test client answers, with
    the site's Content-Security-Policy. axe is added to each page by the
    browser itself (an init script), which the CSP does not govern.
    """
    HOST = 'http://flasky.test'
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        check_browser()
        cls.axe = axe_source()
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = cls.playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        cls.addClassCleanup(cls.browser.close)
        super().setUpClass()

    def setUp(self):
        super().setUp()
        self.problems = []

    def gather_pages(self):
        """(name, status, html) of each page to check."""
        pages = every_page(self)
        response = self.register(email='not-an-email', username='a b',
                                 password='short', password2='other')
        pages.append(('form with errors', response.status_code,
                      self.page(response)))
        self.client.set_cookie('locale', 'zh_TW')
        response = self.client.get('/')
        pages.append(('/ (in Chinese)', response.status_code,
                      self.page(response)))
        self.client.delete_cookie('locale')
        return pages

    def open_browser(self, pages, viewport):
        """A page of a browser whose requests the test client answers:
        /test-page/<n> with the n-th of `pages`."""
        csp = self.client.get('/').headers['Content-Security-Policy']

        def answer(route):
            url = urlsplit(route.request.url)
            if url.path.startswith('/test-page/'):
                # Given as 200: Chromium logs an error for a page's
                # own 404 or 500, and nothing else differs.
                name, status, html = pages[int(url.path.split('/')[-1])]
                route.fulfill(status=200, body=html, headers={
                    'Content-Type': 'text/html; charset=utf-8',
                    'Content-Security-Policy': csp})
                return
            if url.path == '/auth/two-step/qr-code.svg':
                # Served only while two-step sign-in is being set up,
                # which is over once the pages are gathered.
                route.fulfill(status=200, content_type='image/svg+xml',
                              body='<svg xmlns="http://www.w3.org/2000/svg"'
                                   ' viewBox="0 0 1 1"/>')
                return
            path = url.path + ('?' + url.query if url.query else '')
            with self.client.get(path) as response:
                route.fulfill(status=response.status_code,
                              headers=dict(response.headers),
                              body=response.get_data())

        context = self.browser.new_context(base_url=self.HOST,
                                           viewport=viewport)
        self.addCleanup(context.close)
        context.set_default_timeout(PAGE_TIMEOUT)
        context.add_init_script(script=self.axe)
        context.route('**/*', answer)
        page = context.new_page()
        page.on('console', lambda message: message.type == 'error' and
                self.problems.append(f'{page.url}: {message.text}'))
        page.on('pageerror', lambda error: self.problems.append(
            f'{page.url}: {error}'))
        return page

    def open(self, page, number):
        page.goto(f'/test-page/{number}')
        page.wait_for_load_state('load')

    def violations(self, page):
        return page.evaluate(AXE_RUN, list(FAILING_IMPACTS))

    def check_every_page(self, viewport, open_menu=False):
        pages = self.gather_pages()
        page = self.open_browser(pages, viewport)
        found = {}
        too_wide = []
        for number, (name, status, html) in enumerate(pages):
            self.open(page, number)
            if page.evaluate('() => document.documentElement.scrollWidth') \
                    > viewport['width']:
                too_wide.append(name)
            if open_menu:
                page.locator('button[aria-controls="navbar"]').click()
                expect(page.locator('#navbar')).to_have_class(
                    re.compile(r'(^|\s)in(\s|$)'))
                account = page.get_by_role('banner').get_by_role(
                    'button', name='Account', exact=True)
                if account.count():
                    account.click()
                    expect(account).to_have_attribute('aria-expanded',
                                                      'true')
            violations = self.violations(page)
            if violations:
                found[name] = violations
        self.assertEqual(found, {}, 'axe found problems of serious or '
                         'critical impact')
        self.assertEqual(too_wide, [], 'pages that scroll sideways')
        self.assertEqual(self.problems, [])

    def test_every_page_at_a_desktops_width(self):
        self.check_every_page(VIEWPORT)

    def test_every_page_on_a_phone_with_the_menu_open(self):
        self.check_every_page(MOBILE, open_menu=True)

    def test_axe_finds_problems(self):
        page = self.open_browser(self.gather_pages(), VIEWPORT)
        self.open(page, 0)
        self.assertEqual(self.violations(page), [])
        page.evaluate("""() => {
            document.querySelector('h1').style.color = '#ccc';
            document.querySelector('main').appendChild(
                document.createElement('input'));
        }""")
        found = '\n'.join(self.violations(page))
        self.assertIn('color-contrast (serious)', found)
        self.assertIn('label (critical)', found)


class CheckBrowserTestCase(unittest.TestCase):
    """Without Chromium (or nginx: tests.support.require_program) the
    browser tests are skipped; on CI they fail."""

    def setUp(self):
        tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, tmp)
        self.missing = os.path.join(tmp, 'chromium')
        self.program = os.path.join(tmp, 'program')
        with open(self.program, 'w') as f:
            f.write('#!/bin/sh\n')
        os.chmod(self.program, 0o755)
        self.not_executable = os.path.join(tmp, 'text')
        with open(self.not_executable, 'w') as f:
            f.write('text\n')
        os.chmod(self.not_executable, 0o644)

    def test_installed_browser_runs_the_tests(self):
        for environ in ({}, {'CI': 'true'}):
            with self.subTest(environ=environ):
                self.assertIsNone(check_browser(self.program, environ))

    def test_missing_browser_is_skipped_with_the_reason(self):
        for environ in ({}, {'CI': ''}, {'CI': 'false'}, {'CI': '0'},
                        {'OTHER': 'true'}):
            with self.subTest(environ=environ):
                with self.assertRaises(unittest.SkipTest) as caught:
                    check_browser(self.missing, environ)
                self.assertEqual(
                    str(caught.exception),
                    f'Chromium not found at {self.missing}: install it '
                    'with apt-get install chromium')

    def test_missing_browser_fails_on_ci(self):
        for environ in ({'CI': 'true'}, {'CI': '1'}, {'CI': 'yes'}):
            with self.subTest(environ=environ):
                with self.assertRaises(ProgramMissing) as caught:
                    check_browser(self.missing, environ)
                self.assertIn(f'Chromium not found at {self.missing}',
                              str(caught.exception))
                self.assertNotIsInstance(caught.exception,
                                         unittest.SkipTest)

    def test_a_file_that_cannot_run_is_missing(self):
        if os.access(self.not_executable, os.X_OK):
            self.skipTest('every file is executable for this user')
        with self.assertRaises(unittest.SkipTest):
            check_browser(self.not_executable, {})
        with self.assertRaises(ProgramMissing):
            check_browser(self.not_executable, {'CI': 'true'})

    def test_the_environment_decides_by_default(self):
        with mock.patch.dict(os.environ, {'CI': 'true'}):
            with self.assertRaises(ProgramMissing):
                check_browser(self.missing)
        with mock.patch.dict(os.environ):
            os.environ.pop('CI', None)
            with self.assertRaises(unittest.SkipTest):
                check_browser(self.missing)


if __name__ == '__main__':
    unittest.main()
