"""SQL statements per request, counted by a SQLAlchemy event listener.

The listener is attached to the app's engine only around one request, and
no app context stays pushed while the client makes the request.
"""
import contextlib
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import event
from werkzeug.security import generate_password_hash

from app import db
from app.models import Login, User
from tests.support import PASSWORD, FlaskyTestCase, csrf_token

WRITES = ('INSERT', 'UPDATE', 'DELETE')


class Statements(list):
    def writes(self):
        return [s for s in self if s.lstrip().split(None, 1)[0].upper()
                in WRITES]

    def reads(self):
        return [s for s in self if s.lstrip().upper().startswith('SELECT')]


class QueriesPerRequestTestCase(FlaskyTestCase):

    def setUp(self):
        super().setUp()
        with self.app.app_context():
            self.engine = db.engine

    @contextlib.contextmanager
    def statements(self):
        """The SQL statements run while the block runs."""
        seen = Statements()

        def record(conn, cursor, statement, parameters, context,
                   executemany):
            seen.append(statement)

        event.listen(self.engine, 'before_cursor_execute', record)
        try:
            yield seen
        finally:
            event.remove(self.engine, 'before_cursor_execute', record)

    def post_login(self, email='john@example.com', password=PASSWORD):
        """GET the form (not counted), then POST it (counted)."""
        token = csrf_token(self.page(self.client.get('/auth/login')))
        with self.statements() as seen:
            response = self.client.post('/auth/login', data=dict(
                email=email, password=password, csrf_token=token))
        return response, seen

    def assertUserLoad(self, seen):
        # The login, and its user with it.
        self.assertEqual(len(seen), 1, seen)
        self.assertIn('FROM logins', seen[0])
        self.assertIn('JOIN users', seen[0])
        self.assertEqual(seen.writes(), [])

    def test_anonymous_pages_make_no_query(self):
        for url in ('/', '/', '/auth/login', '/auth/login', '/auth/register',
                    '/auth/reset'):
            with self.subTest(url=url), self.statements() as seen:
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
            self.assertEqual(seen, [], url)

    def test_logged_in_page_view_loads_the_user_once(self):
        self.add_user()
        self.login()
        for url in ('/', '/secret', '/'):
            with self.subTest(url=url), self.statements() as seen:
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertIn('john', self.page(response))
            self.assertUserLoad(seen)

    def test_remembered_user_is_loaded_once(self):
        self.add_user()
        self.login(remember_me=True)
        self.client.delete_cookie('session')
        with self.statements() as seen:
            response = self.client.get('/secret')
        self.assertEqual(response.status_code, 200)
        self.assertUserLoad(seen)

    def assertLoginWrites(self, writes):
        """The user's expired logins go, the new one comes."""
        self.assertTrue(writes[0].startswith('DELETE FROM logins'), writes)
        self.assertTrue(writes[1].startswith('INSERT INTO logins'), writes)

    def test_login_reads_the_user_and_writes_its_login(self):
        self.add_user()
        response, seen = self.post_login()
        self.assertEqual(response.status_code, 302)
        # The user, and whether two-step sign-in is on.
        self.assertEqual(len(seen.reads()), 2, seen)
        self.assertIn('FROM two_step', seen.reads()[1])
        self.assertEqual(len(seen), 4, seen)
        self.assertLoginWrites(seen.writes())

    def test_last_seen_is_written_every_few_minutes_only(self):
        self.add_user()
        self.login()
        with self.statements() as seen:
            self.client.get('/')
        self.assertEqual(seen.writes(), [])
        with self.app.app_context():
            login = db.session.scalar(sa.select(Login))
            login.last_seen -= timedelta(minutes=6)
            db.session.commit()
        with self.statements() as seen:
            self.client.get('/')
        self.assertEqual(len(seen.writes()), 1, seen)
        self.assertIn('UPDATE logins SET last_seen', seen.writes()[0])

    def test_login_with_an_old_hash_writes_the_new_one_once(self):
        user_id = self.add_user()
        with self.app.app_context():
            user = db.session.get(User, user_id)
            user.password_hash = generate_password_hash(
                PASSWORD, 'pbkdf2:sha256:600')
            db.session.commit()
        response, seen = self.post_login()
        self.assertEqual(response.status_code, 302)
        self.assertEqual(len(seen.writes()), 3, seen)
        self.assertIn('UPDATE users SET password_hash', seen.writes()[0])
        self.assertLoginWrites(seen.writes()[1:])
        self.assertEqual(len(seen), 5, seen)

    def test_failed_login_reads_once_and_writes_nothing(self):
        self.add_user()
        for email in ('john@example.com', 'nobody@example.com'):
            with self.subTest(email=email):
                response, seen = self.post_login(email, 'wrong password')
                self.assertEqual(response.status_code, 200)
                self.assertEqual(len(seen), 1, seen)
                self.assertEqual(seen.writes(), [])
