"""Every emailed link is bound to the state it was made for, and used once
(docs/security.md). Each test follows the link from the mail sink after
the sequence of changes that used to bring it back to life.
"""
from urllib.parse import urlsplit

from tests.messages import (CONFIRM_BAD, CONFIRM_SUBJECT,
                            EMAIL_CHANGE_SENT, EMAIL_CHANGE_SUBJECT,
                            EMAIL_UPDATED, INVALID_REQUEST,
                            PASSWORD_UPDATED, RESET_BAD, RESET_SENT,
                            RESET_SUBJECT, SUBJECT_PREFIX, logged_in_as)
from tests.support import (NEW_PASSWORD, PASSWORD, THIRD_PASSWORD,
                           FlaskyTestCase, csrf_token, flashes, link_in)

A = 'john@example.com'
B = 'john@example.org'


class LinkBindingTestCase(FlaskyTestCase):
    config = {'RATELIMIT_ENABLED': False}

    def mailed_link(self, subject):
        """The path of the link in the latest email with `subject`."""
        messages = [m for m in self.mail.wait_for(1)
                    if m['Subject'] == SUBJECT_PREFIX + subject]
        self.assertTrue(messages, f'no email {subject!r}')
        return urlsplit(link_in(messages[-1])).path

    def follow(self, path):
        """Open a link; the flashes of the page it ends on."""
        return flashes(self.page(
            self.client.get(path, follow_redirects=True)))

    def request_reset(self, email=A):
        response = self.submit('/auth/reset', dict(email=email))
        self.assertFlashed(response, RESET_SENT)
        return self.mailed_link(RESET_SUBJECT)

    def reset(self, path, password=THIRD_PASSWORD):
        """Open a reset link and, if it shows the form, post `password`;
        the flashes. A link refused when opened is posted to all the
        same, as an attacker need not open it first."""
        response = self.client.get(path, follow_redirects=True)
        if response.request.path == path:
            response = self.submit(path, dict(password=password,
                                              password2=password))
            return flashes(self.page(response))
        refused = flashes(self.page(response))
        response = self.client.post(path, follow_redirects=True, data=dict(
            password=password, password2=password,
            csrf_token=csrf_token(self.page(response))))
        self.assertEqual(flashes(self.page(response)), refused)
        return refused

    def change_email(self, new, password=PASSWORD, follow=True):
        """Ask for the logged-in user's address to become `new`, and open
        the emailed link (if `follow`); the link's path."""
        response = self.submit('/auth/change_email',
                               dict(email=new, password=password))
        self.assertFlashed(response, EMAIL_CHANGE_SENT)
        link = self.mailed_link(EMAIL_CHANGE_SUBJECT)
        if follow:
            self.assertEqual(self.follow(link), [EMAIL_UPDATED])
        return link

    def change_password(self, old=PASSWORD, new=NEW_PASSWORD):
        response = self.submit('/auth/change-password', dict(
            old_password=old, password=new, password2=new))
        self.assertFlashed(response, PASSWORD_UPDATED)

    def assertCanLogIn(self, email, password):
        client, self.client = self.client, self.app.test_client()
        try:
            self.login(email=email, password=password)
            self.assertIn(logged_in_as('john'),
                          self.page(self.client.get('/secret')))
        finally:
            self.client = client


class ResetLinkTestCase(LinkBindingTestCase):
    """A reset link dies when the email changes: whoever holds the old
    mailbox, often the reason for the change, must not take the account.
    """

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user(email=A)
        self.link = self.request_reset(A)
        self.login(email=A)

    def test_reset_link_dies_when_the_email_changes(self):
        self.change_email(B)
        self.logout()
        self.assertEqual(self.reset(self.link), [RESET_BAD])
        self.assertCanLogIn(B, PASSWORD)

    def test_reset_link_stays_dead_when_the_email_changes_back(self):
        self.change_email(B)
        self.change_email(A)
        self.logout()
        self.assertEqual(self.reset(self.link), [RESET_BAD])
        self.assertCanLogIn(A, PASSWORD)


class ConfirmationLinkTestCase(LinkBindingTestCase):

    def test_confirmation_link_stays_dead_when_the_email_changes_back(self):
        self.register(email=A)
        link = self.mailed_link(CONFIRM_SUBJECT)
        self.login(email=A)
        self.change_email(B)
        self.change_email(A)
        self.assertEqual(self.follow(link), [CONFIRM_BAD])
        self.assertFalse(self.get_user(email=A).confirmed)


class EmailChangeLinkTestCase(LinkBindingTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user(email=A)
        self.login(email=A)

    def test_email_change_link_is_used_once_even_after_changing_back(self):
        link = self.change_email(B)
        self.change_email(A)
        self.assertEqual(self.follow(link), [INVALID_REQUEST])
        self.assertEqual(self.get_user(id=self.user_id).email, A)

    def test_email_change_link_dies_when_the_password_changes(self):
        link = self.change_email(B, follow=False)
        self.change_password(PASSWORD, NEW_PASSWORD)
        self.assertEqual(self.follow(link), [INVALID_REQUEST])
        self.assertEqual(self.get_user(id=self.user_id).email, A)

    def test_email_change_link_dies_when_the_password_is_reset(self):
        link = self.change_email(B, follow=False)
        self.logout()
        self.assertEqual(self.reset(self.request_reset(A), NEW_PASSWORD),
                         [PASSWORD_UPDATED])
        self.login(email=A, password=NEW_PASSWORD)
        self.assertEqual(self.follow(link), [INVALID_REQUEST])
        self.assertEqual(self.get_user(id=self.user_id).email, A)
