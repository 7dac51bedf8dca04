"""Two-step sign-in in a real browser: turned on with the key read from
the page, then logging in with a code of the app and with a recovery
code. The codes are made here with pyotp, as a phone's app would.

The server runs on the real clock: the code that turns it on is the
current step's, and the one that logs in is the next step's (one step
of drift is accepted), so that it is never refused as a replay.
"""
import time

import pyotp
from playwright.sync_api import expect

from tests import test_browser
from tests.messages import (
    ACCOUNT_HEADING, INVALID_CODE, LOGIN_HEADING, NEW_RECOVERY_CODES_HEADING,
    TWO_STEP_HEADING, TWO_STEP_ON, TWO_STEP_ON_SUBJECT,
    TWO_STEP_SETUP_HEADING, hello, recovery_code_used, recovery_codes_left)
from tests.support import PASSWORD


class TwoStepBrowserTestCase(test_browser.BrowserTestBase):

    def turn_on(self, page):
        """Turn two-step sign-in on from the Account page; the key and
        the recovery codes."""
        page.goto('/auth/account')
        self.expect_heading(page, ACCOUNT_HEADING)
        page.get_by_role('link', name='Turn two-step sign-in on').click()
        self.expect_heading(page, 'Turn On Two-Step Sign-In')
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Continue').click()
        self.expect_heading(page, TWO_STEP_SETUP_HEADING)
        qr = page.get_by_role('img', name='QR code of the key')
        expect(qr).to_be_visible()
        # Drawn: the CSP let the image in, and it is an image.
        self.assertGreater(qr.evaluate('(img) => img.naturalWidth'), 0)
        self.screenshot(page, 'two-step-setup')
        key = page.locator('.two-step-key').inner_text().replace(' ', '')
        self.assertEqual(len(key), 32)
        self.field(page, 'Code from the app').fill(pyotp.TOTP(key).now())
        page.get_by_role('button', name='Turn On').click()
        self.expect_flash(page, TWO_STEP_ON)
        self.expect_heading(page, NEW_RECOVERY_CODES_HEADING)
        codes = page.locator('pre.recovery-codes').inner_text().split()
        self.assertEqual(len(codes), 10)
        return key, codes

    def first_step(self, page, email='john@example.com'):
        page.goto('/auth/login')
        self.field(page, 'Email').fill(email)
        self.field(page, 'Password').fill(PASSWORD)
        page.get_by_role('button', name='Log In').click()
        self.expect_heading(page, TWO_STEP_HEADING)

    def second_step(self, page, code):
        self.field(page, 'Code').fill(code)
        page.get_by_role('button', name='Verify').click()

    def test_turn_on_then_log_in_with_a_code_and_a_recovery_code(self):
        page = self.page
        self.add_user('john@example.com', 'john')
        self.log_in(page, 'john@example.com', 'john')
        key, codes = self.turn_on(page)
        self.screenshot(page, 'recovery-codes')
        self.read_email('john@example.com', TWO_STEP_ON_SUBJECT)

        # The codes download as a text file, with no script and within
        # the CSP (a refusal would be a console error: tearDown fails).
        with page.expect_download() as download:
            page.get_by_role('link', name='Download the codes').click()
        self.assertEqual(download.value.suggested_filename,
                         'flasky-recovery-codes.txt')
        with open(download.value.path(), encoding='utf-8') as f:
            self.assertEqual(f.read().split(), codes)
        self.log_out(page)

        # The next step's code: the one that turned it on is used.
        self.first_step(page)
        self.screenshot(page, 'two-step-code')
        self.second_step(page, pyotp.TOTP(key).at(time.time() + 30))
        self.expect_heading(page, hello('john'))
        self.log_out(page)

        self.first_step(page)
        self.second_step(page, codes[0])
        self.expect_flash(page, recovery_code_used(9))
        self.expect_heading(page, hello('john'))

        page.goto('/auth/two-step/recovery-codes')
        self.expect_heading(page, 'Recovery Codes')
        expect(page.locator('main')).to_contain_text(
            recovery_codes_left(9))
        self.log_out(page)

        # Used once, it is gone.
        self.first_step(page)
        self.second_step(page, codes[0])
        self.expect_flash(page, INVALID_CODE)
        self.expect_heading(page, TWO_STEP_HEADING)

    def test_a_wrong_code_keeps_the_visitor_out(self):
        page = self.page
        self.add_user('susan@example.com', 'susan')
        self.log_in(page, 'susan@example.com', 'susan')
        key, codes = self.turn_on(page)
        self.log_out(page)
        self.first_step(page, 'susan@example.com')
        self.second_step(page, pyotp.TOTP(key).at(time.time() + 300))
        self.expect_flash(page, INVALID_CODE)
        page.goto('/secret')
        self.expect_heading(page, LOGIN_HEADING)
