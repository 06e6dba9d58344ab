"""The demo's citizens ask the reception questions from their ticket page and answer the survey
once served (issue 17); a simulated receptionist answers every other question after 20 seconds
and leaves the rest to the visitor's console (/guichet, « Questions des usagers »).

    questions = DemoQuestions(api_url, traffic, DEMO_TOKENS["agent"]).start()   # a link

Through the HTTP API only, as a phone and a console would: a question is first matched
against the service's FAQ (about half the citizens shown a matching entry take it as their
answer), then sent. A thread polls every TICK_S seconds; it follows at most FOLLOWED tickets.
"""
from __future__ import annotations

import json
import logging
import random
import threading
import urllib.error
import urllib.request
from collections import deque
from datetime import datetime, timezone
from typing import Any

log = logging.getLogger(__name__)
TICK_S = 2.0
FOLLOWED = 60  # the latest tickets watched for their end (the survey)
ASK_SHARE = 0.3  # of the citizens ask a question (the first two always: the visitor sees some)
ANSWER_AFTER_S = 20.0  # the simulated receptionist's delay, in real seconds
SURVEY_SHARE = 0.6
SCORES = ((4, 0.4), (3, 0.45), (2, 0.1), (1, 0.05))

# What people ask while waiting, per service of the example site: some have their answer in
# the FAQ (examples/mairie.toml), some need a person. (text, the receptionist's answer)
QUESTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "accueil": (
        ("Vous fermez à quelle heure aujourd'hui ?", "Nous fermons à 17 h, les tickets sont pris jusqu'à 16 h 45."),
        ("Je peux déposer mon dossier complet sans attendre ?", "Oui : la boîte aux lettres à l'entrée, ou l'accueil vous remet un récépissé."),
        ("Est-ce qu'on peut payer la cantine ici ?", "Oui, par carte ou chèque, au guichet 1."),
    ),
    "etat-civil": (
        ("Comment avoir un acte de naissance pour mon fils ?", "Avec votre pièce d'identité et le livret de famille : l'agent vous le remet sur place."),
        ("Combien de temps pour un acte de mariage ?", "Il est délivré sur place, en quelques minutes."),
        ("Il faut un rendez-vous pour un PACS ?", "Oui : l'agent vous donnera une date au guichet."),
    ),
    "passeports-cni": (
        ("Quels papiers apporter pour ma carte d'identité ?", "La pré-demande, une photo de moins de 6 mois, un justificatif de domicile et l'ancienne carte."),
        ("Je n'ai pas de photo, il y a une cabine ?", "Oui, dans le hall, à droite de l'entrée (6 €)."),
        ("Ma carte est prête ? J'ai reçu un SMS.", "Passez au guichet 3 avec le récépissé : le retrait se fait sans rendez-vous."),
    ),
    "urbanisme": (
        ("Pour un abri de jardin de 15 m², permis ou déclaration ?", "Une déclaration préalable suffit sous 20 m² ; l'agent vérifiera le PLU avec vous."),
        ("Je peux consulter le PLU ici ?", "Oui, au guichet 4, ou en ligne sur le site de la ville."),
    ),
}
COMMENTS = ("Accueil très aimable, merci.", "Un peu long, mais on m'a bien renseigné.",
            "Pratique de suivre son tour sur le téléphone.", "Il manquait des chaises dans le hall.")


class _Refused(Exception):
    pass


def _call(url: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            raw = answer.read()
            return json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:  # a refusal: this citizen moves on
        raise _Refused(exc.code) from None


class DemoQuestions:
    def __init__(self, api: str, traffic: Any, token: str, seed: int = 7):
        self.api, self.traffic, self.token = api, traffic, token
        self.rng = random.Random(seed)
        self._seen = 0  # traffic.issued read so far
        self._asked = 0
        self._followed: deque[str] = deque(maxlen=FOLLOWED)
        self._surveyed: set[str] = set()
        self._ours: dict[str, str] = {}  # conversation label -> the answer our receptionist gives
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="demo-questions", daemon=True)

    def start(self) -> DemoQuestions:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(TICK_S):
            try:
                self.tick()
            except (OSError, _Refused, ValueError, KeyError):  # a bridge restarting: next tick
                log.debug("demo questions: tick failed", exc_info=True)

    def tick(self) -> None:
        issued = self.traffic.issued
        for ticket in issued[self._seen:]:
            if ticket.ticket_id is None:
                continue
            self._followed.append(ticket.ticket_id)
            if self._asked < 2 or self.rng.random() < ASK_SHARE:
                self._ask(ticket.ticket_id, ticket.service)
        self._seen = len(issued)
        self._answer_some()
        self._surveys()

    def _ask(self, ticket_id: str, service: str) -> None:
        choices = QUESTIONS.get(service)
        if not choices:
            return
        text, reply = self.rng.choice(choices)
        base = f"{self.api}/api/tickets/{ticket_id}/questions"
        try:
            faq = _call(f"{base}/match", {"text": text})["faq"]
            if faq and self.rng.random() < 0.5:  # the FAQ's answer was enough
                _call(f"{base}/faq-answered", {"entry": faq[0]["id"]})
                return
            _call(base, {"text": text})
        except _Refused:
            return
        self._asked += 1
        if self._asked % 2 == 1:  # every other one is ours; the rest wait for the visitor
            label = _call(f"{self.api}/api/tickets/{ticket_id}")["ticket"]["label"]
            self._ours[label] = reply

    def _answer_some(self) -> None:
        if not self._ours:
            return
        view = _call(f"{self.api}/api/questions", token=self.token)
        now = datetime.now(timezone.utc)
        for c in view["conversations"]:
            reply = self._ours.get(c["label"])
            since = c.get("waiting_since")
            if c["status"] != "open" or reply is None or since is None:
                continue
            if (now - datetime.fromisoformat(since)).total_seconds() < ANSWER_AFTER_S:
                continue
            try:  # answered, then closed, as a receptionist does once the reply is enough
                _call(f"{self.api}/api/questions/{c['id']}/answer",
                      {"text": reply, "faq_entry": None}, self.token)
                _call(f"{self.api}/api/questions/{c['id']}/close", {"abusive": False}, self.token)
            except _Refused:
                pass
            del self._ours[c["label"]]

    def _surveys(self) -> None:
        for ticket_id in list(self._followed):
            if ticket_id in self._surveyed:
                continue
            try:
                status = _call(f"{self.api}/api/tickets/{ticket_id}")["ticket"]["status"]
            except _Refused:
                self._surveyed.add(ticket_id)
                continue
            if status in ("waiting", "called"):
                continue
            self._surveyed.add(ticket_id)
            if status != "served" or self.rng.random() >= SURVEY_SHARE:
                continue
            score = self.rng.choices([s for s, _ in SCORES], [w for _, w in SCORES])[0]
            comment = self.rng.choice(COMMENTS) if self.rng.random() < 0.3 else None
            try:
                _call(f"{self.api}/api/tickets/{ticket_id}/survey",
                      {"score": score, "comment": comment})
            except _Refused:
                pass
        if len(self._surveyed) > 4 * FOLLOWED:  # bounded: forget the ones no longer followed
            self._surveyed &= set(self._followed)
