"""One way in for form data (app/forms_only.py, MAX_CONTENT_LENGTH).

The forms take a browser's form bodies only: any other body on a POST is
answered 415 in the site's layout, before any password is checked, any
limit counted or any email sent, and no body of any type or shape gives
a 5xx. A body over 64 KiB is answered 413, before it is read, by a real
server that goes on serving.
"""
import http.client
import json
import socket
from unittest import mock

import sqlalchemy as sa
from werkzeug.security import check_password_hash

from app import db
from app.models import User
from tests.messages import (HELLO_STRANGER, LENGTH_REQUIRED, RESET_SUBJECT,
                            TOO_LARGE, UNSUPPORTED)
from bench.server import Browser
from tests.support import (NAVBAR_BRAND, PASSWORD, FlaskyTestCase,
                           ServerTestCase, csrf_token)

JOHN = 'john@example.com'
LIMIT = 64 * 1024

# (name, Content-Type or None, body): none of them is a browser's form.
JSON_VALUES = [5, True, [1], {}, None, 'x', 1.5, {'a': [None]}]
OTHER_BODIES = [
    ('text/plain', 'text/plain', b'email=john@example.com'),
    ('no type', None, b'email=john@example.com'),
    ('xml', 'application/xml', b'<email>john@example.com</email>'),
    ('octet-stream', 'application/octet-stream', b'\x00\xff' * 8),
    ('+json', 'application/vnd.api+json', b'{"email": 5}'),
    ('json array', 'application/json', b'[1, 2]'),
    ('bad json', 'application/json', b'{"email": '),
    ('empty json', 'application/json', b''),
]


def json_body(token, value):
    """Every field of every form set to `value`, with the CSRF token."""
    return json.dumps(dict(
        csrf_token=token, email=value, password=value, password2=value,
        username=value, old_password=value)).encode()


def multipart_with_files(token):
    """A multipart form whose fields are files, the CSRF token a text
    field."""
    boundary = 'flaskyboundary'
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; '
             f'name="csrf_token"\r\n\r\n{token}\r\n']
    for name in ('email', 'password', 'password2', 'username',
                 'old_password'):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; '
                     f'name="{name}"; filename="{name}.txt"\r\n'
                     'Content-Type: text/plain\r\n\r\n'
                     f'{JOHN if name == "email" else PASSWORD}\r\n')
    parts.append(f'--{boundary}--\r\n')
    return (''.join(parts).encode(),
            f'multipart/form-data; boundary={boundary}')


class FormBodiesTestCase(FlaskyTestCase):
    """The test client, CSRF on, as a visitor who sends other bodies."""
    config = {'PROPAGATE_EXCEPTIONS': False}

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()

    def token(self, url, client=None):
        page = (client or self.client).get(url)
        self.assertEqual(page.status_code, 200, url)
        return csrf_token(self.page(page))

    def assertRefused(self, response, status=415, heading=UNSUPPORTED):
        self.assertEqual(response.status_code, status)
        page = self.page(response)
        self.assertIn(NAVBAR_BRAND, page)
        self.assertIn(f'<h1>{heading}</h1>', page)

    def users(self):
        with self.app.app_context():
            return [tuple(row) for row in db.session.execute(
                sa.select(User.__table__).order_by(User.id))]

    def test_json_login_is_no_way_round_the_account_limit(self):
        for i in range(5):
            response = self.submit('/auth/login', dict(
                email=JOHN, password='wrong'), follow_redirects=False)
            self.assertEqual(response.status_code, 200)
        # The account's limit is reached; the same login as JSON, from
        # another address.
        token = self.token('/auth/login')
        with mock.patch('app.models.check_password_hash',
                        wraps=check_password_hash) as check:
            response = self.client.post(
                '/auth/login', json=dict(
                    email=JOHN, password=PASSWORD, csrf_token=token),
                environ_overrides={'REMOTE_ADDR': '10.0.0.9'})
        self.assertRefused(response)
        check.assert_not_called()
        self.assertIn(HELLO_STRANGER, self.page(self.client.get('/')))

    def test_json_reset_requests_are_refused_and_send_nothing(self):
        # Past the limit of 3 an hour for the address, each from an
        # address of its own.
        for i in range(5):
            token = self.token('/auth/reset')
            response = self.client.post(
                '/auth/reset', json=dict(email=JOHN, csrf_token=token),
                environ_overrides={'REMOTE_ADDR': f'10.0.0.{i}'})
            self.assertRefused(response)
        # A form request still works, and is the only one mailed.
        response = self.submit('/auth/reset', dict(email=JOHN),
                               follow_redirects=False)
        self.assertEqual(response.status_code, 302)
        [msg] = self.mail.wait_for(1)
        self.assertEqual(msg['Subject'], '[Flasky] ' + RESET_SUBJECT)

    def forms(self):
        """(url, client) of every form, the logged-in ones with a client
        logged in as john."""
        logged_in = self.app.test_client()
        response = logged_in.post('/auth/login', data=dict(
            email=JOHN, password=PASSWORD,
            csrf_token=self.token('/auth/login', logged_in)))
        self.assertEqual(response.status_code, 302)
        reset_token = self.token_for(self.user_id, 'generate_reset_token')
        return [('/auth/login', self.client), ('/auth/register', self.client),
                ('/auth/reset', self.client),
                (f'/auth/reset/{reset_token}', self.client),
                ('/auth/change-password', logged_in),
                ('/auth/change_email', logged_in)]

    def test_no_body_of_another_type_or_shape_reaches_a_form(self):
        users = self.users()
        for url, client in self.forms():
            token = self.token(url, client)
            bodies = [(f'json {value!r}', 'application/json',
                       json_body(token, value)) for value in JSON_VALUES]
            files, files_type = multipart_with_files(token)
            bodies += OTHER_BODIES + [('files', files_type, files)]
            for name, content_type, body in bodies:
                with self.subTest(url=url, body=name), \
                        self.assertNoLogs(self.app.logger, 'ERROR'), \
                        mock.patch('app.models.check_password_hash') as check:
                    headers = {'Content-Type': content_type} \
                        if content_type else {}
                    response = client.post(url, data=body, headers=headers)
                    self.assertRefused(response)
                    check.assert_not_called()
        self.assertEqual(self.users(), users)
        self.assertEqual(self.mail.messages, [])

    def test_empty_post_without_a_type_reaches_the_form(self):
        # No body at all is no other body: the form says what is missing.
        response = self.client.post('/auth/login')
        self.assertEqual(response.status_code, 200)
        self.assertIn('name="email"', self.page(response))

    def test_body_over_64_kib_is_413_in_the_site_layout(self):
        token = self.token('/auth/login')
        padding = 'x' * LIMIT
        fields = f'csrf_token={token}&email={JOHN}&password={PASSWORD}'
        files, files_type = multipart_with_files(token)
        for content_type, body in [
                ('application/x-www-form-urlencoded',
                 f'{fields}&pad={padding}'.encode()),
                (files_type, files + padding.encode())]:
            with self.subTest(content_type=content_type), \
                    mock.patch('app.models.check_password_hash') as check:
                response = self.client.post(
                    '/auth/login', data=body,
                    headers={'Content-Type': content_type})
                self.assertRefused(response, 413, TOO_LARGE)
                check.assert_not_called()

    def test_form_just_under_the_limit_is_read(self):
        # The control: the limit is on the body, not on forms as such.
        token = self.token('/auth/login')
        body = f'csrf_token={token}&email={JOHN}&password={PASSWORD}&pad='
        body += 'x' * (LIMIT - len(body))
        response = self.client.post(
            '/auth/login', data=body.encode(),
            headers={'Content-Type': 'application/x-www-form-urlencoded'})
        self.assertEqual(response.status_code, 302)


def post_in_part(port, path, content_type, sent, declared=None):
    """POST to the server on `port` a body of `declared` bytes (chunked
    if None), of which only `sent` bytes are sent; (status, page) of the
    answer, which must come before the rest of the body."""
    sock = socket.create_connection(('127.0.0.1', port), timeout=20)
    with sock:
        length = 'Transfer-Encoding: chunked' if declared is None else \
            f'Content-Length: {declared}'
        sock.sendall(f'POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n'
                     f'Content-Type: {content_type}\r\n{length}\r\n'
                     'User-Agent: Flasky-test\r\n\r\n'.encode())
        piece = b'a' * 16384
        try:
            for _ in range(sent // len(piece)):
                sock.sendall(piece if declared is not None else
                             b'%x\r\n%s\r\n' % (len(piece), piece))
        except (BrokenPipeError, ConnectionResetError):
            pass    # the server answered, and hung up, before the end
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read().decode('utf-8', 'replace')


class LargeBodyServerTestCase(ServerTestCase):
    """gunicorn with one worker: the request after a large body is served
    by the worker that was sent it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.start_server(workers=1)

    def assertStillServing(self):
        response = Browser(self.server.port).get('/auth/login')
        self.assertEqual(response.status, 200)

    def test_100_mb_post_is_refused_before_it_is_read(self):
        for content_type in ('application/x-www-form-urlencoded',
                             'multipart/form-data; boundary=x'):
            with self.subTest(content_type=content_type):
                status, page = post_in_part(
                    self.server.port, '/auth/login', content_type,
                    sent=256 * 1024, declared=100 * 2 ** 20)
                self.assertEqual(status, 413)
                self.assertIn(NAVBAR_BRAND, page)
                self.assertIn(f'<h1>{TOO_LARGE}</h1>', page)
                self.assertStillServing()

    def test_100_mb_json_post_is_refused_before_it_is_read(self):
        status, page = post_in_part(
            self.server.port, '/auth/login', 'application/json',
            sent=256 * 1024, declared=100 * 2 ** 20)
        self.assertEqual(status, 415)
        self.assertIn(f'<h1>{UNSUPPORTED}</h1>', page)
        self.assertStillServing()

    def test_post_of_unknown_length_is_refused(self):
        # Chunked, never ending: Werkzeug would read up to the limit and
        # parse that much as the form.
        status, page = post_in_part(
            self.server.port, '/auth/reset',
            'application/x-www-form-urlencoded', sent=256 * 1024)
        self.assertEqual(status, 411)
        self.assertIn(NAVBAR_BRAND, page)
        self.assertIn(f'<h1>{LENGTH_REQUIRED}</h1>', page)
        self.assertStillServing()
