"""The Dutch texts of one demo student: feedback, rationales, advice, plans, reading guide.

A `Writer` draws from the program's material (`domain.demo.programs`) with the student's own
random generator, so that every student reads differently and the same seed writes the same
class. Texts never name a person: names live in the person registry, not in the record.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from domain.demo.programs import OutcomeMaterial, ProgramMaterial
from domain.values import EvidenceKind, FeedbackSource, TrafficLight, Verdict

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

BASELINE = {
    "verkennend": (
        "nog geen ervaring mee, wel nieuwsgierig naar hoe het in de praktijk gaat",
        "nieuw terrein; de student weet nog niet goed waar te beginnen",
    ),
    "beginnend": (
        "heeft hier in de vooropleiding voor het eerst mee gewerkt",
        "kent de basis uit een eerdere opdracht, maar nog zonder vaste aanpak",
    ),
    "ontwikkelend": (
        "doet dit al in een bijbaan of eigen project, maar nog zonder vaste aanpak",
        "heeft hier al ervaring mee uit een eerdere stage",
    ),
}


def long_date(day: date) -> str:
    """'12 maart 2026'."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _codes(codes: Sequence[str]) -> str:
    if len(codes) <= 1:
        return "".join(codes)
    return ", ".join(codes[:-1]) + " en " + codes[-1]


class Writer:
    def __init__(self, material: ProgramMaterial, rng: random.Random) -> None:
        self.material = material
        self.rng = rng
        project, client = rng.choice(material.projects)
        self.context = {
            "project": project,
            "client": client,
            "company": rng.choice(material.companies),
        }
        self.titles = {o["code"]: o["title"] for o in material.definition["outcomes"]}
        self._used: set[str] = set()

    # ---- helpers

    def fill(self, template: str) -> str:
        return template.format(**self.context)

    def pick(self, options: Sequence[str]) -> str:
        """One of the options, preferring one this student has not had yet."""
        fresh = [o for o in options if o not in self._used] or list(options)
        choice = self.rng.choice(fresh)
        self._used.add(choice)
        return self.fill(choice)

    def outcome(self, code: str) -> OutcomeMaterial:
        return self.material.outcomes[code]

    @property
    def client(self) -> str:
        return self.context["client"]

    # ---- evidence and feedback

    def evidence(self, code: str, kind: EvidenceKind | None = None) -> tuple[EvidenceKind, str]:
        """An evidence item for the outcome: its kind and title (of `kind`, if given)."""
        options = [(k, t) for k, t in self.outcome(code).evidence if kind is None or k is kind]
        if not options:
            options = [(kind or EvidenceKind.PRODUCT, t) for _k, t in self.outcome(code).evidence]
        fresh = [o for o in options if self.fill(o[1]) not in self._used] or options
        chosen_kind, title = self.rng.choice(fresh)
        text = self.fill(title)
        if text in self._used:
            text = f"{text} (versie 2)"
        self._used.add(text)
        return chosen_kind, text

    def feedback(self, source: FeedbackSource, code: str) -> str:
        material = self.outcome(code)
        options = {
            FeedbackSource.SELF: material.self,
            FeedbackSource.PEER: material.peer,
            FeedbackSource.COACH: material.coach,
            FeedbackSource.PRACTICE: material.practice,
            FeedbackSource.CLIENT: material.client,
        }[source]
        return self.pick(options)

    def question(self, source: FeedbackSource, code: str) -> str:
        aspect = self.outcome(code).aspect
        if source is FeedbackSource.CLIENT:
            return f"Wilt u feedback geven op {aspect} bij {self.context['project']}?"
        return f"Wilt u mij feedback geven op {aspect} {self.fill(self.material.placement)}?"

    def declaration(self) -> str:
        if self.material.code.startswith("SD"):
            return self.pick(
                (
                    "Eerste opzet van de code gegenereerd met een AI-codeassistent; daarna zelf "
                    "nagelopen, aangepast en getest. De prompts staan in de bijlage.",
                    "Een AI-assistent heeft testgevallen voorgesteld; ik heb ze gecontroleerd, "
                    "er twee verwijderd en randgevallen toegevoegd. Prompts in de bijlage.",
                )
            )
        return self.pick(
            (
                "Een AI-chatbot gebruikt om tegenargumenten te verzamelen; alle argumenten zelf "
                "nagezocht bij de bronnen in de bijlage.",
                "De afbeeldingen in de presentatie zijn met een AI-tool gemaakt en als zodanig "
                "gemarkeerd.",
            )
        )

    def ai_explanation(self, titles: Iterable[str]) -> str:
        named = ", ".join(f"'{t}'" for t in titles)
        return (
            f"Bij {named} heb ik een AI-tool gebruikt voor een eerste opzet. In de bijlage staan "
            "de prompts, wat ik heb overgenomen en wat ik heb aangepast. Alles wat ik inlever heb "
            "ik zelf gecontroleerd en kan ik uitleggen."
        )

    def guide(
        self, evidence_by_outcome: Mapping[str, Sequence[str]], ai_explanation: str, attempt: int
    ) -> str:
        """The reading guide's text (its hash is what the request records)."""
        lines = [
            f"Leeswijzer bij mijn portfolio, poging {attempt}",
            self.material.definition["title"],
            "",
            self.fill(self.material.guide_intro),
            "",
            "Per leeropbrengst:",
        ]
        for code, titles in evidence_by_outcome.items():
            shown = " en ".join(f"'{t}'" for t in titles[:3])
            lines.append(f"- {code} {self.titles[code]}: zie {shown}.")
        lines += [
            "",
            "Gebruik van AI en externe bronnen: "
            + (
                ai_explanation
                or "geen, behalve waar het leerbewijs zelf dat vermeldt en verantwoordt."
            ),
        ]
        return "\n".join(lines)

    def exhibition(self) -> str:
        return self.pick(self.material.exhibitions)

    def withdrawal(self, replaced: bool = False) -> str:
        if replaced:
            return "Vervangen door een verbeterde versie, zoals afgesproken in mijn ontwikkelplan."
        return self.pick(
            (
                "Verkeerde versie geüpload; de juiste versie lever ik opnieuw in.",
                "Bevat persoonsgegevens van klanten; een geanonimiseerde versie volgt.",
            )
        )

    # ---- orientation and progress

    def baseline(self, level: str) -> str:
        options = BASELINE.get(level, ("eigen inschatting besproken met de coach",))
        return f"0-meting in het intakegesprek: {self.pick(options)}."

    def progress_notes(self, light: TrafficLight, behind: Sequence[str]) -> str:
        codes = _codes(behind)
        if light is TrafficLight.GREEN:
            return self.pick(
                (
                    "Loopt goed: bewijs op alle leeropbrengsten en de feedback wordt gebruikt.",
                    "Goede voortgang; afgesproken om voor de medium-stake nog feedback uit de "
                    "praktijk te vragen.",
                    "Op schema. De student plant het werk zelfstandig en vraagt op tijd hulp.",
                )
            )
        if light is TrafficLight.ORANGE:
            return self.pick(
                (
                    f"Voor {codes} ontbreekt nog bewijs. Afgesproken: binnen drie weken twee "
                    "opdrachten inleveren en feedback vragen aan de coach.",
                    f"De student loopt achter op {codes}. Samen een planning gemaakt; over "
                    "vier weken opnieuw bespreken.",
                )
            )
        return self.pick(
            (
                f"Meerdere dingen moeten beter: veel afwezig, nog geen bewijs voor {codes} en "
                "geen feedback gevraagd. Samen een plan van aanpak gemaakt; over twee weken "
                "opnieuw.",
                f"Zorgen over de voortgang: weinig bewijs ({codes}) en afspraken niet nagekomen. "
                "Ouders ingelicht en samen een plan van aanpak opgesteld.",
            )
        )

    # ---- medium-stakes and green light

    def medium_stake(
        self, number: int, levels: Mapping[str, str], weakest: str, evidence_count: int
    ) -> tuple[str, str]:
        opener = self.pick(
            (
                "Goed gesprek over je tussentijdse portfolio.",
                "Je portfolio groeit zichtbaar.",
                "Je hebt sinds de vorige keer duidelijk stappen gezet.",
            )
        )
        feedback = f"{opener} {self.feedback(FeedbackSource.COACH, weakest)}"
        moment = "eerste" if number == 1 else "tweede"
        rationale = (
            f"Niveaus bij de {moment} medium-stake vastgesteld met de rubric, op basis van "
            f"{evidence_count} leerbewijzen en de feedback tot nu toe. {weakest} staat op "
            f"{levels[weakest]}: in het portfolio {self.pick(self.outcome(weakest).weak)}."
        )
        return feedback, rationale

    def green_light(self) -> str:
        return self.pick(
            (
                "Elke leeropbrengst is bij de tweede medium-stake minstens vakkundig en het "
                "portfolio bevat genoeg gevarieerd bewijs: klaar voor de high-stake.",
                "Het portfolio is compleet en de feedback uit school en praktijk is verwerkt. "
                "Groen licht voor de high-stake.",
            )
        )

    def withhold(self, code: str, level: str) -> tuple[str, str]:
        advice = self.pick(self.outcome(code).advice)
        rationale = (
            f"Bij de tweede medium-stake staat {code} op {level}: in het portfolio "
            f"{self.pick(self.outcome(code).weak)}. Het bewijs is nog te smal voor de high-stake."
        )
        return advice, rationale

    def early_motivation(self) -> str:
        return self.pick(
            (
                "Na de eerste medium-stake sta ik op de meeste leeropbrengsten al op vakkundig "
                "of hoger. Ik wil de high-stake eerder doen, zodat ik in het voorjaar volledig "
                "op mijn stage kan werken.",
                "Mijn portfolio is al ver en ik wil graag eerder afronden om een extra keuzedeel "
                "te kunnen volgen.",
            )
        )

    def early_granted(self) -> str:
        return self.pick(
            (
                "Sterk tussentijds portfolio en een duidelijke planning; de vervroegde route "
                "past bij deze student.",
                "Ruim voldoende bewijs op alle leeropbrengsten; verzoek toegekend.",
            )
        )

    def early_refused(self, code: str) -> str:
        return (
            f"Het verzoek voldoet aan de regel, maar {code} is nog te dun onderbouwd: in het "
            f"portfolio {self.pick(self.outcome(code).weak)}. Eerst de tweede medium-stake; dan "
            "kijken we opnieuw."
        )

    # ---- the high-stake

    def level_rationale(self, code: str, level: str, passes: bool, evidence: str | None) -> str:
        material = self.outcome(code)
        if passes:
            seen = f", zoals '{evidence}' laat zien" if evidence else ""
            text = f"{level.capitalize()}: in het portfolio {self.pick(material.strong)}{seen}."
            if level == "professional":
                text += " De student gaat daarin verder dan de opdracht vraagt."
            return text
        return f"{level.capitalize()}: in het portfolio {self.pick(material.weak)}."

    def verdict_rationale(self, verdict: Verdict, codes: Sequence[str]) -> str:
        if verdict is Verdict.PASS:
            return self.pick(
                (
                    "Holistisch oordeel over portfolio en leeswijzer: op elke leeropbrengst ten "
                    "minste bekwaam, met gevarieerd bewijs uit school en praktijk.",
                    "Het portfolio geeft samen met de leeswijzer een overtuigend beeld; elke "
                    "leeropbrengst is aangetoond op ten minste het niveau bekwaam.",
                )
            )
        if verdict is Verdict.FAIL:
            return (
                f"Holistisch oordeel: {_codes(codes)} haalt het niveau bekwaam niet; de andere "
                "leeropbrengsten compenseren dat niet."
            )
        return (
            f"Twijfel bij {_codes(codes)}: het bewijs laat niet eenduidig zien of het niveau "
            "bekwaam is gehaald. Een criteriumgericht interview moet uitsluitsel geven."
        )

    def interview(self, code: str, evidence: str, convinced: bool) -> str:
        topic = self.pick(self.outcome(code).interview)
        end = (
            "en kon de keuzes overtuigend onderbouwen."
            if convinced
            else "maar kon niet laten zien dat dit zelfstandig lukt."
        )
        return (
            f"CGI van ongeveer twintig minuten over {code}. Gevraagd naar {topic}. De student "
            f"lichtte dit toe aan de hand van '{evidence}' {end}"
        )

    def final_levels(self, code: str, level: str, after_interview: bool, passes: bool) -> str:
        if not after_interview:
            return (
                "In overleg vastgesteld: waar onze niveaus verschilden, hebben we gekozen voor "
                "het niveau dat het bewijs het best onderbouwt."
            )
        reason = (
            "De toelichting in het CGI maakte duidelijk dat het bewijs het niveau bekwaam draagt."
            if passes
            else "Het bewijs en de toelichting in het CGI dragen het niveau bekwaam nog niet."
        )
        return f"Na het CGI samen vastgesteld: {code} {level}. {reason}"

    def second_round(self, code: str, titles: Sequence[str]) -> str:
        named = " en ".join(f"'{t}'" for t in titles[:2])
        return (
            f"Opnieuw vastgesteld na de terugverwijzing door de examencommissie: de onderbouwing "
            f"bij {code} verwijst nu naar {named}. De niveaus zelf blijven gelijk."
        )

    def conclusion(self, passed: bool, below: Sequence[str]) -> str:
        if passed:
            return "Alle leeropbrengsten hebben ten minste het niveau bekwaam; high-stake behaald."
        verb = "haalt" if len(below) == 1 else "halen"
        return (
            f"{_codes(below)} {verb} het niveau bekwaam niet; zonder compensatie is de "
            "high-stake niet behaald."
        )

    def vote(self, kind: str, code: str = "") -> str:
        options = {
            "pass": (
                "Procedure gevolgd: twee onafhankelijke beoordelaars, een onderbouwing per "
                "leeropbrengst en een navolgbare conclusie.",
                "Het oordeel is navolgbaar en past bij de rubric; bekrachtigd.",
                "Portfolio en leeswijzer ondersteunen de conclusie; geen bezwaren.",
            ),
            "fail": (
                "Het oordeel 'niet geslaagd' is zorgvuldig onderbouwd; compensatie is niet "
                "mogelijk. Na een ontwikkelplan kan de student herkansen.",
                "De onderbouwing per leeropbrengst is navolgbaar; de uitslag is bekrachtigd.",
            ),
            "refer": (
                f"Terugverwezen: bij {code} sluit de onderbouwing niet aan bij het gegeven "
                "niveau. Graag opnieuw vaststellen en motiveren met verwijzing naar het bewijs.",
                f"Terugverwezen: de conclusie noemt niet op welke leerbewijzen het niveau van "
                f"{code} rust.",
            ),
            "after_referral": (
                f"De beoordelaars hebben de onderbouwing bij {code} aangevuld met verwijzingen "
                "naar het bewijs; nu navolgbaar. Bekrachtigd.",
                "De tweede ronde beantwoordt onze vragen; de uitslag is bekrachtigd.",
            ),
        }[kind]
        return self.pick(options)

    def development_plan(self, attempt: int, below: Sequence[str], resit: date) -> str:
        parts = [f"Ontwikkelplan na poging {attempt}."]
        for code in below:
            parts.append(
                f"{code} haalde het niveau bekwaam nog niet: in het portfolio "
                f"{self.pick(self.outcome(code).weak)}. Afspraak: "
                f"{self.pick(self.outcome(code).advice)}"
            )
        parts.append(
            f"Tussendoor vraag ik feedback aan mijn coach en aan {self.client}. De herkansing "
            f"vraag ik aan in {MONTHS[resit.month - 1]} {resit.year}."
        )
        return " ".join(parts)

    # ---- corrections

    def notes_correction(self, wrong: str, right: str) -> tuple[str, str]:
        return (
            f"In de aantekening van de tussenevaluatie stond {wrong}, maar het ging om {right}.",
            f"Voor {right} ontbreekt nog bewijs; afgesproken om binnen drie weken twee "
            "opdrachten in te leveren.",
        )

    def rationale_correction(self, code: str) -> str:
        return (
            f"Verschrijving in mijn onderbouwing bij {code}: ik verwees naar het verkeerde "
            "leerbewijs. De onderbouwing hieronder is de juiste; het niveau blijft gelijk."
        )

    def follow_up(self, item: str) -> str:
        options = {
            "no_referral": (
                "Terugverwijzing besproken met het beoordelaarsteam; bij de volgende "
                "kalibratiesessie komt de onderbouwing per leeropbrengst aan bod.",
                "Met de beoordelaars nagegaan waarom de conclusie niet navolgbaar was; de "
                "rubric krijgt een voorbeeld per niveau.",
            ),
            "uncorrected": (
                "Correctie na beroep vastgelegd en met de beoordelaars besproken; de werkwijze "
                "bij presentaties voor de opdrachtgever is aangescherpt.",
                "Beroep geëvalueerd in de vergadering; het team weegt presentaties voortaan "
                "expliciet mee.",
            ),
        }
        return self.rng.choice(options[item])

    def appeal(self, code: str, level: str) -> str:
        return (
            "Beroep van de student gegrond verklaard in de vergadering van de examencommissie: "
            f"bij {code} is de presentatie voor {self.client} ten onrechte niet meegewogen. Het "
            f"niveau van {code} wordt {level}; de uitslag (geslaagd) blijft."
        )
