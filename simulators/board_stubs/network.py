"""Stand-in for the ESP32's `network` module (see machine.py beside it): a WLAN that is up."""
STA_IF = 0


class WLAN:
    def __init__(self, interface=STA_IF):
        self.up = True

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
