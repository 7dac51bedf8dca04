"""gunicorn settings for `make bench`: each worker times the password
hashes it makes, so that a login's time can be set beside the hash made
for that very login, in the same process, under the same conditions.

A request with an X-Bench-Login header that made a hash adds a line to
the file BENCH_HASH_LOG names: the header's value, then the milliseconds
spent hashing, from the request's arrival (gunicorn's pre_request) to
the first hash, and from the last hash to the end of the request
(post_request, which comes after the answer is sent and the app's
teardown has run). The app is not changed: the workers' hashlib.scrypt
and hashlib.pbkdf2_hmac, which Werkzeug's password hashes call, are
timed from outside.
"""
import hashlib
import os
import time

# The request this worker is serving: when it came, when its first hash
# began and its last ended, and the seconds spent hashing.
came = first = last = 0.0
spent = 0.0


def timed(function):
    def wrapper(*args, **kwargs):
        global first, last, spent
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            last = time.perf_counter()
            first = first or start
            spent += last - start
    return wrapper


def post_fork(server, worker):
    hashlib.scrypt = timed(hashlib.scrypt)
    hashlib.pbkdf2_hmac = timed(hashlib.pbkdf2_hmac)


def pre_request(worker, req):
    global came, first, spent
    came, first, spent = time.perf_counter(), 0.0, 0.0


def post_request(worker, req, environ, resp):
    label = environ.get('HTTP_X_BENCH_LOGIN')
    if label and spent:
        done = time.perf_counter()
        with open(os.environ['BENCH_HASH_LOG'], 'a') as log:
            log.write(' '.join([label] + [
                f'{seconds * 1000:.3f}'
                for seconds in (spent, first - came, done - last)]) + '\n')
