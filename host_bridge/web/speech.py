"""Spoken calls for hall screens whose browser has no French voice: the bridge says them with
espeak-ng (Debian's `espeak-ng` package), offline — never a cloud voice. Only call
announcements are spoken (« Ticket C dix-sept, guichet trois »): the text must have that
shape, so the endpoint cannot be used to make the hall say anything else.
"""
from __future__ import annotations

import functools
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from ..api.errors import responses

_WORDS = r"[a-zàâçéèêëîïôûùüÿœ-]+(?: [a-zàâçéèêëîïôûùüÿœ-]+)*"
ANNOUNCEMENT = {
    "fr": re.compile(rf"^Ticket [A-Z]{{1,3}} {_WORDS}, guichet {_WORDS}$"),
    "en": re.compile(r"^Ticket [A-Z]{1,3} \d{1,6}, counter \d{1,3}$"),
}
VOICES = {"fr": "fr", "en": "en-gb"}
router = APIRouter(prefix="/api", tags=["pages"])


class SpeechUnavailable(RuntimeError):
    pass


@functools.lru_cache(maxsize=128)  # a recall says the same again
def say(text: str, lang: str) -> bytes:
    binary = shutil.which("espeak-ng")
    if binary is None:
        raise SpeechUnavailable("espeak-ng is not installed on the bridge (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "call.wav"
        done = subprocess.run([binary, "-v", VOICES[lang], "-s", "140", "-w", str(wav), text],
                              capture_output=True, timeout=20)
        if done.returncode != 0 or not wav.exists():
            raise SpeechUnavailable(f"espeak-ng failed: {done.stderr.decode(errors='replace')[:200]}")
        return wav.read_bytes()


@router.get("/announce.wav", summary="A call announcement as speech (hall screens without a voice)",
            response_class=Response,
            responses={**responses(422), 200: {"content": {"audio/wav": {}}},
                       503: {"description": "espeak-ng is not installed on the bridge"}})
def announce(text: Annotated[str, Query(min_length=10, max_length=120)],
             lang: Annotated[str, Query(pattern="^(fr|en)$")] = "fr") -> Response:
    if not ANNOUNCEMENT[lang].match(text):
        return JSONResponse({"error": "invalid_request",
                             "message": "only a call announcement can be spoken"}, 422)
    try:
        audio = say(text, lang)
    except SpeechUnavailable as exc:
        return JSONResponse({"error": "speech_unavailable", "message": str(exc)}, 503)
    return Response(audio, media_type="audio/wav", headers={"Cache-Control": "max-age=86400"})
