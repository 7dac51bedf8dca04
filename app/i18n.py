"""The site in English and Traditional Chinese, with Flask-Babel.

The language is the one the visitor chose with the switcher (kept on the
account, and in a cookie), else the best match for the browser's
Accept-Language, else English.
"""
from flask import has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

# The codes the switcher and the account keep, and each language's name
# in itself. Babel reads zh_TW as zh_Hant_TW, the name of its catalogue
# folder under app/translations.
LANGUAGES = {'en': 'English', 'zh_TW': '繁體中文'}
COOKIE = 'locale'
BY_LANGUAGE = {code.split('_')[0]: code for code in LANGUAGES}


def select_locale():
    if not has_request_context():
        return None
    if current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    # The browser's languages, best first; any zh-* gets zh_TW, the only
    # Chinese the site has.
    for tag, quality in request.accept_languages:
        locale = BY_LANGUAGE.get(tag.split('-')[0].lower())
        if locale:
            return locale
    return 'en'


def current_language():
    """The page's language as LANGUAGES names it: zh_TW, where Babel's
    name is zh_Hant_TW. None outside an app context."""
    locale = get_locale()
    if locale is None:
        return None
    return '_'.join(filter(None, [locale.language, locale.territory]))


def init_app(app, babel):
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.globals.update(current_language=current_language,
                                 LANGUAGES=LANGUAGES)

    @app.after_request
    def vary_on_language(response):
        # A shared cache keeps one copy of a page per language.
        if response.mimetype == 'text/html':
            response.vary.add('Accept-Language')
        return response

