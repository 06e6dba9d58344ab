"""Virtual boards that run the real firmware (firmware/suivant_fw) on the desktop."""
