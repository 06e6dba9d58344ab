"""Stand-in for the ESP32's `network` module (see machine.py beside it): a station WLAN whose
access point a test can take out of reach and bring back.

    network.WLAN.drop()       # the access point is gone: isconnected() turns False at once
    network.WLAN.restore()    # back: a station that was asked to connect is connected again

As on the ESP32, connect() starts an association that the driver keeps retrying by itself
(MicroPython's default `reconnects` is unlimited), until disconnect()."""
STA_IF = 0
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201


class WLAN:
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2
    in_reach = True  # the access point, for every WLAN object (there is one radio)
    drops = 0

    def __init__(self, interface=STA_IF):
        self.pm = WLAN.PM_PERFORMANCE  # the ESP32's default: power save between beacons
        self.wanted = True  # associated at boot (the tests' boards start on a working Wi-Fi)
        self.connects = 0

    @staticmethod
    def drop():
        WLAN.in_reach = False
        WLAN.drops += 1

    @staticmethod
    def restore():
        WLAN.in_reach = True

    def config(self, pm=None):
        if pm is not None:
            self.pm = pm

    def isconnected(self):
        return self.wanted and WLAN.in_reach

    def active(self, on=None):
        return True

    def connect(self, ssid, password):
        self.wanted = True
        self.connects += 1

    def disconnect(self):
        self.wanted = False

    def status(self, what=None):
        if what == "rssi":
            return -60
        if self.isconnected():
            return STAT_GOT_IP
        return STAT_CONNECTING if self.wanted else STAT_IDLE
