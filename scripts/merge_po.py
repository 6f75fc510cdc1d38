"""Resolve a merge conflict in a Babel catalog: union of both sides' translations.

    .venv/bin/python scripts/merge_po.py web/translations/zh_Hans_CN/LC_MESSAGES/messages.po
Then run scripts/i18n-update to re-extract; translations already known are kept.
"""

import io
import subprocess
import sys

from babel.messages.pofile import read_po, write_po


def side(path: str, stage: int):
    blob = subprocess.run(["git", "show", f":{stage}:{path}"], capture_output=True, check=True).stdout
    return read_po(io.BytesIO(blob))


def main(path: str) -> None:
    ours, theirs = side(path, 2), side(path, 3)
    for message in theirs:
        if message.id and message.id not in ours:
            ours[message.id] = message
        elif message.id and message.string and not ours[message.id].string:
            ours[message.id].string = message.string
    with open(path, "wb") as f:
        write_po(f, ours, width=100)


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        main(arg)
