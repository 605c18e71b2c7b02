"""Refusals in Dutch: one sentence per refusal by the domain, the same for the API (the
`detail_nl` member of a problem document) and for the web pages.

The domain refuses in English (`RuleViolation(rule, message)`). Here each rule R1–R16 has its
Dutch name and what it asks, and the messages the domain words from a template are translated
by pattern, with the template's values kept; a message without a pattern gets the rule's
sentence. tests/test_refusals.py holds the tables against the rules and the domain's messages.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from projections.audit.render import day

RULES: dict[str, tuple[str, str]] = {
    "R1": ("Wie en wanneer", "elke stap vermeldt wie hem zette, in welke rol, en waarom"),
    "R2": (
        "Niets wordt gewist",
        "leerbewijs, feedback, niveaus en besluiten worden nooit gewijzigd",
    ),
    "R3": ("Vaste regels", "een traject volgt de programmaversie waarop het begon"),
    "R4": (
        "Geldige verwijzingen",
        "wat een stap noemt, bestaat in deze programmaversie en op dit traject",
    ),
    "R5": ("Feedback", "feedback noemt een bron en de leeropbrengsten waar ze over gaat"),
    "R6": (
        "Medium-stakes op volgorde",
        "de medium-stakes volgen elkaar op met een tussentijds portfolio",
    ),
    "R7": (
        "Groen licht",
        "alleen de coach geeft of onthoudt het groene licht, na de tweede medium-stake",
    ),
    "R8": (
        "Vervroegde route",
        "de vervroegde high-stake kan alleen als meer dan de helft van de leeropbrengsten "
        "ver genoeg is",
    ),
    "R9": (
        "Aanvraag high-stake",
        "de high-stake vraagt groen licht, een volledig portfolio en een leeswijzer",
    ),
    "R10": (
        "Beoordelaars",
        "ten minste twee verschillende, geregistreerde beoordelaars, niet alleen de coach",
    ),
    "R11": (
        "Onafhankelijk oordeel",
        "elke toegewezen beoordelaar oordeelt zelf, zonder de anderen te zien",
    ),
    "R12": (
        "Twijfel",
        "bij twijfel of verschil van oordeel volgt eerst een criteriumgericht interview",
    ),
    "R13": ("Geen compensatie", "geslaagd alleen als elke leeropbrengst de cesuur haalt"),
    "R14": (
        "Examencommissie",
        "alleen leden van de examencommissie stemmen, elk één keer, geen beoordelaar van de poging",
    ),
    "R15": ("Herkansing", "na een niet-geslaagde high-stake eerst een ontwikkelplan"),
    "R16": ("Afgesloten is afgesloten", "een bekrachtigd geslaagd traject is afgesloten"),
    # The privacy rules (domain/privacy): who may erase and export, and the legal hold.
    "P1": (
        "Privacy",
        "verwijderen en inzage doet de privacyfunctionaris; inzage ook de student zelf",
    ),
    "P2": (
        "Bewaarplicht",
        "een examendossier wordt bewaard tot de wettelijke bewaartermijn verstreken is",
    ),
}

# What `_require_text` names (domain/trajectory.py): "<what> must not be empty".
WHAT: dict[str, str] = {
    "what was done": "wat er is gedaan",
    "the reason for reassigning": "de reden voor de wijziging",
    "the rationale of a baseline level": "de toelichting bij het niveau van de 0-meting",
    "the title of the evidence": "de titel van het leerbewijs",
    "the content reference (URI) of the evidence": (
        "de verwijzing naar de inhoud (URI) van het leerbewijs"
    ),
    "the reason for withdrawing": "de reden voor het intrekken",
    "the feedback giver": "de feedbackgever",
    "the feedback text": "de tekst van de feedback",
    "what must improve (orange or red light)": "wat beter moet (oranje of rood licht)",
    "the rationale of the levels": "de toelichting bij de niveaus",
    "the rationale of the green light": "de toelichting bij het groene licht",
    "the advice (what evidence to gather)": "het advies (welk leerbewijs nog nodig is)",
    "the rationale": "de toelichting",
    "the reading guide": "de leeswijzer",
    "the rationale of the verdict": "de toelichting bij het eindoordeel",
    "the CGI record": "het verslag van het criteriumgericht interview",
    "the rationale of the agreed levels": "de toelichting bij de vastgestelde eindniveaus",
    "the rationale of the conclusion": "de toelichting bij de conclusie",
    "the rationale of the vote": "de toelichting bij de stem",
    "the development plan": "het ontwikkelplan",
    "the reason for the correction": "de reden voor de correctie",
    "the title of the exhibition": "de titel van de expositie",
}

Translate = Callable[[re.Match[str]], str]


def _empty(match: re.Match[str]) -> str:
    what = WHAT.get(match["what"], match["what"])
    return f"{what[0].upper()}{what[1:]} mag niet leeg zijn."


PATTERNS: tuple[tuple[re.Pattern[str], Translate], ...] = tuple(
    (re.compile(f"^{pattern}$"), translate)
    for pattern, translate in (
        (r"(?P<what>.+) must not be empty", _empty),
        (
            r"the committee votes on a concluded assessment",
            lambda m: "De examencommissie stemt pas als de beoordeling is afgerond.",
        ),
        (
            r"an assessor of this attempt does not vote on it",
            lambda m: "Een beoordelaar van deze poging stemt er niet over.",
        ),
        (
            r"a member votes once on one decision",
            lambda m: "Een lid stemt één keer over een besluit.",
        ),
        (
            r"attempt (?P<n>\d+) has already been decided",
            lambda m: f"Over poging {m['n']} is al besloten.",
        ),
        (
            r"each assessor judges an attempt once",
            lambda m: "Elke beoordelaar oordeelt één keer over een poging.",
        ),
        (
            r"only an assessor assigned to this attempt can do this",
            lambda m: "Alleen een beoordelaar die aan deze poging is toegewezen kan dit doen.",
        ),
        (
            r"a rationale is required for every outcome; missing (?P<codes>.+)",
            lambda m: (
                f"Een toelichting is nodig bij elke leeropbrengst; die ontbreekt bij {m['codes']}."
            ),
        ),
        (
            r"a level is required for every outcome; missing (?P<codes>.+)",
            lambda m: (
                f"Een niveau is nodig bij elke leeropbrengst; dat ontbreekt bij {m['codes']}."
            ),
        ),
        (
            r"unknown rubric level\(s\): (?P<levels>.+)",
            lambda m: f"Onbekend niveau in de rubric: {m['levels']}.",
        ),
        (
            r"the green light is decided after the second medium-stake",
            lambda m: "Over het groene licht wordt pas na de tweede medium-stake besloten.",
        ),
        (
            r"the green light has already been given",
            lambda m: "Het groene licht is al gegeven.",
        ),
        (
            r"medium-stakes precede the high-stake",
            lambda m: "De medium-stakes gaan aan de high-stake vooraf.",
        ),
        (
            r"both medium-stakes \((?P<a>\d+)% and (?P<b>\d+)%\) have been held",
            lambda m: f"Beide medium-stakes ({m['a']}% en {m['b']}%) zijn al gehouden.",
        ),
        (
            r"an interim portfolio holds at least one evidence item",
            lambda m: "Een tussentijds portfolio bevat ten minste één leerbewijs.",
        ),
        (
            r"evidence (?P<id>.+) does not exist on this trajectory",
            lambda m: f"Leerbewijs {m['id']} bestaat niet op dit traject.",
        ),
        (
            r"evidence (?P<id>.+) was withdrawn",
            lambda m: f"Leerbewijs {m['id']} is ingetrokken.",
        ),
        (
            r"the trajectory is closed by a ratified pass; only a committee correction .*",
            lambda m: (
                "Het traject is afgesloten met een bekrachtigd geslaagd besluit; "
                "alleen een correctie door de examencommissie is nog mogelijk."
            ),
        ),
        (
            r"this is done by the institution's privacy officer(?P<own>; the student .+)?",
            lambda m: (
                "Dit doet de privacyfunctionaris"
                + (", of de student zelf voor de eigen gegevens." if m["own"] else ".")
            ),
        ),
        (
            r"this is done by (?P<who>.+)",
            lambda m: "Dit mag alleen wie daarvoor de juiste rol bij dit traject heeft.",
        ),
        (
            r"a CGI must be held first: (?P<why>.+)",
            lambda m: "Eerst moet een criteriumgericht interview worden gehouden.",
        ),
        (
            r"the exam record of (?P<student>.+) is under a legal hold until "
            r"(?P<day>\d{4}-\d{2}-\d{2}); an erasure request is carried out when it ends",
            lambda m: (
                f"Het examendossier van {m['student']} valt onder de wettelijke bewaarplicht "
                f"tot {day(m['day'])}; een verzoek om verwijdering wordt uitgevoerd zodra die "
                "afloopt."
            ),
        ),
        (
            r"the assessment has( already)? been concluded",
            lambda m: "De beoordeling is al afgerond.",
        ),
    )
)


def rule_title(rule: str | None) -> str:
    if rule is None or rule not in RULES:
        return ""
    return f"{rule} {RULES[rule][0]}"


def dutch(rule: str | None, message: str) -> str:
    """The Dutch sentence for a refusal by `rule` with the domain's (English) `message`."""
    for pattern, translate in PATTERNS:
        found = pattern.match(message)
        if found:
            return translate(found)
    if rule in RULES:
        what = RULES[rule][1]
        return f"Geweigerd volgens regel {rule} ({RULES[rule][0]}): {what}."
    return "Geweigerd."
