"""Behind reverse proxies (FLASKY_PROXIES): the visitor's address that the
limits count comes from X-Forwarded-For, and only when proxies are set."""
from flask import request

from tests.support import FlaskyTestCase


class ProxyTestCase(FlaskyTestCase):
    csrf = False
    config = dict(FLASKY_LIMIT_LOGIN_PER_IP='2 per minute')

    def fail_login(self, n, forwarded_for):
        """POST a wrong password for a new account each time."""
        return self.client.post('/auth/login', data=dict(
            email=f'nobody{n}@example.com', password='wrong'),
            headers={'X-Forwarded-For': forwarded_for})

    def codes(self, *addresses):
        return [self.fail_login(n, address).status_code
                for n, address in enumerate(addresses)]


class BehindOneProxyTestCase(ProxyTestCase):
    config = dict(ProxyTestCase.config, FLASKY_PROXIES=1)

    def test_each_visitor_address_is_counted_apart(self):
        self.assertEqual(
            self.codes('203.0.113.1', '203.0.113.1', '203.0.113.1',
                       '203.0.113.2', '203.0.113.2', '203.0.113.2'),
            [200, 200, 429, 200, 200, 429])

    def test_only_the_address_the_proxy_saw_counts(self):
        # A visitor's own X-Forwarded-For comes first; the proxy appends
        # the address it saw.
        self.assertEqual(
            self.codes('10.0.0.1, 203.0.113.1', '10.0.0.2, 203.0.113.1',
                       '10.0.0.3, 203.0.113.1'),
            [200, 200, 429])

    def test_forwarded_scheme_is_the_request_scheme(self):
        seen = []
        self.app.before_request(lambda: seen.append(request.scheme))
        self.client.get('/', headers={'X-Forwarded-Proto': 'https'})
        self.client.get('/')
        self.assertEqual(seen, ['https', 'http'])


class NoProxyTestCase(ProxyTestCase):

    def test_forwarded_for_is_ignored(self):
        self.assertEqual(
            self.codes('203.0.113.1', '203.0.113.2', '203.0.113.3'),
            [200, 200, 429])
