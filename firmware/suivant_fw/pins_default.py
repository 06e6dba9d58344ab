"""The shipped pin map of each role, for a config.json without `pins`.

GENERATED from hardware/<role>/pins.json by hardware/gen_pins_default.py: do not edit. After
changing a pins.json, run `.venv/bin/python hardware/gen_pins_default.py`.
"""

PINS = {
    "counter": {
        "schema": 1,
        "role": "counter",
        "board": "esp32-devkit-c-v4",
        "buttons": {"next": 32, "recall": 33, "absent": 25, "transfer": 26, "pause": 27},
        "display": {"driver": "tm1637", "clk": 18, "dio": 19},
        "led": {"driver": "dual", "green": 21, "red": 22},
        "buzzer": {"driver": "piezo_pwm", "pin": 23},
        "rs485": {"driver": "max3485", "tx": 17, "rx": 16, "de": 4},
    },
    "display": {
        "schema": 1,
        "role": "display",
        "board": "esp32-devkit-c-v4",
        "display": {"driver": "tm1637", "clk": 18, "dio": 19},
        "rs485": {"driver": "max3485", "tx": 17, "rx": 16, "de": 4},
    },
    "hall": {
        "schema": 1,
        "role": "hall",
        "board": "esp32-devkit-c-v4",
        "display": {
            "driver": "max7219_matrix",
            "din": 23,
            "clk": 18,
            "cs": 21,
            "chain": {"lines": 3, "modules_per_line": 4, "layout": "fc16"},
        },
        "rs485": {"driver": "max3485", "tx": 17, "rx": 16, "de": 4},
    },
    "feedback": {
        "schema": 1,
        "role": "feedback",
        "board": "esp32-devkit-c-v4",
        "buttons": {"vote_1": 32, "vote_2": 33, "vote_3": 25, "vote_4": 26},
        "led": {"driver": "per_button", "vote_1": 18, "vote_2": 19, "vote_3": 21, "vote_4": 22},
        "rs485": {"driver": "max3485", "tx": 17, "rx": 16, "de": 4},
    },
}
