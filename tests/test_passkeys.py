"""Passkeys (app/passkeys/): adding, managing and signing in with them.

The browser's side is a software authenticator built here with
`cryptography` and `cbor2`: an ES256 key, the authenticator data, the
client data and a "none" attestation, as a browser would send them, so
that every answer goes through py_webauthn's real checks.
"""
import base64
import hashlib
import json
import os
import unittest
from datetime import timedelta

import cbor2
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from app import create_app, db
from app.models import Login, User
from app.passkeys import relying_party
from app.passkeys.models import Passkey, PasskeyUser
from config import TestingConfig
from tests.messages import (
    CSRF_MISSING, INVALID_PASSWORD, LOGIN_REQUIRED, NOT_FOUND,
    PASSKEY_ADDED_SUBJECT, PASSKEY_ALREADY_ADDED, PASSKEY_NOT_ADDED,
    PASSKEY_NOT_SIGNED_IN, PASSKEY_NOT_VERIFIED, PASSKEY_REMOVED_SUBJECT,
    PASSKEY_RENAMED, PASSKEY_SIGN_IN, PASSKEY_VERIFIED, REQUIRED,
    SUBJECT_PREFIX, UNCONFIRMED, hello, passkey_added, passkey_removed)
from tests.support import (PASSWORD, FlaskyTestCase, ModelTestCase,
                           clock_shifted, csrf_token, flashes, text_part)

# The test client's origin, and so the RP ID the site derives from it.
ORIGIN = 'http://localhost'
RP_ID = 'localhost'

# Authenticator data flags (WebAuthn §6.1).
UP, UV, AT = 0x01, 0x04, 0x40


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=').decode()


def from_b64url(text):
    return base64.urlsafe_b64decode(text + '=' * (-len(text) % 4))


class SoftAuthenticator:
    """One passkey on a software authenticator: an ES256 key pair that
    answers navigator.credentials.create() and .get() options as JSON.
    `counting` authenticators add one to their sign count at each use;
    others (as most synced passkeys) always send 0."""

    def __init__(self, counting=True):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(16)
        self.counting = counting
        self.sign_count = 0
        self.user_handle = None

    def cose_key(self):
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps({1: 2, 3: -7, -1: 1,
                            -2: numbers.x.to_bytes(32, 'big'),
                            -3: numbers.y.to_bytes(32, 'big')})

    @staticmethod
    def client_data(kind, options, origin):
        return json.dumps({'type': kind, 'challenge': options['challenge'],
                           'origin': origin,
                           'crossOrigin': False}).encode()

    def auth_data(self, rp_id, flags, attested=b''):
        return (hashlib.sha256(rp_id.encode()).digest() + bytes([flags])
                + self.sign_count.to_bytes(4, 'big') + attested)

    def create(self, options, origin=ORIGIN, rp_id=None,
               flags=UP | UV | AT):
        """The JSON of a new credential, as passkeys.js posts it."""
        self.user_handle = from_b64url(options['user']['id'])
        attested = (bytes(16) + len(self.credential_id).to_bytes(2, 'big')
                    + self.credential_id + self.cose_key())
        auth_data = self.auth_data(rp_id or options['rp']['id'], flags,
                                   attested)
        attestation = cbor2.dumps({'fmt': 'none', 'attStmt': {},
                                   'authData': auth_data})
        return json.dumps({
            'id': b64url(self.credential_id),
            'rawId': b64url(self.credential_id),
            'type': 'public-key',
            'response': {
                'clientDataJSON': b64url(self.client_data(
                    'webauthn.create', options, origin)),
                'attestationObject': b64url(attestation),
                'transports': ['internal']},
            'clientExtensionResults': {}})

    def get(self, options, origin=ORIGIN, rp_id=None, flags=UP | UV):
        """The JSON of an assertion signed by this passkey."""
        if self.counting:
            self.sign_count += 1
        auth_data = self.auth_data(rp_id or options['rpId'], flags)
        client_data = self.client_data('webauthn.get', options, origin)
        signature = self.key.sign(
            auth_data + hashlib.sha256(client_data).digest(),
            ec.ECDSA(hashes.SHA256()))
        return json.dumps({
            'id': b64url(self.credential_id),
            'rawId': b64url(self.credential_id),
            'type': 'public-key',
            'response': {
                'clientDataJSON': b64url(client_data),
                'authenticatorData': b64url(auth_data),
                'signature': b64url(signature),
                'userHandle': b64url(self.user_handle)},
            'clientExtensionResults': {}})


class PasskeyTestCase(FlaskyTestCase):
    """A confirmed user, john, logged in; helpers that play the part of
    passkeys.js."""

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()
        self.login()

    # -- passkeys.js's requests ------------------------------------------

    def token(self, url='/auth/passkeys/'):
        return csrf_token(self.page(self.client.get(url)))

    def post(self, url, data):
        """A form posted as passkeys.js posts it: (status, JSON answer)."""
        response = self.client.post(url, data=data,
                                    headers={'Accept': 'application/json'})
        return response.status_code, response.get_json()

    def add_options(self, name='laptop', password=PASSWORD):
        token = self.token()
        status, options = self.post('/auth/passkeys/add/options', dict(
            csrf_token=token, name=name, password=password))
        return token, status, options

    def add_passkey(self, authenticator=None, name='laptop', **create):
        """Add a passkey of `authenticator`; (status, JSON answer)."""
        authenticator = authenticator or SoftAuthenticator()
        token, status, options = self.add_options(name)
        self.assertEqual(status, 200, options)
        return self.post('/auth/passkeys/add', dict(
            csrf_token=token, name=name,
            credential=authenticator.create(options, **create)))

    def sign_in_options(self, path='sign-in'):
        token = self.token('/auth/login' if path == 'sign-in'
                           else '/auth/passkeys/')
        status, options = self.post(f'/auth/passkeys/{path}/options',
                                    dict(csrf_token=token))
        self.assertEqual(status, 200, options)
        return token, options

    def finish(self, token, credential, path='sign-in', query=''):
        return self.post(f'/auth/passkeys/{path}{query}',
                         dict(csrf_token=token, credential=credential))

    def sign_in(self, authenticator, query='', **get):
        token, options = self.sign_in_options()
        return self.finish(token, authenticator.get(options, **get),
                           query=query)

    def age_challenge(self, seconds):
        """Make the session's challenge `seconds` old. (A clock moved
        forward would not do: the session cookie signed then would be
        refused as from the future.)"""
        with self.client.session_transaction() as session:
            challenge = dict(session[relying_party.CHALLENGE_KEY])
            challenge['issued'] -= seconds
            session[relying_party.CHALLENGE_KEY] = challenge

    # -- what is stored --------------------------------------------------

    def passkeys(self):
        with self.app.app_context():
            rows = db.session.scalars(sa.select(Passkey)
                                      .order_by(Passkey.id)).all()
            for row in rows:
                db.session.expunge(row)
            return rows

    def added(self, name='laptop'):
        """A passkey added by john, who then logs out: its authenticator.
        """
        authenticator = SoftAuthenticator()
        status, answer = self.add_passkey(authenticator, name)
        self.assertEqual(status, 200, answer)
        return authenticator

    def logged_in_as(self):
        page = self.page(self.client.get('/'))
        for name in ('john', 'susan'):
            if hello(name) in page:
                return name
        return None


class AddPasskeyTestCase(PasskeyTestCase):

    def test_add_a_named_passkey(self):
        status, answer = self.add_passkey(name='laptop')
        self.assertEqual((status, answer),
                         (200, {'redirect': '/auth/passkeys/'}))
        page = self.page(self.client.get('/auth/passkeys/'))
        self.assertIn(passkey_added('laptop'), flashes(page))
        self.assertIn('<td>laptop</td>', page)
        [passkey] = self.passkeys()
        self.assertEqual((passkey.user_id, passkey.name, passkey.transports,
                          passkey.sign_count, passkey.last_used),
                         (self.user_id, 'laptop', 'internal', 0, None))

    def test_the_options_ask_for_a_discoverable_verified_passkey(self):
        _, status, options = self.add_options()
        self.assertEqual(status, 200)
        self.assertEqual(options['rp'], {'name': 'Flasky', 'id': RP_ID})
        self.assertEqual(options['authenticatorSelection'], {
            'residentKey': 'required', 'requireResidentKey': True,
            'userVerification': 'required'})
        self.assertEqual(options['user']['name'], 'john@example.com')
        self.assertEqual(options['excludeCredentials'], [])

    def test_the_user_handle_is_random_stable_and_not_the_email(self):
        authenticator = self.added()
        handle = authenticator.user_handle
        self.assertEqual(len(handle), 32)
        self.assertNotIn(b'john', handle)
        _, _, options = self.add_options(name='phone')
        self.assertEqual(from_b64url(options['user']['id']), handle)
        # The passkey already added is not to be made again.
        self.assertEqual(options['excludeCredentials'], [
            {'id': b64url(authenticator.credential_id),
             'type': 'public-key'}])
        with self.app.app_context():
            self.assertEqual(db.session.get(PasskeyUser,
                                            self.user_id).handle, handle)

    def test_a_name_is_required(self):
        for name in ('', '   '):
            with self.subTest(name=name):
                _, status, answer = self.add_options(name=name)
                self.assertEqual((status, answer),
                                 (400, {'error': REQUIRED}))

    def test_the_password_is_required(self):
        _, status, answer = self.add_options(password='wrong password')
        self.assertEqual((status, answer),
                         (400, {'error': INVALID_PASSWORD}))
        _, status, answer = self.add_options(password='')
        self.assertEqual((status, answer), (400, {'error': REQUIRED}))

    def test_the_csrf_token_is_required(self):
        status, answer = self.post('/auth/passkeys/add/options', dict(
            name='laptop', password=PASSWORD))
        self.assertEqual((status, answer), (400, {'error': CSRF_MISSING}))

    def test_the_same_passkey_twice_is_refused(self):
        authenticator = self.added()
        # As an authenticator that ignores excludeCredentials would.
        status, answer = self.add_passkey(authenticator, name='again')
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_ALREADY_ADDED)}))
        self.assertEqual(len(self.passkeys()), 1)

    def test_an_answer_without_user_verification_is_refused(self):
        status, answer = self.add_passkey(flags=UP | AT)
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_ADDED)}))
        self.assertEqual(self.passkeys(), [])

    def test_another_origin_or_rp_id_is_refused(self):
        for create in ({'origin': 'http://evil.example'},
                       {'origin': 'https://localhost'},
                       {'rp_id': 'evil.example'}):
            with self.subTest(**create):
                status, answer = self.add_passkey(**create)
                self.assertEqual((status, answer),
                                 (400, {'error': str(PASSKEY_NOT_ADDED)}))
        self.assertEqual(self.passkeys(), [])

    def test_an_expired_or_used_challenge_is_refused(self):
        authenticator = SoftAuthenticator()
        token, _, options = self.add_options()
        self.age_challenge(relying_party.CHALLENGE_SECONDS + 1)
        credential = authenticator.create(options)
        status, answer = self.post('/auth/passkeys/add', dict(
            csrf_token=token, name='laptop', credential=credential))
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_ADDED)}))
        # Refused, the challenge is gone: the same answer is refused again.
        status, answer = self.post('/auth/passkeys/add', dict(
            csrf_token=token, name='laptop', credential=credential))
        self.assertEqual(status, 400)
        self.assertEqual(self.passkeys(), [])

    def test_a_notice_is_emailed(self):
        self.add_passkey(name='laptop')
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['To'], 'john@example.com')
        self.assertEqual(msg['Subject'],
                         SUBJECT_PREFIX + PASSKEY_ADDED_SUBJECT)
        self.assertIn('A passkey named "laptop" was added',
                      text_part(msg))
        self.assertIn('http://localhost/auth/passkeys/', text_part(msg))

    def test_unconfirmed_users_cannot_add_one(self):
        self.logout()
        self.add_user('susan@example.com', 'susan', confirmed=False)
        self.login('susan@example.com')
        for response in (
                self.client.get('/auth/passkeys/'),
                self.client.post('/auth/passkeys/add/options', data=dict(
                    name='laptop', password=PASSWORD))):
            self.assertEqual(response.status_code, 302)
            self.assertEqual(response.location, '/auth/unconfirmed')
        self.assertIn(UNCONFIRMED,
                      self.page(self.client.get('/auth/unconfirmed')))

    def test_visitors_are_sent_to_the_login_page(self):
        self.logout()
        response = self.client.get('/auth/passkeys/', follow_redirects=True)
        self.assertIn(LOGIN_REQUIRED, flashes(self.page(response)))

    def test_the_account_page_counts_them(self):
        page = self.page(self.client.get('/auth/account'))
        self.assertIn('You have no passkeys yet', page)
        self.added()
        self.added('phone')
        page = self.page(self.client.get('/auth/account'))
        self.assertIn('<h2 id="passkeys" class="h3">Passkeys</h2>', page)
        self.assertIn('You have 2 passkeys.', page)
        self.assertIn('href="/auth/passkeys/"', page)


class SignInTestCase(PasskeyTestCase):

    def test_sign_in_with_no_email_and_no_password(self):
        authenticator = self.added()
        self.logout()
        self.assertIn(PASSKEY_SIGN_IN,
                      self.page(self.client.get('/auth/login')))
        status, answer = self.sign_in(authenticator)
        self.assertEqual((status, answer), (200, {'redirect': '/'}))
        self.assertEqual(self.logged_in_as(), 'john')
        [passkey] = self.passkeys()
        self.assertEqual(passkey.sign_count, 1)
        self.assertIsNotNone(passkey.last_used)
        with self.app.app_context():
            self.assertEqual(db.session.scalar(
                sa.select(sa.func.count(Login.id))), 1)

    def test_the_options_allow_any_passkey_of_the_site(self):
        self.logout()
        _, options = self.sign_in_options()
        self.assertEqual(options['allowCredentials'], [])
        self.assertEqual(options['rpId'], RP_ID)
        self.assertEqual(options['userVerification'], 'required')

    def test_a_safe_next_is_followed(self):
        authenticator = self.added()
        for next, expected in (('/secret', '/secret'),
                               ('//evil.example/', '/'),
                               ('https://evil.example/', '/')):
            with self.subTest(next=next):
                self.logout()
                status, answer = self.sign_in(
                    authenticator, query='?next=' + next)
                self.assertEqual((status, answer),
                                 (200, {'redirect': expected}))

    def test_the_login_page_sends_next_along(self):
        page = self.page(self.client.get('/auth/login?next=/secret'))
        self.assertIn('data-finish-url="/auth/passkeys/sign-in?next=/secret"',
                      page)

    def test_a_lower_sign_count_is_refused_and_logged(self):
        authenticator = self.added()
        self.logout()
        self.sign_in(authenticator)
        self.sign_in(authenticator)
        self.logout()
        for count in (1, 0):
            with self.subTest(count=count):
                # A copy of the key, with the count where it was.
                authenticator.sign_count = count - 1 if count else 0
                authenticator.counting = bool(count)
                with self.assertLogs(self.app.logger, 'WARNING') as logs:
                    status, answer = self.sign_in(authenticator)
                self.assertEqual(
                    (status, answer),
                    (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))
                self.assertIn(f'its sign count went from 2 to {count}',
                              logs.output[0])
                self.assertIsNone(self.logged_in_as())
        self.assertEqual(self.passkeys()[0].sign_count, 2)

    def test_py_webauthn_refuses_a_lower_count_too(self):
        """The library's own rule, which the view applies once the
        signature is checked: either count non-zero and no increase."""
        import webauthn
        from webauthn.helpers.exceptions import InvalidAuthenticationResponse
        authenticator = SoftAuthenticator()
        authenticator.user_handle = b'handle'
        options = {'challenge': b64url(b'challenge'), 'rpId': RP_ID}
        for stored, sent in ((5, 3), (5, 5), (5, 0), (0, 0), (5, 6)):
            with self.subTest(stored=stored, sent=sent):
                authenticator.counting = False
                authenticator.sign_count = sent
                check = dict(
                    credential=authenticator.get(options),
                    expected_challenge=b'challenge', expected_rp_id=RP_ID,
                    expected_origin=ORIGIN,
                    credential_public_key=authenticator.cose_key(),
                    credential_current_sign_count=stored)
                if (stored or sent) and sent <= stored:
                    with self.assertRaisesRegex(
                            InvalidAuthenticationResponse, 'sign count'):
                        webauthn.verify_authentication_response(**check)
                else:
                    webauthn.verify_authentication_response(**check)

    def test_passkeys_that_count_nothing_sign_in_every_time(self):
        authenticator = SoftAuthenticator(counting=False)
        status, answer = self.add_passkey(authenticator)
        for _ in range(3):
            self.logout()
            status, answer = self.sign_in(authenticator)
            self.assertEqual(status, 200, answer)

    def test_an_expired_challenge_is_refused(self):
        authenticator = self.added()
        self.logout()
        token, options = self.sign_in_options()
        self.age_challenge(relying_party.CHALLENGE_SECONDS + 1)
        status, answer = self.finish(token, authenticator.get(options))
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))
        self.assertIsNone(self.logged_in_as())

    def test_a_challenge_is_used_once(self):
        # An authenticator with no count: only the challenge can tell.
        authenticator = SoftAuthenticator(counting=False)
        self.add_passkey(authenticator)
        self.logout()
        token, options = self.sign_in_options()
        credential = authenticator.get(options)
        before = self.client.get_cookie('session').value
        self.assertEqual(self.finish(token, credential)[0], 200)
        self.logout()
        # Posted again: the session no longer has the challenge.
        status, answer = self.finish(self.token('/auth/login'), credential)
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))
        # Posted again with the session cookie it was answered in, which
        # has the challenge: it was issued before the passkey's last use.
        self.client.set_cookie('session', before)
        status, answer = self.finish(token, credential)
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))
        self.assertIsNone(self.logged_in_as())

    def test_a_challenge_for_another_purpose_is_refused(self):
        authenticator = self.added()
        token, options = self.sign_in_options('verify')
        self.logout()
        status, answer = self.finish(self.token('/auth/login'),
                                     authenticator.get(options))
        self.assertEqual(status, 400)
        self.assertIsNone(self.logged_in_as())

    def test_another_origin_or_rp_id_is_refused(self):
        authenticator = self.added()
        self.logout()
        for get in ({'origin': 'http://evil.example'},
                    {'origin': 'http://localhost:8000'},
                    {'rp_id': 'evil.example'}):
            with self.subTest(**get):
                status, answer = self.sign_in(authenticator, **get)
                self.assertEqual(
                    (status, answer),
                    (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))
        self.assertIsNone(self.logged_in_as())

    def test_user_verification_is_required(self):
        authenticator = self.added()
        self.logout()
        status, answer = self.sign_in(authenticator, flags=UP)
        self.assertEqual(status, 400)
        self.assertIsNone(self.logged_in_as())

    def test_an_unknown_passkey_is_refused(self):
        self.logout()
        authenticator = SoftAuthenticator()
        authenticator.user_handle = os.urandom(32)
        status, answer = self.sign_in(authenticator)
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))

    def test_another_users_handle_is_refused(self):
        authenticator = self.added()
        self.logout()
        authenticator.user_handle = os.urandom(32)
        status, _ = self.sign_in(authenticator)
        self.assertEqual(status, 400)

    def test_the_csrf_token_is_required(self):
        self.logout()
        status, answer = self.post('/auth/passkeys/sign-in/options', {})
        self.assertEqual((status, answer), (400, {'error': CSRF_MISSING}))

    def test_a_removed_passkey_no_longer_signs_in(self):
        authenticator = self.added()
        [passkey] = self.passkeys()
        response = self.submit(f'/auth/passkeys/{passkey.id}/remove',
                               dict(password=PASSWORD))
        self.assertIn(passkey_removed('laptop'),
                      flashes(self.page(response)))
        self.assertEqual(self.passkeys(), [])
        self.logout()
        status, answer = self.sign_in(authenticator)
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_SIGNED_IN)}))
        self.assertIsNone(self.logged_in_as())


class ManagePasskeysTestCase(PasskeyTestCase):

    def setUp(self):
        super().setUp()
        self.authenticator = self.added()
        self.passkey_id = self.passkeys()[0].id
        self.mail.wait_for(1)
        self.mail.clear()

    def url(self, action, id=None):
        return f'/auth/passkeys/{id or self.passkey_id}/{action}'

    def test_the_list_shows_when_each_was_added_and_used(self):
        page = self.page(self.client.get('/auth/passkeys/'))
        self.assertIn('<td>laptop</td>', page)
        self.assertIn('Never', page)
        self.logout()
        self.sign_in(self.authenticator)
        page = self.page(self.client.get('/auth/passkeys/'))
        [passkey] = self.passkeys()
        self.assertIn(passkey.last_used.strftime('%Y-%m-%d %H:%M') + ' UTC',
                      page)
        self.assertNotIn('Never', page)

    def test_rename_needs_the_password(self):
        response = self.submit(self.url('rename'),
                               dict(name='phone', password='wrong one'))
        self.assertIn(INVALID_PASSWORD, flashes(self.page(response)))
        self.assertEqual(self.passkeys()[0].name, 'laptop')
        response = self.submit(self.url('rename'),
                               dict(name='phone', password=PASSWORD))
        self.assertIn(PASSKEY_RENAMED, flashes(self.page(response)))
        self.assertEqual(self.passkeys()[0].name, 'phone')

    def test_rename_needs_a_name(self):
        response = self.submit(self.url('rename'),
                               dict(name=' ', password=PASSWORD))
        self.assertIn(REQUIRED, self.page(response))
        self.assertEqual(self.passkeys()[0].name, 'laptop')

    def test_remove_needs_the_password(self):
        response = self.submit(self.url('remove'),
                               dict(password='wrong one'))
        self.assertIn(INVALID_PASSWORD, flashes(self.page(response)))
        self.assertEqual(len(self.passkeys()), 1)
        response = self.client.post(self.url('remove'),
                                    data=dict(password=PASSWORD))
        self.assertIn(CSRF_MISSING, self.page(response))
        self.assertEqual(len(self.passkeys()), 1)

    def test_removing_one_sends_a_notice(self):
        self.submit(self.url('remove'), dict(password=PASSWORD))
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'],
                         SUBJECT_PREFIX + PASSKEY_REMOVED_SUBJECT)
        self.assertIn('The passkey named "laptop" was removed',
                      text_part(msg))

    def test_a_passkey_sign_in_stands_for_the_password_five_minutes(self):
        self.logout()
        with clock_shifted(-6 * 60):
            self.sign_in(self.authenticator)
        page = self.page(self.client.get(self.url('remove')))
        self.assertIn('type="password"', page)
        response = self.submit(self.url('remove'), {})
        self.assertIn(REQUIRED, self.page(response))
        self.assertEqual(len(self.passkeys()), 1)
        self.logout()
        self.sign_in(self.authenticator)
        page = self.page(self.client.get(self.url('rename')))
        self.assertNotIn('type="password"', page)
        response = self.submit(self.url('rename'), dict(name='phone'))
        self.assertIn(PASSKEY_RENAMED, flashes(self.page(response)))

    def test_using_a_passkey_on_the_page_stands_for_the_password(self):
        token, options = self.sign_in_options('verify')
        status, answer = self.finish(token, self.authenticator.get(options),
                                     path='verify')
        self.assertEqual((status, answer),
                         (200, {'redirect': '/auth/passkeys/'}))
        page = self.page(self.client.get('/auth/passkeys/'))
        self.assertIn(PASSKEY_VERIFIED, flashes(page))
        response = self.submit(self.url('remove'), {})
        self.assertIn(passkey_removed('laptop'),
                      flashes(self.page(response)))

    def test_another_users_passkey_does_not_verify(self):
        self.logout()
        self.add_user('susan@example.com', 'susan')
        self.login('susan@example.com')
        token, options = self.sign_in_options('verify')
        status, answer = self.finish(token, self.authenticator.get(options),
                                     path='verify')
        self.assertEqual((status, answer),
                         (400, {'error': str(PASSKEY_NOT_VERIFIED)}))
        # Nothing was granted: the page still asks for the password.
        page = self.page(self.client.get('/auth/passkeys/'))
        self.assertIn('type="password"', page)

    def test_another_users_passkey_cannot_be_renamed_or_removed(self):
        self.logout()
        self.add_user('susan@example.com', 'susan')
        self.login('susan@example.com')
        for action in ('rename', 'remove'):
            with self.subTest(action=action):
                response = self.client.get(self.url(action))
                self.assertEqual(response.status_code, 404)
                self.assertIn(NOT_FOUND, self.page(response))
                response = self.client.post(self.url(action), data=dict(
                    name='mine', password=PASSWORD))
                self.assertEqual(response.status_code, 404)
        self.assertEqual([(p.name, p.user_id) for p in self.passkeys()],
                         [('laptop', self.user_id)])
        self.assertEqual(self.client.get(self.url('rename', 999))
                         .status_code, 404)


class SignInThrottlingTestCase(PasskeyTestCase):
    config = {'FLASKY_LIMIT_LOGIN_PER_IP': '2 per minute'}

    def test_failed_sign_ins_count_as_failed_logins_do(self):
        authenticator = self.added()
        self.logout()
        # Signing in is no failure.
        self.assertEqual(self.sign_in(authenticator)[0], 200)
        self.logout()
        stranger = SoftAuthenticator()
        stranger.user_handle = os.urandom(32)
        for _ in range(2):
            self.assertEqual(self.sign_in(stranger)[0], 400)
        self.assertEqual(self.sign_in(authenticator)[0], 429)


class RelyingPartyTestCase(unittest.TestCase):
    """Where the RP ID and origin come from."""

    def relying_party(self, base_url='http://localhost/', **settings):
        app = create_app(type('C', (TestingConfig,), settings))
        with app.test_request_context(base_url=base_url):
            return relying_party.relying_party(), \
                relying_party.localhost_url()

    def test_development_and_tests_use_the_address_opened(self):
        self.assertEqual(self.relying_party('http://localhost:5000/'),
                         (('localhost', 'http://localhost:5000'), None))

    def test_an_ip_address_is_refused_with_a_link_to_localhost(self):
        self.assertEqual(
            self.relying_party('http://127.0.0.1:5000/'),
            (('127.0.0.1', 'http://127.0.0.1:5000'),
             'http://localhost:5000/'))

    def test_production_uses_server_name(self):
        self.assertEqual(
            self.relying_party('https://flasky.example.com/',
                               SERVER_NAME='flasky.example.com',
                               PREFERRED_URL_SCHEME='https',
                               TRUSTED_HOSTS=['flasky.example.com']),
            (('flasky.example.com', 'https://flasky.example.com'), None))

    def test_settings_win(self):
        self.assertEqual(
            self.relying_party(
                FLASKY_WEBAUTHN_ORIGIN='https://login.example.com',
                FLASKY_WEBAUTHN_RP_ID='example.com')[0],
            ('example.com', 'https://login.example.com'))
        self.assertEqual(
            self.relying_party(
                FLASKY_WEBAUTHN_ORIGIN='https://login.example.com')[0],
            ('login.example.com', 'https://login.example.com'))


class LocalhostNoticeTestCase(FlaskyTestCase):

    def test_the_page_says_to_open_localhost(self):
        self.add_user()
        base = 'http://127.0.0.1:5000'
        self.login(url=base + '/auth/login')
        page = self.page(self.client.get(base + '/auth/passkeys/'))
        self.assertIn('open this page at <a href="http://localhost:5000'
                      '/auth/passkeys/">', page)


class PasskeyModelTestCase(ModelTestCase):

    def test_handles_differ_between_users_and_are_kept(self):
        john, susan = User(username='john'), User(username='susan')
        db.session.add_all([john, susan])
        db.session.commit()
        handle = PasskeyUser.handle_of(john)
        db.session.commit()
        self.assertEqual(PasskeyUser.handle_of(john), handle)
        self.assertNotEqual(PasskeyUser.handle_of(susan), handle)

    def test_credential_ids_are_unique(self):
        user = User(username='john')
        db.session.add(user)
        db.session.commit()
        for name in ('one', 'two'):
            db.session.add(Passkey(user_id=user.id, credential_id=b'id',
                                   public_key=b'key', name=name))
        with self.assertRaises(sa.exc.IntegrityError):
            db.session.commit()
        db.session.rollback()

    def test_defaults(self):
        user = User(username='john')
        db.session.add(user)
        db.session.commit()
        passkey = Passkey(user_id=user.id, credential_id=b'id',
                          public_key=b'key', name='laptop')
        db.session.add(passkey)
        db.session.commit()
        self.assertEqual(passkey.sign_count, 0)
        self.assertIsNone(passkey.last_used)
        self.assertLess(abs(passkey.created - passkey.created.now()),
                        timedelta(days=1))
        self.assertEqual(passkey.user, user)


if __name__ == '__main__':
    unittest.main()
