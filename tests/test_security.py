"""The account-security defences, each proved by a test that fails
without it (docs/security.md cites these classes).

1. tokens die when their job is done;
2. sessions follow the password, and cookies carry safe flags;
3. the password policy, wherever a password is set;
4. password hashing: scrypt, rehash on login, equal work for unknown
   emails;
5. identity hygiene: normalised emails, case-insensitive usernames;
6. notices of password and email changes;
7. the production configuration: required settings, emailed links.

Tokens are used through the views, as a visitor would, with CSRF on.
"""
import contextlib
import os
import time
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from unittest import mock

import sqlalchemy as sa
from werkzeug import security
from zxcvbn import zxcvbn

import config
from app import create_app, db
from app.models import Login, User
from tests.messages import (
    CONFIRM_BAD, EMAIL_CHANGED_SUBJECT, EMAIL_UPDATED, INVALID_LOGIN,
    INVALID_PASSWORD, INVALID_REQUEST, PASSWORD_CHANGED_SUBJECT,
    PASSWORD_UPDATED, RESET_BAD, SUBJECT_PREFIX, TOO_EASY, TOO_LONG,
    TOO_SHORT, USERNAME_TAKEN, logged_in_as, too_long)
from tests.support import (NEW_PASSWORD, PASSWORD, THIRD_PASSWORD,
                           FlaskyTestCase, csrf_token, field_errors,
                           flashes, html_part, link_in, text_part)



# 129 characters: one more than FLASKY_PASSWORD_MAX_LENGTH.
LONG_PASSWORD = ('correct horse battery staple ' * 5)[:129]
HUGE_PASSWORD = 'x' * 10_000

SITE = 'https://flasky.example.com'
PRODUCTION = dict(SECRET_KEY='production secret key',
                  SERVER_NAME='flasky.example.com')

# An account whose name and address a password could be guessed from.
MARGARETHA = dict(email='quincebottom@example.com', username='margaretha')
GUESSABLE = [
    ('the username and a year', 'margaretha2024'),
    ('the email address', 'quincebottom@example.com'),
    ("the email's local part and digits", 'quincebottom77'),
]
# Refused by every form that sets a password.
WEAK = [
    ('7 characters', 'k9#Lm2x', TOO_SHORT),
    ('129 characters', LONG_PASSWORD, TOO_LONG),
    ('a very common password', 'password123', TOO_EASY),
    ('a keyboard row', 'qwertyuiop', TOO_EASY),
]


def config_for(base, mail, **settings):
    """`base`, with mail to the sink, CSRF on, and `settings`; outside
    testing, on an in-memory database."""
    if not issubclass(base, config.TestingConfig):
        settings.setdefault('SQLALCHEMY_DATABASE_URI', 'sqlite://')
    return type(base.__name__ + 'ForSecurityTests', (base,), dict(dict(
        MAIL_SERVER='127.0.0.1', MAIL_PORT=mail.port, MAIL_USE_TLS=False,
        FLASKY_MAIL_ASYNC=False, WTF_CSRF_ENABLED=True), **settings))


def cookies_set(response):
    """{name: {'value': ..., attribute (lower case): value or True}} of
    the raw Set-Cookie headers of a response."""
    cookies = {}
    for header in response.headers.getlist('Set-Cookie'):
        pair, *attributes = header.split(';')
        name, _, value = pair.strip().partition('=')
        cookie = {'value': value}
        for attribute in attributes:
            key, sep, val = attribute.strip().partition('=')
            cookie[key.lower()] = val if sep else True
        cookies[name] = cookie
    return cookies


def utc_stamps(action):
    """Run `action`; the times (UTC) a notice it sent may show."""
    before = datetime.now(timezone.utc)
    action()
    after = datetime.now(timezone.utc)
    return {f'{t:%Y-%m-%d at %H:%M} UTC' for t in (before, after)}


@contextlib.contextmanager
def local_timezone(tz):
    """Run with the process's local time zone set to `tz` (POSIX TZ)."""
    saved = os.environ.get('TZ')
    os.environ['TZ'] = tz
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ['TZ']
        else:
            os.environ['TZ'] = saved
        time.tzset()


class SecurityTestCase(FlaskyTestCase):
    """FlaskyTestCase, with more browsers and other configurations."""

    def use_app(self, base=config.TestingConfig, **settings):
        """Replace this test's app with one built from `base` and
        `settings` (a fresh database, a fresh client)."""
        self.tearDown()
        self.app = create_app(config_for(base, self.mail, **settings))
        with self.app.app_context():
            db.create_all()
        self.client = self.app.test_client()

    def use_production(self, **settings):
        self.use_app(config.ProductionConfig, **dict(PRODUCTION, **settings))

    # -- browsers ------------------------------------------------------

    def browser(self, remember_me=False, email='john@example.com',
                password=PASSWORD):
        """Another browser (test client), logged in."""
        saved, self.client = self.client, self.app.test_client()
        try:
            response = self.login(email=email, password=password,
                                  remember_me=remember_me)
            self.assertEqual(response.request.path, '/')
            return self.client
        finally:
            self.client = saved

    def browser_with_cookie(self, name, value):
        """A new browser holding only the cookie `name`."""
        client = self.app.test_client()
        client.set_cookie(name, value)
        return client

    def logged_in(self, client=None, username='john'):
        """Whether a browser is logged in (as `username`)."""
        response = (client or self.client).get('/secret')
        if response.status_code == 302:
            self.assertIn('/auth/login', response.headers['Location'])
            return False
        self.assertEqual(response.status_code, 200)
        self.assertIn(logged_in_as(username), self.page(response))
        return True

    def post(self, url, data, follow_redirects=True):
        """POST `data` to `url` with a good CSRF token, without opening
        `url` first (for links that are refused when opened)."""
        data = dict(data, csrf_token=csrf_token(
            self.page(self.client.get('/auth/login'))))
        return self.client.post(url, data=data,
                                follow_redirects=follow_redirects)

    # -- forms ---------------------------------------------------------

    def change_password(self, old=PASSWORD, new=NEW_PASSWORD):
        return self.submit('/auth/change-password', dict(
            old_password=old, password=new, password2=new))

    def reset(self, token, password=NEW_PASSWORD):
        return self.submit(f'/auth/reset/{token}', dict(
            password=password, password2=password))

    def raw_login(self, remember_me=True, **kwargs):
        """The login POST's own response (not followed)."""
        data = dict(email='john@example.com', password=PASSWORD)
        if remember_me:
            data['remember_me'] = 'y'
        response = self.submit('/auth/login', data, follow_redirects=False,
                               **kwargs)
        self.assertEqual(response.status_code, 302)
        return response

    def site_kwargs(self, base_url=SITE, path='/'):
        """Client arguments for a request to the production site over
        https (Flask-WTF wants a same-origin Referer there)."""
        return dict(base_url=base_url,
                    headers={'Referer': base_url + path})

    # -- the database --------------------------------------------------

    def update_user(self, user_id, **values):
        """Set attributes of a user through the model, and commit."""
        with self.app.app_context():
            user = db.session.get(User, user_id)
            for name, value in values.items():
                setattr(user, name, value)
            db.session.commit()

    def assertPasswordIs(self, user_id, password):
        user = self.get_user(id=user_id)
        for candidate in (PASSWORD, NEW_PASSWORD, THIRD_PASSWORD):
            if candidate != password:
                self.assertFalse(user.verify_password(candidate), candidate)
        self.assertTrue(user.verify_password(password))

    def assertStamped(self, part, stamps):
        """One of the UTC `stamps` (today's date and the time) is in
        `part`."""
        self.assertTrue(any(stamp in part for stamp in stamps),
                        f'none of {sorted(stamps)} in:\n{part}')

    def assertNoMail(self):
        # Mail goes out before the response in testing: nothing to wait for.
        self.assertEqual(self.mail.messages, [])


# == 1. Tokens die when their job is done ================================

class ResetTokenSingleUseTestCase(SecurityTestCase):
    """A reset link dies with the password it was made for."""

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()
        self.token = self.token_for(self.user_id, 'generate_reset_token')

    def assertResetRefused(self):
        url = f'/auth/reset/{self.token}'
        response = self.client.get(url, follow_redirects=True)
        self.assertEqual(response.request.path, '/auth/reset')
        self.assertEqual(flashes(self.page(response)), [RESET_BAD])
        response = self.post(url, dict(password=THIRD_PASSWORD,
                                       password2=THIRD_PASSWORD))
        self.assertEqual(response.request.path, '/auth/reset')
        self.assertEqual(flashes(self.page(response)), [RESET_BAD])

    def test_reset_link_works_once(self):
        response = self.reset(self.token, NEW_PASSWORD)
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        self.assertResetRefused()
        self.assertPasswordIs(self.user_id, NEW_PASSWORD)

    def test_reset_link_dies_when_password_is_changed_in_the_view(self):
        self.login()
        response = self.change_password(PASSWORD, NEW_PASSWORD)
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        self.logout()
        self.assertResetRefused()
        self.assertPasswordIs(self.user_id, NEW_PASSWORD)

    def test_reset_link_dies_when_password_is_set_on_the_model(self):
        self.update_user(self.user_id, password=NEW_PASSWORD)
        self.assertResetRefused()
        self.assertPasswordIs(self.user_id, NEW_PASSWORD)


class ConfirmationTokenBoundToAddressTestCase(SecurityTestCase):

    def test_confirmation_link_dies_when_the_email_changes(self):
        user_id = self.add_user(confirmed=False)
        token = self.token_for(user_id, 'generate_confirmation_token')
        self.update_user(user_id, email='susan@example.org')
        self.login(email='susan@example.org')
        response = self.client.get(f'/auth/confirm/{token}',
                                   follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [CONFIRM_BAD])
        self.assertFalse(self.get_user(id=user_id).confirmed)


class EmailChangeTokenBoundToAddressTestCase(SecurityTestCase):

    def test_using_one_change_link_kills_the_other(self):
        user_id = self.add_user()
        first = self.token_for(user_id, 'generate_email_change_token',
                               'first@example.com')
        second = self.token_for(user_id, 'generate_email_change_token',
                                'second@example.com')
        self.login()
        response = self.client.get(f'/auth/change_email/{first}',
                                   follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [EMAIL_UPDATED])
        response = self.client.get(f'/auth/change_email/{second}',
                                   follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [INVALID_REQUEST])
        self.assertEqual(self.get_user(id=user_id).email,
                         'first@example.com')


# == 2. Sessions follow the password =====================================

class SessionFollowsPasswordTestCase(SecurityTestCase):
    """Every session and remember-me cookie holds the token of a login
    (app.models.Login): a password change ends every login but its own,
    a reset ends them all."""

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def test_password_change_logs_out_the_other_browser(self):
        self.login()
        other = self.browser(remember_me=True)
        self.assertTrue(self.logged_in(other))
        self.change_password()
        self.assertFalse(self.logged_in(other))

    def test_password_change_kills_the_other_remember_cookie(self):
        self.login()
        other = self.browser(remember_me=True)
        remembered = other.get_cookie('remember_token').value
        # The cookie alone logs a new browser in, until the change.
        self.assertTrue(self.logged_in(
            self.browser_with_cookie('remember_token', remembered)))
        self.change_password()
        self.assertFalse(self.logged_in(
            self.browser_with_cookie('remember_token', remembered)))

    def test_password_change_keeps_the_changing_browser_logged_in(self):
        self.login()
        self.change_password()
        self.assertTrue(self.logged_in())

    def test_password_change_keeps_the_changing_browsers_remember_me(self):
        self.login(remember_me=True)
        remembered = self.client.get_cookie('remember_token').value
        self.change_password()
        self.assertTrue(self.logged_in(
            self.browser_with_cookie('remember_token', remembered)))

    def test_password_reset_logs_out_every_session(self):
        remembering = self.browser(remember_me=True)
        remembered = remembering.get_cookie('remember_token').value
        forgetting = self.browser()
        token = self.token_for(self.user_id, 'generate_reset_token')
        response = self.reset(token)
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        self.assertFalse(self.logged_in(remembering))
        self.assertFalse(self.logged_in(forgetting))
        self.assertFalse(self.logged_in(
            self.browser_with_cookie('remember_token', remembered)))

    def test_session_whose_login_is_gone_is_anonymous(self):
        self.login()
        self.assertTrue(self.logged_in())
        # The user is there; only the login's row has gone.
        with self.app.app_context():
            db.session.execute(sa.delete(Login))
            db.session.commit()
        self.assertIsNotNone(self.get_user(id=self.user_id))
        self.assertFalse(self.logged_in())


class SessionFixationTestCase(SecurityTestCase):
    """Nothing of the session from before a login survives it."""

    def setUp(self):
        super().setUp()
        self.add_user()

    def test_login_drops_values_planted_before_it(self):
        with self.client.session_transaction() as session:
            session['planted'] = 'x'
        self.assertEqual(self.login().request.path, '/')
        with self.client.session_transaction() as session:
            self.assertNotIn('planted', session)
            self.assertIn('_user_id', session)

    def test_login_issues_a_new_session_cookie(self):
        with self.client.session_transaction() as session:
            session['planted'] = 'x'
        before = self.client.get_cookie('session').value
        response = self.raw_login(remember_me=False)
        after = cookies_set(response)['session']['value']
        self.assertNotEqual(after, before)
        # What the new cookie carries: the login, nothing from before.
        serializer = self.app.session_interface.get_signing_serializer(
            self.app)
        self.assertNotIn('planted', serializer.loads(after))
        self.assertIn('_user_id', serializer.loads(after))
        # The cookie from before the login is still anonymous.
        self.assertFalse(self.logged_in(
            self.browser_with_cookie('session', before)))


class CookieFlagsTestCase(SecurityTestCase):
    """The raw Set-Cookie headers of a login with "remember me"."""

    def setUp(self):
        super().setUp()
        self.add_user()

    def login_cookies(self):
        return cookies_set(self.raw_login(remember_me=True))

    def assertExpiresIn(self, cookie, duration):
        expires = parsedate_to_datetime(cookie['expires'])
        expected = datetime.now(timezone.utc) + duration
        self.assertLess(abs(expires - expected), timedelta(minutes=1),
                        cookie['expires'])

    def test_remember_cookie_is_http_only(self):
        self.assertIs(self.login_cookies()['remember_token'].get(
            'httponly'), True)

    def test_remember_cookie_is_same_site_lax(self):
        self.assertEqual(self.login_cookies()['remember_token'].get(
            'samesite'), 'Lax')

    def test_remember_cookie_lasts_14_days_by_default(self):
        self.assertExpiresIn(self.login_cookies()['remember_token'],
                             timedelta(days=14))

    def test_remember_cookie_duration_is_configurable(self):
        self.use_app(REMEMBER_COOKIE_DURATION=timedelta(days=2))
        self.add_user()
        self.assertExpiresIn(self.login_cookies()['remember_token'],
                             timedelta(days=2))

    def test_session_cookie_is_http_only(self):
        self.assertIs(self.login_cookies()['session'].get('httponly'),
                      True)

    def test_session_cookie_is_same_site_lax(self):
        self.assertEqual(self.login_cookies()['session'].get('samesite'),
                         'Lax')

    def test_cookies_are_not_secure_in_development_and_testing(self):
        for base in (config.DevelopmentConfig, config.TestingConfig):
            with self.subTest(config=base.__name__):
                self.use_app(base)
                self.add_user()
                cookies = self.login_cookies()
                for name in ('session', 'remember_token'):
                    self.assertNotIn('secure', cookies[name], name)


class ProductionCookiesTestCase(SecurityTestCase):
    """In production, the cookies go over https only."""

    def setUp(self):
        super().setUp()
        self.use_production()
        self.add_user()

    def login_cookies(self):
        return cookies_set(self.raw_login(
            remember_me=True, **self.site_kwargs(path='/auth/login')))

    def test_session_cookie_is_secure(self):
        self.assertIs(self.login_cookies()['session'].get('secure'), True)

    def test_remember_cookie_is_secure(self):
        self.assertIs(self.login_cookies()['remember_token'].get('secure'),
                      True)


# == 3. The password policy ==============================================

class PasswordPolicyTestCase(SecurityTestCase):
    """Wherever a password is set: not too short, not too long, not
    guessable."""

    def assertRefusedWith(self, response, expected):
        errors = field_errors(self.page(response))
        if expected == TOO_EASY:
            self.assertEqual(len(errors), 1, errors)
            self.assertTrue(errors[0].startswith(TOO_EASY), errors)
        else:
            self.assertEqual(errors, [expected])

    def register_as(self, password, **account):
        account = dict(MARGARETHA, **account)
        return self.register(password=password, **account)

    def test_register_refuses_short_long_and_common_passwords(self):
        for label, password, expected in WEAK:
            with self.subTest(label):
                self.assertRefusedWith(self.register_as(password), expected)
                self.assertEqual(self.user_count(), 0)

    def test_register_refuses_passwords_guessable_from_the_account(self):
        for label, password in GUESSABLE:
            with self.subTest(label):
                self.assertRefusedWith(self.register_as(password), TOO_EASY)
                self.assertEqual(self.user_count(), 0)

    def test_change_password_refuses_short_long_and_common_passwords(self):
        user_id = self.add_user(**MARGARETHA)
        self.login(email=MARGARETHA['email'])
        for label, password, expected in WEAK:
            with self.subTest(label):
                response = self.change_password(PASSWORD, password)
                self.assertRefusedWith(response, expected)
                self.assertPasswordIs(user_id, PASSWORD)

    def test_change_password_refuses_passwords_guessable_from_the_user(self):
        user_id = self.add_user(**MARGARETHA)
        self.login(email=MARGARETHA['email'])
        for label, password in GUESSABLE:
            with self.subTest(label):
                response = self.change_password(PASSWORD, password)
                self.assertRefusedWith(response, TOO_EASY)
                self.assertPasswordIs(user_id, PASSWORD)

    def test_reset_refuses_short_long_and_common_passwords(self):
        user_id = self.add_user(**MARGARETHA)
        token = self.token_for(user_id, 'generate_reset_token')
        for label, password, expected in WEAK:
            with self.subTest(label):
                self.assertRefusedWith(self.reset(token, password), expected)
                self.assertPasswordIs(user_id, PASSWORD)

    def test_reset_refuses_passwords_guessable_from_the_tokens_user(self):
        user_id = self.add_user(**MARGARETHA)
        token = self.token_for(user_id, 'generate_reset_token')
        for label, password in GUESSABLE:
            with self.subTest(label):
                self.assertRefusedWith(self.reset(token, password), TOO_EASY)
                self.assertPasswordIs(user_id, PASSWORD)

    def test_zxcvbn_feedback_is_shown_under_the_field(self):
        response = self.register_as('password123')
        feedback = zxcvbn('password123')['feedback']
        # The control: zxcvbn has advice to give for this one.
        self.assertTrue(feedback['warning'])
        self.assertTrue(feedback['suggestions'])
        self.assertEqual(field_errors(self.page(response)), [' '.join(
            [TOO_EASY, feedback['warning']] + feedback['suggestions'])])
        self.assertIn(f'<p class="help-block">{TOO_EASY} ',
                      self.page(response))

    def test_passphrases_pass(self):
        for n, phrase in enumerate([PASSWORD, NEW_PASSWORD, THIRD_PASSWORD]):
            with self.subTest(phrase):
                response = self.register(
                    email=f'user{n}@example.com', username=f'user{n}',
                    password=phrase)
                self.assertEqual(field_errors(self.page(response)), [])
                self.assertEqual(response.request.path, '/auth/login')
                self.assertEqual(self.user_count(), n + 1)

    def test_model_accepts_any_password(self):
        # The policy is the forms'; the book's tests set 'cat'.
        with self.app.app_context():
            user = User(password='cat')
            db.session.add(user)
            db.session.commit()
            self.assertTrue(user.verify_password('cat'))


class PasswordLengthFirstTestCase(SecurityTestCase):
    """A password longer than the limit is never hashed, scored or
    checked: the length is the first thing looked at."""

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    @contextlib.contextmanager
    def watched(self, *targets):
        """Patch the named functions with mocks that wrap them."""
        with contextlib.ExitStack() as stack:
            mocks = []
            for target in targets:
                module, name = target.rsplit('.', 1)
                real = getattr(__import__(module, fromlist=[name]), name)
                mocks.append(stack.enter_context(
                    mock.patch(target, wraps=real)))
            yield mocks

    def test_too_long_new_password_is_neither_hashed_nor_scored(self):
        def register():
            return self.register(email='susan@example.org',
                                 username='susan', password=LONG_PASSWORD)

        def change():
            self.login()
            try:
                return self.change_password(PASSWORD, LONG_PASSWORD)
            finally:
                self.logout()

        def reset():
            token = self.token_for(self.user_id, 'generate_reset_token')
            return self.reset(token, LONG_PASSWORD)

        for label, form in [('register', register),
                            ('change password', change),
                            ('reset', reset)]:
            with self.subTest(label):
                with self.watched('app.models.generate_password_hash',
                                  'app.auth.forms.zxcvbn') as (hasher,
                                                               scorer):
                    response = form()
                self.assertEqual(field_errors(self.page(response)),
                                 [TOO_LONG])
                hasher.assert_not_called()
                scorer.assert_not_called()
        self.assertEqual(self.user_count(), 1)
        self.assertPasswordIs(self.user_id, PASSWORD)

    def test_huge_password_at_login_is_never_checked(self):
        with self.watched('app.models.check_password_hash') as [checker]:
            response = self.login(password=HUGE_PASSWORD)
        self.assertEqual(field_errors(self.page(response)), [TOO_LONG])
        checker.assert_not_called()
        self.assertFalse(self.logged_in())

    def test_huge_current_password_is_never_checked(self):
        self.login()
        forms = [
            ('change password', '/auth/change-password',
             dict(old_password=HUGE_PASSWORD, password=NEW_PASSWORD,
                  password2=NEW_PASSWORD)),
            ('change email', '/auth/change_email',
             dict(email='susan@example.org', password=HUGE_PASSWORD)),
        ]
        for label, url, data in forms:
            with self.subTest(label):
                with self.watched('app.models.check_password_hash') \
                        as [checker]:
                    response = self.submit(url, data)
                self.assertEqual(field_errors(self.page(response)),
                                 [TOO_LONG])
                checker.assert_not_called()
        self.assertPasswordIs(self.user_id, PASSWORD)
        self.assertEqual(self.get_user(id=self.user_id).email,
                         'john@example.com')


class PasswordPolicySettingsTestCase(SecurityTestCase):
    """FLASKY_PASSWORD_MAX_LENGTH and FLASKY_PASSWORD_MIN_SCORE, set in a
    config subclass, are the ones applied."""

    def test_max_length_is_honoured(self):
        self.use_app(FLASKY_PASSWORD_MAX_LENGTH=20)
        self.assertGreater(len(PASSWORD), 20)
        response = self.register(password=PASSWORD)
        self.assertEqual(field_errors(self.page(response)), [too_long(20)])
        self.assertEqual(self.user_count(), 0)

    def test_raised_min_score_refuses_a_fair_password(self):
        self.use_app(FLASKY_PASSWORD_MIN_SCORE=4)
        fair = 'vanilla-otter'
        self.assertEqual(zxcvbn(fair)['score'], 3)
        response = self.register(password=fair)
        [error] = field_errors(self.page(response))
        self.assertTrue(error.startswith(TOO_EASY), error)
        self.assertEqual(self.user_count(), 0)

    def test_lowered_min_score_accepts_a_weaker_password(self):
        self.use_app(FLASKY_PASSWORD_MIN_SCORE=2)
        weaker = 'ilovekittens'
        self.assertEqual(zxcvbn(weaker)['score'], 2)
        response = self.register(password=weaker)
        self.assertEqual(field_errors(self.page(response)), [])
        self.assertEqual(self.user_count(), 1)


# == 4. Password hashing =================================================

class DefaultHashMethodTestCase(SecurityTestCase):

    def test_development_and_production_hash_with_scrypt(self):
        for base, settings in [(config.DevelopmentConfig, {}),
                               (config.ProductionConfig, PRODUCTION)]:
            with self.subTest(config=base.__name__):
                self.use_app(base, **settings)
                user_id = self.add_user()
                user = self.get_user(id=user_id)
                self.assertTrue(user.password_hash.startswith('scrypt:'),
                                user.password_hash)


class RehashOnLoginTestCase(SecurityTestCase):
    """A hash made with an older method is made again, with the
    configured one, at the next good login."""
    LEGACY_METHOD = 'pbkdf2:sha1:1000'

    def setUp(self):
        super().setUp()
        self.use_app(FLASKY_PASSWORD_HASH_METHOD='scrypt')
        self.user_id = self.add_user()

    def make_legacy(self):
        """Store a tutorial-era hash, as an old database would hold."""
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            user.password_hash = security.generate_password_hash(
                PASSWORD, self.LEGACY_METHOD)
            db.session.commit()

    def test_legacy_hash_logs_in(self):
        self.make_legacy()
        self.assertEqual(self.login().request.path, '/')
        self.assertTrue(self.logged_in())

    def test_login_rehashes_with_the_configured_method(self):
        self.make_legacy()
        self.login()
        user = self.get_user(id=self.user_id)
        self.assertTrue(user.password_hash.startswith('scrypt:'),
                        user.password_hash)
        self.assertTrue(user.verify_password(PASSWORD))


    def test_rehash_keeps_other_browsers_logged_in(self):
        other = self.browser(remember_me=True)
        self.make_legacy()
        self.login()
        self.assertTrue(
            self.get_user(id=self.user_id).password_hash.startswith(
                'scrypt:'))
        self.assertTrue(self.logged_in(other))

    def test_failed_login_does_not_rehash(self):
        self.make_legacy()
        response = self.login(password=NEW_PASSWORD)
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])
        user = self.get_user(id=self.user_id)
        self.assertTrue(
            user.password_hash.startswith(self.LEGACY_METHOD + '$'),
            user.password_hash)
        self.assertTrue(user.verify_password(PASSWORD))


class UnknownEmailTimingTestCase(SecurityTestCase):
    """An unknown email costs one hash check, as a wrong password does."""

    def setUp(self):
        super().setUp()
        self.add_user()

    def checks_for(self, email, password):
        with mock.patch('app.models.check_password_hash',
                        wraps=security.check_password_hash) as checker:
            response = self.login(email=email, password=password)
        self.assertEqual(flashes(self.page(response)), [INVALID_LOGIN])
        return checker.call_args_list

    def test_unknown_email_checks_one_hash_of_the_configured_method(self):
        method = self.app.config['FLASKY_PASSWORD_HASH_METHOD']
        [call] = self.checks_for('nobody@example.com', PASSWORD)
        checked_hash = call.args[0]
        self.assertTrue(checked_hash.startswith(method + '$'), checked_hash)

    def test_unknown_email_checks_as_many_hashes_as_a_wrong_password(self):
        unknown = self.checks_for('nobody@example.com', PASSWORD)
        wrong = self.checks_for('john@example.com', NEW_PASSWORD)
        self.assertEqual(len(unknown), 1)
        self.assertEqual(len(wrong), len(unknown))


# == 5. Identity hygiene =================================================

class EmailNormalisedOnEveryPathTestCase(SecurityTestCase):
    """Emails are trimmed and lower-cased wherever they come in. (Login
    with such an address: LoginTestCase in test_auth_views.py.)"""

    def test_register_stores_the_normalised_email(self):
        response = self.register(email='  John@Example.COM ')
        self.assertEqual(response.request.path, '/auth/login')
        self.assertIsNotNone(self.get_user(email='john@example.com'))
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['To'], 'john@example.com')

    def test_reset_request_finds_the_account(self):
        self.add_user()
        self.submit('/auth/reset', dict(email='  JOHN@Example.COM\t'))
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['To'], 'john@example.com')
        self.assertIn('/auth/reset/', link_in(msg))

    def test_change_email_request_mails_the_normalised_address(self):
        self.add_user()
        self.login()
        self.submit('/auth/change_email', dict(
            email='  Susan@Example.ORG ', password=PASSWORD))
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['To'], 'susan@example.org')

    def test_change_email_stores_the_normalised_address(self):
        user_id = self.add_user()
        self.login()
        self.submit('/auth/change_email', dict(
            email='  Susan@Example.ORG ', password=PASSWORD))
        [msg] = self.mail.wait_for(1)
        response = self.client.get(link_in(msg), follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [EMAIL_UPDATED])
        self.assertEqual(self.get_user(id=user_id).email,
                         'susan@example.org')


class CaseInsensitiveUsernameTestCase(SecurityTestCase):
    """'John' is 'john': in the form, and in the database itself."""

    def setUp(self):
        super().setUp()
        self.add_user(email='john@example.com', username='john')

    def test_case_variants_of_a_taken_username_are_refused(self):
        for n, username in enumerate(['John', 'JOHN', 'jOhN']):
            with self.subTest(username):
                response = self.register(email=f'other{n}@example.com',
                                         username=username)
                self.assertEqual(field_errors(self.page(response)),
                                 [USERNAME_TAKEN])
                self.assertEqual(self.user_count(), 1)

    def test_database_refuses_a_case_variant(self):
        with self.app.app_context():
            with self.assertRaises(sa.exc.IntegrityError):
                db.session.execute(sa.text(
                    "INSERT INTO users (email, username, link_stamp) "
                    "VALUES ('other@example.com', 'JOHN', 'stamp')"))
                db.session.flush()
            db.session.rollback()
        self.assertEqual(self.user_count(), 1)


# == 6. Notices ==========================================================

class PasswordChangedNoticeTestCase(SecurityTestCase):
    """A password change or reset is told to the account's address,
    with when it happened and what to do if it was not the owner."""

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def read_notice(self, stamps):
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'],
                         SUBJECT_PREFIX + PASSWORD_CHANGED_SUBJECT)
        self.assertEqual(msg['To'], 'john@example.com')
        text, html = text_part(msg), html_part(msg)
        for label, part in [('text', text), ('html', html)]:
            with self.subTest(part=label):
                self.assertStamped(part, stamps)
                self.assertIn('If you did not', part)
        self.assertEqual(link_in(msg), 'http://localhost/auth/reset')
        self.assertIn('href="http://localhost/auth/reset"', html)

    def test_password_change_sends_a_notice(self):
        self.login()
        self.mail.clear()
        # A local time zone far from UTC: the notice still tells UTC.
        with local_timezone('XST-05:30'):
            stamps = utc_stamps(self.change_password)
        self.read_notice(stamps)

    def test_password_reset_sends_a_notice(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        with local_timezone('XST-05:30'):
            stamps = utc_stamps(lambda: self.reset(token))
        self.read_notice(stamps)

    def test_refused_password_change_sends_no_notice(self):
        self.login()
        response = self.change_password(old=THIRD_PASSWORD)
        self.assertEqual(flashes(self.page(response)), [INVALID_PASSWORD])
        self.assertNoMail()

    def test_refused_reset_sends_no_notice(self):
        token = self.token_for(self.user_id, 'generate_reset_token')
        self.assertNotEqual(
            field_errors(self.page(self.reset(token, 'password123'))), [])
        self.assertNoMail()


class EmailChangedNoticeTestCase(SecurityTestCase):
    """An email change is told to the address it was taken from."""

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()
        self.login()

    def change_email(self, token=None):
        if token is None:
            token = self.token_for(self.user_id,
                                   'generate_email_change_token',
                                   'susan@example.org')
        return self.client.get(f'/auth/change_email/{token}',
                               follow_redirects=True)

    def test_email_change_notifies_the_old_address(self):
        with local_timezone('XST-05:30'):
            stamps = utc_stamps(lambda: self.assertEqual(
                flashes(self.page(self.change_email())), [EMAIL_UPDATED]))
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'],
                         SUBJECT_PREFIX + EMAIL_CHANGED_SUBJECT)
        self.assertEqual(msg['To'], 'john@example.com')
        for label, part in [('text', text_part(msg)),
                            ('html', html_part(msg))]:
            with self.subTest(part=label):
                self.assertIn('changed from john@example.com', part)
                self.assertStamped(part, stamps)
                self.assertIn('If you did not', part)

    def test_new_address_gets_no_notice(self):
        self.change_email()
        messages = self.mail.wait_for(1)
        self.assertEqual([m['To'] for m in messages], ['john@example.com'])

    def test_refused_email_change_sends_no_notice(self):
        stale = self.token_for(self.user_id, 'generate_email_change_token',
                               'susan@example.org')
        self.update_user(self.user_id, email='other@example.com')
        response = self.change_email(stale)
        self.assertEqual(flashes(self.page(response)), [INVALID_REQUEST])
        self.assertNoMail()


# == 7. Production =======================================================

class ProductionSettingsRequiredTestCase(SecurityTestCase):
    """The production configuration will not start half-configured."""

    def test_refuses_to_start_without_secret_key(self):
        with self.assertRaisesRegex(config.ConfigError, 'SECRET_KEY'):
            create_app(config_for(config.ProductionConfig, self.mail,
                                  **dict(PRODUCTION, SECRET_KEY=None)))

    def test_refuses_to_start_without_server_name(self):
        with self.assertRaisesRegex(config.ConfigError, 'SERVER_NAME'):
            create_app(config_for(config.ProductionConfig, self.mail,
                                  **dict(PRODUCTION, SERVER_NAME=None)))

    def test_starts_with_both(self):
        # The control for the two tests above.
        app = create_app(config_for(config.ProductionConfig, self.mail,
                                    **PRODUCTION))
        self.assertEqual(app.config['SERVER_NAME'], 'flasky.example.com')


class ProductionLinksTestCase(SecurityTestCase):
    """Emailed links name the site (SERVER_NAME, PREFERRED_URL_SCHEME),
    not the Host the request came with."""

    def setUp(self):
        super().setUp()
        self.use_production()
        self.add_user()

    def reset_email(self, base_url, **headers):
        kwargs = self.site_kwargs(base_url, '/auth/reset')
        kwargs['headers'].update(headers)
        self.submit('/auth/reset', dict(email='john@example.com'), **kwargs)
        [msg] = self.mail.wait_for(1)
        return msg

    def test_hostile_host_is_refused_and_nothing_sent(self):
        # TRUSTED_HOSTS: the request never reaches the form.
        kwargs = self.site_kwargs('https://evil.example', '/auth/reset')
        response = self.client.post(
            '/auth/reset', data=dict(email='john@example.com'), **kwargs)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.mail.messages, [])

    def test_emailed_link_is_https_for_a_plain_http_request(self):
        # As behind a proxy that ends TLS and says so in a header.
        msg = self.reset_email('http://flasky.example.com',
                               **{'X-Forwarded-Proto': 'https'})
        self.assertTrue(
            link_in(msg).startswith(SITE + '/auth/reset/'), link_in(msg))
        self.assertIn(f'href="{SITE}/auth/reset/', html_part(msg))
