"""Marks engine messages for translation without importing Flask or Babel.

`N_("text")` returns the text unchanged; `pybabel extract -k N_` collects it,
and the web layer translates it for the user's language.
"""


def N_(message: str) -> str:
    return message
