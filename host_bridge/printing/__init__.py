"""The kiosk's ticket printer (ESC/POS thermal printers, through python-escpos)."""
