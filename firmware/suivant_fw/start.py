"""What the board's main.py runs: read config.json, then run the device for ever.

- config.json sealed (suivant_fw.boot): taken without the validator; valid but not sealed (a
  hand edit, a config written by an older bridge): written back sealed, for the next boot;
- config.json refused: its error code on the display (hal_esp32.show_code) and the reason on
  the REPL, then back to the REPL so a technician can fix the file with mpremote;
- Ctrl-C (mpremote, a technician): back to the REPL, the watchdog given an hour (hal.idle);
- any other exception is a bug: printed, then the board resets after RESET_DELAY_MS, so a
  device in a hall comes back by itself (and a technician can still press Ctrl-C in time).
"""
import sys

RESET_DELAY_MS = 5000


def run(path="config.json"):
    from suivant_fw import boot
    try:
        cfg, key = boot.load_config(path)
    except ValueError as e:  # config.ConfigError (a ValueError): the module is dropped by now
        code = getattr(e, "code", "C0")
        print("suivant: %s refused: %s" % (path, e))
        print("suivant: fix it (firmware/CONFIG.md), e.g. with `suivant device config`; stopped")
        from suivant_fw.hal_esp32 import show_code
        show_code(code, path)
        return
    if cfg.pop(boot.SEAL, None) is None:  # validated in full this time: not the next
        boot.write_sealed(path, cfg)
    import asyncio

    from suivant_fw.app import App
    from suivant_fw.hal_esp32 import Hal
    hal = Hal(cfg)
    try:
        asyncio.run(App(cfg, key, hal).run())
    except KeyboardInterrupt:
        hal.idle()
        print("suivant: stopped (Ctrl-C); the watchdog resets the board in an hour")
    except Exception as e:  # noqa: BLE001 - a bug: tell, then restart the device
        sys.print_exception(e)  # MicroPython's
        import time

        import machine
        time.sleep_ms(RESET_DELAY_MS)
        machine.reset()
