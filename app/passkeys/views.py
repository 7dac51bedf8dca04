import time
from datetime import datetime, timezone

import sqlalchemy as sa
from flask import (current_app, flash, jsonify, redirect, render_template,
                   request, session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import db, limiter
from ..auth.forms import ButtonForm
from ..auth.throttling import configured
from ..auth.views import finish_login, safe_next
from ..email import send_email
from . import passkeys, relying_party
from .forms import (AddPasskeyForm, CredentialForm, NewPasskeyForm,
                    RemovePasskeyForm, RenamePasskeyForm)
from .models import Passkey

# A passkey used this recently stands for the password on this page.
VERIFIED_SECONDS = 5 * 60
VERIFIED_KEY = 'passkey_verified_at'

# What passkeys.js shows when the server refuses what it sent.
NOT_ADDED = _l('The passkey could not be added. Please try again.')
NOT_SIGNED_IN = _l('The passkey could not be used to log in. Please try '
                   'again, or log in with your email and password.')
NOT_VERIFIED = _l('The passkey could not be checked. Please try again.')
ALREADY_ADDED = _l('This passkey has already been added.')


def failed(response):
    """passkeys.js's requests: a refused one is answered 400."""
    return response.status_code >= 400 and response.status_code != 429


# As the password's: a number of failed sign-ins per address a minute.
failed_sign_ins_per_ip = limiter.limit(
    configured('FLASKY_LIMIT_LOGIN_PER_IP'), methods=['POST'],
    deduct_when=failed)


def refused(message, status=400):
    return jsonify(error=str(message)), status


def done(url):
    """passkeys.js goes to `url`, where the flashed message shows."""
    return jsonify(redirect=url)


def form_error(form):
    """The first error of a form passkeys.js posted, as its answer."""
    for errors in form.errors.values():
        return refused(errors[0])
    return refused(_('Invalid request.'))


def options(json_text):
    return current_app.response_class(json_text,
                                      mimetype='application/json')


def recently_verified():
    at = session.get(VERIFIED_KEY)
    return isinstance(at, (int, float)) and \
        0 <= time.time() - at <= VERIFIED_SECONDS


def password_form(form_class):
    """A form that asks for the password, unless a passkey was just used.
    """
    form = form_class()
    if recently_verified():
        del form.password
    return form


def password_ok(form):
    return 'password' not in form \
        or current_user.verify_password(form.password.data)


def own_passkey(id):
    """The current user's passkey `id`; 404 for any other."""
    return db.first_or_404(sa.select(Passkey).where(
        Passkey.id == id, Passkey.user_id == current_user.id))


def send_notice(user, template, subject, name):
    send_email(user.email, subject, template, user=user, name=name,
               when=datetime.now(timezone.utc))


@passkeys.route('/')
@login_required
def index():
    keys = db.session.scalars(
        sa.select(Passkey).where(Passkey.user_id == current_user.id)
        .order_by(Passkey.created)).all()
    return render_template(
        'passkeys/index.html', passkeys=keys,
        form=password_form(AddPasskeyForm), verify_form=ButtonForm(),
        verified=recently_verified(),
        localhost_url=relying_party.localhost_url())


@passkeys.route('/add/options', methods=['POST'])
@login_required
def add_options():
    form = password_form(AddPasskeyForm)
    if not form.validate_on_submit():
        return form_error(form)
    if not password_ok(form):
        return refused(_('Invalid password.'))
    json_text = relying_party.registration_options(current_user)
    try:
        # The user's handle, if it was made just now.
        db.session.commit()
    except sa.exc.IntegrityError:
        # Another request made one at the same time: try again.
        db.session.rollback()
        return refused(NOT_ADDED)
    return options(json_text)


@passkeys.route('/add', methods=['POST'])
@login_required
def add():
    form = NewPasskeyForm()
    if not form.validate_on_submit():
        return form_error(form)
    try:
        passkey = relying_party.verify_registration(
            current_user, form.credential.data, form.name.data)
    except relying_party.Refused as e:
        current_app.logger.info('Passkey not added: %s', e)
        return refused(NOT_ADDED)
    db.session.add(passkey)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return refused(ALREADY_ADDED)
    send_notice(current_user, 'passkeys/email/added',
                _l('A passkey was added to your account'), passkey.name)
    flash(_('Your passkey "%(name)s" has been added.', name=passkey.name),
          'success')
    return done(url_for('passkeys.index'))


def button_options(purpose):
    """The options for a passkey's use, for passkeys.js's button."""
    form = ButtonForm()
    if not form.validate_on_submit():
        return form_error(form)
    return options(relying_party.authentication_options(purpose))


@passkeys.route('/sign-in/options', methods=['POST'])
def sign_in_options():
    return button_options('sign-in')


@passkeys.route('/sign-in', methods=['POST'])
@failed_sign_ins_per_ip
def sign_in():
    form = CredentialForm()
    if not form.validate_on_submit():
        return form_error(form)
    try:
        passkey = relying_party.verify_authentication(
            form.credential.data, 'sign-in')
    except relying_party.Refused as e:
        current_app.logger.info('Passkey sign-in refused: %s', e)
        return refused(NOT_SIGNED_IN)
    # A passkey is two factors in one (the device, and the PIN or
    # fingerprint that unlocks it): no second step follows.
    finish_login(passkey.user, remember=False)
    session[VERIFIED_KEY] = time.time()
    next = safe_next(request.args.get('next'))
    return done(next or url_for('main.index'))


@passkeys.route('/verify/options', methods=['POST'])
@login_required
def verify_options():
    return button_options('verify')


@passkeys.route('/verify', methods=['POST'])
@login_required
def verify():
    form = CredentialForm()
    if not form.validate_on_submit():
        return form_error(form)
    try:
        relying_party.verify_authentication(
            form.credential.data, 'verify', current_user)
    except relying_party.Refused as e:
        current_app.logger.info('Passkey check refused: %s', e)
        return refused(NOT_VERIFIED)
    db.session.commit()
    session[VERIFIED_KEY] = time.time()
    flash(_('Thank you: for the next five minutes, you can rename or '
            'remove passkeys without typing your password.'), 'success')
    return done(url_for('passkeys.index'))


@passkeys.route('/<int:id>/rename', methods=['GET', 'POST'])
@login_required
def rename(id):
    passkey = own_passkey(id)
    form = password_form(RenamePasskeyForm)
    if form.validate_on_submit():
        if password_ok(form):
            passkey.name = form.name.data
            db.session.commit()
            flash(_('The passkey has been renamed.'), 'success')
            return redirect(url_for('passkeys.index'))
        flash(_('Invalid password.'), 'error')
    elif not form.is_submitted():
        form.name.data = passkey.name
    return render_template('passkeys/rename.html', form=form,
                           passkey=passkey)


@passkeys.route('/<int:id>/remove', methods=['GET', 'POST'])
@login_required
def remove(id):
    passkey = own_passkey(id)
    form = password_form(RemovePasskeyForm)
    if form.validate_on_submit():
        if password_ok(form):
            name = passkey.name
            db.session.delete(passkey)
            db.session.commit()
            send_notice(current_user, 'passkeys/email/removed',
                        _l('A passkey was removed from your account'), name)
            flash(_('The passkey "%(name)s" has been removed.', name=name),
                  'success')
            return redirect(url_for('passkeys.index'))
        flash(_('Invalid password.'), 'error')
    return render_template('passkeys/remove.html', form=form,
                           passkey=passkey)


@passkeys.app_template_global()
def current_user_passkey_count():
    """How many passkeys the logged-in user has (the Account page)."""
    return db.session.scalar(
        sa.select(sa.func.count(Passkey.id))
        .where(Passkey.user_id == current_user.id))
