"""Suivant's host bridge: the one authoritative queue of a site and the links to its boards."""
from . import codec_fast as _codec_fast

# The protocol's codec (suivant_fw) is written for the boards, in Python; the bridge checks and
# signs every line, so it gives the codec CPython-fast versions of its hottest steps (same
# results, tested both ways).
_codec_fast.install()
