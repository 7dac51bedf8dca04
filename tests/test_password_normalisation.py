"""Passwords are compared as people type them: NFKC-normalised before
hashing and before checking (NIST SP 800-63B), whatever the keyboard or
the operating system sends."""
import unicodedata
import unittest

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from app import db
from app.models import User

from tests.messages import PASSWORD_UPDATED, hello
from tests.support import FlaskyTestCase, flashes

# The same password, as two keyboards may send it.
NFC = unicodedata.normalize('NFC', 'crème brûlée horse staple')
NFD = unicodedata.normalize('NFD', NFC)
NEW_NFC = unicodedata.normalize('NFC', 'piñata jalapeño lantern 42')
NEW_NFD = unicodedata.normalize('NFD', NEW_NFC)


class PasswordNormalisationTestCase(FlaskyTestCase):

    def assertLogsIn(self, password, email='john@example.com'):
        response = self.login(email=email, password=password)
        self.assertIn(hello('john'), self.page(response))
        self.logout()

    def test_the_two_forms_differ(self):
        self.assertNotEqual(NFC, NFD)
        self.assertNotEqual(NEW_NFC, NEW_NFD)

    def test_registered_as_nfc_logs_in_as_nfd(self):
        self.register(password=NFC)
        self.update_confirmed()
        self.assertLogsIn(NFD)
        self.assertLogsIn(NFC)

    def test_registered_as_nfd_logs_in_as_nfc(self):
        self.register(password=NFD)
        self.update_confirmed()
        self.assertLogsIn(NFC)

    def test_changed_and_reset_passwords_are_normalised(self):
        user_id = self.add_user(password=NFC)
        self.login(password=NFD)
        response = self.submit('/auth/change-password', dict(
            old_password=NFD, password=NEW_NFD, password2=NEW_NFD))
        self.assertEqual(flashes(self.page(response)), [PASSWORD_UPDATED])
        self.logout()
        self.assertLogsIn(NEW_NFC)
        token = self.token_for(user_id, 'generate_reset_token')
        self.submit(f'/auth/reset/{token}',
                    dict(password=NFD, password2=NFD))
        self.assertLogsIn(NFC)

    def test_a_hash_of_the_text_as_typed_logs_in_once_then_is_remade(self):
        # Made before passwords were normalised, from what was typed.
        user_id = self.add_user()
        legacy = generate_password_hash(
            NFD, self.app.config['FLASKY_PASSWORD_HASH_METHOD'])
        self.set_password_hash(user_id, legacy)
        self.assertLogsIn(NFD)
        remade = self.get_user(id=user_id).password_hash
        self.assertNotEqual(remade, legacy)
        self.assertTrue(check_password_hash(remade, NFC))
        self.assertLogsIn(NFC)

    def update_confirmed(self):
        with self.app.app_context():
            db.session.execute(sa.update(User).values(confirmed=True))
            db.session.commit()

    def set_password_hash(self, user_id, password_hash):
        with self.app.app_context():
            db.session.get(User, user_id).password_hash = password_hash
            db.session.commit()


if __name__ == '__main__':
    unittest.main()
