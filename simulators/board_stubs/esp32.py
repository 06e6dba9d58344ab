"""Stand-in for the ESP32's `esp32` module (see machine.py beside it): only what the HAL reads,
the IDF heap's regions for `status` (hal_esp32.Hal.heap). A test may change REGIONS."""
HEAP_DATA = 4  # the real module's capability flags (MALLOC_CAP_8BIT, MALLOC_CAP_EXEC)
HEAP_EXEC = 1

# (total, free, largest free block, minimum free seen) per region, as idf_heap_info gives them;
# figures of the order a WROOM-32 shows with Wi-Fi up
REGIONS = [(113200, 61400, 31744, 52100), (15072, 14900, 14336, 14900)]


def idf_heap_info(capabilities):
    return list(REGIONS) if capabilities & HEAP_DATA else []
