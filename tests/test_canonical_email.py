"""One address, one account, one mailbox (docs/security.md): every address
is stored, compared and mailed to in one canonical form, with the domain
in its IDNA 2008 ASCII form (xn--...).
"""
import subprocess
import sys
import unittest

import sqlalchemy as sa
from flask_mail import sanitize_address

from app.email import send_email
from app.models import User, canonical_email
from bench.server import ROOT, clean_environ
from tests import scratchdb
from tests.messages import (CONFIRM_SUBJECT, EMAIL_CHANGE_SENT,
                            EMAIL_CHANGE_SUBJECT, EMAIL_TAKEN,
                            EMAIL_UPDATED, RESET_SENT, RESET_SUBJECT,
                            SUBJECT_PREFIX, logged_in_as)
from tests.support import (PASSWORD, CommandTestCase, FlaskyTestCase,
                           MailSink, field_errors, flashes, link_in)

# (typed, canonical)
CANONICAL = [
    ('John@Example.COM', 'john@example.com'),
    ('  john@example.com\t', 'john@example.com'),
    # A fullwidth e, and an ideographic full stop.
    ('bob@\uff45xample.com', 'bob@example.com'),
    ('bob@example\u3002com', 'bob@example.com'),
    ('susan@B\u00fccher.example', 'susan@xn--bcher-kva.example'),
    ('susan@XN--BCHER-KVA.example', 'susan@xn--bcher-kva.example'),
    # IDNA 2003 (Python's 'idna' codec) maps these to other domains:
    # fass.de, strasse.example, xn--4xa.example.
    ('user@fa\u00df.de', 'user@xn--fa-hia.de'),
    ('user@stra\u00dfe.example', 'user@xn--strae-oqa.example'),
    ('user@\u03c2.example', 'user@xn--3xa.example'),
]
NOT_ADDRESSES = [
    '', 'john', 'john@', 'j\u00f6hn@example.com', '"john"@example.com',
    'john@[127.0.0.1]', 'john@localhost',
    # Valid in IDNA 2003 only.
    'john@\u2603.example', 'john@xn--n3h.example',
]
# Where the two encodings part: (typed domain, its IDNA 2008 form).
IDNA_2003_ELSEWHERE = [
    ('fa\u00df.de', 'xn--fa-hia.de'),
    ('stra\u00dfe.example', 'xn--strae-oqa.example'),
    ('\u03c2.example', 'xn--3xa.example'),
]
# A registered address, and other ways to type it.
VARIANTS = [
    ('bob@example.com', ['BOB@EXAMPLE.COM', 'bob@\uff45xample.com',
                         'bob@example\u3002com']),
    ('susan@b\u00fccher.example', ['susan@xn--bcher-kva.example',
                                   'Susan@B\u00dcCHER.example',
                                   'susan@XN--BCHER-KVA.EXAMPLE']),
    ('anna@xn--bcher-kva.example', ['anna@b\u00fccher.example']),
]


class CanonicalEmailTestCase(unittest.TestCase):

    def test_canonical_forms(self):
        for typed, canonical in CANONICAL:
            with self.subTest(typed=typed):
                self.assertEqual(canonical_email(typed), canonical)
                self.assertEqual(canonical_email(canonical), canonical)

    def test_what_is_not_an_address_is_refused(self):
        for typed in NOT_ADDRESSES:
            with self.subTest(typed=typed):
                with self.assertRaises(ValueError):
                    canonical_email(typed)

    def test_model_stores_the_canonical_form(self):
        for typed, canonical in CANONICAL:
            with self.subTest(typed=typed):
                self.assertEqual(User(email=typed).email, canonical)

    def test_model_refuses_what_is_not_an_address(self):
        for typed in NOT_ADDRESSES:
            with self.subTest(typed=typed):
                with self.assertRaises(ValueError):
                    User(email=typed)

    def test_flask_mail_sends_an_ascii_address_as_it_is(self):
        # What the app relies on; and why it never hands Flask-Mail
        # anything else: a Unicode domain is re-encoded with IDNA 2003.
        self.assertEqual(sanitize_address('user@xn--fa-hia.de'),
                         'user@xn--fa-hia.de')
        self.assertEqual(sanitize_address('user@fa\u00df.de'),
                         'user@fass.de')


class EnvelopeSink(MailSink):
    """The sink, with the addresses each message was delivered to (RCPT
    TO, which may differ from To:) in an X-Rcpt-To header."""

    async def handle_DATA(self, server, session, envelope):
        envelope.content = (
            'X-Rcpt-To: ' + ', '.join(envelope.rcpt_tos) + '\r\n'
        ).encode() + envelope.content
        return await super().handle_DATA(server, session, envelope)


class CanonicalEmailViewsTestCase(FlaskyTestCase):
    config = {'RATELIMIT_ENABLED': False}

    @classmethod
    def setUpClass(cls):
        cls.mail = EnvelopeSink()
        cls.mail.start()

    def sent(self, subject):
        """(To, RCPT TO) of each email with `subject`."""
        return [(str(m['To']), str(m['X-Rcpt-To']))
                for m in self.mail.messages
                if m['Subject'] == SUBJECT_PREFIX + subject]

    def assertTaken(self, response):
        self.assertIn(EMAIL_TAKEN, field_errors(self.page(response)))

    # -- mail goes to the IDNA 2008 domain -----------------------------

    def test_confirmation_goes_to_the_idna_2008_domain(self):
        for n, (domain, ascii_domain) in enumerate(IDNA_2003_ELSEWHERE):
            with self.subTest(domain=domain):
                self.mail.clear()
                response = self.register(email=f'susan@{domain}',
                                         username=f'susan{n}')
                self.assertEqual(response.request.path, '/auth/login')
                to = f'susan@{ascii_domain}'
                self.assertEqual(self.sent(CONFIRM_SUBJECT), [(to, to)])
                self.assertIsNotNone(self.get_user(email=to))

    def test_reset_goes_to_the_idna_2008_domain(self):
        self.add_user(email='susan@fa\u00df.de')
        response = self.submit('/auth/reset',
                               dict(email='susan@fa\u00df.de'))
        self.assertIn(RESET_SENT, flashes(self.page(response)))
        to = 'susan@xn--fa-hia.de'
        self.assertEqual(self.sent(RESET_SUBJECT), [(to, to)])

    def test_email_change_goes_to_the_idna_2008_domain(self):
        user_id = self.add_user()
        self.login()
        response = self.submit('/auth/change_email', dict(
            email='john@fa\u00df.de', password=PASSWORD))
        self.assertIn(EMAIL_CHANGE_SENT, flashes(self.page(response)))
        to = 'john@xn--fa-hia.de'
        self.assertEqual(self.sent(EMAIL_CHANGE_SUBJECT), [(to, to)])
        link = link_in(self.mail.messages[-1])
        response = self.client.get(link, follow_redirects=True)
        self.assertIn(EMAIL_UPDATED, flashes(self.page(response)))
        self.assertEqual(self.get_user(id=user_id).email, to)

    def test_mailer_refuses_an_address_it_would_re_encode(self):
        # The migration leaves an address it cannot make canonical as it
        # is: mail for it must not go to the IDNA 2003 domain.
        with self.app.test_request_context():
            with self.assertLogs(self.app.logger, 'ERROR'):
                send_email('susan@fa\u00df.de', 'Confirm Your Account',
                           'auth/email/confirm', user=User(username='s'),
                           token='x')
        self.assertEqual(self.mail.messages, [])

    # -- one account per address ---------------------------------------

    def test_another_form_of_a_registered_address_is_taken(self):
        for n, (registered, variants) in enumerate(VARIANTS):
            self.add_user(email=registered, username=f'user{n}')
            for variant in variants:
                with self.subTest(variant=variant):
                    count = self.user_count()
                    self.assertTaken(self.register(email=variant,
                                                   username='another'))
                    self.assertEqual(self.user_count(), count)
        self.assertEqual(self.mail.messages, [])

    def test_change_to_another_form_of_a_taken_address_is_refused(self):
        self.add_user()
        for n, (registered, variants) in enumerate(VARIANTS):
            self.add_user(email=registered, username=f'user{n}')
        self.login()
        for variant in [v for _, variants in VARIANTS for v in variants]:
            with self.subTest(variant=variant):
                self.assertTaken(self.submit('/auth/change_email', dict(
                    email=variant, password=PASSWORD)))
        self.assertEqual(self.mail.messages, [])

    def test_login_with_any_form_of_the_address(self):
        for n, (registered, variants) in enumerate(VARIANTS[:2]):
            self.add_user(email=registered, username=f'user{n}')
            for variant in [registered] + variants:
                with self.subTest(variant=variant):
                    self.client = self.app.test_client()
                    self.login(email=variant)
                    self.assertIn(logged_in_as(f'user{n}'), self.page(
                        self.client.get('/secret')))

    def test_reset_request_with_any_form_of_the_address(self):
        for n, (registered, variants) in enumerate(VARIANTS[:2]):
            self.add_user(email=registered, username=f'user{n}')
            to = canonical_email(registered)
            for variant in variants:
                with self.subTest(variant=variant):
                    self.mail.clear()
                    self.submit('/auth/reset', dict(email=variant))
                    self.assertEqual(self.sent(RESET_SUBJECT), [(to, to)])


class CanonicalEmailMigrationTestCase(CommandTestCase):
    """The migration brings existing rows to the canonical form, on a
    scratch database of the backend the tests run on."""
    BEFORE, AFTER = '49caeb46c8d0', 'b7e2d9c41a05'
    # id: (stored before, stored after, confirmed after)
    ROWS = {
        1: ('bob@example.com', 'bob@example.com', True),
        # Its canonical form is taken by row 1: left as it is.
        2: ('bob@\uff45xample.com', 'bob@\uff45xample.com', True),
        # Its mail went to fass.de: confirmed there, not here.
        3: ('susan@fa\u00df.de', 'susan@xn--fa-hia.de', False),
        4: ('anna@b\u00fccher.example', 'anna@xn--bcher-kva.example', True),
        # Row 6 holds its canonical form already.
        5: ('dora@b\u00fccher.example', 'dora@b\u00fccher.example', True),
        6: ('dora@xn--bcher-kva.example', 'dora@xn--bcher-kva.example',
            True),
        7: ('not an address', 'not an address', True),
        8: (None, None, True),
    }

    def setUp(self):
        self.url, _ = self.enterContext(
            scratchdb.scratch_database('canonical'))
        self.engine = sa.create_engine(self.url,
                                       poolclass=sa.pool.NullPool)
        self.addCleanup(self.engine.dispose)

    def manage(self, *args):
        return subprocess.run(
            [sys.executable, 'manage.py', *args], cwd=ROOT,
            env=clean_environ(DEV_DATABASE_URL=self.url,
                              SECRET_KEY='migration test',
                              FLASK_SKIP_DOTENV='1',
                              PYTHONDONTWRITEBYTECODE='1'),
            capture_output=True, text=True, timeout=60)

    def users(self):
        with self.engine.connect() as conn:
            return {row.id: row for row in conn.execute(sa.text(
                'SELECT * FROM users ORDER BY id'))}

    def test_upgrade_and_downgrade(self):
        self.assertExit(self.manage('db', 'upgrade', self.BEFORE), 0)
        with self.engine.begin() as conn:
            for id, (email, _, _) in self.ROWS.items():
                conn.execute(sa.text(
                    'INSERT INTO users (id, email, username, confirmed, '
                    'session_token) VALUES (:id, :email, :username, '
                    'true, :token)'), dict(id=id, email=email,
                                           username=f'user{id}',
                                           token=f'token{id}'))
        result = self.manage('db', 'upgrade', self.AFTER)
        self.assertExit(result, 0)
        users = self.users()
        for id, (_, email, confirmed) in self.ROWS.items():
            with self.subTest(id=id):
                self.assertEqual(users[id].email, email)
                self.assertIs(bool(users[id].confirmed), confirmed)
        stamps = {user.link_stamp for user in users.values()}
        self.assertEqual(len(stamps), len(self.ROWS))
        self.assertNotIn(None, stamps)
        for id in (2, 5, 7):
            self.assertIn(f'user {id}', result.stderr)
        # The index on lower(username) is still there.
        with self.assertRaises(sa.exc.IntegrityError), \
                self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, session_token, link_stamp) "
                "VALUES ('USER1', 'another', 'stamp')"))

        self.assertExit(self.manage('db', 'downgrade', self.BEFORE), 0)
        users = self.users()
        self.assertNotIn('link_stamp', users[1]._fields)
        self.assertEqual(users[3].email, 'susan@xn--fa-hia.de')
        with self.assertRaises(sa.exc.IntegrityError), \
                self.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO users (username, session_token) "
                "VALUES ('USER1', 'another')"))
