"""The notice of an email change carries "This was not me: undo it": the
owner of the old address takes the account back without logging in."""
import unittest

import sqlalchemy as sa

from app import db
from app.models import User
from app.passkeys.models import Passkey
from app.two_step.models import RecoveryCode, TwoStep
from tests.messages import (EMAIL_CHANGE_SUBJECT, EMAIL_CHANGE_UNDONE,
                            EMAIL_CHANGE_UNDONE_SUBJECT,
                            EMAIL_CHANGED_SUBJECT, EMAIL_RESTORED_SUBJECT,
                            EMAIL_UPDATED, INVALID_LOGIN, PASSWORD_UPDATED,
                            SUBJECT_PREFIX, UNDO_BAD, hello)
from tests.support import (NEW_PASSWORD, PASSWORD, FlaskyTestCase,
                           clock_shifted, flashes, link_in)

OWNER = 'john@example.com'
THIEF = 'thief@example.net'


class UndoEmailChangeTestCase(FlaskyTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user(email=OWNER)
        # The thief, who knows the password, logs in and moves the account.
        self.thief = self.client
        self.login()
        self.undo_link = self.move_to(THIEF)

    def email(self, to, subject):
        for msg in self.mail.messages:
            if msg['To'] == to and msg['Subject'] == SUBJECT_PREFIX + subject:
                return msg
        self.fail(f'no email {subject!r} to {to}')

    def move_to(self, new_email, password=PASSWORD):
        """Change the address as the logged-in browser; the undo link the
        notice sends to the address before."""
        self.mail.clear()
        self.submit('/auth/change_email',
                    dict(email=new_email, password=password))
        confirm = link_in(self.email(new_email, EMAIL_CHANGE_SUBJECT))
        response = self.client.get(confirm, follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [EMAIL_UPDATED])
        [notice] = [m for m in self.mail.wait_for(2)
                    if m['Subject'] == SUBJECT_PREFIX + EMAIL_CHANGED_SUBJECT]
        self.assertIn('This was not me: undo it', notice.get_body(
            ('html',)).get_content())
        return link_in(notice)

    def undo(self, link=None):
        """The owner, in a browser of their own, follows the link and
        presses the button."""
        self.client = self.app.test_client()
        self.mail.clear()
        return self.submit(link or self.undo_link, {})

    def test_undo_takes_the_account_back(self):
        response = self.undo()
        self.assertEqual(flashes(self.page(response)), [EMAIL_CHANGE_UNDONE])
        user = self.get_user(id=self.user_id)
        self.assertEqual(user.email, OWNER)
        self.assertIsNone(user.password_hash)
        # The thief's browser is logged out, and neither address logs in
        # with the password until the owner sets a new one.
        self.assertEqual(self.thief.get('/secret').status_code, 302)
        for email in (THIEF, OWNER):
            with self.subTest(email=email):
                self.assertEqual(flashes(self.page(self.login(email=email))),
                                 [INVALID_LOGIN])
        # Both addresses are told; the owner's email holds a reset link.
        told = self.email(THIEF, EMAIL_CHANGE_UNDONE_SUBJECT)
        self.assertIn(OWNER, told.get_body(('plain',)).get_content())
        reset = link_in(self.email(OWNER, EMAIL_RESTORED_SUBJECT))
        self.assertIn('/auth/reset/', reset)
        response = self.submit(reset, dict(password=NEW_PASSWORD,
                                           password2=NEW_PASSWORD))
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        response = self.login(email=OWNER, password=NEW_PASSWORD)
        self.assertIn(hello('john'), self.page(response))

    def test_a_way_in_the_thief_added_goes_too(self):
        # The thief turned two-step sign-in on with their own app and
        # added their own passkey: the owner would be locked out.
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            row = TwoStep.begin(user)
            row.enabled_at = user.member_since
            RecoveryCode.new_set(user)
            db.session.add(Passkey(user_id=user.id, credential_id=b'thief',
                                   public_key=b'key', name='thief'))
            db.session.commit()
        self.undo()
        with self.app.app_context():
            user = db.session.get(User, self.user_id)
            self.assertFalse(TwoStep.enabled_for(user))
            self.assertEqual(RecoveryCode.count(user), 0)
            self.assertIsNone(db.session.scalar(sa.select(Passkey)))

    def test_opening_the_link_changes_nothing(self):
        self.client = self.app.test_client()
        response = self.client.get(self.undo_link)
        self.assertEqual(response.status_code, 200)
        self.assertIn(OWNER, self.page(response))
        self.assertEqual(self.get_user(id=self.user_id).email, THIEF)
        response = self.client.post(self.undo_link)
        self.assertEqual(self.get_user(id=self.user_id).email, THIEF)

    def test_the_link_works_once(self):
        self.undo()
        response = self.client.get(self.undo_link, follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [UNDO_BAD])

    def test_a_later_change_does_not_kill_the_link(self):
        self.move_to('elsewhere@example.org')
        response = self.undo()
        self.assertEqual(flashes(self.page(response)), [EMAIL_CHANGE_UNDONE])
        self.assertEqual(self.get_user(id=self.user_id).email, OWNER)

    def test_the_link_lasts_seven_days(self):
        with clock_shifted(7 * 24 * 3600 - 60):
            self.client = self.app.test_client()
            self.assertEqual(self.client.get(self.undo_link).status_code,
                             200)
        with clock_shifted(7 * 24 * 3600 + 60):
            self.client = self.app.test_client()
            response = self.client.get(self.undo_link,
                                       follow_redirects=True)
            self.assertEqual(flashes(self.page(response)), [UNDO_BAD])
        self.assertEqual(self.get_user(id=self.user_id).email, THIEF)

    def test_a_tampered_link_is_refused(self):
        self.client = self.app.test_client()
        response = self.client.get(self.undo_link[:-3] + 'abc',
                                   follow_redirects=True)
        self.assertEqual(flashes(self.page(response)), [UNDO_BAD])


if __name__ == '__main__':
    unittest.main()
