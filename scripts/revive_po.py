"""After a merge or a broken extraction, bring back translations pybabel marked obsolete (#~)
whose message is in the catalog again. Usage: .venv/bin/python scripts/revive_po.py FILE.po"""

import sys

from babel.messages.pofile import read_po, write_po

for path in sys.argv[1:]:
    with open(path, "rb") as f:
        catalog = read_po(f)
    revived = 0
    for message_id, message in list(catalog.obsolete.items()):
        if message_id in catalog and not catalog[message_id].string:
            catalog[message_id].string = message.string
            revived += 1
    catalog.obsolete.clear()
    with open(path, "wb") as f:
        write_po(f, catalog, width=100)
    print(f"{path}: {revived} translations revived")
