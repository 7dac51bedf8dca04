import io
from datetime import datetime, timezone

import segno
from flask import (abort, flash, make_response, redirect, render_template,
                   session, url_for)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user, login_required

from .. import db, limiter
from ..auth import views as auth_views
from ..auth.throttling import configured, failed
from ..email import send_email
from ..models import User
from . import login, models, two_step
from .forms import (DisableForm, NewRecoveryCodesForm, PasswordForm,
                    SetupForm, VerifyForm)
from .models import RecoveryCode, TwoStep, check_code

# Set when the password has been typed again to turn two-step sign-in
# on: the key is shown, and can be confirmed, for this long after.
SETUP_KEY = 'two_step_setup'
SETUP_SECONDS = 10 * 60


def pending_user_id():
    """The key wrong codes count against: the account being logged in
    to, or the one logged in."""
    if current_user.is_authenticated:
        return str(current_user.id)
    data = login.pending()
    return str(data['user_id']) if data else ''


def no_account():
    return not pending_user_id()


# Wrong codes count against the account, wherever they are typed: at the
# second step of a login, and to turn two-step sign-in off: one counter
# for both views (a shared limit).
wrong_codes_per_account = limiter.shared_limit(
    configured('FLASKY_LIMIT_TWO_STEP_PER_ACCOUNT'), 'two-step',
    methods=['POST'], key_func=pending_user_id, exempt_when=no_account,
    deduct_when=failed)


@two_step.app_template_global()
def two_step_enabled(user):
    return user.is_authenticated and TwoStep.enabled_for(user)


def send_notice(subject, template):
    send_email(current_user.email, subject, template, user=current_user,
               when=datetime.now(timezone.utc))


def setup_row():
    """The current user's row being set up, while the password typed to
    begin it is recent; else None."""
    data = session.get(SETUP_KEY)
    if not isinstance(data, dict) \
            or data.get('user_id') != current_user.id \
            or not isinstance(data.get('started'), (int, float)) \
            or not 0 <= models.clock() - data['started'] < SETUP_SECONDS:
        return None
    row = TwoStep.of(current_user)
    if row is None or row.enabled_at is not None:
        return None
    return row


def show_recovery_codes(codes):
    """The page that shows new recovery codes, the once they are seen:
    rendered in answer to the POST that made them, as they are kept
    nowhere, not even in the session (signed, not encrypted)."""
    return render_template('two_step/new_recovery_codes.html', codes=codes,
                           text='\n'.join(codes) + '\n')


@two_step.route('/enable', methods=['GET', 'POST'])
@login_required
def enable():
    if TwoStep.enabled_for(current_user):
        flash(_('Two-step sign-in is already on.'), 'info')
        return redirect(url_for('auth.account'))
    form = PasswordForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.password.data):
            TwoStep.begin(current_user)
            db.session.commit()
            session[SETUP_KEY] = {'user_id': current_user.id,
                                  'started': models.clock()}
            return redirect(url_for('two_step.setup'))
        flash(_('Invalid password.'), 'error')
    return render_template('two_step/enable.html', form=form)


@two_step.route('/setup', methods=['GET', 'POST'])
@login_required
def setup():
    row = setup_row()
    if row is None:
        flash(_('Please type your password again to turn two-step sign-in '
                'on.'), 'info')
        return redirect(url_for('two_step.enable'))
    form = SetupForm()
    if form.validate_on_submit():
        if row.enable(form.code.data):
            codes = RecoveryCode.new_set(current_user)
            db.session.commit()
            session.pop(SETUP_KEY, None)
            send_notice(_l('Two-step sign-in was turned on'),
                        'two_step/email/turned_on')
            flash(_('Two-step sign-in is on.'), 'success')
            return show_recovery_codes(codes)
        flash(_('Invalid code.'), 'error')
    secret = row.secret
    key = ' '.join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template('two_step/setup.html', form=form, key=key)


@two_step.route('/qr-code.svg')
@login_required
def qr_code():
    # Only while it is being set up: the key is not to be seen again.
    row = setup_row()
    if row is None:
        abort(404)
    qr = segno.make(row.provisioning_uri(current_user.email), error='m',
                    micro=False)
    svg = io.BytesIO()
    # Colours as attributes, no style attribute or element: the site's
    # CSP (style-src 'self') would refuse them. A viewBox and no size:
    # the page's <img> sizes it.
    qr.save(svg, kind='svg', border=4, dark='#000', light='#fff',
            omitsize=True, title=_('QR code'))
    response = make_response(svg.getvalue())
    response.mimetype = 'image/svg+xml'
    response.headers['Cache-Control'] = 'no-store'
    return response


@two_step.route('/verify', methods=['GET', 'POST'])
@wrong_codes_per_account
def verify():
    if current_user.is_authenticated:
        return redirect(url_for('main.index'))
    data = login.pending()
    user = db.session.get(User, data['user_id']) if data else None
    if user is None:
        if login.SESSION_KEY in session:
            del session[login.SESSION_KEY]
            flash(_('Your login has expired. Please log in again.'),
                  'error')
        return redirect(url_for('auth.login'))
    form = VerifyForm()
    if form.validate_on_submit():
        kind = check_code(user, form.code.data)
        if kind is not None:
            auth_views.finish_login(user, data['remember'])
            if kind == 'recovery':
                left = RecoveryCode.count(user)
                flash(ngettext(
                    'You used a recovery code: %(num)d is left.',
                    'You used a recovery code: %(num)d are left.', left),
                    'info')
            next = auth_views.safe_next(data.get('next'))
            return redirect(next or url_for('main.index'))
        flash(_('Invalid code.'), 'error')
    return render_template('two_step/verify.html', form=form)


@two_step.route('/disable', methods=['GET', 'POST'])
@login_required
@wrong_codes_per_account
def disable():
    if not TwoStep.enabled_for(current_user):
        return redirect(url_for('auth.account'))
    form = DisableForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.password.data) \
                and check_code(current_user, form.code.data):
            TwoStep.disable(current_user)
            db.session.commit()
            send_notice(_l('Two-step sign-in was turned off'),
                        'two_step/email/turned_off')
            flash(_('Two-step sign-in is off.'), 'success')
            return redirect(url_for('auth.account'))
        flash(_('Invalid password or code.'), 'error')
    return render_template('two_step/disable.html', form=form)


@two_step.route('/recovery-codes', methods=['GET', 'POST'])
@login_required
def recovery_codes():
    if not TwoStep.enabled_for(current_user):
        return redirect(url_for('auth.account'))
    form = NewRecoveryCodesForm()
    if form.validate_on_submit():
        if current_user.verify_password(form.password.data):
            codes = RecoveryCode.new_set(current_user)
            db.session.commit()
            send_notice(_l('New recovery codes were made'),
                        'two_step/email/new_recovery_codes')
            flash(_('Your new recovery codes are ready. The old ones no '
                    'longer work.'), 'success')
            return show_recovery_codes(codes)
        flash(_('Invalid password.'), 'error')
    return render_template('two_step/recovery_codes.html', form=form,
                           left=RecoveryCode.count(current_user))
