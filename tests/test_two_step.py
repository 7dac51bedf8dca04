"""Two-step sign-in (app/two_step/): an authenticator app's codes (TOTP,
RFC 6238) after the password, and single-use recovery codes.

Time is app.two_step.models.clock, which each test replaces with its own
clock (self.now), so that codes, their replay and the half-done login's
expiry are checked without waiting.
"""
import re
import xml.etree.ElementTree as ET
from unittest import mock

import pyotp
import sqlalchemy as sa
from flask import session

from app import db
from app.models import User
from app.two_step import login as two_step_login
from app.two_step.models import (RECOVERY_CODES, RecoveryCode, TwoStep,
                                 check_code, recovery_hash)
from tests.messages import (
    INVALID_CODE, INVALID_PASSWORD, INVALID_PASSWORD_OR_CODE, LOGIN_REQUIRED,
    NEW_RECOVERY_CODES, NEW_RECOVERY_CODES_HEADING,
    NEW_RECOVERY_CODES_SUBJECT, PASSWORD_UPDATED, SUBJECT_PREFIX,
    TOO_MANY_REQUESTS, TWO_STEP_ALREADY_ON, TWO_STEP_HEADING,
    TWO_STEP_LOGIN_EXPIRED, TWO_STEP_OFF, TWO_STEP_OFF_SUBJECT, TWO_STEP_ON,
    TWO_STEP_ON_SUBJECT, TWO_STEP_PASSWORD_AGAIN, TWO_STEP_SETUP_HEADING,
    UNCONFIRMED, hello, recovery_code_used, recovery_codes_left)
from tests.pages import parse
from tests.support import (NEW_PASSWORD, PASSWORD, FlaskyTestCase,
                           ModelTestCase, csrf_token, html_part, text_part)

# A time on a 30-second step's boundary, so that +15 s is the same step.
START = 1_800_000_000.0
STEP = 30

ENABLE = '/auth/two-step/enable'
SETUP = '/auth/two-step/setup'
QR_CODE = '/auth/two-step/qr-code.svg'
VERIFY = '/auth/two-step/verify'
DISABLE = '/auth/two-step/disable'
RECOVERY = '/auth/two-step/recovery-codes'


def codes_on(page):
    """The recovery codes a page shows."""
    match = re.search(r'<pre class="recovery-codes">(.*?)</pre>', page,
                      re.S)
    return match.group(1).split() if match else []


def heading(page):
    return re.search(r'<h1>(.*?)</h1>', page, re.S).group(1).strip()


class Clock:
    """A clock for app.two_step.models.clock, moved by the test."""

    def __init__(self, case):
        self.now = START
        patcher = mock.patch('app.two_step.models.clock', lambda: self.now)
        patcher.start()
        case.addCleanup(patcher.stop)


class TwoStepModelTestCase(ModelTestCase):

    def setUp(self):
        self.clock = Clock(self)
        super().setUp()
        self.user = User(email='john@example.com', username='john',
                         password=PASSWORD, confirmed=True)
        db.session.add(self.user)
        db.session.commit()

    def enabled_row(self):
        row = TwoStep.begin(self.user)
        db.session.commit()
        self.assertTrue(row.enable(self.code(row)))
        db.session.commit()
        self.clock.now += STEP
        return row

    def code(self, row, offset=0):
        return pyotp.TOTP(row.secret).at(self.clock.now + offset)

    def test_a_new_secret_is_off_until_confirmed(self):
        row = TwoStep.begin(self.user)
        db.session.commit()
        self.assertEqual(len(row.secret), 32)
        self.assertIsNone(row.enabled_at)
        self.assertFalse(TwoStep.enabled_for(self.user))
        self.assertIsNone(check_code(self.user, self.code(row)))
        self.assertFalse(row.enable(self.code(row, 2 * STEP)))
        self.assertTrue(row.enable(self.code(row)))
        self.assertTrue(TwoStep.enabled_for(self.user))
        # Once on, no new secret replaces it.
        self.assertIsNone(TwoStep.begin(self.user))

    def test_beginning_again_replaces_the_secret(self):
        first = TwoStep.begin(self.user).secret
        db.session.commit()
        second = TwoStep.begin(self.user).secret
        db.session.commit()
        self.assertNotEqual(first, second)
        self.assertEqual(db.session.scalar(
            sa.select(sa.func.count(TwoStep.id))), 1)

    def test_provisioning_uri(self):
        row = TwoStep.begin(self.user)
        uri = row.provisioning_uri(self.user.email)
        self.assertTrue(uri.startswith(
            'otpauth://totp/Flasky:john%40example.com?'), uri)
        self.assertIn('issuer=Flasky', uri)
        self.assertIn('secret=' + row.secret, uri)

    def test_a_code_is_accepted_once(self):
        row = self.enabled_row()
        code = self.code(row)
        self.assertTrue(row.accept(code))
        db.session.commit()
        self.assertFalse(row.accept(code))
        # Later in the same step, and in the next one: still the same.
        self.clock.now += STEP - 1
        self.assertFalse(row.accept(code))

    def test_an_older_code_is_refused_after_a_newer_one(self):
        row = self.enabled_row()
        earlier = self.code(row, -STEP)
        self.assertTrue(row.accept(self.code(row)))
        self.assertFalse(row.accept(earlier))

    def test_one_step_of_drift_either_side(self):
        for offset, accepted in ((-2 * STEP, False), (-STEP, True),
                                 (0, True), (STEP, True),
                                 (2 * STEP, False)):
            with self.subTest(offset=offset):
                row = self.enabled_row()
                self.clock.now += 3 * STEP   # past any code used before
                self.assertEqual(row.accept(self.code(row, offset)),
                                 accepted)
                TwoStep.disable(self.user)
                db.session.commit()

    def test_bad_input_is_refused_without_raising(self):
        row = self.enabled_row()
        for code in ('', None, 123456, 'abcdef', '12345', '1234567',
                     '１２３４５６', '\x00' * 6, 'x' * 1000):
            with self.subTest(code=code):
                self.assertFalse(row.accept(code))
                self.assertFalse(RecoveryCode.use(self.user, code))
                self.assertIsNone(check_code(self.user, code))

    def test_spaces_in_a_code_are_ignored(self):
        row = self.enabled_row()
        code = self.code(row)
        self.assertTrue(row.accept(f' {code[:3]} {code[3:]} '))

    def test_recovery_codes(self):
        self.enabled_row()
        codes = RecoveryCode.new_set(self.user)
        db.session.commit()
        self.assertEqual(len(codes), RECOVERY_CODES)
        self.assertEqual(len(set(codes)), RECOVERY_CODES)
        for code in codes:
            self.assertRegex(code, r'^[a-z2-9]{4}-[a-z2-9]{4}$')
        # Stored hashed only.
        stored = db.session.scalars(sa.select(RecoveryCode.code_hash)).all()
        self.assertEqual(sorted(stored),
                         sorted(recovery_hash(c) for c in codes))
        self.assertFalse(set(codes) & set(stored))
        self.assertEqual(RecoveryCode.count(self.user), RECOVERY_CODES)

        self.assertEqual(check_code(self.user, codes[0]), 'recovery')
        db.session.commit()
        self.assertEqual(RecoveryCode.count(self.user), RECOVERY_CODES - 1)
        self.assertIsNone(check_code(self.user, codes[0]))
        # As people may type it: capitals, no dash, spaces.
        self.assertTrue(RecoveryCode.use(
            self.user, ' ' + codes[1].upper().replace('-', ' ') + ' '))

    def test_a_new_set_voids_the_old_one(self):
        self.enabled_row()
        old = RecoveryCode.new_set(self.user)
        db.session.commit()
        new = RecoveryCode.new_set(self.user)
        db.session.commit()
        self.assertEqual(RecoveryCode.count(self.user), RECOVERY_CODES)
        self.assertFalse(RecoveryCode.use(self.user, old[0]))
        self.assertTrue(RecoveryCode.use(self.user, new[0]))

    def test_another_users_recovery_code_does_not_work(self):
        self.enabled_row()
        other = User(email='susan@example.com', username='susan',
                     password=PASSWORD)
        db.session.add(other)
        db.session.commit()
        codes = RecoveryCode.new_set(other)
        db.session.commit()
        self.assertFalse(RecoveryCode.use(self.user, codes[0]))

    def test_disable_removes_the_secret_and_the_codes(self):
        self.enabled_row()
        RecoveryCode.new_set(self.user)
        db.session.commit()
        TwoStep.disable(self.user)
        db.session.commit()
        self.assertIsNone(TwoStep.of(self.user))
        self.assertEqual(RecoveryCode.count(self.user), 0)
        self.assertFalse(TwoStep.enabled_for(self.user))


class TwoStepTestCase(FlaskyTestCase):
    """Through the test client, with CSRF protection on."""

    def setUp(self):
        super().setUp()
        self.clock = Clock(self)
        self.user_id = self.add_user()

    # -- helpers ---------------------------------------------------------

    def secret(self, user_id=None):
        with self.app.app_context():
            row = db.session.scalar(sa.select(TwoStep).where(
                TwoStep.user_id == (user_id or self.user_id)))
            return row.secret if row else None

    def code(self, offset=0, secret=None):
        return pyotp.TOTP(secret or self.secret()).at(self.clock.now
                                                      + offset)

    def next_step(self):
        """Move on a time step: a new code, and no replay of the last."""
        self.clock.now += STEP

    def enabled(self, user_id=None):
        with self.app.app_context():
            user = db.session.get(User, user_id or self.user_id)
            return TwoStep.enabled_for(user)

    def codes_left(self):
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            return RecoveryCode.count(user)

    def logged_in(self):
        return self.client.get('/secret').status_code == 200

    def turn_on(self, email='john@example.com', password=PASSWORD):
        """Log in, turn two-step sign-in on and log out; the recovery
        codes shown."""
        self.login(email=email, password=password)
        self.submit(ENABLE, {'password': password})
        response = self.submit(SETUP, {'code': self.code()})
        self.assertFlashed(response, TWO_STEP_ON)
        codes = codes_on(self.page(response))
        self.logout()
        self.next_step()
        self.mail.clear()
        return codes

    def first_step(self, remember_me=False, url='/auth/login',
                   password=PASSWORD):
        """The login form, with the right password: the response."""
        data = dict(email='john@example.com', password=password)
        if remember_me:
            data['remember_me'] = 'y'
        return self.submit(url, data, follow_redirects=False)

    def second_step(self, code, follow_redirects=False):
        return self.submit(VERIFY, {'code': code},
                           follow_redirects=follow_redirects)

    def subjects(self, count=1):
        return [m['Subject'] for m in self.mail.wait_for(count)]

    # -- turning it on ---------------------------------------------------

    def test_the_account_page_says_it_is_off_with_a_link_to_turn_it_on(self):
        self.login()
        page = self.page(self.client.get('/auth/account'))
        self.assertIn('Two-step sign-in is off.', page)
        self.assertIn(f'href="{ENABLE}"', page)
        self.assertNotIn(f'href="{DISABLE}"', page)

    def test_turn_on(self):
        self.login()
        response = self.submit(ENABLE, {'password': PASSWORD})
        page = self.page(response)
        self.assertEqual(heading(page), TWO_STEP_SETUP_HEADING)
        secret = self.secret()
        self.assertFalse(self.enabled())
        # The key as text, in groups of four, and the QR code as an image
        # of this site.
        self.assertIn(' '.join(re.findall('.{4}', secret)), page)
        self.assertIn(f'<img class="two-step-qr" src="{QR_CODE}"', page)
        self.assertEqual(parse(page).inline, [])

        response = self.submit(SETUP, {'code': self.code()})
        self.assertFlashed(response, TWO_STEP_ON)
        page = self.page(response)
        self.assertEqual(heading(page), NEW_RECOVERY_CODES_HEADING)
        self.assertTrue(self.enabled())
        codes = codes_on(page)
        self.assertEqual(len(codes), RECOVERY_CODES)
        self.assertEqual(self.codes_left(), RECOVERY_CODES)
        self.assertEqual(response.headers['Cache-Control'],
                         'private, no-store')

        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + TWO_STEP_ON_SUBJECT)
        self.assertEqual(msg['To'], 'john@example.com')
        self.assertIn('Two-step sign-in was turned on', text_part(msg))
        self.assertIn('/auth/reset', text_part(msg))
        self.assertIn('Two-step sign-in was turned on', html_part(msg))

        page = self.page(self.client.get('/auth/account'))
        self.assertIn('Two-step sign-in is on', page)
        self.assertIn(f'href="{DISABLE}"', page)
        self.assertIn(f'href="{RECOVERY}"', page)

    def test_the_codes_can_be_downloaded_as_text(self):
        self.login()
        self.submit(ENABLE, {'password': PASSWORD})
        page = self.page(self.submit(SETUP, {'code': self.code()}))
        codes = codes_on(page)
        match = re.search(r'<a [^>]*download="flasky-recovery-codes.txt" '
                          r'href="data:text/plain;charset=utf-8,([^"]*)"',
                          page)
        self.assertIsNotNone(match)
        self.assertEqual(match.group(1), '%0A'.join(codes) + '%0A')
        self.assertEqual(parse(page).inline, [])

    def test_turning_on_needs_the_password(self):
        self.login()
        response = self.submit(ENABLE, {'password': 'wrong password'})
        self.assertFlashed(response, INVALID_PASSWORD)
        self.assertIsNone(self.secret())
        response = self.client.get(SETUP, follow_redirects=True)
        self.assertFlashed(response, TWO_STEP_PASSWORD_AGAIN)
        self.assertEqual(self.client.get(QR_CODE).status_code, 404)

    def test_turning_on_needs_a_valid_code(self):
        self.login()
        self.submit(ENABLE, {'password': PASSWORD})
        for code in (self.code(2 * STEP), '12345', 'abcdef'):
            with self.subTest(code=code):
                response = self.submit(SETUP, {'code': code})
                self.assertEqual(heading(self.page(response)),
                                 TWO_STEP_SETUP_HEADING)
                self.assertFalse(self.enabled())
        self.assertFlashed(self.submit(SETUP, {'code': self.code(2 * STEP)}),
                           INVALID_CODE)
        self.assertEqual(self.subjects(0), [])

    def test_the_password_typed_is_good_for_ten_minutes(self):
        self.login()
        self.submit(ENABLE, {'password': PASSWORD})
        self.clock.now += 10 * 60
        response = self.client.get(SETUP, follow_redirects=True)
        self.assertFlashed(response, TWO_STEP_PASSWORD_AGAIN)
        self.assertEqual(self.client.get(QR_CODE).status_code, 404)

    def test_unconfirmed_users_cannot_turn_it_on(self):
        user_id = self.add_user('susan@example.com', 'susan',
                                confirmed=False)
        self.login(email='susan@example.com')
        response = self.client.get(ENABLE, follow_redirects=True)
        self.assertIn(UNCONFIRMED, self.page(response))
        response = self.client.post(ENABLE, data={'password': PASSWORD},
                                    follow_redirects=True)
        self.assertIn(UNCONFIRMED, self.page(response))
        self.assertIsNone(self.secret(user_id))

    def test_visitors_are_sent_to_log_in(self):
        for url in (ENABLE, SETUP, QR_CODE, DISABLE, RECOVERY):
            with self.subTest(url=url):
                response = self.client.get(url, follow_redirects=True)
                self.assertFlashed(response, LOGIN_REQUIRED)

    def test_the_qr_code(self):
        self.login()
        self.submit(ENABLE, {'password': PASSWORD})
        response = self.client.get(QR_CODE)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'image/svg+xml')
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        svg = ET.fromstring(response.data)
        self.assertEqual(svg.tag, '{http://www.w3.org/2000/svg}svg')
        # Nothing the CSP (style-src 'self', script-src 'self') refuses.
        for element in svg.iter():
            with self.subTest(element=element.tag):
                self.assertNotIn('style', element.attrib)
                self.assertFalse(any(name.startswith('on')
                                     for name in element.attrib))
                self.assertNotIn(element.tag.split('}')[-1],
                                 ('style', 'script', 'foreignObject'))
        self.assertIn('viewBox', svg.attrib)
        # Once it is on, the key is shown no more.
        self.submit(SETUP, {'code': self.code()})
        self.assertEqual(self.client.get(QR_CODE).status_code, 404)
        self.assertEqual(self.client.get(SETUP).status_code, 302)

    def test_turning_on_twice(self):
        self.turn_on()
        self.first_step()
        self.second_step(self.code())
        self.assertEqual(self.client.get(VERIFY).status_code, 302)
        response = self.client.get(ENABLE, follow_redirects=True)
        self.assertFlashed(response, TWO_STEP_ALREADY_ON)

    # -- logging in ----------------------------------------------------

    def test_login_asks_for_a_code(self):
        self.turn_on()
        response = self.first_step()
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers['Location'], VERIFY)
        self.assertFalse(self.logged_in())
        page = self.page(self.client.get(VERIFY))
        self.assertEqual(heading(page), TWO_STEP_HEADING)
        self.assertIn('autocomplete="one-time-code"', page)
        response = self.second_step(self.code(), follow_redirects=True)
        self.assertIn(hello('john'), self.page(response))
        self.assertTrue(self.logged_in())
        with self.client.session_transaction() as sess:
            self.assertNotIn(two_step_login.SESSION_KEY, sess)

    def test_users_without_it_log_in_with_the_password(self):
        response = self.first_step()
        self.assertEqual(response.headers['Location'], '/')
        self.assertTrue(self.logged_in())

    def test_a_wrong_code(self):
        self.turn_on()
        self.first_step()
        response = self.second_step(self.code(2 * STEP))
        self.assertEqual(response.status_code, 200)
        self.assertFlashed(response, INVALID_CODE)
        self.assertFalse(self.logged_in())
        # Still on the second step: the right code lets the user in.
        self.assertEqual(self.second_step(self.code()).status_code, 302)
        self.assertTrue(self.logged_in())

    def test_a_wrong_password_never_reaches_the_second_step(self):
        self.turn_on()
        response = self.first_step(password='wrong password')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.client.get(VERIFY).status_code, 302)

    def test_a_code_is_refused_when_replayed(self):
        self.turn_on()
        code = self.code()
        self.first_step()
        self.second_step(code)
        self.assertTrue(self.logged_in())
        self.logout()
        self.clock.now += 10    # the same step, and its window
        self.first_step()
        response = self.second_step(code)
        self.assertFlashed(response, INVALID_CODE)
        self.assertFalse(self.logged_in())

    def test_the_code_used_to_turn_it_on_is_used(self):
        self.login()
        self.submit(ENABLE, {'password': PASSWORD})
        code = self.code()
        self.submit(SETUP, {'code': code})
        self.logout()
        self.first_step()
        self.assertFlashed(self.second_step(code), INVALID_CODE)

    def test_clock_drift_of_one_step(self):
        self.turn_on()
        for offset, accepted in ((-2 * STEP, False), (-STEP, True),
                                 (STEP, True), (2 * STEP, False)):
            with self.subTest(offset=offset):
                self.clock.now += 5 * STEP  # past every code used before
                self.first_step()
                response = self.second_step(self.code(offset))
                self.assertEqual(self.logged_in(), accepted)
                if accepted:
                    self.logout()
                else:
                    self.assertFlashed(response, INVALID_CODE)

    def test_the_half_done_login_expires_in_five_minutes(self):
        self.turn_on()
        self.first_step()
        token = csrf_token(self.page(self.client.get(VERIFY)))
        self.clock.now += 5 * 60
        response = self.client.post(VERIFY, data=dict(
            code=self.code(), csrf_token=token), follow_redirects=True)
        self.assertFlashed(response, TWO_STEP_LOGIN_EXPIRED)
        self.assertFalse(self.logged_in())
        with self.client.session_transaction() as sess:
            self.assertNotIn(two_step_login.SESSION_KEY, sess)

    def test_a_half_done_login_in_time(self):
        self.turn_on()
        self.first_step()
        self.clock.now += 5 * 60 - 1
        self.second_step(self.code())
        self.assertTrue(self.logged_in())

    def test_nothing_from_before_the_login_survives(self):
        self.turn_on()
        with self.client.session_transaction() as sess:
            sess['left_over'] = 'from before'
        self.first_step()
        with self.client.session_transaction() as sess:
            self.assertEqual(set(sess), {two_step_login.SESSION_KEY})
            pending = sess[two_step_login.SESSION_KEY]
        self.assertEqual(pending['user_id'], self.user_id)
        self.assertEqual(pending['started'], self.clock.now)

    def test_keep_me_logged_in_is_carried_through(self):
        self.turn_on()
        self.first_step(remember_me=True)
        self.assertIsNone(self.client.get_cookie('remember_token'))
        self.second_step(self.code())
        self.assertIsNotNone(self.client.get_cookie('remember_token'))

    def test_without_keep_me_logged_in(self):
        self.turn_on()
        self.first_step()
        self.second_step(self.code())
        self.assertTrue(self.logged_in())
        self.assertIsNone(self.client.get_cookie('remember_token'))

    def test_next_is_carried_through(self):
        self.turn_on()
        for next, to in (('/secret', '/secret'),
                         ('//evil.example/', '/'),
                         ('https://evil.example/', '/'),
                         ('/\\evil.example', '/')):
            with self.subTest(next=next):
                self.next_step()
                self.first_step(url='/auth/login?next=' + next)
                response = self.second_step(self.code())
                self.assertEqual(response.headers['Location'], to)
                self.logout()

    def test_a_rehashed_password_is_kept(self):
        # An older hash is made again at the first step, which commits
        # before handing over to the second.
        self.turn_on()
        self.app.config['FLASKY_PASSWORD_HASH_METHOD'] = \
            'pbkdf2:sha256:1001'
        self.first_step()
        self.assertTrue(self.get_user(id=self.user_id).password_hash
                        .startswith('pbkdf2:sha256:1001$'))

    def test_the_second_step_needs_a_first(self):
        response = self.client.get(VERIFY)
        self.assertEqual(response.headers['Location'], '/auth/login')
        response = self.client.post(VERIFY, data={'code': '123456'})
        self.assertEqual(response.status_code, 302)

    def test_a_logged_in_user_has_no_second_step(self):
        self.login()
        self.assertEqual(self.client.get(VERIFY).headers['Location'], '/')

    # -- recovery codes --------------------------------------------------

    def test_log_in_with_a_recovery_code(self):
        codes = self.turn_on()
        self.first_step()
        response = self.second_step(codes[0], follow_redirects=True)
        self.assertFlashed(response, recovery_code_used(RECOVERY_CODES - 1))
        self.assertTrue(self.logged_in())
        self.assertEqual(self.codes_left(), RECOVERY_CODES - 1)

    def test_a_recovery_code_works_once(self):
        codes = self.turn_on()
        self.first_step()
        self.second_step(codes[0])
        self.logout()
        self.first_step()
        self.assertFlashed(self.second_step(codes[0]), INVALID_CODE)
        self.assertFalse(self.logged_in())

    def test_the_recovery_codes_page_counts_them(self):
        codes = self.turn_on()
        self.first_step()
        self.second_step(codes[0])
        page = self.page(self.client.get(RECOVERY))
        self.assertIn(recovery_codes_left(RECOVERY_CODES - 1),
                      page)
        self.assertEqual(codes_on(page), [])

    def test_new_recovery_codes_need_the_password(self):
        self.turn_on()
        self.first_step()
        self.second_step(self.code())
        response = self.submit(RECOVERY, {'password': 'wrong password'})
        self.assertFlashed(response, INVALID_PASSWORD)
        self.assertEqual(codes_on(self.page(response)), [])
        self.assertEqual(self.subjects(0), [])

    def test_new_recovery_codes_void_the_old_ones(self):
        old = self.turn_on()
        self.first_step()
        self.second_step(old[0])
        response = self.submit(RECOVERY, {'password': PASSWORD})
        self.assertFlashed(response, NEW_RECOVERY_CODES)
        new = codes_on(self.page(response))
        self.assertEqual(len(new), RECOVERY_CODES)
        self.assertFalse(set(new) & set(old))
        self.assertEqual(self.codes_left(), RECOVERY_CODES)
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'],
                         SUBJECT_PREFIX + NEW_RECOVERY_CODES_SUBJECT)
        self.assertIn('recovery codes', text_part(msg))
        self.logout()

        self.first_step()
        self.assertFlashed(self.second_step(old[1]), INVALID_CODE)
        self.second_step(new[0])
        self.assertTrue(self.logged_in())

    # -- throttling ----------------------------------------------------

    def test_wrong_codes_are_throttled_per_account(self):
        self.turn_on()
        self.first_step()
        wrong = self.code(3 * STEP)
        for _ in range(5):
            self.assertEqual(self.second_step(wrong).status_code, 200)
        response = self.second_step(self.code())
        self.assertEqual(response.status_code, 429)
        self.assertIn(TOO_MANY_REQUESTS, self.page(response))
        self.assertFalse(self.logged_in())
        # Another browser, with the password, meets the same limit.
        self.client = self.app.test_client()
        self.first_step()
        self.assertEqual(self.second_step(self.code()).status_code, 429)
        # Another account does not.
        self.add_user('susan@example.com', 'susan')
        self.client = self.app.test_client()
        self.login(email='susan@example.com')
        self.assertTrue(self.logged_in())

    def test_right_codes_are_not_counted(self):
        self.turn_on()
        for _ in range(6):
            self.first_step()
            self.assertEqual(self.second_step(self.code()).status_code,
                             302)
            self.logout()
            self.next_step()

    # -- turning it off ------------------------------------------------

    def log_in_with_code(self):
        self.first_step()
        self.second_step(self.code())
        self.next_step()

    def test_turning_off_needs_the_password_and_a_code(self):
        self.turn_on()
        self.log_in_with_code()
        for password, code in (('wrong password', self.code()),
                               (PASSWORD, self.code(3 * STEP)),
                               (PASSWORD, '')):
            with self.subTest(password=password, code=code):
                response = self.submit(DISABLE, dict(password=password,
                                                     code=code))
                self.assertEqual(response.status_code, 200)
                self.assertTrue(self.enabled())
        response = self.submit(DISABLE, dict(password=PASSWORD,
                                             code=self.code()))
        self.assertFlashed(response, TWO_STEP_OFF)
        self.assertFalse(self.enabled())
        self.assertIsNone(self.secret())
        self.assertEqual(self.codes_left(), 0)
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'], SUBJECT_PREFIX + TWO_STEP_OFF_SUBJECT)
        self.assertIn('turned off', html_part(msg))
        self.logout()
        # The password alone logs in again.
        self.assertEqual(self.first_step().headers['Location'], '/')

    def test_a_wrong_password_or_code_says_so(self):
        self.turn_on()
        self.log_in_with_code()
        response = self.submit(DISABLE, dict(password='wrong password',
                                             code=self.code()))
        self.assertFlashed(response, INVALID_PASSWORD_OR_CODE)

    def test_turn_off_with_a_recovery_code(self):
        codes = self.turn_on()
        self.log_in_with_code()
        response = self.submit(DISABLE, dict(password=PASSWORD,
                                             code=codes[0]))
        self.assertFlashed(response, TWO_STEP_OFF)

    def test_wrong_codes_to_turn_off_are_throttled(self):
        self.turn_on()
        self.log_in_with_code()
        for _ in range(5):
            self.submit(DISABLE, dict(password=PASSWORD,
                                      code=self.code(3 * STEP)))
        response = self.submit(DISABLE, dict(password=PASSWORD,
                                             code=self.code()))
        self.assertEqual(response.status_code, 429)
        self.assertTrue(self.enabled())

    def test_wrong_codes_count_wherever_they_are_typed(self):
        self.turn_on()
        self.first_step()
        wrong = self.code(3 * STEP)
        for _ in range(3):
            self.second_step(wrong)
        self.second_step(self.code())
        self.assertTrue(self.logged_in())
        for _ in range(2):
            self.submit(DISABLE, dict(password=PASSWORD, code=wrong))
        response = self.submit(DISABLE, dict(password=PASSWORD,
                                             code=self.code(STEP)))
        self.assertEqual(response.status_code, 429)

    # -- a password reset ------------------------------------------------

    def test_a_password_reset_keeps_two_step_sign_in(self):
        self.turn_on()
        token = self.token_for(self.user_id, 'generate_reset_token')
        response = self.submit(f'/auth/reset/{token}', dict(
            password=NEW_PASSWORD, password2=NEW_PASSWORD))
        self.assertFlashed(response, PASSWORD_UPDATED)
        self.assertTrue(self.enabled())
        response = self.first_step(password=NEW_PASSWORD)
        self.assertEqual(response.headers['Location'], VERIFY)
        self.assertFalse(self.logged_in())
        self.second_step(self.code())
        self.assertTrue(self.logged_in())

    # -- the pages -------------------------------------------------------

    def test_the_pages_look_like_the_others(self):
        codes = self.turn_on()
        self.first_step()
        pages = {'verify': self.page(self.client.get(VERIFY))}
        self.second_step(codes[0])
        pages['recovery codes'] = self.page(self.client.get(RECOVERY))
        pages['disable'] = self.page(self.client.get(DISABLE))
        pages['new codes'] = self.page(
            self.submit(RECOVERY, {'password': PASSWORD}))
        self.submit(DISABLE, dict(password=PASSWORD, code=self.code()))
        pages['enable'] = self.page(self.client.get(ENABLE))
        pages['setup'] = self.page(self.submit(ENABLE,
                                               {'password': PASSWORD}))
        pages['account'] = self.page(self.client.get('/auth/account'))
        for name, page in pages.items():
            with self.subTest(page=name):
                self.assertEqual(len(re.findall('<h1>', page)), 1)
                self.assertRegex(page, r'<title>Flasky - [^<]+</title>')
                self.assertEqual(parse(page).inline, [])

    def test_the_pages_need_the_csrf_token(self):
        self.turn_on()
        self.first_step()
        response = self.client.post(VERIFY, data={'code': self.code()})
        self.assertEqual(response.status_code, 200)
        self.assertFalse(self.logged_in())

    def test_the_session_holds_the_half_done_login_only(self):
        self.turn_on()
        self.first_step(remember_me=True, url='/auth/login?next=/secret')
        with self.client.session_transaction() as sess:
            self.assertEqual(dict(sess[two_step_login.SESSION_KEY]), {
                'user_id': self.user_id, 'remember': True,
                'next': '/secret', 'started': self.clock.now})
        # And the app reads it back in a request of its own.
        with self.app.test_request_context():
            session[two_step_login.SESSION_KEY] = {
                'user_id': self.user_id, 'remember': False, 'next': None,
                'started': 'not a time'}
            self.assertIsNone(two_step_login.pending())
