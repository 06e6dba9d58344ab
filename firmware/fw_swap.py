# Boot-time recovery of a firmware swap cut short by a power loss: main.py calls recover()
# before it imports anything of the firmware, so this module imports nothing of suivant_fw.
#
# `suivant device flash` installs a build in four steps (host_bridge/provisioning/swap.py):
#   1. suivant_fw.new/ written whole and its hashes checked, then its MANIFEST written last:
#      a suivant_fw.new without MANIFEST is half written and never used;
#   2. rename suivant_fw -> suivant_fw.old;   3. rename suivant_fw.new -> suivant_fw;
#   4. suivant_fw.old removed.
# A rename is atomic on LittleFS, so the one broken state is "no suivant_fw" (a cut between 2
# and 3): the complete new build goes into place, or else the old one back. Leftover .new or
# .old folders beside a suivant_fw are harmless; the next flash removes them.
# Names are relative: a board boots in "/" (and the tests boot a flash folder).
# Over-the-air updates will add their trial boot and rollback here, in recover().
import os

PKG = "suivant_fw"
NEW = "suivant_fw.new"
OLD = "suivant_fw.old"
MARKER = "MANIFEST"  # written last into NEW: the build is complete and checked


def _exists(path):
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def recover():
    """Finish an interrupted swap; returns what was put in place ("new", "old") or None."""
    if _exists(PKG):
        return None
    done = None
    if _exists(NEW + "/" + MARKER):
        os.rename(NEW, PKG)
        done = "new"
    elif _exists(OLD):
        os.rename(OLD, PKG)
        done = "old"
    if done:
        print("suivant: firmware swap interrupted; finished with the %s build" % done)
    return done
