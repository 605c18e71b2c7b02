"""The demo's two programs, in Dutch, and per learning outcome the material its texts are made of.

The first is the software developer's elective "Werken met AI-tools" (the definition the tests
also use, `domain.journey.SOFTWARE_DEVELOPER`); the second, for a second class, is the
citizenship theme "Digitale samenleving". Per outcome: titles of evidence, feedback from each
source, what shows the outcome and what is still missing, advice, and topics for a criterion
interview. `{project}`, `{client}` and `{company}` are filled in per student.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from domain.journey import SOFTWARE_DEVELOPER
from domain.values import EvidenceKind

K = EvidenceKind


@dataclass(frozen=True)
class OutcomeMaterial:
    evidence: tuple[tuple[EvidenceKind, str], ...]
    self: tuple[str, ...]
    peer: tuple[str, ...]
    coach: tuple[str, ...]
    practice: tuple[str, ...]
    client: tuple[str, ...]
    strong: tuple[str, ...]  # what the evidence shows, as the end of "In het portfolio ..."
    weak: tuple[str, ...]  # what is still missing, likewise
    advice: tuple[str, ...]
    interview: tuple[str, ...]  # what a CGI on this outcome asks about
    aspect: str  # what feedback on it is about, as the student asks for it ("mijn planning")


@dataclass(frozen=True)
class ProgramMaterial:
    code: str
    title: str
    definition: dict[str, Any]
    projects: tuple[tuple[str, str], ...]  # (the project, its client)
    companies: tuple[str, ...]  # where the student does their internship
    outcomes: dict[str, OutcomeMaterial]
    exhibitions: tuple[str, ...]
    guide_intro: str
    placement: str  # where practice feedback comes from, as the student says it


SD = ProgramMaterial(
    code="SD-AI",
    title="Software developer: werken met AI-tools",
    definition=SOFTWARE_DEVELOPER,
    projects=(
        ("de reserveringsapp voor de sporthal", "de beheerder van de sporthal"),
        ("het voorraadsysteem van de schoolkantine", "de kantinebeheerder"),
        ("de roosterapp voor de kinderopvang", "de locatiemanager van de kinderopvang"),
        ("de webshop van de fietsenmaker", "de eigenaar van de fietsenwinkel"),
        ("het meldingssysteem voor de woningcorporatie", "de wijkbeheerder"),
        ("de ledenadministratie van de voetbalvereniging", "de secretaris van de vereniging"),
        ("de planningstool voor de thuiszorg", "de teamleider thuiszorg"),
        ("de chatbot voor de open dag", "de afdeling marketing van de school"),
        ("het dashboard voor de kringloopwinkel", "de coördinator van de kringloopwinkel"),
        ("de app voor de volkstuinvereniging", "het bestuur van de volkstuinvereniging"),
    ),
    companies=(
        "Bitwerk in Zwolle",
        "De Codefabriek in Deventer",
        "het ICT-team van de gemeente Apeldoorn",
        "Softwarehuis Noord in Groningen",
        "webbureau Pixelpunt in Amersfoort",
        "Datalab Twente in Enschede",
        "de IT-afdeling van het streekziekenhuis",
        "Appmakers in Utrecht",
    ),
    outcomes={
        "LO1": OutcomeMaterial(
            evidence=(
                (K.PRODUCT, "Sprintplanning en backlog voor {project}"),
                (K.REPORT, "Urenschatting en planning van {project}"),
                (K.REFLECTION, "Reflectie: klopte mijn planning van {project}?"),
                (K.PRACTICE, "Planning van een ticket bij {company}"),
                (K.PRESENTATION, "Pitch van de aanpak voor {client}"),
                (K.ASSIGNMENT, "Opdracht: taken schatten met planning poker"),
            ),
            self=(
                "Mijn planning was te optimistisch: het testen had ik helemaal niet "
                "meegeteld. Volgende keer plan ik daar een vaste buffer voor.",
                "Ik heb de opdracht nu in kleinere taken geknipt. Daardoor zag ik eerder "
                "dat de koppeling met de database meer tijd kostte dan gedacht.",
                "Ik merk dat ik de AI-assistent vooral gebruik voor saai werk. Dat heb ik nu "
                "ook zo in mijn planning gezet, zodat ik weet waar ik tijd win.",
                "Ik schatte alles in hele dagen. Met uren schatten wordt het eerlijker, "
                "maar ik vind het nog lastig.",
            ),
            peer=(
                "Je backlog is overzichtelijk, maar sommige taken zijn zo groot dat je niet "
                "kunt zien wanneer ze af zijn.",
                "Goed dat je de planning bij de stand-up liet zien. Zet er wel bij wie wat "
                "doet, dat was me niet duidelijk.",
                "Handig idee om per taak aan te geven of je er een AI-tool voor gebruikt. Dat "
                "ga ik ook doen.",
            ),
            coach=(
                "Je planning is realistischer dan bij de start. Maak nog zichtbaar hoe je de "
                "schatting bijstelt als iets tegenvalt.",
                "Mooi dat je de planning vooraf met de opdrachtgever hebt afgestemd. Leg ook "
                "vast wat jullie hebben afgesproken over de inzet van AI-tools.",
                "Je taken zijn nu klein genoeg. Let erop dat je ook tijd plant voor "
                "overleg en voor het verwerken van feedback.",
            ),
            practice=(
                "Bij {company} pakte de student de tickets zelfstandig op en gaf vooraf "
                "een schatting. Die klopte meestal; bij tegenvallers meldde de student dat "
                "op tijd.",
                "In de stand-ups was de student goed voorbereid. De planning van de sprint "
                "mag nog wat strakker, maar de afstemming met het team was prima.",
            ),
            client=(
                "Fijn dat we vooraf samen de planning hebben doorgelopen. Ik wist steeds wat "
                "ik wanneer kon verwachten.",
                "De planning was duidelijk, al schoof de oplevering een week op. Dat werd "
                "wel op tijd gemeld.",
            ),
            strong=(
                "verdeelt de student de opdracht in kleine taken met een onderbouwde "
                "schatting en stelt die bij na tegenvallers",
                "stemt de student de planning en de inzet van AI-tools vooraf af met de "
                "opdrachtgever en houdt zich aan de afspraken",
            ),
            weak=(
                "ontbreekt nog een planning die de student zelf heeft bijgesteld na tegenvallers",
                "is niet te zien hoe de planning met de opdrachtgever is afgestemd",
            ),
            advice=(
                "Verzamel nog twee bewijzen waarin je je planning bijstelt na feedback van "
                "de opdrachtgever.",
                "Laat met een bijgestelde sprintplanning zien hoe je omgaat met tegenvallers.",
            ),
            aspect="mijn planning",
            interview=(
                "hoe de student een schatting maakt en wanneer die wordt bijgesteld",
                "welke afspraken er met de opdrachtgever over AI-tools zijn gemaakt",
            ),
        ),
        "LO2": OutcomeMaterial(
            evidence=(
                (K.PRODUCT, "Technisch ontwerp van {project}"),
                (K.REPORT, "Onderbouwing van de ontwerpkeuzes voor {project}"),
                (K.PRESENTATION, "Presentatie van het datamodel aan {client}"),
                (K.ASSIGNMENT, "Opdracht: van gebruikerswens naar klassendiagram"),
                (K.VIDEO, "Schermopname: wireframes doorgelopen met de klas"),
            ),
            self=(
                "Ik liet de AI-assistent drie ontwerpen voorstellen en koos er één. "
                "Achteraf kon ik niet goed uitleggen waarom, dus ik heb de afweging "
                "alsnog opgeschreven.",
                "Het datamodel klopte niet met de wensen van de opdrachtgever. Na het "
                "gesprek heb ik het aangepast; dat had ik eerder moeten vragen.",
                "Mijn ontwerp is nu veel beter te volgen omdat ik bij elke keuze de eis "
                "erbij heb gezet.",
            ),
            peer=(
                "Je klassendiagram is netjes, maar ik mis hoe gebruikers inloggen.",
                "Duidelijke wireframes. Bij het scherm voor de beheerder wist ik niet waar "
                "ik moest klikken.",
                "Sterk dat je uitlegt waarom je het voorstel van de AI niet overnam.",
            ),
            coach=(
                "Je vertaalt de eisen nu goed naar een ontwerp. Onderbouw nog waarom je "
                "voor deze database kiest en niet voor een alternatief.",
                "Goed dat je laat zien welke onderdelen een AI-assistent voorstelde en wat "
                "je daarvan hebt aangepast. Dat is precies wat deze leeropbrengst vraagt.",
                "Het ontwerp is compleet, maar de keuzes zijn nog niet onderbouwd. Schrijf "
                "per keuze op welke eis je ermee oplost.",
            ),
            practice=(
                "De student maakte voor een nieuwe module bij {company} een ontwerp dat we "
                "na een kleine aanpassing hebben gebruikt. De keuzes waren goed uitgelegd.",
                "Het ontwerp zag er verzorgd uit; aan de beveiliging was nog weinig gedacht.",
            ),
            client=(
                "Het ontwerp sloot goed aan bij hoe wij werken. Vooral het overzichtsscherm "
                "vonden we duidelijk.",
                "Ik had graag eerder de schermen gezien, dan had ik mijn wensen nog kunnen "
                "bijsturen.",
            ),
            strong=(
                "vertaalt de student de eisen van de opdrachtgever navolgbaar naar een "
                "technisch ontwerp",
                "onderbouwt de student elke ontwerpkeuze, ook waar een voorstel van een "
                "AI-assistent werd aangepast of verworpen",
            ),
            weak=(
                "worden de ontwerpkeuzes genoemd maar niet onderbouwd met de eisen",
                "is niet duidelijk welke delen van het ontwerp de student zelf heeft bedacht "
                "en welke een AI-assistent voorstelde",
            ),
            advice=(
                "Leg bij je volgende ontwerp per keuze vast welke eis je ermee oplost en "
                "welke alternatieven je hebt afgewogen.",
                "Verzamel een ontwerp waarin je laat zien hoe je een voorstel van een "
                "AI-assistent hebt beoordeeld.",
            ),
            aspect="mijn ontwerp",
            interview=(
                "waarom de student voor dit datamodel koos",
                "hoe de student een ontwerpvoorstel van een AI-assistent heeft beoordeeld",
            ),
        ),
        "LO3": OutcomeMaterial(
            evidence=(
                (K.PRODUCT, "Broncode van {project} (repository)"),
                (K.PRODUCT, "Werkende versie van {project}"),
                (K.ASSIGNMENT, "Opdracht: refactoren van gegenereerde code"),
                (K.PRACTICE, "Pull request bij {company}"),
                (K.VIDEO, "Demo van de nieuwe functie in {project}"),
                (K.REFLECTION, "Reflectie: wanneer vertrouw ik gegenereerde code?"),
            ),
            self=(
                "De codeassistent leverde snel werkende code, maar bij het lezen zag ik een "
                "query die voor elke gebruiker alles ophaalde. Die heb ik zelf herschreven.",
                "Ik commit nu vaker en met betere berichten. In de commit zet ik erbij als "
                "een stuk code gegenereerd is.",
                "Mijn code werkt, maar is nog niet altijd leesbaar. Ik ga functies kleiner "
                "maken en betere namen kiezen.",
                "Ik heb geleerd dat ik gegenereerde code pas gebruik als ik elke regel "
                "snap. Dat kost tijd, maar voorkomt rare fouten.",
            ),
            peer=(
                "Je code is goed te lezen. Eén functie doet wel erg veel, die zou ik opsplitsen.",
                "Ik kon je project meteen draaien dankzij de README. Top.",
                "In je repository zie ik grote commits met 'update' als bericht; dan is "
                "lastig te volgen wat je hebt veranderd.",
            ),
            coach=(
                "Je controleert gegenereerde code kritisch en past die aan; dat zie ik terug "
                "in je commits. Let nog op de foutafhandeling.",
                "De software werkt en is netjes opgebouwd. Laat in je portfolio zien welke "
                "code je zelf schreef en welke je liet genereren.",
                "Goed dat je versiebeheer consequent gebruikt. Werk met branches voor grotere "
                "wijzigingen.",
            ),
            practice=(
                "De pull requests van de student waren klein en goed te reviewen. Feedback "
                "uit de review werd dezelfde dag verwerkt.",
                "De student werkte netjes volgens onze codeerstandaard en vroeg hulp als iets "
                "niet lukte. Gegenereerde code werd altijd eerst zelf getest.",
            ),
            client=(
                "De app doet wat we vroegen en werkt ook goed op de telefoon.",
                "We gebruiken de nieuwe versie nu dagelijks. Er zat nog één fout in het "
                "exporteren, die is snel opgelost.",
            ),
            strong=(
                "realiseert de student werkende, leesbare software en controleert "
                "gegenereerde code aantoonbaar voordat die wordt gebruikt",
                "gebruikt de student versiebeheer consequent en legt vast welke code met "
                "AI is gemaakt",
            ),
            weak=(
                "werkt de software, maar is niet te zien dat gegenereerde code kritisch is "
                "gecontroleerd",
                "ontbreekt een navolgbare geschiedenis in versiebeheer",
            ),
            advice=(
                "Laat met twee pull requests zien hoe je gegenereerde code controleert en "
                "verbetert.",
                "Gebruik versiebeheer met duidelijke commitberichten en branches, en verwijs "
                "daar in je portfolio naar.",
            ),
            aspect="mijn code",
            interview=(
                "hoe de student gegenereerde code controleert voordat die wordt gebruikt",
                "hoe de commitgeschiedenis laat zien wat de student zelf heeft gemaakt",
            ),
        ),
        "LO4": OutcomeMaterial(
            evidence=(
                (K.REPORT, "Testplan en testrapport van {project}"),
                (K.PRODUCT, "Geautomatiseerde tests voor {project}"),
                (K.ASSIGNMENT, "Opdracht: testgevallen schrijven voor de inlogfunctie"),
                (K.PRACTICE, "Bevindingen uit de acceptatietest bij {company}"),
                (K.REFLECTION, "Reflectie: wat mijn tests niet vonden"),
            ),
            self=(
                "Ik testte alleen of alles werkte als je het goed invult. Nu test ik ook wat "
                "er gebeurt bij verkeerde invoer.",
                "De tests die de AI-assistent voorstelde testten vooral zichzelf. Ik heb ze "
                "herschreven zodat ze echt iets controleren.",
                "Twee fouten vond de opdrachtgever eerder dan ik. Mijn testplan was te smal.",
            ),
            peer=(
                "Je testrapport is duidelijk, maar ik zie niet welke fouten je hebt opgelost.",
                "Ik heb je app getest en kon een lege bestelling plaatsen. Zet die in je "
                "testgevallen.",
            ),
            coach=(
                "Je schrijft nu zelf testgevallen vóór je gaat bouwen. Laat ook zien wat je "
                "doet met de uitkomsten.",
                "Je testrapport is netjes, maar het dekt nog maar een deel van de eisen. "
                "Koppel je testgevallen aan de eisen.",
                "Goed dat je gegenereerde tests kritisch hebt bekeken. Voeg testen toe voor "
                "randgevallen.",
            ),
            practice=(
                "Bij de acceptatietest bij {company} vond de student drie fouten, meldde ze "
                "duidelijk in ons ticketsysteem en loste er twee zelf op.",
                "De student testte grondig, maar documenteerde de testresultaten pas achteraf.",
            ),
            client=(
                "We hebben samen een middag getest. De gevonden problemen waren een week "
                "later opgelost.",
                "Na de testronde werkte het importeren van de ledenlijst eindelijk goed.",
            ),
            strong=(
                "schrijft de student testgevallen die de eisen dekken, voert ze uit en "
                "herstelt de gevonden fouten aantoonbaar",
                "beoordeelt de student gegenereerde tests kritisch en vult ze aan met randgevallen",
            ),
            weak=(
                "dekken de testgevallen maar een deel van de eisen en ontbreken randgevallen",
                "is niet te zien wat er met de gevonden fouten is gedaan",
            ),
            advice=(
                "Verzamel nog twee testrapporten waarin je laat zien welke fouten je vond en "
                "hoe je ze hebt opgelost.",
                "Schrijf een testplan dat je koppelt aan de eisen en voer het uit met iemand "
                "van de opdrachtgever.",
            ),
            aspect="hoe ik test",
            interview=(
                "hoe de student bepaalt welke testgevallen nodig zijn",
                "wat de student deed met de fouten uit de acceptatietest",
            ),
        ),
        "LO5": OutcomeMaterial(
            evidence=(
                (K.REFLECTION, "Reflectieverslag: samenwerken in het projectteam"),
                (K.PRESENTATION, "Eindpresentatie van {project} voor {client}"),
                (K.VIDEO, "Opname van de retrospective van ons team"),
                (K.REPORT, "Verslag: verantwoord gebruik van AI in ons project"),
                (K.PRACTICE, "Feedbackgesprek met de praktijkbegeleider bij {company}"),
            ),
            self=(
                "In de retrospective durfde ik eindelijk te zeggen dat ik te veel taken op "
                "me nam. We hebben de verdeling aangepast.",
                "Ik vraag nu na elke sprint feedback aan mijn medestudenten en schrijf op "
                "wat ik ermee doe.",
                "Bij de presentatie was ik zenuwachtig en praatte ik te snel. De vragen van "
                "de opdrachtgever kon ik wel goed beantwoorden.",
                "Ik heb nagedacht over wanneer AI-gebruik eerlijk is. In ons team spreken "
                "we nu af dat we het altijd melden.",
            ),
            peer=(
                "Je geeft in het team goede feedback, maar je neemt zelf feedback nog wat "
                "defensief aan.",
                "Je presentatie was helder en je liet de opdrachtgever echt meedenken.",
                "Fijn dat je in de retro vertelde waar je AI voor gebruikte; dat maakte het "
                "voor ons ook makkelijker.",
            ),
            coach=(
                "Je vraagt actief om feedback en laat zien wat je ermee hebt gedaan. Maak je "
                "reflecties concreter: wat doe je de volgende keer anders?",
                "Sterke presentatie voor de opdrachtgever. Je reflectie op verantwoord "
                "AI-gebruik mag dieper: welke afwegingen maakte je zelf?",
                "Je reflecteert eerlijk, maar vooral op wat er misging. Benoem ook wat "
                "goed ging en waarom.",
            ),
            practice=(
                "De student vroeg zelf om een feedbackgesprek en kwam daarna met een "
                "concreet plan. Dat zien we niet vaak bij stagiairs.",
                "De student werkte prettig samen met het team bij {company} en gaf in de "
                "retrospective eerlijk aan waar het beter kon.",
            ),
            client=(
                "De eindpresentatie was duidelijk en eerlijk over wat nog niet af was.",
                "We voelden ons serieus genomen: bij elke oplevering werd gevraagd wat we "
                "ervan vonden.",
            ),
            strong=(
                "vraagt de student zelf om feedback, verwerkt die zichtbaar en presenteert "
                "het werk helder aan belanghebbenden",
                "reflecteert de student met het team op het eigen werk en op verantwoord "
                "gebruik van AI-tools",
            ),
            weak=(
                "blijven de reflecties algemeen en is niet te zien wat de student met de "
                "feedback heeft gedaan",
                "ontbreekt een presentatie aan belanghebbenden buiten de klas",
            ),
            advice=(
                "Vraag feedback aan je opdrachtgever en laat in een reflectie zien wat je "
                "ermee hebt gedaan.",
                "Presenteer je werk aan de opdrachtgever en verwerk hun vragen in je reflectie.",
            ),
            aspect="hoe ik samenwerk en presenteer",
            interview=(
                "wat de student concreet heeft veranderd na de feedback van het team",
                "welke afspraken het team maakte over het gebruik van AI-tools",
            ),
        ),
    },
    exhibitions=(
        "Mijn beste werk uit het keuzedeel",
        "Van idee tot werkende app: {project}",
        "Zo werk ik met AI-tools",
        "Expositie: {project}",
    ),
    guide_intro="In dit portfolio laat ik zien hoe ik bij {project} voor {client} en tijdens "
    "mijn stage bij {company} software heb ontwikkeld met hulp van AI-tools.",
    placement="tijdens mijn stage",
)


CITIZENSHIP: dict[str, Any] = {
    "title": "Burgerschap (mbo niveau 4), thema Digitale samenleving",
    "outcomes": [
        {
            "code": "LO1",
            "title": "Beoordeelt online informatie en bronnen kritisch, ook wat AI maakt",
            "qualification_refs": ["Politiek-juridische dimensie", "Digitale geletterdheid"],
            "criteria": [
                {"code": "LO1.1", "description": "Controleert een bewering bij meerdere bronnen"},
                {
                    "code": "LO1.2",
                    "description": "Herkent desinformatie en gemanipuleerd of gegenereerd beeld",
                },
            ],
        },
        {
            "code": "LO2",
            "title": "Neemt een onderbouwd standpunt in over een maatschappelijk vraagstuk rond "
            "technologie",
            "qualification_refs": [
                "Politiek-juridische dimensie",
                "Sociaal-maatschappelijke dimensie",
            ],
            "criteria": [
                {
                    "code": "LO2.1",
                    "description": "Brengt argumenten van verschillende kanten in kaart",
                },
                {
                    "code": "LO2.2",
                    "description": "Gaat respectvol in gesprek met wie er anders over denkt",
                },
            ],
        },
        {
            "code": "LO3",
            "title": "Draagt met een project bij aan de eigen school of wijk",
            "qualification_refs": ["Sociaal-maatschappelijke dimensie", "Vitaal burgerschap"],
            "criteria": [
                {"code": "LO3.1", "description": "Werkt samen met mensen buiten de eigen groep"},
                {"code": "LO3.2", "description": "Reflecteert op de eigen rol als burger"},
            ],
        },
    ],
}

BURG = ProgramMaterial(
    code="BURG-DS",
    title="Burgerschap: digitale samenleving",
    definition=CITIZENSHIP,
    projects=(
        (
            "een voorlichting over nepnieuws voor de onderbouw van het vmbo",
            "de mentor van de vmbo-klas",
        ),
        ("een digicafé voor ouderen in het buurthuis", "de coördinator van het buurthuis"),
        ("een debat over cameratoezicht in de wijk", "de wijkagent"),
        ("een campagne tegen online pesten op school", "de vertrouwenspersoon van de school"),
        (
            "een informatiemiddag over privacy voor de studentenraad",
            "de voorzitter van de studentenraad",
        ),
        ("een spreekuur over veilig internetbankieren in de bibliotheek", "de bibliothecaris"),
    ),
    companies=(
        "het buurthuis De Schakel",
        "de bibliotheek in het centrum",
        "de studentenraad",
        "een vmbo-school in de wijk",
        "het wijkteam",
    ),
    outcomes={
        "LO1": OutcomeMaterial(
            evidence=(
                (K.ASSIGNMENT, "Opdracht: factcheck van drie virale berichten"),
                (K.REPORT, "Bronnenonderzoek voor {project}"),
                (K.REFLECTION, "Reflectie: hoe herken ik een gegenereerde foto?"),
                (K.PRESENTATION, "Uitleg over nepnieuws voor {client}"),
            ),
            self=(
                "Ik dacht dat ik nepnieuws wel herkende, maar twee van de drie berichten "
                "had ik zonder twijfel gedeeld. Nu check ik eerst wie iets zegt.",
                "Ik gebruik nu altijd twee bronnen. Bij de AI-chatbot vraag ik ook waar "
                "de informatie vandaan komt en controleer ik dat.",
                "Bij de gegenereerde foto's lette ik op de handen en de achtergrond. Dat "
                "werkt niet altijd meer, dus ik zoek nu ook naar de bron van het beeld.",
            ),
            peer=(
                "Je factcheck is grondig, maar je noemt niet welke bronnen je niet "
                "betrouwbaar vond en waarom.",
                "Goede tip om een foto terug te zoeken. Dat wist ik niet.",
            ),
            coach=(
                "Je controleert beweringen nu bij meerdere bronnen. Leg nog uit waarom je "
                "de ene bron betrouwbaarder vindt dan de andere.",
                "Mooi dat je ook tekst van een AI-chatbot als bron kritisch bekijkt. Laat "
                "zien hoe je die hebt gecontroleerd.",
            ),
            practice=(
                "De student legde de bezoekers van {company} rustig uit hoe je een "
                "nepbericht herkent. De voorbeelden sloten goed aan.",
                "Goed voorbereid; de student had vooraf gecontroleerd of alle voorbeelden klopten.",
            ),
            client=(
                "De leerlingen waren echt verrast hoe makkelijk je wordt misleid. Een "
                "leerzame les.",
                "Duidelijke uitleg, met voorbeelden die onze doelgroep herkent.",
            ),
            strong=(
                "controleert de student beweringen bij meerdere bronnen en legt uit welke "
                "bron betrouwbaar is en waarom",
                "herkent de student desinformatie en gegenereerd beeld en laat zien hoe",
            ),
            weak=(
                "wordt wel gefactcheckt, maar niet uitgelegd waarom een bron betrouwbaar is",
                "ontbreekt bewijs dat de student gegenereerde beelden of teksten herkent",
            ),
            advice=(
                "Doe nog een factcheck waarin je per bron uitlegt waarom je die wel of niet "
                "vertrouwt.",
                "Laat met een voorbeeld zien hoe je een gegenereerde tekst of afbeelding "
                "hebt herkend.",
            ),
            aspect="hoe ik bronnen controleer",
            interview=(
                "hoe de student bepaalt of een bron te vertrouwen is",
                "hoe de student een door AI gemaakte afbeelding herkende",
            ),
        ),
        "LO2": OutcomeMaterial(
            evidence=(
                (K.REPORT, "Standpunt: cameratoezicht met gezichtsherkenning?"),
                (K.PRESENTATION, "Debatbijdrage bij {project}"),
                (K.VIDEO, "Opname van het klassendebat over AI op school"),
                (K.REFLECTION, "Reflectie: gesprek met iemand die er anders over denkt"),
            ),
            self=(
                "In het debat werd ik boos toen iemand mijn argument wegwuifde. Achteraf "
                "had ik beter eerst een vraag kunnen stellen.",
                "Ik ben van mening veranderd over cameratoezicht: na het gesprek met de "
                "wijkagent zie ik ook de voordelen.",
                "Mijn standpunt is nu beter onderbouwd omdat ik ook de tegenargumenten heb "
                "opgezocht.",
            ),
            peer=(
                "Je bracht je standpunt duidelijk, maar je liet de anderen weinig ruimte.",
                "Sterk dat je toegaf dat de andere kant ook een punt had.",
            ),
            coach=(
                "Je standpunt is helder en je noemt argumenten van beide kanten. Werk nog "
                "aan de bronnen bij je argumenten.",
                "Je gaat respectvol in gesprek. Durf je eigen standpunt wat steviger te "
                "onderbouwen.",
            ),
            practice=(
                "Tijdens de bijeenkomst bij {company} luisterde de student goed naar de "
                "bewoners en vatte hun zorgen eerlijk samen.",
                "De student bleef rustig toen het gesprek verhit raakte.",
            ),
            client=(
                "Een goed voorbereid debat; iedereen kwam aan het woord.",
                "Ik waardeer dat de student ook onze kant van het verhaal wilde horen.",
            ),
            strong=(
                "neemt de student een onderbouwd standpunt in en weegt argumenten van "
                "verschillende kanten",
                "gaat de student respectvol in gesprek met mensen die er anders over denken",
            ),
            weak=(
                "is het standpunt helder, maar blijven de tegenargumenten onbesproken",
                "ontbreekt bewijs van een gesprek met iemand die er anders over denkt",
            ),
            advice=(
                "Schrijf een standpunt waarin je ook de sterkste tegenargumenten bespreekt.",
                "Voer een gesprek met iemand die er anders over denkt en reflecteer erop.",
            ),
            aspect="hoe ik mijn standpunt breng",
            interview=(
                "welke tegenargumenten de student het sterkst vond",
                "hoe de student reageerde toen iemand het oneens was",
            ),
        ),
        "LO3": OutcomeMaterial(
            evidence=(
                (K.PRODUCT, "Draaiboek van {project}"),
                (K.PRACTICE, "Uitvoering van {project} bij {company}"),
                (K.REFLECTION, "Reflectie: mijn rol als burger in de wijk"),
                (K.VIDEO, "Verslag in beeld van {project}"),
            ),
            self=(
                "Ik vond het spannend om met ouderen te werken, maar het was een van de "
                "leukste dingen van dit jaar.",
                "We hadden te weinig tijd gepland voor de voorbereiding. Volgende keer "
                "spreek ik eerder af met de organisatie.",
                "Ik merk dat ik meer betrokken ben bij de wijk sinds het project.",
            ),
            peer=(
                "Je was de aanjager van ons project. Laat de anderen ook eens het woord doen.",
                "Goed draaiboek; alleen de taakverdeling op de dag zelf was onduidelijk.",
            ),
            coach=(
                "Je werkt goed samen met mensen buiten de klas. Reflecteer nog op wat het "
                "project voor jou als burger betekent.",
                "Het project was een succes. Beschrijf ook wat je zelf hebt bijgedragen.",
            ),
            practice=(
                "De student kwam afspraken na en zorgde dat de bezoekers van {company} zich "
                "welkom voelden.",
                "Een betrokken student die zelf met ideeën kwam.",
            ),
            client=(
                "Dankzij het project weten onze bezoekers nu hoe ze veilig kunnen "
                "internetbankieren.",
                "We willen dit volgend jaar graag herhalen.",
            ),
            strong=(
                "werkt de student in het project samen met mensen buiten de eigen groep "
                "en draagt aantoonbaar bij",
                "reflecteert de student op de eigen rol als burger in school en wijk",
            ),
            weak=(
                "is niet te zien wat de student zelf aan het project heeft bijgedragen",
                "blijft de reflectie op de eigen rol als burger oppervlakkig",
            ),
            advice=(
                "Beschrijf in een reflectie wat jij zelf aan het project hebt bijgedragen en "
                "wat het voor jou betekende.",
                "Vraag de organisatie om feedback op je bijdrage en verwerk die.",
            ),
            aspect="mijn bijdrage aan het project",
            interview=(
                "wat de student zelf aan het project heeft bijgedragen",
                "wat het project de student over burgerschap heeft geleerd",
            ),
        ),
    },
    exhibitions=("Mijn project in de wijk", "Expositie: {project}", "Zo denk ik over technologie"),
    guide_intro="In dit portfolio laat ik zien hoe ik met {project} voor {client} heb gewerkt "
    "aan burgerschap in de digitale samenleving.",
    placement="bij {company}",
)

PROGRAMS: tuple[ProgramMaterial, ...] = (SD, BURG)
