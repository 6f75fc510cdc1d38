"""Hardened XML input: every diagram that enters Daiban is parsed here.

No DTDs, no entities (XXE, billion laughs), no network, bounded size.
"""

from __future__ import annotations

import re

from lxml import etree

from .i18n import N_

MAX_XML_BYTES = 1024 * 1024
# The library's largest diagram has under 600 elements; validating and parsing cost grows with the count,
# so it is capped before lxml or SpiffWorkflow see the file (counting start tags is one linear scan).
MAX_XML_ELEMENTS = 5000
_START_TAG = re.compile(rb"<[^/!?]")


class XmlRejected(ValueError):
    """A file refused before it is used; `message` is constant (translated), `detail` says more."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(f"{message}: {detail}" if detail else message)
        self.message, self.detail = message, detail


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=False,
)


def parse_xml(data: bytes | str) -> etree._Element:
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_XML_BYTES:
        raise XmlRejected(N_("the file is too large"), f"{len(data) // 1024} KiB > {MAX_XML_BYTES // 1024} KiB")
    elements = len(_START_TAG.findall(data))
    if elements > MAX_XML_ELEMENTS:
        raise XmlRejected(N_("the diagram has too many elements"), f"{elements} > {MAX_XML_ELEMENTS}")
    if b"<!DOCTYPE" in data.upper() or b"<!ENTITY" in data.upper():
        raise XmlRejected(N_("DOCTYPE and ENTITY declarations are not allowed"))
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as err:
        raise XmlRejected(N_("the file is not well-formed XML"), str(err)) from None
    if root.getroottree().docinfo.doctype:
        raise XmlRejected(N_("DOCTYPE and ENTITY declarations are not allowed"))
    return root
