# ruff: noqa: E501  (long lines are document prose, kept one sentence per line)
"""Build the example corpus of the imaginary company "Maison Verdier" into examples/verdier/.

Maison Verdier SAS is a fictional 182-person maker of professional kitchen equipment based in
Lyon, with a UK subsidiary (Verdier Kitchen Ltd, Manchester). Every name, address, phone number
and figure below is invented; phone numbers use the ranges that ARCEP / Ofcom reserve for fiction.

Usage:  python examples/build_verdier.py        (needs python-docx, python-pptx, openpyxl, fpdf2
                                                 and a DejaVu Sans TTF, e.g. apt-get install fonts-dejavu-core)

The script is idempotent: it rewrites the same files, with fixed authors and dates in the
document properties and fixed timestamps inside the Office zip containers, so that re-running it
produces byte-identical output with the same library versions.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "verdier"

COMPANY = "Maison Verdier"
FIXED_DT = dt.datetime(2026, 1, 15, 9, 0, 0)
FIXED_DT_UTC = FIXED_DT.replace(tzinfo=dt.UTC)
ZIP_TIME = (2026, 1, 15, 9, 0, 0)

FONT_CANDIDATES = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/local/share/fonts/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
    "C:/Windows/Fonts/DejaVuSans.ttf",
]


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def out_path(rel: str) -> Path:
    p = OUT / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def write_text(rel: str, text: str, encoding: str = "utf-8", newline: str = "\n", bom: bool = False) -> None:
    data = text.replace("\r\n", "\n")
    if newline != "\n":
        data = data.replace("\n", newline)
    raw = data.encode(encoding)
    if bom:
        raw = b"\xef\xbb\xbf" + raw
    out_path(rel).write_bytes(raw)


def normalize_ooxml(path: Path, title: str) -> None:
    """Rewrite an Office zip with fixed entry timestamps and fixed core-property dates."""
    stamp = FIXED_DT.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as zin:
        entries = [(info.filename, zin.read(info.filename)) for info in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zout:
        for name, blob in entries:
            if name == "docProps/core.xml":
                xml = blob.decode("utf-8")
                for tag in ("dcterms:created", "dcterms:modified"):
                    xml = re.sub(rf"(<{tag}[^>]*>)[^<]*(</{tag}>)", rf"\g<1>{stamp}\g<2>", xml)
                blob = xml.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zout.writestr(info, blob)
    path.write_bytes(buf.getvalue())


def set_core(props, title: str, author: str, subject: str = "", keywords: str = "") -> None:
    props.title = title
    props.author = author
    props.last_modified_by = author
    props.subject = subject
    props.keywords = keywords
    props.created = FIXED_DT
    props.modified = FIXED_DT
    props.revision = 1
    props.language = "fr-FR"


# ---- DOCX -----------------------------------------------------------------------------------


class Docx:
    """Small wrapper over python-docx for headings, paragraphs, bullets and tables."""

    def __init__(self, title: str, author: str, subject: str = "", lang: str = "fr-FR"):
        import docx
        from docx.shared import Pt

        self.d = docx.Document()
        style = self.d.styles["Normal"]
        style.font.name = "Calibri"
        style.font.size = Pt(11)
        set_core(self.d.core_properties, title, author, subject)
        self.d.core_properties.language = lang
        self.title = title

    def title_block(self, title: str, *lines: str) -> None:
        self.d.add_heading(title, level=0)
        for line in lines:
            p = self.d.add_paragraph()
            r = p.add_run(line)
            r.italic = True

    def h1(self, text: str) -> None:
        self.d.add_heading(text, level=1)

    def h2(self, text: str) -> None:
        self.d.add_heading(text, level=2)

    def p(self, text: str, bold_prefix: str | None = None) -> None:
        para = self.d.add_paragraph()
        if bold_prefix:
            para.add_run(bold_prefix).bold = True
        para.add_run(text)

    def bullets(self, items: list[str], numbered: bool = False) -> None:
        style = "List Number" if numbered else "List Bullet"
        for item in items:
            self.d.add_paragraph(item, style=style)

    def table(self, header: list[str], rows: list[list[str]], style: str = "Light Grid Accent 1") -> None:
        t = self.d.add_table(rows=1, cols=len(header))
        try:
            t.style = self.d.styles[style]
        except KeyError:
            t.style = self.d.styles["Table Grid"]
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = ""
            cell.paragraphs[0].add_run(text).bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text
        self.d.add_paragraph()

    def save(self, rel: str) -> None:
        path = out_path(rel)
        self.d.save(str(path))
        normalize_ooxml(path, self.title)


# ---- PDF ------------------------------------------------------------------------------------


def find_font() -> tuple[str, str | None]:
    for cand in FONT_CANDIDATES:
        p = Path(cand)
        if p.exists():
            bold = p.with_name("DejaVuSans-Bold.ttf")
            return str(p), (str(bold) if bold.exists() else None)
    try:  # matplotlib bundles DejaVu Sans
        import matplotlib

        base = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf"
        if (base / "DejaVuSans.ttf").exists():
            bold = base / "DejaVuSans-Bold.ttf"
            return str(base / "DejaVuSans.ttf"), (str(bold) if bold.exists() else None)
    except ImportError:
        pass
    sys.exit("No DejaVuSans.ttf found: install it (apt-get install -y fonts-dejavu-core).")


class Pdf:
    def __init__(self, title: str, author: str, subject: str, footer: str, lang: str = "fr"):
        from fpdf import FPDF

        regular, bold = find_font()
        footer_text = footer

        class _PDF(FPDF):
            def footer(self_inner):
                self_inner.set_y(-15)
                self_inner.set_font("DejaVu", "", 8)
                self_inner.set_text_color(110, 110, 110)
                self_inner.cell(0, 8, f"{footer_text} — page {self_inner.page_no()}/{{nb}}", align="C")
                self_inner.set_text_color(0, 0, 0)

        self.f = _PDF(format="A4")
        self.f.set_margins(20, 20, 20)
        self.f.set_auto_page_break(True, margin=22)
        self.f.add_font("DejaVu", "", regular)
        self.f.add_font("DejaVu", "B", bold or regular)
        self.f.set_title(title)
        self.f.set_author(author)
        self.f.set_subject(subject)
        self.f.set_creator(f"{COMPANY} — build_verdier.py")
        self.f.set_producer("fpdf2")
        self.f.set_creation_date(FIXED_DT_UTC)
        self.f.set_lang(lang)

    def page(self) -> None:
        self.f.add_page()

    def title(self, text: str, sub: str | None = None) -> None:
        self.f.set_font("DejaVu", "B", 16)
        self.f.multi_cell(0, 8, text, align="L", new_x="LMARGIN", new_y="NEXT")
        if sub:
            self.f.set_font("DejaVu", "", 10)
            self.f.multi_cell(0, 6, sub, align="L", new_x="LMARGIN", new_y="NEXT")
        self.f.ln(4)

    def h(self, text: str) -> None:
        self.f.ln(2)
        self.f.set_font("DejaVu", "B", 12)
        self.f.multi_cell(0, 7, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.f.ln(1)

    def p(self, text: str) -> None:
        self.f.set_font("DejaVu", "", 10)
        self.f.multi_cell(0, 5.5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        self.f.ln(2)

    def bullets(self, items: list[str]) -> None:
        self.f.set_font("DejaVu", "", 10)
        for item in items:
            self.f.set_x(self.f.l_margin + 4)
            self.f.multi_cell(0, 5.5, f"• {item}", align="L", new_x="LMARGIN", new_y="NEXT")
        self.f.ln(2)

    def table(self, header: list[str], rows: list[list[str]], widths: list[int]) -> None:
        self.f.set_font("DejaVu", "", 9)
        with self.f.table(col_widths=widths, text_align="LEFT", line_height=5.5) as t:
            r = t.row()
            for h in header:
                r.cell(h)
            for row in rows:
                r = t.row()
                for c in row:
                    r.cell(c)
        self.f.ln(3)

    def save(self, rel: str) -> None:
        self.f.output(str(out_path(rel)))


# ============================================================================================
# RH
# ============================================================================================


def build_guide_rh() -> None:
    d = Docx("Guide RH des salariés — édition 2026", "Nathalie Perrin", "Congés, télétravail, notes de frais")
    d.title_block(
        "Guide RH des salariés — édition 2026",
        "Maison Verdier SAS — Direction des ressources humaines — mis à jour le 5 janvier 2026",
    )
    d.p(
        "Ce guide rassemble les règles pratiques applicables à l'ensemble des salariés de Maison Verdier "
        "en France (siège de Lyon, entrepôt de Corbas et agences régionales). Il complète la convention "
        "collective de la métallurgie et l'accord d'entreprise sur le temps de travail. Pour toute "
        "question, écrivez à rh@maison-verdier.fr ou passez au bureau RH (bâtiment A, 1er étage)."
    )

    d.h1("1. Congés")
    d.h2("1.1 Congés payés")
    d.p(
        "Chaque salarié à temps plein acquiert 25 jours ouvrés de congés payés par an, soit 2,08 jours "
        "par mois de travail effectif. La période d'acquisition court du 1er juin au 31 mai."
    )
    d.bullets(
        [
            "Les demandes se font dans Mon Espace RH, rubrique « Absences ».",
            "Délai de prévenance : un mois pour une absence de plus de 5 jours, 7 jours calendaires pour une absence plus courte.",
            "Le congé principal d'au moins 12 jours ouvrés consécutifs se prend entre le 1er mai et le 31 octobre.",
            "Les jours non pris au 31 mai sont perdus, sauf report exceptionnel validé par le manager et les RH jusqu'au 30 septembre.",
        ]
    )
    d.h2("1.2 Jours d'ancienneté")
    d.p(
        "Un jour de congé supplémentaire est accordé après 5 ans d'ancienneté, deux jours après 10 ans "
        "et trois jours après 15 ans. Ils sont crédités automatiquement le 1er juin."
    )
    d.h2("1.3 Congés pour événements familiaux")
    d.p("Ces congés sont rémunérés et doivent être pris au moment de l'événement, sur présentation d'un justificatif.")
    d.table(
        ["Événement", "Durée", "Justificatif"],
        [
            ["Mariage ou PACS du salarié", "4 jours ouvrés", "Acte de mariage ou de PACS"],
            ["Mariage d'un enfant", "1 jour ouvré", "Acte de mariage"],
            ["Naissance ou adoption", "3 jours ouvrés", "Acte de naissance"],
            ["Décès du conjoint ou d'un enfant", "12 jours ouvrés", "Acte de décès"],
            ["Décès d'un parent, frère ou sœur", "3 jours ouvrés", "Acte de décès"],
            ["Annonce du handicap d'un enfant", "5 jours ouvrés", "Certificat médical"],
            ["Déménagement (une fois par an)", "1 jour ouvré", "Justificatif de domicile"],
        ],
    )
    d.h2("1.4 Enfant malade")
    d.p(
        "Les parents d'un enfant de moins de 16 ans bénéficient de 5 jours rémunérés par an pour enfant "
        "malade, sur présentation d'un certificat médical."
    )

    d.h1("2. Télétravail")
    d.h2("2.1 Éligibilité")
    d.bullets(
        [
            "Être en CDI, ou en CDD de plus de 6 mois, et avoir terminé sa période d'essai.",
            "Occuper un poste compatible : les postes de l'atelier, de l'entrepôt et de l'accueil ne sont pas éligibles.",
            "Disposer à domicile d'une connexion internet d'au moins 8 Mbit/s et d'un espace de travail adapté.",
        ]
    )
    d.h2("2.2 Nombre de jours et organisation")
    d.p(
        "Chaque salarié éligible peut bénéficier au maximum de 2 jours de télétravail par semaine, "
        "non reportables d'une semaine sur l'autre. Les jours sont fixés avec le manager et indiqués dans "
        "Mon Espace RH. Le mardi est un jour de présence commune au bureau pour toutes les équipes."
    )
    d.bullets(
        [
            "Plages de joignabilité : de 9h30 à 12h00 et de 14h00 à 17h00.",
            "Le manager peut demander une présence sur site avec un délai de prévenance de 48 heures.",
            "Le télétravail depuis l'étranger n'est pas autorisé, sauf accord écrit de la DRH.",
            "Le télétravail ne change ni la durée du travail ni le droit à la déconnexion (aucun courriel attendu après 20h00).",
        ]
    )
    d.h2("2.3 Indemnité et équipement")
    d.p(
        "Une indemnité forfaitaire de 2,60 € par jour télétravaillé est versée avec le salaire du mois "
        "suivant. L'entreprise fournit un ordinateur portable, un casque et un second écran ; l'achat d'un "
        "siège ergonomique est remboursé jusqu'à 150 € TTC une fois tous les 5 ans."
    )
    d.h2("2.4 Comment demander le télétravail")
    d.bullets(
        [
            "Remplir le formulaire « Demande de télétravail » dans Mon Espace RH.",
            "Le manager répond sous 15 jours ; en cas de refus, la réponse est motivée.",
            "Un avenant au contrat de travail est signé électroniquement ; il prévoit une période d'adaptation de 2 mois.",
        ],
        numbered=True,
    )

    d.h1("3. Notes de frais")
    d.h2("3.1 Principes")
    d.p(
        "Les frais professionnels engagés lors des déplacements sont remboursés sur justificatifs. Les notes "
        "de frais se saisissent dans le module « Notes de frais » de Mon Espace RH, dans les 30 jours suivant "
        "la dépense, avec la photo des justificatifs. Les notes validées avant le 20 du mois sont remboursées "
        "avec le salaire du mois en cours."
    )
    d.h2("3.2 Plafonds de remboursement")
    d.table(
        ["Nature de la dépense", "Plafond", "Remarque"],
        [
            ["Déjeuner en déplacement", "20,00 €", "Hors restaurant d'entreprise"],
            ["Dîner en déplacement", "28,00 €", "Boissons alcoolisées exclues"],
            [
                "Nuit d'hôtel à Paris et en Île-de-France",
                "145 € petit-déjeuner inclus",
                "Réserver via l'agence de voyages",
            ],
            ["Nuit d'hôtel en province", "105 € petit-déjeuner inclus", "Réserver via l'agence de voyages"],
            ["Nuit d'hôtel à l'étranger", "160 € petit-déjeuner inclus", "Londres et Manchester compris"],
            ["Invitation d'un client", "45 € par convive", "Nom des invités obligatoire"],
        ],
    )
    d.h2("3.3 Transports")
    d.bullets(
        [
            "Train en 2de classe ; la 1re classe est autorisée pour un trajet de plus de 3 heures.",
            "Avion en classe économique, uniquement si le trajet en train dépasse 4h30.",
            "Véhicule personnel : indemnités kilométriques selon le barème fiscal, uniquement si aucun véhicule de service n'est disponible.",
            "Taxi et VTC : seulement en l'absence de transport en commun ou après 22h00.",
        ]
    )
    d.h2("3.4 Carte affaires")
    d.p(
        "Les commerciaux itinérants et les techniciens SAV disposent d'une carte affaires à débit différé. "
        "Les dépenses personnelles avec cette carte sont interdites. La perte de la carte se signale sans "
        "délai au service comptabilité (poste 2140)."
    )
    d.save("rh/guide-rh.docx")


def build_accueil() -> None:
    d = Docx(
        "Procédure d'accueil des nouveaux arrivants",
        "Nathalie Perrin",
        "Intégration des nouveaux salariés",
    )
    d.title_block(
        "Procédure d'accueil des nouveaux arrivants",
        "Référence RH-PR-07 — version 4 du 1er décembre 2025 — propriétaire : Direction des ressources humaines",
    )
    d.p(
        "Cette procédure décrit les étapes à suivre pour réussir l'intégration de chaque nouveau salarié, "
        "stagiaire ou alternant. Elle s'adresse aux managers, aux équipes RH, informatique et services généraux."
    )

    d.h1("1. Avant l'arrivée")
    d.h2("1.1 Côté manager")
    d.bullets(
        [
            "Ouvrir un ticket « Arrivée collaborateur » sur le portail du support informatique au moins 10 jours ouvrés avant l'arrivée (poste de travail, téléphone, droits d'accès).",
            "Désigner un parrain ou une marraine dans l'équipe.",
            "Préparer le planning de la première semaine et le transmettre aux RH.",
        ]
    )
    d.h2("1.2 Côté RH et services généraux")
    d.bullets(
        [
            "Envoyer le courriel de bienvenue et le livret d'accueil une semaine avant l'arrivée.",
            "Commander le badge d'accès et, pour l'atelier, les équipements de protection individuelle (chaussures de sécurité, lunettes, gants anti-coupure).",
            "Réserver une place au restaurant d'entreprise pour le déjeuner du premier jour.",
        ]
    )

    d.h1("2. Le premier jour")
    d.p(
        "Le nouvel arrivant est attendu à 9h00 à l'accueil du bâtiment A (27 rue Marius Berliet, Lyon 8e). "
        "Il est reçu par un membre de l'équipe RH qui lui remet son badge, son ordinateur et son kit de bienvenue."
    )
    d.bullets(
        [
            "9h00 – 10h30 : accueil RH, signature des documents, présentation de l'entreprise.",
            "10h30 – 11h30 : prise en main du poste avec le support informatique (activation du compte et de la double authentification).",
            "12h00 : déjeuner avec le manager, pris en charge par l'entreprise.",
            "14h00 – 15h30 : formation sécurité obligatoire (consignes incendie, circulation dans l'usine, port des EPI).",
            "15h30 : visite des ateliers de fabrication et rencontre de l'équipe.",
        ]
    )

    d.h1("3. Parrainage")
    d.p(
        "Chaque nouvel arrivant est accompagné par un parrain ou une marraine pendant 3 mois. Le parrain "
        "est un collègue volontaire, d'un autre service si possible, ayant au moins 2 ans d'ancienneté. "
        "Il déjeune avec le nouvel arrivant au moins une fois par mois et répond à ses questions "
        "pratiques. Une prime de parrainage de 200 € brut est versée à l'issue de la période."
    )

    d.h1("4. Suivi de l'intégration")
    d.table(
        ["Étape", "Responsable", "Échéance"],
        [
            ["Ticket « Arrivée collaborateur »", "Manager", "J-10 ouvrés"],
            ["Courriel de bienvenue et livret d'accueil", "RH", "J-7"],
            ["Formation sécurité", "Responsable HSE", "Jour 1"],
            ["Point d'étape avec le manager", "Manager", "Fin de la 1re semaine"],
            ["Rapport d'étonnement", "Nouvel arrivant", "Fin du 1er mois"],
            ["Entretien de fin de période d'essai", "Manager et RH", "2 semaines avant la fin de la période d'essai"],
            ["Journée d'intégration « Cap Verdier »", "RH", "Trimestre suivant l'arrivée"],
        ],
    )
    d.h2("4.1 Rapport d'étonnement")
    d.p(
        "Au bout d'un mois, le nouvel arrivant rédige un court rapport d'étonnement (une page) : ce qui "
        "l'a surpris, ce qui pourrait être amélioré. Il est partagé avec le manager et les RH."
    )
    d.h2("4.2 Journée d'intégration « Cap Verdier »")
    d.p(
        "Une fois par trimestre, les nouveaux arrivants de toutes les implantations sont réunis à Lyon pour "
        "une journée de découverte : histoire de l'entreprise depuis sa création en 1962, visite du "
        "showroom, atelier de cuisine avec nos chefs démonstrateurs et échange avec la Présidente."
    )
    d.save("rh/procedure-accueil-nouveaux-arrivants.docx")


def build_accord_temps_de_travail() -> None:
    pdf = Pdf(
        "Accord d'entreprise relatif à l'aménagement du temps de travail",
        "Maison Verdier SAS — Direction des ressources humaines",
        "Durée du travail, RTT, horaires variables, heures supplémentaires, astreintes, CET",
        "Accord d'entreprise Maison Verdier — temps de travail",
    )
    f = pdf

    # page 1
    f.page()
    f.title(
        "Accord d'entreprise relatif à l'aménagement du temps de travail",
        "Maison Verdier SAS — accord signé à Lyon le 12 mars 2024",
    )
    f.h("Entre les soussignés")
    f.p(
        "La société Maison Verdier SAS, au capital de 2 400 000 euros, dont le siège est situé 27 rue Marius "
        "Berliet, 69008 Lyon, représentée par Madame Claire Verdier, Présidente, d'une part ;"
    )
    f.p(
        "Et les organisations syndicales représentatives dans l'entreprise : la CFDT, représentée par "
        "Monsieur Olivier Bonnet, délégué syndical, et la CFE-CGC, représentée par Madame Agnès Carron, "
        "déléguée syndicale, d'autre part."
    )
    f.h("Préambule")
    f.p(
        "Le présent accord remplace l'accord du 20 juin 2001 sur la réduction du temps de travail. Il vise à "
        "concilier la réactivité attendue par nos clients de la restauration professionnelle, les pics de "
        "production saisonniers de l'usine et l'équilibre entre vie professionnelle et vie personnelle des "
        "salariés."
    )
    f.h("Article 1 — Champ d'application et durée")
    f.p(
        "Le présent accord s'applique à l'ensemble des salariés de Maison Verdier SAS en France, à l'exception "
        "des cadres dirigeants. Il ne s'applique pas aux salariés de la filiale britannique Verdier Kitchen Ltd."
    )
    f.p("Il est conclu pour une durée indéterminée et entre en vigueur le 1er avril 2024.")

    # page 2
    f.page()
    f.h("Article 2 — Durée du travail")
    f.p(
        "Pour le personnel non-cadre (ouvriers, employés, techniciens et agents de maîtrise), la durée "
        "hebdomadaire de travail est fixée à 37 heures, réparties du lundi au vendredi."
    )
    f.p(
        "En contrepartie des heures effectuées au-delà de 35 heures, les salariés à temps plein bénéficient "
        "de 12 jours de RTT par année civile. Ces jours sont acquis au prorata du temps de présence."
    )
    f.p(
        "Les cadres autonomes relèvent d'un forfait annuel de 214 jours travaillés, journée de solidarité "
        "incluse. Une convention individuelle de forfait est signée avec chaque cadre concerné."
    )
    f.h("Article 3 — Prise des jours de RTT")
    f.bullets(
        [
            "La moitié des jours de RTT est posée au choix du salarié, avec un délai de prévenance de 7 jours.",
            "L'autre moitié (6 jours) est fixée par l'employeur, notamment pour les ponts, après consultation du CSE avant le 31 décembre de l'année précédente.",
            "Les jours de RTT non pris au 31 décembre sont perdus, sauf s'ils sont versés au compte épargne-temps.",
            "Les RTT peuvent être pris par demi-journée.",
        ]
    )

    # page 3
    f.page()
    f.h("Article 4 — Horaires variables (services administratifs et commerciaux)")
    f.p(
        "Les salariés des services administratifs, commerciaux et du bureau d'études bénéficient d'horaires "
        "variables, organisés selon les plages suivantes :"
    )
    f.table(
        ["Plage", "Horaires"],
        [
            ["Arrivée (plage mobile)", "de 7h30 à 9h30"],
            ["Présence obligatoire le matin", "de 9h30 à 11h45"],
            ["Pause déjeuner (45 minutes minimum)", "de 11h45 à 14h00"],
            ["Présence obligatoire l'après-midi", "de 14h00 à 16h00"],
            ["Départ (plage mobile)", "de 16h00 à 19h00"],
        ],
        [90, 80],
    )
    f.p(
        "Le badgeage est obligatoire à l'arrivée et au départ. Le solde débiteur ou créditeur reportable d'un "
        "mois sur l'autre est limité à 10 heures. Un crédit d'heures peut être récupéré par demi-journée, "
        "dans la limite de deux demi-journées par mois."
    )
    f.h("Article 4 bis — Horaires de l'atelier")
    f.p(
        "Le personnel de production travaille en deux équipes alternées chaque semaine : équipe du matin de "
        "5h00 à 12h30 et équipe d'après-midi de 12h30 à 20h00, avec une pause rémunérée de 20 minutes."
    )

    # page 4
    f.page()
    f.h("Article 5 — Heures supplémentaires")
    f.p(
        "Les heures supplémentaires sont accomplies à la demande du responsable hiérarchique. Elles sont "
        "décomptées à la semaine, au-delà de 37 heures."
    )
    f.bullets(
        [
            "De la 38e à la 43e heure : majoration de 25 %.",
            "À partir de la 44e heure : majoration de 50 %.",
            "Le contingent annuel d'heures supplémentaires est fixé à 220 heures par salarié.",
            "Le paiement peut être remplacé, à la demande du salarié, par un repos compensateur équivalent.",
        ]
    )
    f.h("Article 6 — Travail exceptionnel le samedi")
    f.p(
        "Lors des pics d'activité (en particulier avant les salons professionnels de l'automne), l'atelier peut "
        "travailler le samedi matin, sur la base du volontariat. Les heures effectuées le samedi donnent droit à "
        "une prime de panier de 9,50 € et sont majorées de 50 % dès la première heure. Le CSE est informé au "
        "moins 10 jours à l'avance et le nombre de samedis travaillés est limité à 8 par an."
    )

    # page 5
    f.page()
    f.h("Article 7 — Astreintes du service après-vente")
    f.p(
        "Les techniciens du service après-vente peuvent être placés en astreinte afin d'assurer le dépannage "
        "des clients sous contrat de maintenance « Sérénité », du lundi 8h00 au lundi suivant 8h00."
    )
    f.bullets(
        [
            "Indemnité forfaitaire d'astreinte : 160 € brut par semaine complète d'astreinte.",
            "Le temps d'intervention, trajet compris, est rémunéré comme du temps de travail effectif.",
            "Un technicien ne peut pas être d'astreinte plus d'une semaine sur trois, ni plus de 15 semaines par an.",
            "Le planning des astreintes est communiqué au moins 15 jours à l'avance.",
        ]
    )
    f.h("Article 8 — Droit à la déconnexion")
    f.p(
        "Hors astreinte, aucun salarié n'est tenu de répondre aux courriels, messages ou appels en dehors de ses "
        "horaires de travail, pendant ses congés ou le week-end. Les envois différés sont encouragés."
    )

    # page 6
    f.page()
    f.h("Article 9 — Journée de solidarité")
    f.p(
        "La journée de solidarité est accomplie le lundi de Pentecôte, qui est travaillé dans l'ensemble de "
        "l'entreprise. Les salariés qui le souhaitent peuvent poser à la place un jour de RTT ou de congé payé."
    )
    f.h("Article 10 — Compte épargne-temps")
    f.bullets(
        [
            "Peuvent être épargnés : les jours de RTT non pris et la 5e semaine de congés payés.",
            "Le versement est limité à 10 jours par an ; le compte est plafonné à 30 jours.",
            "Les jours épargnés peuvent servir à financer un congé de plus d'un mois, un passage à temps partiel en fin de carrière ou être monétisés dans la limite de 5 jours par an.",
        ]
    )
    f.h("Article 11 — Suivi, révision et dépôt")
    f.p(
        "Une commission de suivi composée de deux représentants de chaque organisation signataire et de la DRH "
        "se réunit une fois par an, au mois de mars. L'accord peut être révisé ou dénoncé dans les conditions "
        "prévues par le Code du travail, avec un préavis de 3 mois."
    )
    f.p(
        "Le présent accord est déposé sur la plateforme TéléAccords et remis au greffe du conseil de prud'hommes "
        "de Lyon."
    )
    f.p("Fait à Lyon, le 12 mars 2024, en quatre exemplaires originaux.")
    f.p("Pour Maison Verdier SAS : Claire Verdier — Pour la CFDT : Olivier Bonnet — Pour la CFE-CGC : Agnès Carron")
    pdf.save("rh/accord-temps-de-travail.pdf")


def build_calendrier() -> None:
    rows = [
        ("Date", "Jour", "Libellé", "Type", "Remarque"),
        ("01/01/2026", "jeudi", "Jour de l'an", "Jour férié", "Chômé"),
        ("02/01/2026", "vendredi", "Pont du jour de l'an", "Pont", "Entreprise fermée : RTT employeur"),
        ("06/04/2026", "lundi", "Lundi de Pâques", "Jour férié", "Chômé"),
        ("01/05/2026", "vendredi", "Fête du Travail", "Jour férié", "Chômé"),
        ("08/05/2026", "vendredi", "Victoire 1945", "Jour férié", "Chômé"),
        ("14/05/2026", "jeudi", "Ascension", "Jour férié", "Chômé"),
        ("15/05/2026", "vendredi", "Pont de l'Ascension", "Pont", "Entreprise fermée : RTT employeur"),
        ("25/05/2026", "lundi", "Lundi de Pentecôte", "Journée de solidarité", "Travaillé"),
        ("13/07/2026", "lundi", "Pont du 14 juillet", "Pont", "Entreprise fermée : RTT employeur"),
        ("14/07/2026", "mardi", "Fête nationale", "Jour férié", "Chômé"),
        (
            "03/08/2026",
            "lundi",
            "Fermeture estivale",
            "Fermeture annuelle",
            "Usine et entrepôt fermés du 3 au 21 août 2026 inclus ; permanence SAV assurée",
        ),
        ("15/08/2026", "samedi", "Assomption", "Jour férié", "Tombe un samedi"),
        ("01/11/2026", "dimanche", "Toussaint", "Jour férié", "Tombe un dimanche"),
        ("11/11/2026", "mercredi", "Armistice 1918", "Jour férié", "Chômé"),
        ("24/12/2026", "jeudi", "Veille de Noël", "Fermeture anticipée", "Fermeture des bureaux à 15h00"),
        ("25/12/2026", "vendredi", "Noël", "Jour férié", "Chômé"),
        ("31/12/2026", "jeudi", "Saint-Sylvestre", "Fermeture anticipée", "Fermeture des bureaux à 15h00"),
    ]
    text = "\n".join(";".join(r) for r in rows) + "\n"
    write_text("rh/calendrier-feries-et-ponts-2026.csv", text)


def build_entretiens() -> None:
    text = """\
CAMPAGNE DES ENTRETIENS ANNUELS 2026
Direction des ressources humaines — note d'information du 7 janvier 2026

À tous les managers et collaborateurs de Maison Verdier (France)

1. Calendrier

La campagne d'entretiens annuels d'évaluation se déroule du lundi 12 janvier au vendredi 27 février 2026.
Les comptes rendus doivent être signés par le salarié et le manager dans Mon Espace RH au plus tard le 13 mars 2026.
Les managers reçoivent leur support de préparation lors d'une session de 2 heures le 8 janvier 2026 (salle Bellecour, bâtiment A).

2. Contenu de l'entretien

- bilan des objectifs 2025 et fixation de 3 à 5 objectifs pour 2026 ;
- évaluation des compétences selon la grille commune (4 niveaux : à développer, maîtrisé, confirmé, expert) ;
- souhaits de formation et de mobilité ;
- charge de travail, articulation vie professionnelle / vie personnelle et, le cas échéant, organisation du télétravail.

3. Entretien professionnel

L'entretien professionnel, distinct de l'évaluation, a lieu tous les 2 ans. Il porte sur les perspectives d'évolution et les formations.
Tous les 6 ans, un état des lieux récapitulatif du parcours est réalisé. En 2026, il concerne les salariés arrivés en 2020.

4. Révisions salariales

Les propositions d'augmentation sont saisies par les managers entre le 2 et le 20 mars 2026.
L'enveloppe globale des augmentations individuelles est fixée à 3,1 % de la masse salariale, avec effet au 1er avril 2026.
Les salariés sont informés individuellement par leur manager avant la paie d'avril.

5. Contacts

Questions sur l'outil : Mon Espace RH, rubrique « Entretiens », ou rh@maison-verdier.fr.
Responsable de la campagne : Camille Fournier, chargée de développement RH, poste 2118.
"""
    write_text("rh/campagne-entretiens-annuels-2026.txt", text)


# ============================================================================================
# INFORMATIQUE
# ============================================================================================


def build_charte_informatique() -> None:
    d = Docx("Charte informatique", "Julien Morel", "Règles d'utilisation des outils numériques")
    d.title_block(
        "Charte d'utilisation des ressources informatiques",
        "Annexe au règlement intérieur — en vigueur depuis le 1er septembre 2025 — Direction des systèmes d'information",
    )
    d.h1("1. Objet et champ d'application")
    d.p(
        "La présente charte définit les règles d'utilisation des ordinateurs, téléphones, réseaux, "
        "messageries et logiciels mis à disposition par Maison Verdier. Elle s'applique à tous les "
        "utilisateurs : salariés, intérimaires, stagiaires, alternants et prestataires disposant d'un compte."
    )

    d.h1("2. Accès et authentification")
    d.bullets(
        [
            "Chaque compte est strictement personnel : il est interdit de communiquer son mot de passe, y compris au support informatique.",
            "Le mot de passe doit comporter au moins 12 caractères et ne pas être réutilisé sur des sites personnels.",
            "La double authentification (application Microsoft Authenticator) est obligatoire pour la messagerie, le VPN et Mon Espace RH.",
            "La session doit être verrouillée (touches Windows + L) à chaque absence du poste ; elle se verrouille automatiquement après 10 minutes d'inactivité.",
        ]
    )

    d.h1("3. Messagerie et internet")
    d.p(
        "La messagerie et l'accès à internet sont des outils de travail. Un usage personnel ponctuel et "
        "raisonnable est toléré, à condition de ne pas gêner l'activité. Les messages personnels doivent "
        "être classés dans un dossier intitulé « Personnel »."
    )
    d.bullets(
        [
            "Le transfert automatique de courriels vers une messagerie personnelle est interdit.",
            "La taille des pièces jointes est limitée à 25 Mo ; au-delà, partager un lien OneDrive.",
            "La consultation de sites à caractère illicite, violent ou pornographique est interdite et bloquée par le filtrage.",
        ]
    )

    d.h1("4. Matériel et logiciels")
    d.bullets(
        [
            "Seuls les logiciels installés par la DSI ou disponibles dans le Centre logiciel sont autorisés.",
            "Les clés USB personnelles sont interdites : les ports USB n'acceptent que les clés chiffrées fournies par la DSI.",
            "La perte ou le vol d'un ordinateur ou d'un téléphone doit être signalé au support informatique dans les 24 heures.",
            "Le matériel est restitué le dernier jour de présence, au plus tard.",
        ]
    )

    d.h1("5. Données et confidentialité")
    d.p(
        "Les documents de travail sont enregistrés dans SharePoint ou OneDrive, jamais sur le disque local "
        "seul ni sur un service de stockage personnel (Dropbox, Google Drive, WeTransfer…). Chaque document "
        "est classé selon le niveau de sensibilité ci-dessous."
    )
    d.table(
        ["Niveau", "Exemples", "Règle de diffusion"],
        [
            ["Public", "Catalogue, tarifs publiés, communiqués de presse", "Libre"],
            ["Interne", "Procédures, annuaire, comptes rendus de réunion", "Salariés et prestataires sous contrat"],
            [
                "Confidentiel",
                "Plans de fabrication, prix de revient, données clients",
                "Personnes habilitées uniquement ; envoi externe chiffré",
            ],
            [
                "Secret",
                "Projets d'acquisition, données de paie, dossiers disciplinaires",
                "Liste nominative validée par la Direction",
            ],
        ],
    )

    d.h1("6. Intelligence artificielle générative")
    d.p(
        "Il est interdit de copier des données classées Interne, Confidentiel ou Secret dans des outils "
        "d'IA générative publics (ChatGPT, Gemini, DeepL gratuit, etc.). Pour ces usages, seul l'assistant "
        "interne Verdier Assist, hébergé sur nos serveurs, est autorisé. Les contenus produits par une IA "
        "doivent toujours être relus par un humain avant diffusion."
    )

    d.h1("7. Contrôles et sanctions")
    d.p(
        "Pour des raisons de sécurité, la DSI conserve les journaux de connexion pendant 12 mois. Les contrôles "
        "sont réalisés de manière proportionnée, dans le respect du RGPD et après information du CSE. Le "
        "non-respect de la charte peut entraîner la suspension des accès et des sanctions disciplinaires prévues "
        "par le règlement intérieur."
    )
    d.p("Contact : Julien Morel, responsable des systèmes d'information — dsi@maison-verdier.fr")
    d.save("informatique/charte-informatique.docx")


def build_uk_policy() -> None:
    d = Docx(
        "Information Security Policy — Verdier Kitchen Ltd",
        "Emma Clarke",
        "IT security rules for UK staff",
        lang="en-GB",
    )
    d.title_block(
        "Information Security Policy",
        "Verdier Kitchen Ltd (UK subsidiary of Maison Verdier SAS) — version 2.0, approved by David Hughes, Managing Director, on 3 February 2026",
    )
    d.h1("1. Scope")
    d.p(
        "This policy applies to all employees, contractors and temporary staff of Verdier Kitchen Ltd, "
        "Unit 4, Trafford Park Business Centre, Manchester M17 1AB, and to every device that connects to "
        "the company network or to Microsoft 365. Staff working in France are covered by the French IT "
        "charter (charte informatique) instead."
    )
    d.h1("2. Passwords and multi-factor authentication")
    d.bullets(
        [
            "Passwords must be at least 14 characters long; passphrases made of four or more random words are recommended.",
            "Multi-factor authentication is mandatory for email, VPN, the CRM and the expenses portal.",
            "Never reuse your company password on another website, and never share it with anyone, including IT.",
            "Use the company password manager (Bitwarden) to store shared service credentials.",
        ]
    )
    d.h1("3. Devices")
    d.bullets(
        [
            "Company laptops are encrypted with BitLocker; do not disable encryption or antivirus.",
            "Screens lock automatically after 5 minutes of inactivity; lock your laptop manually whenever you leave it.",
            "Personal devices may only access email through the Outlook app with the company's mobile management profile.",
            "Report a lost or stolen device to IT immediately and in any case within 1 hour.",
        ]
    )
    d.h1("4. Working remotely and travelling")
    d.p(
        "Always connect through the company VPN when working outside the Manchester office. Public Wi-Fi "
        "(cafés, trains, hotels) must never be used without the VPN. When travelling to France, do not leave "
        "laptops unattended in vehicles, including at trade shows."
    )
    d.h1("5. Reporting security incidents")
    d.p(
        "Any suspected security incident (phishing email clicked, malware warning, lost device, data sent to "
        "the wrong recipient) must be reported within 1 hour to it-uk@verdierkitchen.co.uk or by phone on "
        "0161 496 0732. Where personal data is involved, the Data Protection Lead decides whether the breach "
        "must be notified to the Information Commissioner's Office (ICO) within 72 hours."
    )
    d.h1("6. Data retention")
    d.table(
        ["Record type", "Retention period", "Owner"],
        [
            ["Customer orders and invoices", "6 years after the end of the financial year", "Finance"],
            ["Employee files", "6 years after the end of employment", "HR"],
            ["CCTV footage (Trafford Park)", "30 days", "Office Manager"],
            ["Recruitment files of unsuccessful candidates", "6 months", "HR"],
        ],
    )
    d.h1("7. Review")
    d.p(
        "This policy is reviewed every year by the IT & Office Manager (Emma Clarke) together with the Group "
        "IT Director in Lyon (Julien Morel). Breaches of this policy may lead to disciplinary action."
    )
    d.save("informatique/uk-information-security-policy.docx")


def build_it_procedures() -> None:
    vpn = """\
# Se connecter au VPN (GlobalProtect)

*Procédure IT-07 — mise à jour : 12 janvier 2026 — Direction des systèmes d'information*

Le VPN permet d'accéder depuis l'extérieur (domicile, hôtel, chantier client) aux applications internes :
ERP, lecteurs réseau, Mon Espace RH et imprimantes. Il est **obligatoire** pour travailler hors des locaux,
sauf pour la messagerie et Teams qui fonctionnent sans VPN.

## Installation

1. Ouvrez le **Centre logiciel** (menu Démarrer) et installez « GlobalProtect 6 ».
2. Au premier lancement, saisissez l'adresse du portail : `vpn.maison-verdier.fr`
3. Connectez-vous avec votre adresse e-mail professionnelle et votre mot de passe Windows.
4. Validez la notification de double authentification sur votre téléphone (Microsoft Authenticator).

Les ordinateurs livrés après mars 2025 ont déjà GlobalProtect installé.

## Utilisation au quotidien

- L'icône de globe dans la barre des tâches devient bleue lorsque la connexion est établie.
- La session VPN est coupée automatiquement après 12 heures de connexion : reconnectez-vous simplement.
- Évitez de télécharger de gros fichiers via le VPN ; préférez OneDrive, accessible sans VPN.
- Depuis un pays hors Union européenne et Royaume-Uni, la connexion est bloquée par défaut : prévenez le support 5 jours ouvrés avant votre départ.

## En cas de problème

| Message ou symptôme | Cause probable | Que faire |
|---|---|---|
| « Gateway unreachable » | Wi-Fi public avec portail captif | Ouvrez d'abord une page web pour accepter les conditions du Wi-Fi, puis reconnectez-vous |
| Pas de notification MFA | Téléphone sans réseau | Utilisez le code à 6 chiffres affiché dans l'application Authenticator |
| Connexion très lente | Partage de connexion 4G faible | Rapprochez-vous d'une fenêtre ou utilisez une connexion filaire |
| « Certificat non valide » | Ordinateur non mis à jour depuis longtemps | Branchez-vous au réseau du siège ou contactez le support |

Si le problème persiste, contactez le support informatique (voir la procédure *Signaler un incident*).
"""
    mdp = """\
# Réinitialiser son mot de passe

*Procédure IT-03 — mise à jour : 12 janvier 2026*

Votre mot de passe Windows est aussi celui de la messagerie, du VPN et de Mon Espace RH.

## Vous avez oublié votre mot de passe

Utilisez le portail libre-service, accessible depuis n'importe quel navigateur, même depuis votre téléphone personnel :

**https://monmotdepasse.maison-verdier.fr**

1. Saisissez votre adresse e-mail professionnelle (prenom.nom@maison-verdier.fr).
2. Choisissez la vérification par SMS ou par l'application Authenticator.
3. Saisissez le code reçu, puis votre nouveau mot de passe (deux fois).
4. Sur votre ordinateur portable, connectez-vous d'abord au réseau du bureau ou au VPN pour que le nouveau mot de passe soit pris en compte.

> Le portail ne fonctionne que si vous avez enregistré un numéro de téléphone lors de votre arrivée.
> Sinon, présentez-vous au support informatique (bâtiment A, rez-de-chaussée) avec une pièce d'identité.

## Règles pour choisir un mot de passe

- au moins 12 caractères ;
- pas votre nom, votre prénom, ni « Verdier » ;
- différent des 5 derniers mots de passe utilisés.

Le mot de passe n'expire pas automatiquement : il n'est à changer qu'en cas de doute ou de compromission.

## Compte verrouillé

Après 5 tentatives erronées, le compte est verrouillé pendant 15 minutes puis se déverrouille tout seul.
Si vous ne pouvez pas attendre, le support peut le déverrouiller après vérification de votre identité.

## Ce que le support ne vous demandera jamais

Le support informatique ne vous demandera **jamais** votre mot de passe, ni par téléphone, ni par e-mail.
Un message qui vous le demande est une tentative d'hameçonnage : signalez-le.
"""
    imprimantes = """\
# Imprimer, copier et scanner

*Procédure IT-11 — mise à jour : 12 janvier 2026*

Tous les copieurs multifonctions du siège et de l'entrepôt sont des Ricoh IM C3000 reliés au service
d'impression sécurisée **Suivez-moi**.

## Impression sécurisée « Suivez-moi »

1. Imprimez normalement en choisissant la file `Suivez-moi` (installée par défaut).
2. Allez à n'importe quel copieur et passez votre badge sur le lecteur.
3. Sélectionnez vos documents et appuyez sur **Imprimer**.

Les travaux non libérés restent en attente 24 heures, puis sont supprimés automatiquement.

## Réglages par défaut

- Noir et blanc, recto verso : c'est le réglage par défaut pour limiter la consommation de papier.
- L'impression couleur est réservée aux services commercial et marketing ; pour les autres, demandez l'ouverture des droits au support.
- Les formats A3 sont disponibles uniquement sur les copieurs du bureau d'études et de l'accueil.

## Liste des copieurs

| Nom | Emplacement | A3 | Couleur |
|---|---|---|---|
| IMP-A0-ACCUEIL | Bâtiment A, rez-de-chaussée, accueil | oui | oui |
| IMP-A1-RH | Bâtiment A, 1er étage, près du bureau RH | non | oui |
| IMP-A2-BE | Bâtiment A, 2e étage, bureau d'études | oui | oui |
| IMP-B0-ATELIER | Bâtiment B, bureau des chefs d'atelier | non | non |
| IMP-CORBAS-QUAI | Entrepôt de Corbas, bureau du quai 3 | non | non |

## Scanner vers sa messagerie

Passez votre badge, choisissez **Numériser > Ma messagerie** : le fichier PDF arrive dans votre boîte
en quelques secondes (taille maximale 20 Mo). Les documents numérisés ne sont pas conservés sur le copieur.

## Bourrage papier et consommables

Pour un bourrage ou un manque de toner, prévenez l'accueil des services généraux (poste 2200). Les
cartouches de toner sont commandées automatiquement : ne les stockez pas dans les bureaux.
"""
    incident = """\
# Signaler un incident informatique

*Procédure IT-01 — mise à jour : 12 janvier 2026*

## Contacter le support

Le support informatique est joignable du lundi au vendredi, de 7h30 à 18h00 :

- **Portail** : https://support.maison-verdier.fr (à privilégier, suivi du ticket en ligne)
- **Téléphone** : poste 4357, ou 04 65 71 43 57 depuis l'extérieur
- **Courriel** : support@maison-verdier.fr

En dehors de ces horaires, une astreinte couvre uniquement les incidents bloquant la production de l'usine
ou l'expédition à l'entrepôt : appelez le 04 65 71 43 99.

## Priorités et délais de prise en charge

| Priorité | Exemple | Délai de prise en charge |
|---|---|---|
| P1 — critique | Ligne de production ou ERP arrêtés pour tout un service | 30 minutes |
| P2 — élevée | Un utilisateur ne peut plus travailler du tout | 2 heures |
| P3 — normale | Une application ou un périphérique ne fonctionne pas, contournement possible | 1 jour ouvré |
| P4 — demande | Installation d'un logiciel, nouveau matériel, droits d'accès | 3 jours ouvrés |

## Bien décrire votre incident

- ce que vous essayiez de faire et le message d'erreur exact (une capture d'écran aide beaucoup) ;
- depuis quand le problème se produit et s'il touche vos collègues ;
- le nom de votre ordinateur, affiché sur l'étiquette (par exemple `PC-LYO-0412`).

## Courriel suspect ou hameçonnage (phishing)

1. Ne cliquez sur aucun lien et n'ouvrez pas les pièces jointes.
2. Dans Outlook, cliquez sur le bouton **Signaler un hameçonnage** du ruban : le message est transmis à l'équipe sécurité et supprimé de votre boîte.
3. Si vous avez déjà cliqué ou saisi votre mot de passe, appelez immédiatement le poste 4357 : c'est un incident P1.

## Perte ou vol de matériel

Signalez la perte ou le vol d'un ordinateur, d'un téléphone ou d'un badge dans les 24 heures, par téléphone
de préférence. Le support bloque l'appareil à distance et vous indique comment déposer plainte.
"""
    write_text("informatique/procedures/vpn.md", vpn)
    write_text("informatique/procedures/reinitialiser-mot-de-passe.md", mdp)
    write_text("informatique/procedures/imprimantes.md", imprimantes)
    write_text("informatique/procedures/signaler-un-incident.md", incident)


def build_consignes_incendie() -> None:
    evacuation = """\
# Consignes de sécurité incendie et d'évacuation

*Services généraux et HSE — site de Lyon — affichage obligatoire — révision du 15 octobre 2025*

## Si vous découvrez un début d'incendie

1. Donnez l'alerte : appelez le **poste 2222** (standard sécurité, 24 h/24) ou déclenchez le boîtier rouge le plus proche.
2. Si vous avez été formé et sans prendre de risque, attaquez le feu avec l'extincteur adapté.
3. Fermez les portes derrière vous pour limiter la propagation.

Depuis un téléphone portable, composez le 112 puis prévenez le poste 2222.

## À l'écoute du signal d'évacuation

- Quittez immédiatement votre poste sans vous attarder pour récupérer vos affaires.
- N'utilisez jamais les ascenseurs ni le monte-charge de l'atelier.
- Suivez les consignes des guides-files (brassard orange) et des serre-files (brassard jaune).
- Rejoignez votre point de rassemblement et ne le quittez pas sans l'accord du chargé d'évacuation.

## Points de rassemblement

| Bâtiment | Point de rassemblement |
|---|---|
| Bâtiment A (bureaux, showroom) | Point A : parking visiteurs P1, côté rue Marius Berliet |
| Bâtiment B (ateliers, magasin) | Point B : cour de livraison nord, près du portail 2 |
| Entrepôt de Corbas | Point C : parking poids lourds, à l'entrée du site |

## Exercices

Deux exercices d'évacuation sont organisés chaque année, dont un sans prévenir. Le dernier exercice au siège
(25 septembre 2025) a permis d'évacuer le bâtiment A en 3 minutes 40 secondes.

## Équipiers de première intervention

Chaque service compte au moins un équipier de première intervention et un sauveteur secouriste du travail (SST).
Leur liste est affichée à côté de chaque tableau d'alarme. Pour devenir équipier, contactez le responsable HSE,
Mathieu Rey (poste 2230).
"""
    write_text("services-generaux/consignes-incendie-evacuation.md", evacuation)


# ============================================================================================
# COMMERCIAL
# ============================================================================================

PRODUCTS = [
    # (ref, désignation, gamme, prix HT, délai)
    ("FMX-061E", "Four mixte Ondine 6 niveaux GN 1/1, électrique", "Cuisson", 6490, "3 semaines"),
    ("FMX-061G", "Four mixte Ondine 6 niveaux GN 1/1, gaz", "Cuisson", 7190, "4 semaines"),
    ("FMX-101E", "Four mixte Ondine 10 niveaux GN 1/1, électrique", "Cuisson", 9890, "3 semaines"),
    ("FMX-101G", "Four mixte Ondine 10 niveaux GN 1/1, gaz", "Cuisson", 10690, "4 semaines"),
    ("FMX-202E", "Four mixte Ondine 20 niveaux GN 2/1, électrique, sur chariot", "Cuisson", 21450, "6 semaines"),
    ("FCV-050", "Four à convection 5 niveaux 600 x 400", "Cuisson", 3290, "2 semaines"),
    ("SBE-080", "Sauteuse basculante électrique 80 litres", "Cuisson", 11200, "5 semaines"),
    ("SBE-120", "Sauteuse basculante électrique 120 litres", "Cuisson", 13850, "5 semaines"),
    ("MAR-150", "Marmite électrique à chauffage indirect 150 litres", "Cuisson", 12900, "6 semaines"),
    ("FRI-2X10", "Friteuse électrique 2 cuves de 10 litres", "Cuisson", 2740, "2 semaines"),
    ("GRL-800", "Grill électrique plaque lisse 800 mm", "Cuisson", 1980, "2 semaines"),
    ("IND-4Z", "Plaque à induction 4 zones, 14 kW", "Cuisson", 5350, "3 semaines"),
    ("IND-WOK", "Wok à induction 5 kW", "Cuisson", 2890, "3 semaines"),
    ("PIA-4F", "Piano de cuisson 4 feux vifs sur four gaz", "Cuisson", 4620, "4 semaines"),
    ("BMA-3GN", "Bain-marie électrique 3 GN 1/1", "Cuisson", 1240, "1 semaine"),
    ("CRF-05", "Cellule de refroidissement rapide Givre 5 niveaux", "Froid", 6980, "6 semaines"),
    ("CRF-10", "Cellule de refroidissement rapide Givre 10 niveaux", "Froid", 9750, "6 semaines"),
    ("ARM-700P", "Armoire réfrigérée positive 700 litres, 1 porte", "Froid", 2190, "2 semaines"),
    ("ARM-1400P", "Armoire réfrigérée positive 1400 litres, 2 portes", "Froid", 3480, "2 semaines"),
    ("ARM-700N", "Armoire réfrigérée négative 700 litres, 1 porte", "Froid", 2560, "2 semaines"),
    ("TAB-3PR", "Table réfrigérée 3 portes, dessus inox", "Froid", 2280, "3 semaines"),
    ("SAL-GN", "Saladette réfrigérée 7 GN 1/3", "Froid", 1690, "2 semaines"),
    ("LVC-500", "Lave-vaisselle à capot, panier 500 x 500", "Laverie", 5980, "3 semaines"),
    ("LVC-500R", "Lave-vaisselle à capot avec récupération de chaleur", "Laverie", 7340, "4 semaines"),
    ("LVV-400", "Lave-verres frontal, panier 400 x 400", "Laverie", 2150, "2 semaines"),
    ("LUS-600", "Lave-ustensiles frontal, panier 600 x 700", "Laverie", 8920, "5 semaines"),
    ("TUN-1800", "Lave-vaisselle à convoyeur 1800 assiettes/heure", "Laverie", 38600, "10 semaines"),
    ("TBL-140", "Table inox adossée 1400 x 700 avec étagère", "Inox et mobilier", 640, "1 semaine"),
    ("TBL-180", "Table inox adossée 1800 x 700 avec étagère", "Inox et mobilier", 760, "1 semaine"),
    ("TBC-200", "Table inox centrale 2000 x 800", "Inox et mobilier", 980, "2 semaines"),
    ("PLG-1200", "Plonge inox 2 bacs avec égouttoir 1200 mm", "Inox et mobilier", 1120, "2 semaines"),
    ("ETG-4N", "Étagère inox 4 niveaux 1200 x 500", "Inox et mobilier", 430, "1 semaine"),
    ("HOT-2000", "Hotte murale à filtres 2000 mm", "Inox et mobilier", 2480, "4 semaines"),
    ("HOT-C3000", "Hotte centrale à compensation 3000 mm", "Inox et mobilier", 5760, "6 semaines"),
    ("CHA-GN15", "Chariot échelle inox 15 niveaux GN 1/1", "Inox et mobilier", 590, "1 semaine"),
    ("BAC-GN11-65", "Bac gastronorme inox GN 1/1, profondeur 65 mm (lot de 6)", "Accessoires", 96, "48 heures"),
    ("BAC-GN11-100", "Bac gastronorme inox GN 1/1, profondeur 100 mm (lot de 6)", "Accessoires", 118, "48 heures"),
    ("GRI-GN11", "Grille inox GN 1/1 (lot de 6)", "Accessoires", 84, "48 heures"),
    ("SON-CAR", "Sonde à cœur pour four mixte Ondine", "Accessoires", 145, "48 heures"),
    ("KIT-ADO", "Kit adoucisseur d'eau pour four mixte", "Accessoires", 690, "1 semaine"),
    ("PAN-FRI", "Panier de friteuse (lot de 2)", "Accessoires", 72, "48 heures"),
    ("LES-5L", "Détergent pour lave-vaisselle, bidon de 5 litres", "Consommables", 29, "48 heures"),
    ("RIN-5L", "Produit de rinçage, bidon de 5 litres", "Consommables", 34, "48 heures"),
    ("NET-FOUR", "Pastilles de nettoyage pour four mixte (boîte de 100)", "Consommables", 119, "48 heures"),
    ("SER-MES", "Mise en service et formation sur site (forfait une demi-journée)", "Services", 390, "selon planning"),
    ("SER-CTR", "Contrat d'entretien préventif annuel (2 visites)", "Services", 460, "selon planning"),
]


def build_tarifs() -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "Tarifs 2026"
    ws["A1"] = "Maison Verdier — Tarif public France 2026 (prix en euros hors taxes)"
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "Tarif applicable du 1er janvier au 31 décembre 2026 — remplace le tarif 2025"
    ws["A2"].font = Font(italic=True)
    header = ["Référence", "Désignation", "Gamme", "Prix HT (€)", "TVA", "Délai de livraison"]
    ws.append([])
    ws.append(header)
    fill = PatternFill("solid", fgColor="1F4E78")
    for cell in ws[4]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = fill
        cell.alignment = Alignment(horizontal="center")
    for ref, label, gamme, prix, delai in PRODUCTS:
        ws.append([ref, label, gamme, prix, "20 %", delai])
    for row in ws.iter_rows(min_row=5, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = '#,##0 "€"'
    for col, width in zip("ABCDEF", [14, 62, 18, 14, 8, 20], strict=True):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"

    cs = wb.create_sheet("Conditions de vente")
    cs["A1"] = "Conditions commerciales 2026"
    cs["A1"].font = Font(bold=True, size=13)
    conditions = [
        (
            "Validité du tarif",
            "Du 1er janvier 2026 au 31 décembre 2026, sauf hausse exceptionnelle des matières premières annoncée 30 jours à l'avance",
        ),
        ("Franco de port", "Livraison gratuite en France métropolitaine à partir de 1 500 € HT de commande"),
        ("Frais de port en dessous du franco", "Forfait de 85 € HT par commande"),
        ("Livraison en Corse et à l'étranger", "Sur devis"),
        ("Acompte", "30 % à la commande pour toute commande supérieure à 20 000 € HT"),
        ("Délai de paiement", "45 jours fin de mois à compter de la date de facture"),
        (
            "Pénalités de retard",
            "Trois fois le taux d'intérêt légal, plus l'indemnité forfaitaire de 40 € pour frais de recouvrement",
        ),
        ("Remise distributeurs agréés", "Selon contrat de distribution en vigueur"),
        ("Validité des devis", "60 jours"),
        ("Garantie", "Voir le document « Garantie et service après-vente »"),
    ]
    cs.append([])
    cs.append(["Rubrique", "Condition"])
    for cell in cs[3]:
        cell.font = Font(bold=True)
    for k, v in conditions:
        cs.append([k, v])
    cs.column_dimensions["A"].width = 36
    cs.column_dimensions["B"].width = 110

    props = wb.properties
    props.creator = "Karim Benali"
    props.lastModifiedBy = "Karim Benali"
    props.title = "Tarifs 2026"
    props.subject = "Tarif public France 2026"
    props.created = FIXED_DT
    props.modified = FIXED_DT
    props.language = "fr-FR"
    path = out_path("commercial/tarifs-2026.xlsx")
    wb.save(str(path))
    normalize_ooxml(path, "Tarifs 2026")


def build_garantie() -> None:
    d = Docx("Garantie et service après-vente", "Thomas Girard", "Conditions de garantie et procédure SAV")
    d.title_block(
        "Garantie et service après-vente",
        "Document commercial remis aux clients — édition janvier 2026 — Service après-vente Maison Verdier",
    )
    d.h1("1. Garantie contractuelle")
    d.p(
        "Tous les équipements Maison Verdier sont garantis 2 ans pièces et main-d'œuvre à compter de la date "
        "de mise en service, dans la limite de 30 mois après la date de facture. Les compresseurs des "
        "équipements de froid sont garantis 3 ans (pièces uniquement la troisième année)."
    )
    d.h2("1.1 Extension de garantie « Sérénité »")
    d.p(
        "Le contrat Sérénité prolonge la garantie jusqu'à 5 ans et inclut une visite d'entretien préventif par "
        "an. Il est facturé 4 % du prix HT de l'équipement par année supplémentaire et doit être souscrit dans "
        "les 6 mois suivant la mise en service. Les clients sous contrat Sérénité bénéficient de l'astreinte "
        "technique le week-end."
    )
    d.h1("2. Exclusions")
    d.bullets(
        [
            "Dommages dus à l'entartrage lorsque l'eau n'est pas traitée (un adoucisseur est obligatoire pour les fours mixtes au-delà de 15 °f).",
            "Mauvaise utilisation, chocs, nettoyage au jet haute pression ou avec des produits chlorés.",
            "Installation non conforme ou réalisée par un installateur non agréé.",
            "Pièces d'usure et consommables : joints de porte, lampes, filtres, paniers.",
        ]
    )
    d.h1("3. Demander une intervention")
    d.bullets(
        [
            "Appeler le SAV au 04 65 71 55 00 (du lundi au vendredi, de 7h30 à 18h30) ou écrire à sav@maison-verdier.fr.",
            "Indiquer le numéro de série (plaque signalétique à l'arrière ou dans la porte) et décrire la panne.",
            "Un technicien réalise d'abord un diagnostic à distance ; la plupart des codes d'erreur se résolvent par téléphone.",
            "Si un déplacement est nécessaire, l'intervention est planifiée selon les délais ci-dessous.",
        ],
        numbered=True,
    )
    d.table(
        ["Zone", "Départements", "Délai d'intervention"],
        [
            ["Zone 1", "Rhône, Ain, Isère, Loire, Savoie, Haute-Savoie", "24 heures ouvrées"],
            ["Zone 2", "Autres départements de France métropolitaine (hors Corse)", "48 heures ouvrées"],
            ["Zone 3", "Corse, Belgique, Suisse, Luxembourg", "5 jours ouvrés"],
            ["Royaume-Uni", "Géré par Verdier Kitchen Ltd (Manchester)", "72 heures ouvrées"],
        ],
    )
    d.h1("4. Pièces détachées")
    d.p(
        "Les pièces détachées fonctionnelles sont disponibles pendant 10 ans après l'arrêt de fabrication d'un "
        "modèle. Les pièces en stock sont expédiées sous 48 heures depuis l'entrepôt de Corbas ; une commande "
        "passée avant 14h00 part le jour même."
    )
    d.h1("5. Retours de produits")
    d.bullets(
        [
            "Aucun retour n'est accepté sans numéro d'autorisation de retour (RMA) délivré par le SAV.",
            "Les produits standards non utilisés peuvent être retournés dans les 30 jours suivant la livraison, dans leur emballage d'origine.",
            "Des frais de remise en stock de 15 % du prix HT sont alors facturés.",
            "Les produits fabriqués sur mesure ne sont ni repris ni échangés.",
        ]
    )
    d.p("Responsable du service après-vente : Thomas Girard — sav@maison-verdier.fr")
    d.save("commercial/garantie-et-sav.docx")


def build_agences() -> None:
    rows = [
        ("Site", "Type", "Adresse", "Code postal", "Ville", "Pays", "Responsable", "Téléphone", "Horaires d'ouverture"),
        (
            "Lyon — Siège",
            "Siège social, usine et showroom",
            "27 rue Marius Berliet",
            "69008",
            "Lyon",
            "France",
            "Claire Verdier",
            "04 65 71 20 00",
            "Lundi-vendredi 8h30-18h00",
        ),
        (
            "Corbas — Entrepôt",
            "Entrepôt logistique et pièces détachées",
            "ZI du Champ du Pont, 12 rue des Frères Lumière",
            "69960",
            "Corbas",
            "France",
            "Paul Martin",
            "04 65 71 30 00",
            "Lundi-vendredi 6h00-20h00",
        ),
        (
            "Paris — Showroom",
            "Showroom et agence commerciale",
            "48 boulevard Voltaire",
            "75011",
            "Paris",
            "France",
            "Antoine Lefèvre",
            "01 99 00 24 10",
            "Mardi-samedi 9h30-18h30, sur rendez-vous le samedi",
        ),
        (
            "Bordeaux — Agence",
            "Agence commerciale",
            "15 quai de Bacalan",
            "33300",
            "Bordeaux",
            "France",
            "Élodie Garnier",
            "05 36 49 11 20",
            "Lundi-vendredi 9h00-17h30",
        ),
        (
            "Lille — Agence",
            "Agence commerciale",
            "3 rue du Molinel",
            "59000",
            "Lille",
            "France",
            "Hugo Lemaire",
            "03 53 01 42 60",
            "Lundi-vendredi 9h00-17h30",
        ),
        (
            "Marseille — Agence",
            "Agence commerciale et atelier SAV",
            "210 avenue de la Capelette",
            "13010",
            "Marseille",
            "France",
            "Sandrine Fabre",
            "04 65 71 88 40",
            "Lundi-vendredi 8h00-17h00",
        ),
        (
            "Nantes — Agence",
            "Agence commerciale",
            "9 boulevard de la Prairie au Duc",
            "44200",
            "Nantes",
            "France",
            "Yann Le Goff",
            "02 61 91 07 35",
            "Lundi-vendredi 9h00-17h30",
        ),
        (
            "Strasbourg — Agence",
            "Agence commerciale",
            "5 rue du Marais Vert",
            "67000",
            "Strasbourg",
            "France",
            "Lucie Schmitt",
            "03 53 01 19 85",
            "Lundi-jeudi 9h00-17h30, vendredi 9h00-12h00",
        ),
        (
            "Manchester — Verdier Kitchen Ltd",
            "Filiale britannique, showroom et SAV",
            "Unit 4, Trafford Park Business Centre",
            "M17 1AB",
            "Manchester",
            "Royaume-Uni",
            "David Hughes",
            "+44 161 496 0700",
            "Monday-Friday 8:30am-5:30pm",
        ),
    ]
    text = "\n".join(";".join(r) for r in rows) + "\n"
    # Exported from Excel: UTF-8 with BOM and CRLF line endings.
    write_text("commercial/agences-et-showrooms.csv", text, newline="\r\n", bom=True)


# ============================================================================================
# DIRECTION
# ============================================================================================


def build_presentation() -> None:
    from pptx import Presentation
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width = Inches(13.333)
    prs.slide_height = Inches(7.5)
    set_core(prs.core_properties, "Résultats 2025 et objectifs 2026", "Claire Verdier", "Convention annuelle 2026")

    slides = [
        (
            "Résultats 2025 et objectifs 2026",
            ["Convention annuelle des salariés — 22 janvier 2026, Lyon", "Claire Verdier, Présidente"],
            "Bienvenue à toutes et à tous, y compris aux collègues de Manchester et des agences qui nous suivent en visioconférence. "
            "La présentation dure 40 minutes, suivie de 20 minutes de questions.",
        ),
        (
            "Chiffres clés 2025",
            [
                "Chiffre d'affaires : 41,3 M€ (+6,2 % par rapport à 2024)",
                "EBITDA : 4,9 M€, soit 11,9 % du chiffre d'affaires",
                "Part de l'export : 28 % du chiffre d'affaires",
                "Effectif au 31 décembre 2025 : 182 salariés en France et 14 au Royaume-Uni",
                "Carnet de commandes au 1er janvier 2026 : 7,8 M€",
            ],
            "Une croissance supérieure au marché, qui a progressé d'environ 3 % en France selon le syndicat professionnel. "
            "Rappeler que l'EBITDA 2024 était de 4,1 M€.",
        ),
        (
            "Ventes 2025 par gamme",
            [
                "Cuisson : 46 % des ventes",
                "Froid : 21 % des ventes",
                "Laverie : 14 % des ventes",
                "Inox et mobilier : 12 % des ventes",
                "Pièces détachées et services : 7 % des ventes",
            ],
            "La laverie progresse le plus vite (+11 %) grâce au lave-vaisselle à récupération de chaleur. "
            "Les services restent faibles : c'est un axe de 2026.",
        ),
        (
            "Faits marquants 2025",
            [
                "Lancement du four mixte Ondine en mars 2025 : 1 240 unités vendues",
                "Certification ISO 14001 obtenue en septembre 2025",
                "Inauguration du nouvel entrepôt de Corbas en juin 2025 (8 500 m²)",
                "Verdier Kitchen Ltd atteint l'équilibre pour la première fois",
            ],
            "La certification ISO 14001 a été délivrée par l'AFNOR après l'audit des 9 et 10 septembre 2025, sans aucune non-conformité majeure. "
            "Remercier l'équipe logistique pour le déménagement de l'entrepôt réalisé en un week-end.",
        ),
        (
            "Points d'attention",
            [
                "Hausse du prix de l'acier inoxydable : +9 % sur l'année",
                "Délai moyen de livraison : 5,2 semaines, au-dessus de notre objectif",
                "Taux de retour SAV sous garantie : 2,1 % des appareils vendus",
                "Turnover de 9 % à l'atelier, difficultés de recrutement de soudeurs",
            ],
            "Ne pas dramatiser : le taux de retour reste inférieur à celui de nos principaux concurrents, mais il était de 1,6 % en 2024. "
            "Le problème vient surtout des cartes électroniques des premiers fours Ondine, corrigé depuis juillet.",
        ),
        (
            "Objectifs 2026",
            [
                "Chiffre d'affaires : 44,5 M€",
                "Part de l'export : 32 %",
                "Délai moyen de livraison ramené à 4 semaines",
                "Satisfaction client (NPS) : 55",
                "Zéro accident du travail avec arrêt",
            ],
            "Ces objectifs servent de base au calcul de l'intéressement 2026, notamment le délai de livraison et la sécurité.",
        ),
        (
            "Grands projets 2026",
            [
                "Nouvel ERP : démarrage prévu le 5 octobre 2026",
                "Ligne de découpe laser fibre à l'atelier : investissement de 1,8 M€, mise en service en juin",
                "Lancement de la cellule de refroidissement Givre au salon EquipHotel à Paris en novembre 2026",
                "Ouverture d'une agence commerciale à Toulouse au second semestre",
            ],
            "Le projet ERP mobilisera des utilisateurs clés dans chaque service à partir d'avril : les managers recevront la liste en mars.",
        ),
        (
            "Intéressement et participation",
            [
                "Enveloppe d'intéressement au titre de 2025 : 1 150 000 €",
                "Montant moyen : 6 320 € brut par salarié",
                "Versement fin avril 2026, ou placement sur le PEE avec abondement de 50 %",
                "Participation : 410 000 €, répartie proportionnellement aux salaires",
            ],
            "Rappeler que le choix entre versement et placement se fait sur la plateforme d'épargne salariale avant le 15 avril 2026. "
            "Sans réponse, l'intéressement est placé par défaut sur le PEE.",
        ),
        (
            "Merci !",
            ["Place aux questions", "La présentation est disponible sur l'intranet, rubrique Direction"],
            "Les questions posées par écrit à l'avance seront traitées en premier.",
        ),
    ]
    for i, (title, bullets, notes) in enumerate(slides):
        layout = prs.slide_layouts[0] if i == 0 else prs.slide_layouts[1]
        slide = prs.slides.add_slide(layout)
        slide.shapes.title.text = title
        body = slide.placeholders[1]
        if i > 0:
            body.left, body.top = Inches(0.8), Inches(1.6)
            body.width, body.height = Inches(11.7), Inches(5.2)
            slide.shapes.title.left, slide.shapes.title.top = Inches(0.8), Inches(0.4)
            slide.shapes.title.width, slide.shapes.title.height = Inches(11.7), Inches(1.0)
        else:
            slide.shapes.title.left, slide.shapes.title.width = Inches(0.8), Inches(11.7)
            body.left, body.width = Inches(0.8), Inches(11.7)
        tf = body.text_frame
        tf.text = bullets[0]
        for b in bullets[1:]:
            para = tf.add_paragraph()
            para.text = b
        if i > 0:
            for para in tf.paragraphs:
                for run in para.runs:
                    run.font.size = Pt(24)
        slide.notes_slide.notes_text_frame.text = notes
    path = out_path("direction/resultats-2025-objectifs-2026.pptx")
    prs.save(str(path))
    normalize_ooxml(path, "Résultats 2025 et objectifs 2026")


def build_pca() -> None:
    pdf = Pdf(
        "Plan de continuité d'activité — synthèse",
        "Maison Verdier SAS — Direction générale",
        "Cellule de crise, scénarios de crise, reprise informatique, exercices",
        "Plan de continuité d'activité — version 3.1 — document interne",
    )
    f = pdf
    f.page()
    f.title(
        "Plan de continuité d'activité (PCA) — synthèse",
        "Version 3.1 du 2 décembre 2025 — approuvée par le comité de direction — diffusion interne",
    )
    f.h("1. Objet")
    f.p(
        "Ce document résume l'organisation prévue par Maison Verdier pour continuer à servir ses clients en cas "
        "de crise majeure : sinistre sur un site, panne informatique grave, cyberattaque, épidémie ou défaillance "
        "d'un fournisseur critique. Le plan détaillé et les annuaires de crise sont conservés par la Direction "
        "générale et dans un coffre numérique accessible hors du système d'information."
    )
    f.h("2. Cellule de crise")
    f.p(
        "La cellule de crise est déclenchée par la Présidente ou, en son absence, par la Directrice administrative et financière. Elle réunit :"
    )
    f.bullets(
        [
            "Claire Verdier, Présidente (pilote de la cellule) ;",
            "Sophie Lambert, Directrice administrative et financière (suppléante) ;",
            "Isabelle Roux, Directrice industrielle ;",
            "Julien Morel, Responsable des systèmes d'information ;",
            "Nathalie Perrin, Directrice des ressources humaines ;",
            "Karim Benali, Directeur commercial (communication clients).",
        ]
    )
    f.p(
        "La cellule se réunit dans la salle Confluence (bâtiment A) ou, si le siège est inaccessible, à l'entrepôt de "
        "Corbas."
    )
    f.p("Numéro d'urgence de la cellule de crise (24 h/24) : 04 65 71 99 00.")

    f.page()
    f.h("3. Scénario : indisponibilité du système d'information")
    f.table(
        ["Application", "Durée maximale d'interruption (RTO)", "Perte de données maximale (RPO)"],
        [
            ["ERP (commandes, production, facturation)", "24 heures", "4 heures"],
            ["Messagerie et Teams", "8 heures", "1 heure"],
            ["Site de commande en ligne des pièces détachées", "48 heures", "24 heures"],
            ["Paie", "5 jours ouvrés", "24 heures"],
        ],
        [70, 55, 45],
    )
    f.p(
        "Les sauvegardes sont réalisées chaque nuit à 22h00 et répliquées vers un centre de données secondaire situé à "
        "Vénissieux. Une copie hors ligne (bandes) est conservée chaque semaine dans un coffre à la banque. En cas de "
        "cyberattaque, le réseau de l'usine est isolé du réseau bureautique dans les 15 minutes suivant la détection."
    )
    f.h("4. Scénario : indisponibilité de l'usine")
    f.p(
        "En cas d'incendie, d'inondation ou de panne majeure de l'atelier de Lyon, la fabrication des tables, éviers et "
        "hottes en inox est transférée chez le sous-traitant Inox Rhône (Villefranche-sur-Saône), avec qui un contrat "
        "de capacité de secours a été signé. Un stock de sécurité de 3 semaines de pièces détachées est maintenu à "
        "Corbas pour assurer le SAV des clients."
    )

    f.page()
    f.h("5. Scénario : absence massive de personnel")
    f.p(
        "En cas d'épidémie ou d'impossibilité d'accéder aux sites (intempéries, grève des transports), le télétravail "
        "est généralisé pour les postes éligibles, et l'atelier fonctionne en équipe unique sur les fabrications "
        "prioritaires définies par la Directrice industrielle. Chaque service tient à jour la liste de ses activités "
        "essentielles et de leurs suppléants."
    )
    f.h("6. Communication de crise")
    f.bullets(
        [
            "Les salariés sont informés par SMS via l'outil d'alerte, puis sur l'intranet.",
            "Les clients ayant une commande en cours sont prévenus sous 48 heures par le service commercial.",
            "Seule la Présidente, ou une personne qu'elle désigne, s'exprime auprès de la presse.",
        ]
    )
    f.h("7. Tests et mise à jour")
    f.p(
        "Le PCA est testé au moins une fois par an. Le dernier exercice, le 18 novembre 2025, simulait une "
        "cyberattaque par rançongiciel : l'ERP a été restauré en 19 heures, dans l'objectif fixé. Le prochain exercice, "
        "prévu en octobre 2026, portera sur la perte de l'entrepôt de Corbas."
    )
    f.p("Le plan est revu chaque année par le comité de direction, et après chaque crise réelle ou exercice.")
    pdf.save("direction/plan-de-continuite-activite.pdf")


def build_code_conduite() -> None:
    d = Docx("Code de conduite anticorruption", "Sophie Lambert", "Cadeaux, conflits d'intérêts, alerte")
    d.title_block(
        "Code de conduite anticorruption",
        "Adopté par le comité de direction le 4 novembre 2024 — annexé au règlement intérieur",
    )
    d.p(
        "Maison Verdier refuse toute forme de corruption. Ce code s'applique à tous les salariés, en France et au "
        "Royaume-Uni, ainsi qu'aux agents commerciaux qui nous représentent. En cas de doute, une règle simple : "
        "si vous seriez gêné que la situation soit rendue publique, demandez conseil avant d'agir."
    )
    d.h1("1. Cadeaux et invitations")
    d.p(
        "Il est possible d'accepter ou d'offrir des cadeaux et invitations de courtoisie, à condition qu'ils restent "
        "occasionnels, de faible valeur et sans lien avec une décision en cours (appel d'offres, négociation)."
    )
    d.bullets(
        [
            "Valeur maximale : 75 € par an et par partenaire, cadeaux et invitations cumulés.",
            "Au-delà de ce montant, le cadeau doit être déclaré dans le registre des cadeaux de l'intranet et remis au référent éthique.",
            "Les cadeaux en espèces, cartes cadeaux et bons d'achat sont toujours interdits, quel que soit le montant.",
            "Les voyages et séjours offerts par un fournisseur doivent être refusés.",
        ]
    )
    d.table(
        ["Situation", "Autorisé ?", "Que faire"],
        [
            ["Déjeuner d'affaires avec un fournisseur", "Oui", "Rien, si la fréquence reste raisonnable"],
            [
                "Coffret de vins de 120 € reçu d'un client à Noël",
                "À déclarer",
                "Déclarer dans le registre ; le lot est tiré au sort au profit du CSE",
            ],
            ["Invitation au salon EquipHotel par un distributeur", "Oui", "Informer son manager"],
            [
                "Carte cadeau de 50 € offerte par un transporteur",
                "Non",
                "Refuser poliment et informer le référent éthique",
            ],
            ["Week-end offert par un fabricant de composants", "Non", "Refuser et informer le référent éthique"],
        ],
    )
    d.h1("2. Conflits d'intérêts")
    d.p(
        "Tout salarié qui a un intérêt personnel (lien familial, participation financière, emploi d'un proche) "
        "chez un client, un fournisseur ou un concurrent le déclare chaque année, en janvier, via le formulaire "
        "de déclaration d'intérêts. Il ne participe pas aux décisions concernant cette entreprise."
    )
    d.h1("3. Paiements de facilitation et intermédiaires")
    d.bullets(
        [
            "Les paiements de facilitation (petites sommes versées pour accélérer une formalité) sont interdits, y compris à l'étranger.",
            "Tout nouvel agent commercial ou distributeur fait l'objet d'une évaluation d'intégrité avant signature du contrat.",
            "Les dons et le mécénat sont validés par la Présidente et publiés dans le rapport annuel.",
        ]
    )
    d.h1("4. Dispositif d'alerte")
    d.p(
        "Tout salarié qui constate un manquement peut le signaler à son manager, au référent éthique "
        "(Sophie Lambert, Directrice administrative et financière) ou de façon confidentielle à l'adresse "
        "ethique@maison-verdier.fr. Les alertes sont traitées sous 3 mois. Aucune sanction ne peut être prise "
        "contre un lanceur d'alerte de bonne foi."
    )
    d.h1("5. Sanctions")
    d.p(
        "Le non-respect de ce code constitue une faute pouvant entraîner une sanction disciplinaire, jusqu'au "
        "licenciement, sans préjudice des poursuites pénales."
    )
    d.save("direction/code-de-conduite-anticorruption.docx")


# ============================================================================================
# SERVICES GÉNÉRAUX
# ============================================================================================


def build_intranet_page() -> None:
    html = """\
<!DOCTYPE html>
<html lang="fr">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Restaurant d'entreprise et services aux salariés — Intranet Le Fil</title>
  <link rel="stylesheet" href="/static/css/le-fil.css">
  <style>
    body { font-family: "Segoe UI", Arial, sans-serif; margin: 0; color: #222; }
    header, footer { background: #1f4e78; color: #fff; padding: 12px 24px; }
    nav ul { list-style: none; display: flex; gap: 18px; margin: 0; padding: 8px 24px; background: #e8eef5; }
    main { max-width: 920px; margin: 24px auto; padding: 0 24px; }
    table { border-collapse: collapse; } td, th { border: 1px solid #bbb; padding: 4px 10px; }
  </style>
  <script>
    // Statistiques de fréquentation de l'intranet : ne pas indexer ce script.
    window.leFilAnalytics = { site: "intranet", page: "services-generaux/restaurant", token: "NE-PAS-INDEXER-7f3a" };
    function afficherMenuDuJour() { document.getElementById("menu").innerText = "Chargement du menu du jour…"; }
  </script>
</head>
<body>
<header>
  <a href="/" class="logo">Le Fil — l'intranet de Maison Verdier</a>
  <form action="/recherche" role="search"><input type="search" name="q" placeholder="Rechercher sur l'intranet"></form>
</header>
<nav aria-label="Navigation principale">
  <ul>
    <li><a href="/">Accueil</a></li>
    <li><a href="/rh">Ressources humaines</a></li>
    <li><a href="/informatique">Informatique</a></li>
    <li><a href="/services-generaux" aria-current="page">Services généraux</a></li>
    <li><a href="/commercial">Commercial</a></li>
    <li><a href="/annuaire">Annuaire</a></li>
  </ul>
</nav>
<main>
  <p class="breadcrumb">Accueil › Services généraux › Restaurant et services</p>
  <h1>Restaurant d'entreprise et services aux salariés</h1>
  <p>Mise à jour : 6 janvier 2026 — Contact : Marc Dubois, responsable des services généraux (poste 2200).</p>

  <h2>Le restaurant d'entreprise « Le Comptoir »</h2>
  <p>Le Comptoir, situé au rez-de-chaussée du bâtiment B, accueille les salariés du siège du lundi au vendredi,
  de 11h45 à 14h00. Il est géré par le prestataire Saveurs Collectives.</p>
  <ul>
    <li>Prix d'un repas complet (entrée, plat, dessert) : 5,10 € à la charge du salarié, après la participation de l'entreprise.</li>
    <li>Paiement par badge, rechargeable à la borne du hall ou en ligne sur l'application Mon Comptoir.</li>
    <li>Un plat végétarien est proposé chaque jour ; les menus de la semaine suivante sont publiés le vendredi.</li>
    <li>Les invités extérieurs sont acceptés avec un badge visiteur, au tarif de 14,50 €.</li>
  </ul>
  <p>Les salariés de l'entrepôt de Corbas et des agences reçoivent des titres-restaurant d'une valeur de 10 €,
  pris en charge à 60 % par l'entreprise.</p>
  <div id="menu"></div>

  <h2>Cafétéria</h2>
  <p>La cafétéria du bâtiment A est ouverte de 7h30 à 16h30. Café et thé sont offerts aux distributeurs des étages.</p>

  <h2>Conciergerie</h2>
  <p>La conciergerie est ouverte le mardi et le jeudi, de 12h00 à 14h00, au local B012. Elle propose :</p>
  <ul>
    <li>pressing et retouches (dépôt le mardi, retrait le jeudi de la semaine suivante) ;</li>
    <li>cordonnerie et reproduction de clés ;</li>
    <li>paniers de fruits et légumes de producteurs de la région, à commander avant le lundi midi.</li>
  </ul>

  <h2>Salle de sport</h2>
  <p>Une salle de sport équipée (vélos, rameurs, poids libres) et deux vestiaires avec douches sont accessibles avec
  le badge de 6h30 à 21h00. Un cours collectif de renforcement musculaire a lieu le mercredi à 12h15.
  Une attestation de règlement intérieur de la salle doit être signée avant le premier accès.</p>

  <h2>Navette vers l'entrepôt de Corbas</h2>
  <table>
    <thead><tr><th>Départ</th><th>De</th><th>Vers</th></tr></thead>
    <tbody>
      <tr><td>8h15</td><td>Siège (parking visiteurs)</td><td>Entrepôt de Corbas</td></tr>
      <tr><td>12h30</td><td>Siège (parking visiteurs)</td><td>Entrepôt de Corbas</td></tr>
      <tr><td>17h10</td><td>Entrepôt de Corbas</td><td>Siège (parking visiteurs)</td></tr>
    </tbody>
  </table>

  <h2>Comité social et économique (CSE)</h2>
  <p>Le CSE propose des chèques-vacances, une billetterie à tarif réduit (cinéma, Opéra de Lyon, matchs) et une
  participation aux activités sportives des enfants. Permanence le jeudi de 13h00 à 14h00, salle Fourvière.</p>
</main>
<footer>
  <p>© 2026 Maison Verdier SAS — Intranet Le Fil — <a href="/mentions">Mentions légales</a> — <a href="/contact">Nous contacter</a></p>
</footer>
<script src="/static/js/le-fil.min.js"></script>
</body>
</html>
"""
    write_text("services-generaux/restaurant-et-services.html", html)


def build_parking_note() -> None:
    text = """\
NOTE DE SERVICE N° 2026-04

Lyon, le 9 février 2026
De : Marc Dubois, responsable des services généraux
À : l'ensemble du personnel du siège (bâtiments A et B)
Objet : travaux et nouvelles règles de stationnement à partir du 2 mars 2026

Madame, Monsieur,

En raison des travaux d'extension de l'atelier, le parking P2 (derrière le bâtiment B) sera fermé du lundi 2 mars au mardi 30 juin 2026.
Pendant cette période, 60 places sont perdues. Les règles suivantes s'appliquent :

1. Parking P1 (devant le bâtiment A) : accès réservé aux salariés munis du nouveau badge véhicule, aux visiteurs et aux livraisons.
   Les badges véhicule sont à retirer à l'accueil à partir du 23 février ; l'ancien macaron papier ne sera plus accepté.

2. Covoiturage : 12 places proches de l'entrée sont réservées aux voitures transportant au moins deux salariés.
   Inscription sur l'application de covoiturage de l'intranet Le Fil, rubrique « Se déplacer ».

3. Bornes de recharge : les 8 bornes pour véhicules électriques sont limitées à 2 heures de charge par véhicule.
   Merci de libérer la place dès la fin de la charge ; la recharge est gratuite pour les salariés.

4. Vélos et trottinettes : le local vélos sécurisé (40 places, accès par badge) est agrandi. Un forfait mobilités durables
   de 300 € par an est versé aux salariés venant au moins 100 jours par an à vélo ou en covoiturage.

5. Stationnement interdit : aucun véhicule ne doit stationner devant les portes sectionnelles de l'atelier ni sur l'aire de
   retournement des poids lourds. Les véhicules gênants seront enlevés aux frais de leur propriétaire.

Nous vous remercions pour votre compréhension et votre civisme pendant ces quatre mois de travaux.
Pour toute question : services.generaux@maison-verdier.fr ou poste 2200.

Marc Dubois
Responsable des services généraux
"""
    # Deliberately Windows-1252 (Latin-1 family) to exercise encoding detection.
    write_text("services-generaux/note-de-service-parking.txt", text, encoding="cp1252", newline="\r\n")


def build_vehicules() -> None:
    text = """\
VÉHICULES DE SERVICE — MODE D'EMPLOI
Services généraux — mis à jour le 5 janvier 2026

Le siège dispose de 6 véhicules de service partagés, stationnés au parking P1, places 1 à 6 :
  - 3 Renault Zoé (électriques, autonomie réelle d'environ 300 km) ;
  - 1 Peugeot 308 SW hybride ;
  - 1 Renault Kangoo utilitaire ;
  - 1 Renault Trafic 9 places, réservé en priorité aux salons et aux livraisons de matériel de démonstration.

RÉSERVER
Les réservations se font dans le calendrier Outlook partagé « Véhicules de service », au moins 24 heures à l'avance.
Indiquez dans l'objet de la réservation votre nom, votre destination et le motif du déplacement.
Un véhicule réservé et non retiré dans l'heure qui suit l'heure prévue est libéré pour les autres.

RETIRER ET RENDRE LE VÉHICULE
- Les clés et la carte carburant sont à retirer à l'accueil du bâtiment A, contre signature.
- Le carnet de bord, dans la boîte à gants, est rempli à chaque trajet (date, kilométrage, destination).
- Les véhicules électriques sont rendus avec une batterie chargée à au moins 50 % : branchez-les sur les places 1 à 3.
- Les véhicules thermiques sont rendus avec au moins un quart de réservoir.
- Le code de la carte carburant est communiqué par l'accueil, il ne doit jamais être noté sur la carte.

RÈGLES D'UTILISATION
Les véhicules sont réservés aux déplacements professionnels ; le retour au domicile la veille d'un départ matinal est
autorisé avec l'accord du manager. Il est interdit de fumer dans les véhicules et de transporter des passagers
étrangers à l'entreprise, hors clients. Les amendes et contraventions sont à la charge du conducteur.
La validité du permis de conduire est vérifiée chaque année au mois de septembre.

EN CAS D'ACCIDENT OU DE PANNE
Remplissez un constat amiable (un exemplaire dans chaque boîte à gants) et prévenez les services généraux dans les
24 heures au poste 2200. Pour une panne, appelez l'assistance au numéro inscrit sur le badge du pare-brise, disponible 24 h/24.
"""
    write_text("services-generaux/vehicules-de-service.txt", text)


# ============================================================================================


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    build_guide_rh()
    build_accueil()
    build_accord_temps_de_travail()
    build_calendrier()
    build_entretiens()
    build_charte_informatique()
    build_uk_policy()
    build_it_procedures()
    build_consignes_incendie()
    build_tarifs()
    build_garantie()
    build_agences()
    build_presentation()
    build_pca()
    build_code_conduite()
    build_intranet_page()
    build_parking_note()
    build_vehicules()
    files = sorted(p for p in OUT.rglob("*") if p.is_file())
    total = sum(p.stat().st_size for p in files)
    for p in files:
        print(f"{p.relative_to(OUT)}\t{p.stat().st_size:>8} bytes")
    print(f"{len(files)} files, {total / 1024:.0f} KiB in {OUT}")


if __name__ == "__main__":
    main()
