"""Seeds and removes the benchmark's user; run in the site's environment.

    python -m bench.seed create EMAIL USERNAME PASSWORD
    python -m bench.seed delete EMAIL

`create` makes a confirmed user (password hashed with the configured
method) and prints, as JSON, what the report needs to know about the
database and the hash method.
"""
import json
import sys

import sqlalchemy as sa


def main(argv):
    from manage import app
    from app import db
    from app.models import User
    with app.app_context():
        if argv[0] == 'create':
            email, username, password = argv[1:4]
            db.session.add(User(email=email, username=username,
                                password=password, confirmed=True))
            db.session.commit()
            engine = db.engine
            with engine.connect() as conn:
                if engine.dialect.name == 'postgresql':
                    version = 'PostgreSQL ' + conn.scalar(
                        sa.text('SHOW server_version'))
                elif engine.dialect.name == 'sqlite':
                    version = 'SQLite ' + conn.scalar(
                        sa.text('SELECT sqlite_version()'))
                else:
                    version = engine.dialect.name
            print(json.dumps(dict(
                database=version, dialect=engine.dialect.name,
                hash_method=app.config['FLASKY_PASSWORD_HASH_METHOD'])))
        elif argv[0] == 'delete':
            db.session.execute(sa.delete(User).where(User.email == argv[1]))
            db.session.commit()
        else:
            sys.exit(f'unknown command {argv[0]!r}')


if __name__ == '__main__':
    main(sys.argv[1:])
