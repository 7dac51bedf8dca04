"""zxcvbn's advice on a weak password, in the page's language.

zxcvbn writes its warnings and suggestions in English (zxcvbn/feedback.py):
each one is listed here, so that pybabel extracts it into our catalogue.
tests/test_i18n_python.py checks that every string of the installed
zxcvbn's feedback.py is in the list, so a new one in an upgrade is seen.
"""
from flask_babel import gettext


def N_(text):
    """Mark `text` for pybabel (N_ is one of its default keywords); it is
    translated where it is shown, by translate()."""
    return text


ADVICE = {
    # Warnings.
    N_('Straight rows of keys are easy to guess.'),
    N_('Short keyboard patterns are easy to guess.'),
    N_('Repeats like "aaa" are easy to guess.'),
    N_('Repeats like "abcabcabc" are only slightly harder to guess than '
       '"abc".'),
    N_('Sequences like "abc" or "6543" are easy to guess.'),
    N_('Recent years are easy to guess.'),
    N_('Dates are often easy to guess.'),
    N_('This is a top-10 common password.'),
    N_('This is a top-100 common password.'),
    N_('This is a very common password.'),
    N_('This is similar to a commonly used password.'),
    N_('A word by itself is easy to guess.'),
    N_('Names and surnames by themselves are easy to guess.'),
    N_('Common names and surnames are easy to guess.'),
    # Suggestions.
    N_('Use a few words, avoid common phrases.'),
    N_('No need for symbols, digits, or uppercase letters.'),
    N_('Add another word or two. Uncommon words are better.'),
    N_('Use a longer keyboard pattern with more turns.'),
    N_('Avoid repeated words and characters.'),
    N_('Avoid sequences.'),
    N_('Avoid recent years.'),
    N_('Avoid years that are associated with you.'),
    N_('Avoid dates and years that are associated with you.'),
    N_("Capitalization doesn't help very much."),
    N_('All-uppercase is almost as easy to guess as all-lowercase.'),
    N_("Reversed words aren't much harder to guess."),
    N_("Predictable substitutions like '@' instead of 'a' don't help very "
       'much.'),
}


def translate(text):
    """`text`, one of zxcvbn's warnings or suggestions, in the page's
    language; a text not listed here stays in English (and gettext('')
    would be the catalogue's header)."""
    return gettext(text) if text in ADVICE else text
