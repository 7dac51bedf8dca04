"""The gate in front of an unconfirmed user (auth.before_request): pages
of the site send them to /auth/unconfirmed, as in the book; a URL of no
page is still a 404, and the language switcher and the auth pages, the
Account page among them, stay open."""
from tests.messages import NOT_FOUND, UNCONFIRMED
from tests.support import FlaskyTestCase


class UnconfirmedGuardTestCase(FlaskyTestCase):

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user(confirmed=False)
        response = self.login()
        self.assertEqual(response.request.path, '/auth/unconfirmed')

    def test_a_url_of_no_page_is_not_found(self):
        for url in ('/no-such-page', '/auth/no-such-page',
                    '/static/no-such-file.css'):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 404)
                self.assertIn(NOT_FOUND, self.page(response))

    def test_a_wrong_method_is_not_redirected(self):
        # The switcher takes POSTs only: no route matches a GET.
        response = self.client.get('/language')
        self.assertEqual(response.status_code, 405)

    def test_pages_of_the_site_still_send_to_unconfirmed(self):
        for url in ('/', '/secret'):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 302)
                self.assertEqual(response.headers['Location'],
                                 '/auth/unconfirmed')

    def test_the_language_switcher_stays_open(self):
        response = self.client.post('/language', data={
            'locale': 'zh_TW', 'next': '/auth/unconfirmed'})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers['Location'], '/auth/unconfirmed')
        self.assertIn('locale=zh_TW', response.headers['Set-Cookie'])
        self.assertEqual(self.get_user(id=self.user_id).locale, 'zh_TW')
        response = self.client.get('/auth/unconfirmed')
        self.assertEqual(response.status_code, 200)
        self.assertIn('<html lang="zh-TW">', self.page(response))

    def test_the_unconfirmed_page_is_shown(self):
        response = self.client.get('/auth/unconfirmed')
        self.assertEqual(response.status_code, 200)
        self.assertIn(UNCONFIRMED, self.page(response))

    def test_the_account_page_is_open(self):
        response = self.client.get('/auth/account')
        self.assertEqual(response.status_code, 200)
        self.assertIn('john@example.com', self.page(response))


class AccountPageTestCase(FlaskyTestCase):

    def test_it_needs_a_login(self):
        response = self.client.get('/auth/account')
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers['Location'],
                         '/auth/login?next=%2Fauth%2Faccount')

    def test_it_shows_the_user(self):
        self.add_user()
        self.login()
        response = self.client.get('/auth/account')
        self.assertEqual(response.status_code, 200)
        self.assertIn('<dd>john</dd>', self.page(response))
