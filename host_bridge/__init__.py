"""Suivant's host bridge: the one authoritative queue of a site and the links to its boards."""
import hmac as _hmac

from suivant_fw import escape as _escape
from suivant_fw import mac as _mac

from . import codec_fast as _codec_fast

# The protocol's codec (suivant_fw) is written for the boards, in Python; the bridge checks and
# signs every line, so it gives the codec CPython-fast versions of its hottest steps (same
# results, tested both ways) and the stdlib's constant-time comparison.
_mac._digest, _mac._compare = _codec_fast.hmac_digest, _hmac.compare_digest
_escape._fast = _codec_fast.escape
