"""Suivant firmware: the device protocol codec (docs/protocol.md), shared with the host bridge.

Runs unchanged on MicroPython 1.27 and CPython 3.11. The codec modules:
`escape` (§3), `mac` (§4), `message` (§1-2), `frame` (§6).
"""

FIRMWARE_VERSION = "0.1.0"


class ProtocolError(ValueError):
    """A line or frame that breaks docs/protocol.md.

    `code` names the rule broken ('bad_mac', 'too_long', ...): short, stable, for counters and
    logs. `detail` is a human hint, never parsed.
    """

    def __init__(self, code, detail=None):
        # super(), not ValueError.__init__(self, ...): MicroPython's built-in exception types
        # have no __init__ attribute to call.
        super().__init__(code if detail is None else code + ": " + detail)
        self.code = code
        self.detail = detail
