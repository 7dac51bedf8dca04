"""Model tests beyond the book's (those are in tests/test_user_model.py)."""
import unittest

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from app import create_app, db
from app.models import Role, User, load_user
from config import TestingConfig
from tests import support
from tests.support import clock_shifted


class ModelTestCase(support.ModelTestCase):

    def add(self, **kwargs):
        user = User(**dict(dict(password='cat'), **kwargs))
        db.session.add(user)
        db.session.commit()
        return user

    def reload(self, user):
        """The user as the database has it, not as the session remembers."""
        db.session.expire_all()
        return db.session.get(User, user.id)


class EmailNormalisationTestCase(ModelTestCase):

    def test_assigned_email_is_trimmed_and_lower_cased(self):
        u = User(password='cat')
        u.email = '  John.Smith@Example.COM \t'
        self.assertEqual(u.email, 'john.smith@example.com')

    def test_constructor_email_is_trimmed_and_lower_cased(self):
        u = User(email=' Susan@Example.ORG  ', password='dog')
        self.assertEqual(u.email, 'susan@example.org')

    def test_normalised_email_is_what_the_database_stores(self):
        u = self.add(email=' Susan@Example.ORG ')
        stored = db.session.scalar(
            sa.text('SELECT email FROM users WHERE id = :id'), {'id': u.id})
        self.assertEqual(stored, 'susan@example.org')

    def test_email_may_be_none(self):
        u = self.add(email=None)
        self.assertIsNone(self.reload(u).email)


class PasswordHashColumnTestCase(ModelTestCase):

    def test_column_holds_a_werkzeug_hash(self):
        real_hash = generate_password_hash('a password of some length')
        self.assertTrue(real_hash.startswith('scrypt:'), real_hash)
        length = User.__table__.c.password_hash.type.length
        self.assertIsNotNone(length)
        self.assertGreaterEqual(length, len(real_hash))

    def test_hash_round_trips_through_the_database(self):
        u = self.add(password='correct horse battery staple')
        written = u.password_hash
        u = self.reload(u)
        self.assertEqual(u.password_hash, written)
        self.assertTrue(u.verify_password('correct horse battery staple'))
        self.assertFalse(u.verify_password('correct horse'))

    def test_user_without_password_verifies_nothing(self):
        u = User(email='john@example.com')
        self.assertFalse(u.verify_password(''))
        self.assertFalse(u.verify_password('cat'))


class ConfirmedColumnTestCase(ModelTestCase):

    def test_confirmed_defaults_to_false(self):
        u = self.add()
        self.assertIs(self.reload(u).confirmed, False)

    def test_confirmed_defaults_to_false_for_raw_inserts(self):
        db.session.execute(sa.text(
            "INSERT INTO users (email, link_stamp) "
            "VALUES ('raw@example.com', 'stamp')"))
        confirmed = db.session.scalar(sa.text(
            "SELECT confirmed FROM users WHERE email = 'raw@example.com'"))
        self.assertEqual(confirmed, 0)

    def test_confirmed_is_not_null_in_the_database(self):
        with self.assertRaises(sa.exc.IntegrityError):
            db.session.execute(sa.text(
                "INSERT INTO users (email, link_stamp, confirmed) "
                "VALUES ('raw@example.com', 'stamp', NULL)"))
            db.session.flush()
        db.session.rollback()


class TokenPurposeTestCase(ModelTestCase):
    """A token made for one purpose is refused by every other check."""

    def setUp(self):
        super().setUp()
        self.user = self.add(email='john@example.com')
        self.hash = self.user.password_hash
        self.tokens = {
            'confirm': self.user.generate_confirmation_token(),
            'reset': self.user.generate_reset_token(),
            'change_email': self.user.generate_email_change_token(
                'susan@example.org'),
        }

    def checks(self):
        return {
            'confirm': lambda t: self.user.confirm(t),
            'reset': lambda t: User.reset_password(t, 'dog'),
            'change_email': lambda t: self.user.change_email(t),
        }

    def test_purposes_do_not_mix(self):
        for made_for, token in self.tokens.items():
            for checked_by, check in self.checks().items():
                if made_for == checked_by:
                    continue
                with self.subTest(made_for=made_for, checked_by=checked_by):
                    self.assertIs(check(token), False)
                    self.assertFalse(self.user.confirmed)
                    self.assertEqual(self.user.password_hash, self.hash)
                    self.assertEqual(self.user.email, 'john@example.com')

    def test_each_token_works_for_its_own_purpose(self):
        # The control for the test above: these same tokens are good,
        # each on the state it was made for (a new password or email
        # kills the others: the rollback undoes it).
        for purpose, check in self.checks().items():
            with self.subTest(purpose):
                self.assertIs(check(self.tokens[purpose]), True)
                db.session.rollback()


class BadTokenTestCase(ModelTestCase):
    """Bad tokens: every check returns False and never raises."""

    def setUp(self):
        super().setUp()
        self.user = self.add(email='john@example.com')
        self.hash = self.user.password_hash
        # The same tokens, signed with another SECRET_KEY.
        other = create_app(type('OtherKeyConfig', (TestingConfig,),
                                dict(SECRET_KEY='another secret key')))
        forger = User(id=self.user.id, email='john@example.com')
        with other.app_context():
            self.forged = {
                'confirm': forger.generate_confirmation_token(),
                'reset': forger.generate_reset_token(),
                'change_email': forger.generate_email_change_token(
                    'susan@example.org'),
            }

    def bad_tokens(self, good, purpose):
        payload, timestamp, signature = good.rsplit('.', 2)
        flip = {'A': 'B'}.get(payload[0], 'A')
        return [
            ('payload tampered', flip + good[1:]),
            ('signature tampered',
             f'{payload}.{timestamp}.{signature[::-1]}'),
            ('timestamp tampered', f'{payload}.AAAAAA.{signature}'),
            ('signature dropped', f'{payload}.{timestamp}'),
            ('empty string', ''),
            ('None', None),
            ('bytes garbage', b'\xff\xfe\x00garbage.\x80\x81'),
            ('good token as bytes, tampered', (flip + good[1:]).encode()),
            ('an int', 12345),
            ('a list', [good]),
            ('another SECRET_KEY', self.forged[purpose]),
        ]

    def assertUnchanged(self):
        self.assertFalse(self.user.confirmed)
        self.assertEqual(self.user.password_hash, self.hash)
        self.assertEqual(self.user.email, 'john@example.com')

    def test_confirm_refuses_bad_tokens(self):
        good = self.user.generate_confirmation_token()
        for label, token in self.bad_tokens(good, 'confirm'):
            with self.subTest(label):
                self.assertIs(self.user.confirm(token), False)
                self.assertUnchanged()

    def test_reset_password_refuses_bad_tokens(self):
        good = self.user.generate_reset_token()
        for label, token in self.bad_tokens(good, 'reset'):
            with self.subTest(label):
                self.assertIs(User.reset_password(token, 'dog'), False)
                self.assertUnchanged()

    def test_change_email_refuses_bad_tokens(self):
        good = self.user.generate_email_change_token('susan@example.org')
        for label, token in self.bad_tokens(good, 'change_email'):
            with self.subTest(label):
                self.assertIs(self.user.change_email(token), False)
                self.assertUnchanged()

    def test_good_token_as_bytes_is_accepted(self):
        # The control: bytes are a type the checks accept.
        token = self.user.generate_confirmation_token().encode()
        self.assertIs(self.user.confirm(token), True)


class TokenExpiryTestCase(ModelTestCase):
    """Expiry, with the clock moved instead of slept."""

    def setUp(self):
        super().setUp()
        self.user = self.add(email='john@example.com')

    def test_confirmation_token_dead_after_expiry(self):
        token = self.user.generate_confirmation_token(expiration=1)
        with clock_shifted(2):
            self.assertIs(self.user.confirm(token), False)
        self.assertFalse(self.user.confirmed)

    def test_confirmation_token_alive_before_expiry(self):
        token = self.user.generate_confirmation_token(expiration=1)
        with clock_shifted(0):
            self.assertIs(self.user.confirm(token), True)

    def test_default_expiry_is_an_hour(self):
        token = self.user.generate_confirmation_token()
        with clock_shifted(3600 - 5):
            self.assertIs(self.user.confirm(token), True)
        self.user.confirmed = False
        with clock_shifted(3600 + 5):
            self.assertIs(self.user.confirm(token), False)

    def test_reset_and_email_change_tokens_expire(self):
        tokens = [
            ('reset', self.user.generate_reset_token(expiration=1),
             lambda t: User.reset_password(t, 'dog')),
            ('change_email', self.user.generate_email_change_token(
                'susan@example.org', expiration=1),
             lambda t: self.user.change_email(t)),
        ]
        for label, token, check in tokens:
            with self.subTest(label):
                with clock_shifted(2):
                    self.assertIs(check(token), False)
                with clock_shifted(0):
                    self.assertIs(check(token), True)
                # The new password would kill the next token.
                db.session.rollback()


class TokenTargetTestCase(ModelTestCase):

    def test_reset_for_deleted_user_fails(self):
        u = self.add(email='john@example.com')
        token = u.generate_reset_token()
        db.session.delete(u)
        db.session.commit()
        self.assertIs(User.reset_password(token, 'dog'), False)

    def test_change_email_to_address_taken_since_fails(self):
        u = self.add(email='john@example.com')
        token = u.generate_email_change_token('susan@example.org')
        self.add(email='susan@example.org', password='dog')
        self.assertIs(u.change_email(token), False)
        self.assertEqual(u.email, 'john@example.com')

    def test_change_email_to_taken_address_in_other_case_fails(self):
        u = self.add(email='john@example.com')
        self.add(email='susan@example.org', password='dog')
        token = u.generate_email_change_token('Susan@Example.ORG')
        self.assertIs(u.change_email(token), False)
        self.assertEqual(u.email, 'john@example.com')

    def test_change_email_stores_address_normalised(self):
        u = self.add(email='john@example.com')
        token = u.generate_email_change_token(' Susan@Example.ORG ')
        self.assertIs(u.change_email(token), True)
        self.assertEqual(u.email, 'susan@example.org')


class UserLoaderTestCase(ModelTestCase):

    def start_login(self, user):
        with self.app.test_request_context(
                environ_base={'REMOTE_ADDR': '203.0.113.7'},
                headers={'User-Agent': 'Test/1.0'}):
            login = user.start_login()
            db.session.commit()
            return login.token

    def test_loads_user_by_the_token_of_a_login(self):
        u = self.add(email='john@example.com')
        self.assertIsNone(u.get_id())
        token = self.start_login(u)
        self.assertEqual(u.get_id(), token)
        with self.app.test_request_context():
            loaded = load_user(token)
            self.assertEqual(loaded, u)
            self.assertEqual(loaded.login.token, token)

    def test_a_login_records_where_it_came_from(self):
        u = self.add(email='john@example.com')
        self.start_login(u)
        [login] = db.session.scalars(u.logins.select()).all()
        self.assertEqual(login.ip_address, '203.0.113.7')
        self.assertEqual(login.user_agent, 'Test/1.0')
        self.assertFalse(login.remember)
        self.assertEqual(login.created, login.last_seen)

    def test_unknown_or_malformed_ids_load_nothing(self):
        u = self.add(email='john@example.com')
        token = self.start_login(u)
        for user_id in [str(u.id), token + 'x', '999', '', None, 123]:
            with self.subTest(user_id=user_id), \
                    self.app.test_request_context():
                self.assertIsNone(load_user(user_id))

    def test_an_unused_login_expires(self):
        u = self.add(email='john@example.com')
        token = self.start_login(u)
        login = db.session.scalar(u.logins.select())
        login.last_seen -= self.app.config['REMEMBER_COOKIE_DURATION']
        db.session.commit()
        with self.app.test_request_context():
            self.assertIsNone(load_user(token))
        # The next login of the user clears it away.
        self.start_login(u)
        self.assertEqual(len(db.session.scalars(u.logins.select()).all()),
                         1)

    def test_other_logins_end_and_this_one_stays(self):
        u = self.add(email='john@example.com')
        tokens = [self.start_login(u) for _ in range(3)]
        u.end_other_logins()
        db.session.commit()
        with self.app.test_request_context():
            self.assertEqual([bool(load_user(t)) for t in tokens],
                             [False, False, True])


class RoleUserTestCase(ModelTestCase):

    def setUp(self):
        super().setUp()
        self.admin = Role(name='Administrator')
        self.user_role = Role(name='User')
        self.john = User(username='john', role=self.admin)
        self.susan = User(username='susan', role=self.user_role)
        self.david = User(username='david', role=self.user_role)
        db.session.add_all([self.admin, self.user_role, self.john,
                            self.susan, self.david])
        db.session.commit()

    def test_user_role(self):
        self.assertEqual(self.john.role, self.admin)
        self.assertEqual(self.john.role_id, self.admin.id)

    def test_role_users_is_a_query(self):
        self.assertEqual(self.user_role.users.count(), 2)
        self.assertEqual(
            self.user_role.users.filter_by(username='susan').one(),
            self.susan)
        self.assertEqual(self.admin.users.all(), [self.john])

    def test_moving_a_user_between_roles(self):
        self.david.role = self.admin
        db.session.commit()
        self.assertEqual(self.admin.users.count(), 2)
        self.assertEqual(self.user_role.users.all(), [self.susan])

    def test_role_name_is_unique(self):
        db.session.add(Role(name='User'))
        with self.assertRaises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()


class ReprTestCase(unittest.TestCase):

    def test_user_repr(self):
        self.assertEqual(repr(User(username='john')), "<User 'john'>")

    def test_role_repr(self):
        self.assertEqual(repr(Role(name='Administrator')),
                         "<Role 'Administrator'>")


if __name__ == '__main__':
    unittest.main()
