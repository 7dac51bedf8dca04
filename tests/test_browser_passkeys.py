"""Passkeys in a real browser: Chromium's virtual authenticator (the
DevTools protocol's WebAuthn domain) plays the part of a phone or a
laptop's fingerprint reader, and app/static/js/passkeys.js does the rest.
"""
import re

from playwright.sync_api import expect

from tests import test_browser
from tests.messages import (
    ACCOUNT_HEADING, LOGIN_HEADING, PASSKEY_ADDED_SUBJECT,
    PASSKEY_NOT_SIGNED_IN, PASSKEY_REMOVED_SUBJECT, PASSKEY_SIGN_IN,
    PASSKEYS_HEADING, hello, passkey_added, passkey_removed)
from tests.support import PASSWORD

# A platform authenticator (as a laptop's) that keeps discoverable
# credentials and verifies its user (a fingerprint) without asking.
VIRTUAL_AUTHENTICATOR = {
    'protocol': 'ctap2', 'transport': 'internal', 'hasResidentKey': True,
    'hasUserVerification': True, 'isUserVerified': True,
    'automaticPresenceSimulation': True}


class PasskeyBrowserTestCase(test_browser.BrowserTestBase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The server listens on 127.0.0.1, which browsers refuse as a
        # WebAuthn RP ID: the pages are opened at localhost instead
        # (TRUSTED_HOSTS has it), and the site derives its RP ID from that.
        cls.server.url = f'http://localhost:{cls.server.port}'

    def add_authenticator(self, page):
        """A virtual authenticator for `page`; its DevTools session."""
        cdp = page.context.new_cdp_session(page)
        cdp.send('WebAuthn.enable')
        cdp.send('WebAuthn.addVirtualAuthenticator',
                 {'options': VIRTUAL_AUTHENTICATOR})
        return cdp

    def sign_in_button(self, page):
        return page.get_by_role('button', name=PASSKEY_SIGN_IN)

    def test_add_sign_in_with_and_remove_a_passkey(self):
        self.add_user('pat@example.com', 'pat')
        page = self.page
        self.add_authenticator(page)
        self.log_in(page, 'pat@example.com', 'pat')

        # Added from the Account page.
        self.choose(page, 'Account')
        self.expect_heading(page, ACCOUNT_HEADING)
        page.get_by_role('link', name='Manage your passkeys').click()
        self.expect_heading(page, PASSKEYS_HEADING)
        self.field(page, 'Name of the passkey').fill('laptop')
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Add a passkey').click()
        self.expect_flash(page, passkey_added('laptop'))
        expect(page.get_by_role('cell', name='laptop', exact=True)) \
            .to_be_visible()
        self.screenshot(page, 'passkeys')
        self.read_email('pat@example.com', PASSKEY_ADDED_SUBJECT)

        # Signed in with it: no email, no password.
        self.log_out(page)
        page.goto('/auth/login')
        self.expect_heading(page, LOGIN_HEADING)
        expect(self.sign_in_button(page)).to_be_visible()
        self.screenshot(page, 'passkey-sign-in')
        self.sign_in_button(page).click()
        self.expect_heading(page, hello('pat'))

        # Removed: having just used it, no password is asked for.
        page.goto('/auth/passkeys/')
        self.expect_heading(page, PASSKEYS_HEADING)
        page.get_by_role('link', name='Remove laptop').click()
        expect(self.field(page, 'Password')).to_have_count(0)
        page.get_by_role('button', name='Remove').click()
        self.expect_flash(page, passkey_removed('laptop'))
        self.read_email('pat@example.com', PASSKEY_REMOVED_SUBJECT)

        # The authenticator still has it; the site refuses it.
        self.log_out(page)
        page.goto('/auth/login')
        self.loaded(page)
        self.sign_in_button(page).click()
        expect(page.get_by_role('alert')).to_have_text(
            str(PASSKEY_NOT_SIGNED_IN))
        self.expect_heading(page, LOGIN_HEADING)
        # Chromium logs the refusal's 400 as a failed load: the one
        # problem expected.
        refused = [p for p in self.problems
                   if re.search(r'status of 400', p)]
        self.assertEqual(len(refused), 1, self.problems)
        self.problems.remove(refused[0])

    def test_the_button_stays_hidden_without_webauthn(self):
        page = self.page
        page.add_init_script('delete window.PublicKeyCredential;')
        page.goto('/auth/login')
        self.expect_heading(page, LOGIN_HEADING)
        expect(self.sign_in_button(page)).to_be_hidden()

    def test_an_ip_address_is_sent_to_localhost(self):
        self.add_user('ira@example.com', 'ira')
        page = self.page
        page.goto(f'http://127.0.0.1:{self.server.port}/auth/login')
        self.field(page, 'Email').fill('ira@example.com')
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Log In').click()
        self.expect_heading(page, hello('ira'))
        page.goto(f'http://127.0.0.1:{self.server.port}/auth/passkeys/')
        self.expect_heading(page, PASSKEYS_HEADING)
        expect(page.get_by_role('link', name=f'http://localhost:'
                                f'{self.server.port}/auth/passkeys/')
               ).to_be_visible()
