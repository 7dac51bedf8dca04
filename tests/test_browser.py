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
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
from unittest import mock

import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright

from app import create_app, db
from app.models import User
from bench.server import clean_environ
from config import TestingConfig
from tests.messages import (
    CHANGE_PASSWORD_HEADING, CONFIRM_RESENT, CONFIRM_SENT, CONFIRM_SUBJECT,
    CONFIRMED, EMAIL_CHANGE_SENT, EMAIL_CHANGE_SUBJECT, EMAIL_CHANGE_UNDONE,
    EMAIL_CHANGED_SUBJECT, EMAIL_RESTORED_SUBJECT, EMAIL_UPDATED,
    HELLO_STRANGER, INVALID_LOGIN, LOGGED_OUT, LOGIN_HEADING, LOGIN_REQUIRED,
    PASSWORD_CHANGED_SUBJECT, PASSWORD_UPDATED, REGISTER_HEADING,
    RESET_HEADING, RESET_SENT, RESET_SUBJECT, SESSION_ENDED, SUBJECT_PREFIX,
    UNCONFIRMED, hello)
from tests.support import (NEW_PASSWORD, PASSWORD, MailSink,
                           ProgramMissing, free_port, link_in,
                           require_program, stop_process)

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

COMMAND_TIMEOUT = 60   # seconds, for `manage.py deploy`
SERVER_START = 30      # seconds, for the server to accept connections
PAGE_TIMEOUT = 15_000  # milliseconds, for any one browser action or check

# Loads of these kinds must all succeed on every page.
ASSET_TYPES = ('stylesheet', 'script', 'font', 'image')


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


class BrowserTestCase(unittest.TestCase):
    """One server, one SMTP sink and one Chromium for the class; a fresh
    browser context (no cookies) for each test."""

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

    def new_page(self, storage_state=None):
        """A page in a new browser context, watched for problems."""
        context = self.browser.new_context(
            base_url=self.server.url, viewport=VIEWPORT,
            storage_state=storage_state)
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

    def expect_flash(self, page, text):
        expect(page.get_by_role('alert')).to_contain_text(text)
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

    def open_account_menu(self, page):
        self.loaded(page)
        page.get_by_role('link', name='Account').click()

    def choose(self, page, item):
        """Pick an item of the Account menu."""
        self.open_account_menu(page)
        page.get_by_role('link', name=item).click()

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

    # -- the journeys ---------------------------------------------------

    def test_register_and_confirm_by_email(self):
        page = self.page
        page.goto('/')
        self.expect_heading(page, HELLO_STRANGER)
        self.screenshot(page, 'home-anonymous')
        page.get_by_role('link', name='Log In').click()
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
        expect(page.get_by_role('link', name='Account')).to_be_visible()
        self.screenshot(page, 'home')

        # Control: another browser, without those cookies, is a stranger.
        stranger = self.new_page()
        stranger.goto('/')
        self.expect_heading(stranger, HELLO_STRANGER)
        expect(stranger.get_by_role('link', name='Log In')).to_be_visible()

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
        items = [page.get_by_role('link', name=name) for name in
                 ('Change Password', 'Change Email', 'Sessions')]
        items.append(page.get_by_role('button', name='Log Out'))
        for item in items:
            expect(item).to_be_hidden()
        self.open_account_menu(page)
        for item in items:
            expect(item).to_be_visible()
        self.screenshot(page, 'account-menu')
        items[0].click()
        self.expect_heading(page, CHANGE_PASSWORD_HEADING)

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
        alert = page.get_by_role('alert')
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
