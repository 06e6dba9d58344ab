"""Debounce / long press (suivant_fw.buttons) and the 7-segment text (suivant_fw.segments).

The frozen vectors run under CPython and real MicroPython (from source and from .mpy); the
hypothesis properties compare the debouncer with a reference written another way (offline,
over runs of equal samples) and state the promises of both modules on random input.
"""
from __future__ import annotations

import bisect
import itertools
import subprocess
import sys
from pathlib import Path

import check_firmware_logic
import pytest
from hypothesis import given
from hypothesis import strategies as st
from checker_runs import FORMS, run_checker, vector_counts
from micropython_wasm import FIRMWARE, run
from suivant_fw import segments
from suivant_fw.buttons import EVENT_NAMES, Buttons

HERE = Path(__file__).resolve().parent
CHECKER = HERE / "check_firmware_logic.py"
VECTORS = HERE / "vectors"
DEBOUNCE, LONG = 30, 1500  # the documented defaults


def vector_count() -> int:
    vectors = check_firmware_logic.load(str(VECTORS))
    return sum(len(vectors[name][section]) for name, section, _ in check_firmware_logic.CHECKS)


def assert_all_passed(output: str) -> None:
    passed, failed = vector_counts("firmware logic", output)
    assert failed == 0 and passed == vector_count() > 0, output


# ---- the vectors, under both interpreters ----------------------------------------------------

def test_vectors_pass_under_cpython() -> None:
    done = subprocess.run([sys.executable, str(CHECKER), str(VECTORS)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert_all_passed(done.stdout)


@pytest.mark.parametrize("form", FORMS)
def test_vectors_pass_under_micropython(form: str, tmp_path: Path) -> None:
    result = run_checker(CHECKER, form, tmp_path, "", "VECTORS_DIR", FIRMWARE_PATH="/firmware")
    assert result.returncode == 0, result.output
    assert_all_passed(result.stdout)


NO_ALLOCATION = """\
import gc
from suivant_fw import segments
from suivant_fw.buttons import Buttons

buttons, levels, out = Buttons(5, (4,)), bytearray(5), bytearray(4)
glyphs = segments.fit("C017")

def sample(n, t):
    for k in range(n):
        levels[0] = (k // 7) & 1  # bounces and presses on 'next'
        levels[4] = 1 if k % 300 < 250 else 0  # long presses on 'pause'
        buttons.update(t, levels)
        segments.to_bytes(segments.blink(glyphs, t, 500, 10 ** 6), out)
        t += 10
    return t

def allocated(n, t):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    sample(n, t)
    used = gc.mem_alloc() - before
    gc.enable()
    return used

t = sample(10, 0)  # warm up
print("allocated", allocated(3000, t), allocated(3000, t + 30000))
"""


def test_the_hot_path_allocates_nothing_under_micropython() -> None:
    """update(), blink() and to_bytes(glyphs, out) at every sample: no heap allocation (while
    now_ms stays a small int, below 2**30 on the ESP32)."""
    result = run(NO_ALLOCATION, files={"/firmware": FIRMWARE}, sys_path=["/firmware"])
    assert result.returncode == 0, result.output
    assert result.stdout == "allocated 0 0\n", result.output


def test_the_checker_reports_a_wrong_vector(tmp_path: Path) -> None:
    wrong = tmp_path / "vectors"
    wrong.mkdir()
    (wrong / "segments.json").write_text((VECTORS / "segments.json").read_text())
    (wrong / "buttons.json").write_text((VECTORS / "buttons.json").read_text()
                                        .replace('[[50, 0, "press"]', '[[60, 0, "press"]', 1))
    done = subprocess.run([sys.executable, str(CHECKER), str(wrong)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 1
    assert "FAIL buttons.json cases/clean press and release" in done.stdout
    assert f"firmware logic vectors: {vector_count() - 1} passed, 1 failed" in done.stdout


# ---- buttons: a reference debouncer, written over runs of equal samples ----------------------

Signal = list[tuple[int, int]]  # (t_ms, 1 = pressed), t never decreasing


def reference(signal: Signal, has_long: bool, debounce: int = DEBOUNCE,
              long: int = LONG) -> list[tuple[int, str]]:
    """The events docs promise, computed offline: the signal cut into maximal runs of equal
    level; a run of the other level changes the state at its first sample >= debounce after
    its start; LONG at the first sample showing 'pressed' >= long after the press began."""
    runs: list[tuple[int, int, int]] = []  # (first index, last index, level)
    for i, (_, level) in enumerate(signal):
        if runs and runs[-1][2] == level:
            runs[-1] = (runs[-1][0], i, level)
        else:
            runs.append((i, i, level))
    events: list[tuple[int, str]] = []
    state, down_at, long_sent = 0, 0, False
    for first, last, level in runs:
        start = signal[first][0]
        if level == 1 and state == 1:  # still held (possibly after a release glitch)
            if has_long and not long_sent:
                for t, _ in signal[first:last + 1]:
                    if t - down_at >= long:
                        events.append((t, "long"))
                        long_sent = True
                        break
            continue
        if level == state:
            continue
        change = next((k for k in range(first, last + 1) if signal[k][0] - start >= debounce),
                      None)
        if change is None:  # a glitch: ignored
            continue
        state = level
        t_change = signal[change][0]
        if level == 1:
            down_at, long_sent = start, False
            if not has_long:
                events.append((t_change, "press"))
            else:
                for t, _ in signal[change:last + 1]:
                    if t - down_at >= long:
                        events.append((t, "long"))
                        long_sent = True
                        break
        else:
            events.append((t_change, "short" if has_long and not long_sent else "release"))
    return events


def feed(signal: Signal, has_long: bool, debounce: int = DEBOUNCE,
         long: int = LONG) -> list[tuple[int, str]]:
    b = Buttons(1, (0,) if has_long else (), debounce, long)
    events = []
    for t, level in signal:
        if b.update(t, [level]):
            events.append((t, EVENT_NAMES[b.events[0]]))
    return events


def signals(max_step: int = 60, max_parts: int = 40) -> st.SearchStrategy[Signal]:
    """Random raw samples: up to max_parts stretches of 1 to 40 samples of one level, 0 to
    max_step ms apart."""
    def build(parts: list[tuple[int, int, bool]]) -> Signal:
        out, t = [], 0
        for step, repeat, level in parts:
            for _ in range(repeat):
                out.append((t, int(level)))
                t += step
        return out
    part = st.tuples(st.integers(0, max_step), st.integers(1, 40), st.booleans())
    return st.lists(part, max_size=max_parts).map(build)


@given(signals(), st.booleans())
def test_the_debouncer_agrees_with_the_reference(signal: Signal, has_long: bool) -> None:
    assert feed(signal, has_long) == reference(signal, has_long)


@given(signals(max_step=8), st.booleans(), st.integers(0, 100), st.integers(1, 2000))
def test_the_debouncer_agrees_with_the_reference_for_any_settings(
        signal: Signal, has_long: bool, debounce: int, extra: int) -> None:
    long = debounce + extra
    assert feed(signal, has_long, debounce, long) == reference(signal, has_long, debounce, long)


def test_the_reference_is_not_the_identity() -> None:
    """The reference sees what the vectors say: a 20 ms glitch is nothing, a held long-action
    button gives one long then one release."""
    glitch = [(t, int(50 <= t < 70)) for t in range(0, 200, 10)]
    assert reference(glitch, False) == []
    held = [(t, int(t < 2000)) for t in range(0, 2100, 10)]
    assert reference(held, True) == [(1500, "long"), (2030, "release")]
    assert reference(held, False) == [(30, "press"), (2030, "release")]


@given(signals(), st.booleans())
def test_presses_and_releases_alternate(signal: Signal, has_long: bool) -> None:
    """Never two presses without a release between: PRESS/LONG open a press, RELEASE closes it,
    SHORT is a whole press; one action per press."""
    held = False
    for _, name in feed(signal, has_long):
        if name in ("press", "long"):
            assert not held
            assert (name == "long") == has_long
            held = True
        elif name == "release":
            assert held
            held = False
        else:
            assert name == "short" and has_long and not held


@given(st.lists(st.tuples(st.integers(DEBOUNCE, 500), st.integers(1, 6), st.integers(1, 9)),
                max_size=30),
       st.booleans())
def test_glitches_shorter_than_the_debounce_time_give_no_event(
        glitches: list[tuple[int, int, int]], has_long: bool) -> None:
    """Idle, with pressed glitches whose samples span less than the debounce time."""
    signal, t = [], 0
    for gap, samples, step in glitches:
        signal.append((t, 0))
        t += gap
        for k in range(samples):
            if k * step >= DEBOUNCE:
                break
            signal.append((t + k * step, 1))
        t += (samples - 1) * step + 1
    assert feed(signal, has_long) == []


@given(st.lists(st.integers(1, DEBOUNCE - 1), max_size=5),
       st.lists(st.tuples(st.integers(1, 25), st.booleans()), min_size=1, max_size=400),
       st.integers(0, 3000))
def test_a_held_button_gives_exactly_one_long(bounces: list[int],
                                              hold: list[tuple[int, bool]],
                                              extra: int) -> None:
    """Bounces at the press, one-sample release glitches while held, held past the threshold
    by a random time: one LONG, then one RELEASE once let go, nothing else."""
    signal, t = [], 0
    for width in bounces:  # press bounce: pressed for less than the debounce time
        signal += [(t, 1), (t + width, 0)]
        t += width + 1
    start, glitched = t, False
    for step, glitch in hold:
        # no glitch before the press is debounced (its sample is by start + 54), none twice
        glitched = glitch and not glitched and t - start > 2 * DEBOUNCE
        signal.append((t, 0 if glitched else 1))
        t += step
    while t - start < LONG + extra:
        signal.append((t, 1))
        t += 10
    signal.append((t, 1))
    assert [name for _, name in feed(signal, True)] == ["long"]
    released = signal + [(t + 1 + k * 10, 0) for k in range(5)]
    assert [name for _, name in feed(released, True)] == ["long", "release"]


@given(st.integers(DEBOUNCE, LONG - 1), st.integers(1, 40), st.integers(1, 40))
def test_released_before_the_threshold_is_short_even_if_its_debounce_ends_after(
        held: int, press_step: int, release_step: int) -> None:
    """Pressed from 0 to `held` (< long_ms), then released for good: SHORT, never LONG, even
    when the release is confirmed after the threshold."""
    signal = [(t, 1) for t in range(0, held, press_step)] + [(held, 1)]
    signal += [(held + 1 + k * release_step, 0) for k in range(DEBOUNCE // release_step + 2)]
    assert [name for _, name in feed(signal, True)] == ["short"]


@given(signals(), signals(), st.booleans(), st.booleans())
def test_buttons_are_independent(first: Signal, second: Signal, long0: bool,
                                 long1: bool) -> None:
    """Two buttons sampled together give each the events it would give alone."""
    times = sorted({t for t, _ in first} | {t for t, _ in second})

    def level_at(signal: Signal, t: int) -> int:
        """The level of the last sample at or before t (released before the first)."""
        i = bisect.bisect_right(signal, (t, 1))
        return signal[i - 1][1] if i else 0

    together = [(t, level_at(first, t), level_at(second, t)) for t in times]
    b = Buttons(2, tuple(i for i, has in enumerate((long0, long1)) if has))
    got: tuple[list[tuple[int, str]], list[tuple[int, str]]] = ([], [])
    for t, a, c in together:
        b.update(t, (a, c))
        for i in (0, 1):
            if b.events[i]:
                got[i].append((t, EVENT_NAMES[b.events[i]]))
    assert got[0] == feed([(t, a) for t, a, _ in together], long0)
    assert got[1] == feed([(t, c) for t, _, c in together], long1)


# ---- segments --------------------------------------------------------------------------------

widths = st.integers(1, 12)


@given(st.text(max_size=40), widths, st.booleans())
def test_fit_always_gives_width_known_glyphs(text: str, width: int, right: bool) -> None:
    glyphs = segments.fit(text, width, right)
    assert len(glyphs) == width
    assert set(glyphs) <= set(segments.CHARS)
    data = segments.to_bytes(glyphs)
    assert len(data) == width
    assert all(0 <= b < 256 and b in segments.FONT for b in data)


def shown_as(c: str) -> str:
    """The glyph of one character, as the docstring says: a-z as A-Z, '?' without a glyph."""
    c = c.upper() if "a" <= c <= "z" else c
    return c if c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -_=.?'\"[]/*" else "?"


@given(st.text(max_size=12), widths)
def test_fit_cuts_normalises_and_pads(text: str, width: int) -> None:
    cut = "".join(shown_as(c) for c in text[:width])
    assert segments.fit(text, width) == cut.ljust(width)
    assert segments.fit(text, width, right=True) == cut.rjust(width)


def test_every_font_byte_is_a_byte_and_only_documented_letters_share_a_glyph() -> None:
    assert len(segments.FONT) == len(segments.CHARS)
    assert all(0 <= b < 256 for b in segments.FONT)
    owners: dict[int, str] = {}
    for c, b in zip(segments.CHARS, segments.FONT):
        owners[b] = owners.get(b, "") + c
    shared = sorted(chars for chars in owners.values() if len(chars) > 1)
    assert shared == ["2Z", "5S", "C["]  # S = 5, Z = 2 (docstring); '[' draws like C
    assert [c for c, b in zip(segments.CHARS, segments.FONT) if b == 0] == [" "]


@given(st.text(max_size=60), st.integers(1, 8))
def test_frames_slide_one_glyph_at_a_time_and_stay_bounded(text: str, width: int) -> None:
    frames = segments.frames(text, width)
    assert 1 <= len(frames) <= max(1, segments.MAX_TEXT - width + 1)
    assert all(len(f) == width for f in frames)
    for before, after in itertools.pairwise(frames):
        assert before[1:] == after[:-1]
    if len(frames) > 1:
        whole = frames[0] + "".join(f[-1] for f in frames[1:])
        assert whole == segments.fit(text, min(len(text), segments.MAX_TEXT))


@given(st.text(min_size=1, max_size=8).filter(lambda s: s.strip(" ")), st.integers(0, 2**40),
       st.integers(2, 5000), st.integers(0, 2**40))
def test_blink_shows_the_glyphs_or_blanks_of_the_same_width(
        glyphs: str, now: int, period: int, until: int) -> None:
    shown = segments.blink(glyphs, now, period, until)
    if now >= until:
        assert shown == glyphs
    else:
        assert shown in (glyphs, " " * len(glyphs))
        assert (shown == glyphs) == (now % period < period - period // 2)


@given(st.text(max_size=6), st.integers(0, 4))
def test_to_bytes_into_a_buffer_writes_only_the_glyphs(glyphs: str, spare: int) -> None:
    out = bytearray(b"\xaa" * (len(glyphs) + spare))
    assert segments.to_bytes(glyphs, out) is out
    assert out[:len(glyphs)] == segments.to_bytes(glyphs)
    assert out[len(glyphs):] == b"\xaa" * spare
