"""Reading config.json at boot, then giving back the RAM the validator took.

The validator and the default pin maps are needed once per boot but keep about 15 KB of the
40 KB budget while imported (docs/performance.md), so they are dropped once the config is read.
"""
import gc
import sys

_ONCE = ("config", "pins_default")


def _forget(package, names):
    for name in names:
        sys.modules.pop(package.__name__ + "." + name, None)
        if hasattr(package, name):  # an imported submodule is also an attribute of its package
            delattr(package, name)


def load_config(path="config.json"):
    """(validated config, 32-byte key). Raises suivant_fw.config.ConfigError, whose code the
    display shows; the validator is dropped from memory either way."""
    import suivant_fw
    from suivant_fw import config
    try:
        cfg = config.load(path)
        return cfg, config.key_bytes(cfg)
    finally:
        del config  # the last reference, so gc.collect() below can free the module
        _forget(suivant_fw, _ONCE)
        gc.collect()
