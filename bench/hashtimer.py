"""gunicorn settings for `make bench`: each worker times the password
hashes it makes, so that a login's time can be set beside the hash made
for that very login, in the same process, under the same conditions.

A request with an X-Bench-Login header that made a hash adds a line
`<header value> <milliseconds>` to the file BENCH_HASH_LOG names. The
app is not changed: the workers' hashlib.scrypt and hashlib.pbkdf2_hmac,
which Werkzeug's password hashes call, are timed from outside.
"""
import hashlib
import os
import time

# The seconds spent hashing in the request this worker is serving.
spent = 0.0


def timed(function):
    def wrapper(*args, **kwargs):
        global spent
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent += time.perf_counter() - start
    return wrapper


def post_fork(server, worker):
    hashlib.scrypt = timed(hashlib.scrypt)
    hashlib.pbkdf2_hmac = timed(hashlib.pbkdf2_hmac)


def pre_request(worker, req):
    global spent
    spent = 0.0


def post_request(worker, req, environ, resp):
    label = environ.get('HTTP_X_BENCH_LOGIN')
    if label and spent:
        with open(os.environ['BENCH_HASH_LOG'], 'a') as log:
            log.write(f'{label} {spent * 1000:.3f}\n')
