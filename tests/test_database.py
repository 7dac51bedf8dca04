"""What the database enforces, and what the forms keep away from it.

These run on the database TEST_DATABASE_URL names, SQLite in memory by
default; CI runs the suite on PostgreSQL too. PostgreSQL is the stricter
of the two: it refuses a string longer than its column and any NUL
character, so the forms must refuse such input first, with a message.
"""
import unittest

import sqlalchemy as sa

from app import db
from app.models import User, canonical_email
from tests.messages import (BAD_EMAIL, BAD_USERNAME, PASSWORDS_DIFFER,
                            TOO_LONG_LOWER_CASED)
from tests.support import (PASSWORD, FlaskyTestCase, ModelTestCase,
                           field_errors)

# A capital I with a dot: lower-cased, it becomes two characters.
DOTTED_I = '\u0130'


def dotted_email(count):
    """An address whose domain holds `count` dotted capital I's (in labels
    of nine), so lower-casing makes it `count` characters longer. (Only
    the domain may be non-ASCII: the forms want a plain-SMTP local part.)
    """
    labels = [DOTTED_I * 9] * (count // 9)
    if count % 9:
        labels.append(DOTTED_I * (count % 9))
    return 'abcde@' + '.'.join(labels) + '.com'


class ColumnsTestCase(ModelTestCase):

    def test_username_is_unique_whatever_its_case(self):
        db.session.add(User(username='john'))
        db.session.commit()
        for username in ('JOHN', 'John', 'jOhN'):
            with self.subTest(username=username):
                db.session.add(User(username=username))
                with self.assertRaises(sa.exc.IntegrityError):
                    db.session.commit()
                db.session.rollback()
        # The control: another name is taken in.
        db.session.add(User(username='johnny'))
        db.session.commit()
        self.assertEqual(db.session.scalar(
            sa.select(sa.func.count(User.id))), 2)

    def test_production_hash_fits_the_column(self):
        self.app.config['FLASKY_PASSWORD_HASH_METHOD'] = 'scrypt'
        user = User(email='john@example.com', password=PASSWORD)
        db.session.add(user)
        db.session.commit()
        written = user.password_hash
        self.assertTrue(written.startswith('scrypt:'), written)
        db.session.expire_all()
        user = db.session.get(User, user.id)
        self.assertEqual(user.password_hash, written)
        self.assertTrue(user.verify_password(PASSWORD))


class FormInputTestCase(FlaskyTestCase):
    """Input the database would refuse is refused by the form instead."""

    def assertRefused(self, response, url, errors):
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.request.path, url)
        self.assertEqual(field_errors(self.page(response)), errors)
        self.assertEqual(self.mail.messages, [])

    def test_nul_characters_are_field_errors(self):
        cases = [
            ('/auth/register', dict(
                email='john\x00@example.com', username='john',
                password=PASSWORD, password2=PASSWORD), BAD_EMAIL),
            ('/auth/register', dict(
                email='john@example.com', username='jo\x00hn',
                password=PASSWORD, password2=PASSWORD), BAD_USERNAME),
            ('/auth/login', dict(
                email='john\x00@example.com', password=PASSWORD), BAD_EMAIL),
            ('/auth/reset', dict(email='john\x00@example.com'), BAD_EMAIL),
        ]
        for url, data, error in cases:
            with self.subTest(url=url, data=data):
                self.assertRefused(self.submit(url, data), url, [error])
                self.assertEqual(self.user_count(), 0)

    def test_non_ascii_local_part_is_refused(self):
        # Plain SMTP cannot deliver to it, so no confirmation could arrive.
        response = self.register(email='j\u00f6hn@example.com')
        self.assertRefused(response, '/auth/register', [BAD_EMAIL])
        self.assertEqual(self.user_count(), 0)

    def test_nul_character_in_new_email_is_a_field_error(self):
        user_id = self.add_user()
        self.login()
        url = '/auth/change_email'
        response = self.submit(url, dict(email='new\x00@example.com',
                                         password=PASSWORD))
        self.assertRefused(response, url, [BAD_EMAIL])
        self.assertEqual(self.get_user(id=user_id).email, 'john@example.com')

    def test_email_too_long_in_lower_case_is_a_field_error(self):
        email = dotted_email(27)
        self.assertLessEqual(len(email), 64)
        self.assertGreater(len(email.lower()), 64)
        url = '/auth/register'
        response = self.register(email=email)
        self.assertRefused(response, url, [TOO_LONG_LOWER_CASED])
        self.assertEqual(self.user_count(), 0)

    def test_email_that_fits_in_lower_case_is_no_error(self):
        # The control for the test above: 64 characters as stored,
        # lower-cased and with the domain in xn-- form. The passwords
        # differ, so no account is made.
        email = 'J' * 42 + '@B\u00fccher.example'
        self.assertEqual(len(canonical_email(email)), 64)
        response = self.register(email=email, password2=PASSWORD + '!')
        self.assertRefused(response, '/auth/register', [PASSWORDS_DIFFER])

    def test_new_email_too_long_in_lower_case_is_a_field_error(self):
        user_id = self.add_user()
        self.login()
        url = '/auth/change_email'
        response = self.submit(url, dict(email=dotted_email(27),
                                         password=PASSWORD))
        self.assertRefused(response, url, [TOO_LONG_LOWER_CASED])
        self.assertEqual(self.get_user(id=user_id).email, 'john@example.com')


if __name__ == '__main__':
    unittest.main()
