"""Every form, fuzzed with Hypothesis through the test client, CSRF on.

Each example posts one submission: any Unicode, control characters, NUL
bytes, values of about 10 000 characters, bytes that are not UTF-8,
missing, repeated and unknown fields, a missing or wrong CSRF token, and
bodies of other kinds: JSON with values of any JSON type, other content
types, file parts, no content type. Often the values are the right ones,
so that the way to success is explored as well as the ways to failure.

The property, for every form and example:
- the answer is never a 5xx and nothing is logged at ERROR or above;
- a body that is not a form of text fields is answered 415, one over
  64 KiB 413 (app/forms_only.py), and only those are;
- the database changes only when the form succeeded (it redirects where
  it does on success), and then exactly as the submitted values say;
- a success needs a valid submission (the right CSRF token, the current
  password, matching new passwords of an allowed length, ...);
- an email goes out only on success.

`python manage.py test` runs a quick, repeatable profile
(FUZZ_QUICK_EXAMPLES per form); `make fuzz` sets FLASKY_FUZZ_EXAMPLES
(1 000) and a random seed, and prints the number of examples tried.
"""
import functools
import json
import logging
import os
import re
import secrets
import unittest
from urllib.parse import quote, quote_from_bytes, urlencode, urlsplit

import sqlalchemy as sa
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from flask import request
from werkzeug.security import check_password_hash

from app import db
from app.models import (User, canonical_email, normalise_password,
                        password_forms)
from tests.messages import BAD_EMAIL, BAD_USERNAME, TOO_LONG_LOWER_CASED
from tests.support import (NEW_PASSWORD, PASSWORD, FlaskyTestCase, csrf_token,
                           field_errors)

FUZZ_QUICK_EXAMPLES = 12
EXAMPLES = int(os.environ.get('FLASKY_FUZZ_EXAMPLES') or
               FUZZ_QUICK_EXAMPLES)
FUZZING = bool(os.environ.get('FLASKY_FUZZ_EXAMPLES'))
JOHN = 'john@example.com'



def fuzz(form):
    """Run the examples of a @given test for `form`; under `make fuzz`,
    fail unless at least FLASKY_FUZZ_EXAMPLES of them were tried."""
    def decorate(test):
        @functools.wraps(test)
        def run(self):
            before = FuzzFormsTestCase.tried.get(form, 0)
            test(self)
            tried = FuzzFormsTestCase.tried.get(form, 0) - before
            if FUZZING:
                self.assertGreaterEqual(tried, EXAMPLES, form)
        return run
    return decorate


fuzz_settings = settings(
    max_examples=EXAMPLES,
    # The quick profile is the same on every run; `make fuzz` explores.
    derandomize=not FUZZING,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow,
                           HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)

# -- values --------------------------------------------------------------

LONG = 10_000
INVALID_UTF8 = [b'\xff', b'\xfe\xff', b'\xc3\x28', b'\xed\xa0\x80',
                b'\xf4\x90\x80\x80', b'\x80', b'\xc0\xaf']

long_texts = st.tuples(st.text(min_size=1, max_size=6),
                       st.integers(LONG - 10, LONG + 10)).map(
    lambda t: (t[0] * t[1])[:t[1]])                 # ~10 000 characters

hostile_values = st.one_of(
    st.text(),                                      # any Unicode
    st.text(st.characters(categories=['Cc', 'Cf', 'Cs', 'Co', 'Zl', 'Zp',
                                      'Zs'])),     # control, format, ...
    st.text(max_size=8).map(lambda s: s + '\x00' + s),      # NUL
    long_texts,
    st.binary(),                                    # any bytes
    st.sampled_from(INVALID_UTF8),                  # never UTF-8
)


def field(valid):
    """The values posted for a field whose right value `valid` draws:
    the right one, or a list that may be empty (missing), hold hostile
    values, repeat the field, or put a hostile suffix on the right one.
    """
    return st.one_of(
        valid.map(lambda v: [v]),
        st.lists(st.one_of(valid, hostile_values), max_size=3),
        st.tuples(valid, st.text(max_size=20)).map(lambda t: [t[0] + t[1]]),
    )


emails = st.from_regex(r'[a-z][a-z0-9]{3,11}', fullmatch=True).map(
    lambda local: local + '@example.com')
usernames = st.from_regex(r'[A-Za-z][A-Za-z0-9_.]{2,12}', fullmatch=True)
passwords = st.sampled_from([PASSWORD, NEW_PASSWORD])
any_email = st.one_of(st.just(JOHN), st.just(' John@Example.COM '), emails)

CSRF_CHOICES = ['valid', 'valid', 'valid', 'missing', 'garbage', 'twice']
ENCODINGS = ['urlencoded', 'urlencoded', 'urlencoded', 'multipart',
             'multipart-files', 'json-values', 'json-document', 'other-type',
             'multipart-without-boundary', 'json', 'text/plain', 'none']
# The bodies the forms read; the site refuses the others (415).
FORM_ENCODINGS = ('urlencoded', 'multipart')
OTHER_TYPES = ['application/xml', 'text/html', 'application/octet-stream',
               'application/x-www-form-urlencoded-x', 'text/csv',
               'multipart/mixed; boundary=x', 'application/vnd.api+json',
               'application/csp-report', 'form-data', '*/*']
# Values of every JSON type, nested.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() |
    st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) |
    st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6)
MAX_BODY = 64 * 1024    # MAX_CONTENT_LENGTH


@st.composite
def submissions(draw, **fields):
    """{'fields': {name: [values]}, 'csrf': ..., 'encoding': ...}"""
    posted = {name: draw(field(valid)) for name, valid in fields.items()}
    extra = draw(st.dictionaries(
        st.sampled_from(['submit', 'remember_me', 'next', 'id',
                         'email[]', '']),
        st.lists(hostile_values, min_size=1, max_size=2), max_size=2))
    for name, values in extra.items():
        posted.setdefault(name, values)
    submission = {'fields': posted,
                  'csrf': draw(st.sampled_from(CSRF_CHOICES)),
                  'encoding': draw(st.sampled_from(ENCODINGS))}
    if submission['encoding'] == 'json-values':
        submission['json'] = draw(st.fixed_dictionaries(
            {name: json_values for name in fields}))
    elif submission['encoding'] == 'json-document':
        submission['json'] = draw(json_values)
    elif submission['encoding'] == 'other-type':
        submission['type'] = draw(st.sampled_from(OTHER_TYPES))
    return submission


def as_bytes(value):
    if isinstance(value, bytes):
        return value
    return value.encode('utf-8', 'surrogatepass')


def effective(submission, name):
    """What the form read for field `name` (the first value, as Werkzeug
    decoded it), or None; FuzzFormsTestCase.post records it."""
    return submission['seen'].get(name)


def recipients(mail):
    """The To: of each email: the address as stored (canonical_email)."""
    return [str(msg['To']) for msg in mail]


def csrf_ok(submission):
    return submission['csrf'] in ('valid', 'twice') and \
        submission['encoding'] in FORM_ENCODINGS


def new_password_ok(submission):
    password = effective(submission, 'password')
    return password is not None and \
        password == effective(submission, 'password2') and \
        8 <= len(normalise_password(password)) <= 128


def refusal(submission, body):
    """The status the site answers the body with before any form reads
    it (app/forms_only.py), or None."""
    encoding = submission['encoding']
    if encoding not in FORM_ENCODINGS + (
            'multipart-files', 'multipart-without-boundary', 'none') or \
            (encoding == 'none' and body):
        return 415
    if len(body) > MAX_BODY:
        return 413
    if encoding == 'multipart-files' and b'; filename="' in body:
        return 415
    return None


def build_request(submission, token):
    """(body bytes, Content-Type or None) for the submission."""
    pairs = [(k, v) for k, values in submission['fields'].items()
             for v in values]
    csrf = submission['csrf']
    if csrf == 'valid':
        pairs.insert(0, ('csrf_token', token))
    elif csrf == 'garbage':
        pairs.insert(0, ('csrf_token', secrets.token_urlsafe(40)))
    elif csrf == 'twice':
        pairs[0:0] = [('csrf_token', token), ('csrf_token', 'x')]
    encoding = submission['encoding']
    if encoding in ('multipart', 'multipart-files'):
        boundary = 'fuzz' + secrets.token_hex(16)
        # As a file field: each part but the CSRF token's.
        file_part = b'; filename="f.txt"\r\nContent-Type: text/plain'
        body = b''.join(
            b'--' + boundary.encode() + b'\r\n'
            b'Content-Disposition: form-data; name="'
            + as_bytes(k).replace(b'"', b'%22') + b'"'
            + (file_part if encoding == 'multipart-files'
               and k != 'csrf_token' else b'') + b'\r\n\r\n'
            + as_bytes(v) + b'\r\n' for k, v in pairs)
        body += b'--' + boundary.encode() + b'--\r\n'
        return body, f'multipart/form-data; boundary={boundary}'
    if encoding == 'json':
        # An object has one value per key: the first, as for a form.
        data = {}
        for k, v in pairs:
            data.setdefault(as_bytes(k).decode('utf-8', 'replace'),
                            as_bytes(v).decode('utf-8', 'replace'))
        return json.dumps(data).encode(), 'application/json'
    if encoding == 'json-values':
        data = {k: v for k, v in pairs if k == 'csrf_token'}
        data.update(submission['json'])
        return json.dumps(data).encode(), 'application/json'
    if encoding == 'json-document':
        return json.dumps(submission['json']).encode(), 'application/json'
    body = '&'.join(quote_from_bytes(as_bytes(k)) + '=' +
                    quote_from_bytes(as_bytes(v))
                    for k, v in pairs).encode('ascii')
    content_type = {
        'urlencoded': 'application/x-www-form-urlencoded',
        'multipart-without-boundary': 'multipart/form-data',
        'text/plain': 'text/plain',
        'other-type': submission.get('type'),
        'none': None,
    }[encoding]
    return body, content_type


def sub(csrf='valid', encoding='urlencoded', extra=None, **fields):
    """A submission written out, for the examples every run tries;
    `extra` adds its keys ('json', 'type')."""
    return {'fields': {k: v if isinstance(v, list) else [v]
                       for k, v in fields.items()},
            'csrf': csrf, 'encoding': encoding, **(extra or {})}


BIG = 'x' * LONG
NUL = 'john\x00@example.com'
OTHER = 'susan@example.com'
# 39 characters, 66 once lower-cased, 87 as stored (with its domain in
# xn-- form): too long for the column.
LONGER_IN_LOWER_CASE = 'abcde@' + '.'.join(['\u0130' * 9] * 3) + '.com'


class ErrorRecords(logging.Handler):
    def __init__(self):
        super().__init__(logging.ERROR)
        self.records = []

    def emit(self, record):
        self.records.append(record)


class FuzzFormsTestCase(FlaskyTestCase):
    config = {'RATELIMIT_ENABLED': False}
    tried = {}

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        forms = ', '.join(f'{form} {n}' for form, n in
                          sorted(cls.tried.items()))
        print(f'\nfuzz: examples tried per form: {forms}')

    def setUp(self):
        super().setUp()
        self.user_id = self.add_user()
        self.password = PASSWORD
        self.errors = ErrorRecords()
        self.app.logger.addHandler(self.errors)
        self.addCleanup(self.app.logger.removeHandler, self.errors)
        # As in production: an exception becomes a logged 500 page.
        self.app.config['PROPAGATE_EXCEPTIONS'] = False

    # -- one example ---------------------------------------------------

    def count(self, form):
        FuzzFormsTestCase.tried[form] = \
            FuzzFormsTestCase.tried.get(form, 0) + 1

    def snapshot(self):
        with self.app.app_context():
            return [tuple(row) for row in db.session.execute(
                sa.select(User.__table__).order_by(User.id))]

    def logged_in_client(self):
        client = self.app.test_client()
        page = client.get('/auth/login').get_data(as_text=True)
        response = client.post('/auth/login', data=dict(
            email=JOHN, password=self.password,
            csrf_token=csrf_token(page)))
        self.assertEqual(response.status_code, 302, 'could not log in')
        return client

    def post(self, client, form_url, url, submission):
        """POST the submission to `url` with the CSRF token of the page
        at `form_url`; the response, the users before and after, and
        the emails sent."""
        page = client.get(form_url)
        self.assertEqual(page.status_code, 200)
        token = csrf_token(page.get_data(as_text=True))
        body, content_type = build_request(submission, token)
        self.mail.clear()
        self.errors.records.clear()
        before = self.snapshot()
        headers = {'Content-Type': content_type} if content_type else {}
        refused = refusal(submission, body)
        # What the form will read, parsed by the same code.
        submission['seen'] = {}
        if refused is None:
            with self.app.test_request_context(
                    url, method='POST', data=body, headers=headers):
                submission['seen'] = {k: request.form.get(k)
                                      for k in request.form}
        response = client.post(url, data=body, headers=headers)
        after = self.snapshot()
        self.assertLess(response.status_code, 500, submission)
        if refused is not None:
            self.assertEqual(response.status_code, refused, submission)
        else:
            self.assertNotIn(response.status_code, (411, 413, 415),
                             submission)
        self.assertEqual(
            [r.getMessage() for r in self.errors.records], [],
            f'logged an error for {submission!r}')
        return response, before, after, list(self.mail.messages)

    def succeeded(self, response, path):
        success = response.status_code == 302 and \
            urlsplit(response.headers['Location']).path == path
        # Shown by pytest --hypothesis-show-statistics.
        event('succeeded' if success else
              f'refused with {response.status_code}')
        return success

    def john(self):
        return self.get_user(id=self.user_id)

    def opens(self, password_hash, password):
        """True if `password` opens the account whose hash this is.

        Asked of the hash, not compared with the password set: PBKDF2
        (and scrypt, which begins with it) pads a short password with NUL
        bytes, so 'x' and 'x\\x00' are one password to it."""
        return password is not None and any(
            check_password_hash(password_hash, form)
            for form in password_forms(password))

    # -- the forms -----------------------------------------------------

    @fuzz('login')
    @fuzz_settings
    @example(sub(email=JOHN, password=PASSWORD), '//evil.example')
    @example(sub(email=JOHN, password=PASSWORD), '/\t/evil.example')
    @example(sub(email=JOHN, password=PASSWORD, encoding='json'), None)
    @example(sub(encoding='json-values', extra={'json': {
        'email': JOHN, 'password': 5, 'remember_me': True}}), None)
    @example(sub(encoding='json-values', extra={'json': {
        'email': [1], 'password': {}}}), None)
    @example(sub(encoding='json-document', extra={'json': [JOHN]}), None)
    @example(sub(email=JOHN, password=PASSWORD, encoding='multipart-files'),
             None)
    @example(sub(email=JOHN, password=PASSWORD, encoding='other-type',
                 extra={'type': 'text/html'}), None)
    @example(sub(email=JOHN, password=PASSWORD + 'x' * MAX_BODY), None)
    @example(sub(csrf='missing', email=JOHN, password=PASSWORD), None)
    @example(sub(email=NUL, password=BIG), None)
    @example(sub(email=b'\xffjohn@example.com', password=b'\xc3\x28'),
             None)
    @example(sub(email=[JOHN, BIG], password=[PASSWORD, '']), None)
    @given(submissions(email=any_email, password=passwords,
                       remember_me=st.just('y')),
           st.one_of(st.none(), st.text(), st.sampled_from(
               ['/secret', '//evil.example', '/\\evil.example',
                'https://evil.example/', '/\t/evil.example'])))
    def test_login(self, submission, next_url):
        self.count('login')
        client = self.app.test_client()
        url = '/auth/login'
        if next_url is not None:
            url += '?' + urlencode({'next': next_url})
        response, before, after, mail = self.post(client, '/auth/login',
                                                  url, submission)
        self.assertEqual(after, before)
        self.assertEqual(mail, [])
        if self.succeeded(response, urlsplit(
                response.headers.get('Location', '')).path):
            email = effective(submission, 'email')
            self.assertTrue(csrf_ok(submission))
            self.assertEqual(canonical_email(email), JOHN)
            self.assertTrue(self.opens(self.john().password_hash,
                                       effective(submission, 'password')))
            # Wherever `next` said, the redirect stays on this site, as
            # a browser reads it (it drops tabs and newlines, and takes
            # a backslash for a slash).
            location = re.sub(r'[\x00-\x20\x7f]', '',
                              response.headers['Location'])
            location = location.replace('\\', '/')
            parts = urlsplit(location)
            self.assertIn(parts.netloc, ('', 'localhost'), location)
            self.assertTrue(parts.path.startswith('/'), location)

    @fuzz('register')
    @fuzz_settings
    @example(sub(email=OTHER, username='susan', password=PASSWORD,
                 password2=NEW_PASSWORD))
    @example(sub(email=OTHER, username='susan\x00', password=PASSWORD,
                 password2=PASSWORD))
    @example(sub(email=OTHER, username='susan\n', password=PASSWORD,
                 password2=PASSWORD))
    @example(sub(email=LONGER_IN_LOWER_CASE, username='susan',
                 password=PASSWORD, password2=PASSWORD))
    @example(sub(email='jos\u00e9@example.com', username='jose',
                 password=PASSWORD, password2=PASSWORD))
    @example(sub(email=b'\xff@example.com', username='susan',
                 password=PASSWORD, password2=PASSWORD))
    @example(sub(email=BIG + '@example.com', username=BIG, password=BIG,
                 password2=BIG))
    @example(sub(email=[OTHER, JOHN], username=['susan', 'john'],
                 password=PASSWORD, password2=PASSWORD))
    @example(sub(csrf='garbage', email=OTHER, username='susan',
                 password=PASSWORD, password2=PASSWORD))
    @given(submissions(email=emails, username=usernames,
                       password=st.just(PASSWORD),
                       password2=st.just(PASSWORD)))
    def test_register(self, submission):
        self.count('register')
        client = self.app.test_client()
        response, before, after, mail = self.post(
            client, '/auth/register', '/auth/register', submission)
        if not self.succeeded(response, '/auth/login'):
            self.assertEqual(after, before)
            self.assertEqual(mail, [])
            return
        self.assertTrue(csrf_ok(submission))
        self.assertTrue(new_password_ok(submission))
        username = effective(submission, 'username')
        self.assertIsNotNone(
            re.fullmatch(r'[A-Za-z][A-Za-z0-9_.]*', username), username)
        self.assertEqual(after[:len(before)], before)
        self.assertEqual(len(after), len(before) + 1)
        with self.app.app_context():
            user = db.session.scalar(sa.select(User).order_by(
                User.id.desc()))
            self.assertEqual(user.email,
                             canonical_email(effective(submission, 'email')))
            self.assertEqual(user.username, username)
            # What PostgreSQL would refuse, SQLite stores: check here.
            self.assertLessEqual(len(user.email), 64)
            self.assertLessEqual(len(user.username), 64)
            self.assertTrue(user.verify_password(
                effective(submission, 'password')))
        self.assertEqual(recipients(mail), [user.email])

    @fuzz('change password')
    @fuzz_settings
    @example(sub(old_password=NEW_PASSWORD, password=NEW_PASSWORD,
                 password2=NEW_PASSWORD))
    @example(sub(old_password=PASSWORD, password=NEW_PASSWORD,
                 password2=PASSWORD))
    @example(sub(old_password=BIG, password=BIG, password2=BIG))
    @example(sub(old_password=PASSWORD, password=NEW_PASSWORD + '\x00',
                 password2=NEW_PASSWORD + '\x00'))
    @given(submissions(old_password=passwords, password=passwords,
                       password2=passwords))
    def test_change_password(self, submission):
        self.count('change password')
        client = self.logged_in_client()
        old_hash = self.john().password_hash
        response, before, after, mail = self.post(
            client, '/auth/change-password', '/auth/change-password',
            submission)
        if not self.succeeded(response, '/'):
            self.assertEqual(after, before)
            self.assertEqual(mail, [])
            return
        self.assertTrue(csrf_ok(submission))
        self.assertTrue(self.opens(old_hash,
                                   effective(submission, 'old_password')))
        self.assertTrue(new_password_ok(submission))
        self.password = effective(submission, 'password')
        self.assertTrue(self.opens(self.john().password_hash,
                                   self.password))
        self.assertEqual(len(mail), 1)

    @fuzz('reset request')
    @fuzz_settings
    @example(sub(email=' John@Example.COM '))
    @example(sub(email=NUL))
    @example(sub(email=b'\xed\xa0\x80@example.com'))
    @example(sub(email=[OTHER, JOHN]))
    @example(sub(csrf='missing', email=JOHN))
    @example(sub(encoding='json-values', extra={'json': {'email': None}}))
    @example(sub(email=JOHN, encoding='multipart-files'))
    @given(submissions(email=any_email))
    def test_reset_request(self, submission):
        self.count('reset request')
        client = self.app.test_client()
        response, before, after, mail = self.post(
            client, '/auth/reset', '/auth/reset', submission)
        self.assertEqual(after, before)
        if not self.succeeded(response, '/auth/login'):
            self.assertEqual(mail, [])
            return
        self.assertTrue(csrf_ok(submission))
        email = canonical_email(effective(submission, 'email'))
        self.assertIn('@', email)
        self.assertEqual(recipients(mail), [JOHN] if email == JOHN else [])

    @fuzz('reset')
    @fuzz_settings
    @example(sub(password=PASSWORD, password2=NEW_PASSWORD), 'fresh')
    @example(sub(password=NEW_PASSWORD, password2=NEW_PASSWORD), 'old')
    @example(sub(password=BIG, password2=BIG), 'fresh')
    @example(sub(password=NEW_PASSWORD, password2=NEW_PASSWORD), BIG)
    @example(sub(password=NEW_PASSWORD, password2=NEW_PASSWORD),
             'x\x00/../..')
    @example(sub(csrf='garbage', password=NEW_PASSWORD,
                 password2=NEW_PASSWORD), 'fresh')
    @given(submissions(password=passwords, password2=passwords),
           st.one_of(st.sampled_from(['fresh', 'fresh', 'fresh', 'old']),
                     st.text(), long_texts))
    def test_reset(self, submission, token):
        self.count('reset')
        fresh = token == 'fresh'
        if token in ('fresh', 'old'):
            token = self.token_for(self.user_id, 'generate_reset_token')
            if not fresh:   # a link made before the password changed
                with self.app.app_context():
                    user = db.session.get(User, self.user_id)
                    user.password = self.password
                    db.session.commit()
        url = '/auth/reset/' + quote(token, safe='')
        client = self.app.test_client()
        response, before, after, mail = self.post(
            client, '/auth/reset', url, submission)
        if not self.succeeded(response, '/auth/login'):
            self.assertEqual(after, before)
            self.assertEqual(mail, [])
            return
        self.assertTrue(fresh, 'a bad or used link reset the password')
        self.assertTrue(csrf_ok(submission))
        self.assertTrue(new_password_ok(submission))
        self.password = effective(submission, 'password')
        self.assertTrue(self.opens(self.john().password_hash,
                                   self.password))
        self.assertEqual(len(mail), 1)

    @fuzz('change email')
    @fuzz_settings
    @example(sub(email=OTHER, password=NEW_PASSWORD))
    @example(sub(email='a000@example.comÀ', password=PASSWORD))
    @example(sub(email=LONGER_IN_LOWER_CASE, password=PASSWORD))
    @example(sub(email='jos\u00e9@example.com', password=PASSWORD))
    @example(sub(email=JOHN, password=PASSWORD))
    @example(sub(email=OTHER + '\x00', password=PASSWORD))
    @example(sub(email=BIG + '@example.com', password=PASSWORD))
    @example(sub(email=[OTHER, BIG], password=[PASSWORD, BIG]))
    @example(sub(email=OTHER, password=PASSWORD, encoding='text/plain'))
    @given(submissions(email=emails, password=passwords))
    def test_change_email(self, submission):
        self.count('change email')
        client = self.logged_in_client()
        response, before, after, mail = self.post(
            client, '/auth/change_email', '/auth/change_email', submission)
        self.assertEqual(after, before)
        if not self.succeeded(response, '/'):
            self.assertEqual(mail, [])
            return
        self.assertTrue(csrf_ok(submission))
        self.assertTrue(self.opens(self.john().password_hash,
                                   effective(submission, 'password')))
        new_email = canonical_email(effective(submission, 'email'))
        self.assertRegex(new_email, r'^[^@\s]+@[^@\s]+$')
        # The link will store it: it must fit the column.
        self.assertLessEqual(len(new_email), 64)
        self.assertEqual(recipients(mail), [new_email])


class BuildRequestTestCase(unittest.TestCase):
    """The fuzzer's own encoder sends what it is asked to."""

    def test_urlencoded_keeps_bytes_and_repeats(self):
        body, content_type = build_request(
            {'fields': {'email': [b'\xff', 'a&b']}, 'csrf': 'twice',
             'encoding': 'urlencoded'}, 'TOKEN')
        self.assertEqual(content_type, 'application/x-www-form-urlencoded')
        self.assertEqual(body, b'csrf_token=TOKEN&csrf_token=x&'
                               b'email=%FF&email=a%26b')

    def test_multipart_holds_every_value(self):
        body, content_type = build_request(
            {'fields': {'password': ['\x00' * 3]}, 'csrf': 'missing',
             'encoding': 'multipart'}, 'TOKEN')
        boundary = re.search(r'boundary=(\S+)', content_type).group(1)
        self.assertIn(b'name="password"\r\n\r\n\x00\x00\x00\r\n', body)
        self.assertTrue(body.endswith(f'--{boundary}--\r\n'.encode()))
        self.assertNotIn(b'csrf_token', body)

    def test_multipart_files_sends_fields_as_files(self):
        body, content_type = build_request(
            {'fields': {'email': ['a@b.c']}, 'csrf': 'valid',
             'encoding': 'multipart-files'}, 'TOKEN')
        self.assertIn(b'name="csrf_token"\r\n\r\nTOKEN\r\n', body)
        self.assertIn(b'name="email"; filename="f.txt"\r\n', body)
        self.assertEqual(refusal({'encoding': 'multipart-files'}, body),
                         415)

    def test_json_values_of_any_type(self):
        submission = {'fields': {'email': ['x']}, 'csrf': 'valid',
                      'encoding': 'json-values',
                      'json': {'email': [1, {'a': None}], 'password': 5}}
        body, content_type = build_request(submission, 'TOKEN')
        self.assertEqual(content_type, 'application/json')
        self.assertEqual(json.loads(body), {
            'csrf_token': 'TOKEN', 'email': [1, {'a': None}],
            'password': 5})
        self.assertEqual(refusal(submission, body), 415)

    def test_refusals(self):
        for encoding, body, status in [
                ('urlencoded', b'a=b', None),
                ('urlencoded', b'a=' + b'x' * MAX_BODY, 413),
                ('none', b'', None), ('none', b'a=b', 415),
                ('multipart-without-boundary', b'a=b', None),
                ('text/plain', b'', 415), ('other-type', b'a=b', 415)]:
            with self.subTest(encoding=encoding, body=body[:5]):
                self.assertEqual(refusal({'encoding': encoding}, body),
                                 status)


class FoundByFuzzingTestCase(FlaskyTestCase):
    """What the fuzzer found, as plain tests: each input is refused with
    a message on the form, no account is made and nothing is logged."""
    config = {'RATELIMIT_ENABLED': False, 'PROPAGATE_EXCEPTIONS': False}

    def assertRefused(self, response, message):
        self.assertEqual(response.status_code, 200)
        self.assertIn(message, field_errors(self.page(response)))
        self.assertEqual(self.user_count(), 0)
        self.assertEqual(self.mail.messages, [])

    def register_refused(self, message, **fields):
        with self.assertNoLogs(self.app.logger, 'ERROR'):
            self.assertRefused(self.register(**fields), message)

    def test_username_ending_in_a_newline(self):
        self.register_refused(BAD_USERNAME, username='susan\n')

    def test_nul_in_email_and_username(self):
        self.register_refused(BAD_EMAIL, email=NUL)
        self.register_refused(BAD_USERNAME, username='susan\x00')

    def test_email_longer_than_the_column_once_lower_cased(self):
        self.register_refused(TOO_LONG_LOWER_CASED,
                              email=LONGER_IN_LOWER_CASE)

    def test_non_ascii_before_the_at_sign(self):
        self.register_refused(BAD_EMAIL, email='jos\u00e9@example.com')

    def test_international_domain_is_accepted_and_mailed(self):
        response = self.register(email='susan@b\u00fccher.example')
        self.assertEqual(response.request.path, '/auth/login')
        self.assertEqual(recipients(self.mail.wait_for(1)),
                         ['susan@xn--bcher-kva.example'])
