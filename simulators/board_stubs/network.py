"""Stand-in for the ESP32's `network` module (see machine.py beside it): a WLAN that is up."""
STA_IF = 0


class WLAN:
    PM_NONE = 0
    PM_PERFORMANCE = 1
    PM_POWERSAVE = 2

    def __init__(self, interface=STA_IF):
        self.up = True
        self.pm = WLAN.PM_PERFORMANCE  # the ESP32's default: power save between beacons

    def config(self, pm=None):
        if pm is not None:
            self.pm = pm

    def isconnected(self):
        return self.up

    def active(self, on=None):
        return True

    def connect(self, ssid, password):
        pass

    def disconnect(self):
        pass

    def status(self, what=None):
        return -60
