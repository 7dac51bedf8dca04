"""Which language a page is in: the switcher (a cookie, and the account's
choice), else the browser's Accept-Language, else English."""
import re

from app.auth import password_advice
from tests.support import HAN, FlaskyTestCase, translated

ZH = {'Accept-Language': 'zh-TW,zh;q=0.9,en;q=0.5'}


def html_lang(page):
    return re.search(r'<html lang="([^"]+)"', page).group(1)


class LanguageTestCase(FlaskyTestCase):

    def lang(self, url='/', **kwargs):
        response = self.client.get(url, **kwargs)
        self.assertEqual(response.status_code, 200)
        return html_lang(self.page(response))

    def switch(self, locale, next='/'):
        return self.client.post('/language', data={
            'locale': locale, 'next': next})

    def test_english_when_nothing_matches(self):
        self.assertEqual(self.lang(), 'en')
        self.assertEqual(self.lang(headers={'Accept-Language': 'fr, de'}),
                         'en')

    def test_accept_language_decides(self):
        for header in ('zh-TW', 'zh-tw', 'zh-Hant-TW', 'zh-HK', 'zh',
                       'fr;q=0.9, zh-TW;q=0.8',
                       'en;q=0.1, zh-TW;q=0.9'):
            with self.subTest(header=header):
                self.assertEqual(
                    self.lang(headers={'Accept-Language': header}), 'zh-TW')
        self.assertEqual(
            self.lang(headers={'Accept-Language': 'en-GB, zh-TW;q=0.5'}),
            'en')

    def test_pages_vary_on_accept_language(self):
        response = self.client.get('/', headers=ZH)
        self.assertIn('Accept-Language', response.vary)

    def test_switcher_offers_the_other_language(self):
        page = self.page(self.client.get('/auth/login'))
        self.assertIn('name="locale" value="zh_TW"', page)
        self.assertIn('name="next" value="/auth/login?"', page)
        self.assertIn('lang="zh-TW">繁體中文</button>', page)
        page = self.page(self.client.get('/auth/login', headers=ZH))
        self.assertIn('name="locale" value="en"', page)
        self.assertNotIn('name="locale" value="zh_TW"', page)

    def test_switcher_sets_a_cookie_that_overrides_the_browser(self):
        response = self.switch('zh_TW', next='/auth/login')
        self.assertEqual(response.status_code, 302)
        self.assertEqual(response.headers['Location'], '/auth/login')
        cookie = response.headers['Set-Cookie']
        self.assertIn('locale=zh_TW', cookie)
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertEqual(self.lang(), 'zh-TW')
        self.switch('en')
        self.assertEqual(self.lang(headers=ZH), 'en')

    def test_switcher_refuses_unknown_languages_and_unsafe_next(self):
        for locale in ('fr', '', 'zh_TW\n', '../en'):
            with self.subTest(locale=locale):
                response = self.switch(locale)
                self.assertEqual(response.status_code, 302)
                self.assertNotIn('Set-Cookie', response.headers)
        response = self.switch('zh_TW', next='//evil.example/')
        self.assertEqual(response.headers['Location'], '/')
        self.assertEqual(self.client.post('/language').status_code, 302)

    def test_a_logged_in_users_choice_is_kept_on_the_account(self):
        user_id = self.add_user()
        self.login()
        self.switch('zh_TW')
        self.assertEqual(self.get_user(id=user_id).locale, 'zh_TW')
        # A new browser with no cookie, asking for English: the account's
        # choice wins once logged in.
        self.client = self.app.test_client()
        english = {'Accept-Language': 'en'}
        self.assertEqual(self.lang('/auth/login', headers=english), 'en')
        self.login()
        self.assertEqual(self.lang(headers=english), 'zh-TW')

    def test_an_anonymous_choice_touches_no_account(self):
        user_id = self.add_user()
        self.switch('zh_TW')
        self.assertIsNone(self.get_user(id=user_id).locale)


class ChineseMessagesTestCase(FlaskyTestCase):
    """The texts the journeys do not meet, in the catalogue's Chinese."""

    def setUp(self):
        super().setUp()
        self.client.environ_base['HTTP_ACCEPT_LANGUAGE'] = 'zh-TW'

    def zh(self, text):
        chinese = translated(self.app, text)
        self.assertRegex(chinese, HAN, f'{text!r} is not translated')
        return chinese

    def test_login_required(self):
        page = self.page(self.client.get('/secret', follow_redirects=True))
        self.assertIn(self.zh('Please log in to access this page.'), page)

    def test_password_advice(self):
        page = self.page(self.register(password='password1'))
        self.assertIn(self.zh('This password is too easy to guess.'), page)
        shown = [advice for advice in password_advice.ADVICE
                 if self.zh(advice) in page]
        self.assertTrue(shown, 'no advice in Chinese')
        for advice in password_advice.ADVICE:
            self.assertNotIn(advice, page)

    def test_wtforms_own_messages(self):
        page = self.page(self.submit('/auth/login', {}))
        self.assertIn('此欄位', page)
        self.assertNotIn('This field is required.', page)
