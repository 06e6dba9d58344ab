"""Suivant's host bridge: the one authoritative queue of a site and the links to its boards."""
import hmac as _hmac

from suivant_fw import mac as _mac

# The protocol's MAC (suivant_fw.mac) is written for the boards, in Python; the bridge checks
# and signs every line, so it gives the codec CPython's C HMAC (same result, tested both ways).
_mac._digest, _mac._compare = _hmac.digest, _hmac.compare_digest
