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
# Over-the-air updates (suivant_fw/ota.py, protocol.md §9) stage a build the same way and
# leave ota.json saying "swap"; trial() then swaps it in, counts its trial boot, and puts the
# old build back if the board boots again before the new one confirmed itself.
import os

PKG = "suivant_fw"
NEW = "suivant_fw.new"
OLD = "suivant_fw.old"
MARKER = "MANIFEST"  # written last into NEW: the build is complete and checked
BAD = "suivant_fw.bad"
STATE = "ota.json"


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


def _state():
    import json
    try:
        with open(STATE) as f:
            st = json.load(f)
        return st if isinstance(st, dict) else None
    except (OSError, ValueError):
        return None


def _save(st):
    import json
    with open(STATE + ".tmp", "w") as f:
        f.write(json.dumps(st))
    os.rename(STATE + ".tmp", STATE)


def _remove_tree(path):
    try:
        names = os.listdir(path)
    except OSError:
        return
    for name in names:
        os.remove(path + "/" + name)
    os.rmdir(path)


def trial():
    """After recover(): ota.json's "swap" -> the staged build in place, on trial (True: main.py
    arms the watchdog); "trial" on a second boot -> the build did not confirm itself (it
    crashed, hung, or never reached the bridge): the old build back, "rolled_back" noted
    for the bridge. Each step can be cut by a power loss and done again."""
    st = _state()
    if st is None:
        return False
    state = st.get("state")
    if state == "swap":
        if _exists(NEW + "/" + MARKER):  # else a cut after the renames below: done already
            _remove_tree(OLD)
            if _exists(PKG):
                os.rename(PKG, OLD)
            os.rename(NEW, PKG)
        st["state"] = "trial"
        st["boots"] = 1
        _save(st)
        print("suivant: build %s on trial" % st.get("build"))
        return True
    if state == "trial":
        if not st.get("boots"):
            st["boots"] = 1
            _save(st)
            return True
        st["state"] = state = "rollback"
        _save(st)
    if state == "rollback":
        if _exists(OLD):  # else a cut after the renames below
            _remove_tree(BAD)
            if _exists(PKG):
                os.rename(PKG, BAD)
            os.rename(OLD, PKG)
        _remove_tree(BAD)
        _save({"build": st.get("prev", 0), "state": "ok",
               "failed": [st.get("build", 0), "rolled_back", "no_confirm"]})
        print("suivant: build %s did not confirm itself; build %s back"
              % (st.get("build"), st.get("prev", 0)))
    return False
