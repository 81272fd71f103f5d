"""The rows of the Maison Verdier demo warehouse, generated from a fixed seed (same rows on every machine).

Maison Verdier makes professional kitchen equipment in Lyon and sells it through seven French agencies and a UK
subsidiary (see examples/verdier). Orders run from 2022 to 2025 and grow about 10 % a year; prices are the 2026
price list deflated by 3.5 % a year. Distinctive markers ("MV-SAL-", "CANARY-AUDIT", "@canary.invalid") sit in
the data no reader may see, so that tests can tell a leak from a coincidence.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

SEED = 20260115
YEARS = (2022, 2023, 2024, 2025)
ORDERS_PER_YEAR = {2022: 520, 2023: 575, 2024: 640, 2025: 705}

Row = tuple[object, ...]

# region_id, name, country, agency, share of customers, cities
_REGIONS: tuple[tuple[int, str, str, str, float, tuple[str, ...]], ...] = (
    (1, "Auvergne-Rhône-Alpes", "France", "Lyon", 0.24,
     ("Lyon", "Villeurbanne", "Grenoble", "Saint-Étienne", "Annecy", "Clermont-Ferrand")),
    (2, "Île-de-France", "France", "Paris", 0.20,
     ("Paris", "Boulogne-Billancourt", "Versailles", "Saint-Denis", "Créteil")),
    (3, "Nouvelle-Aquitaine", "France", "Bordeaux", 0.10, ("Bordeaux", "Pau", "Limoges", "La Rochelle", "Bayonne")),
    (4, "Hauts-de-France", "France", "Lille", 0.09, ("Lille", "Amiens", "Roubaix", "Arras", "Dunkerque")),
    (5, "Provence-Alpes-Côte d'Azur", "France", "Marseille", 0.12,
     ("Marseille", "Nice", "Toulon", "Aix-en-Provence", "Avignon")),
    (6, "Pays de la Loire", "France", "Nantes", 0.08, ("Nantes", "Angers", "Le Mans", "Saint-Nazaire")),
    (7, "Grand Est", "France", "Strasbourg", 0.09, ("Strasbourg", "Metz", "Nancy", "Reims", "Mulhouse")),
    (8, "Royaume-Uni", "Royaume-Uni", "Manchester", 0.08, ("Manchester", "Liverpool", "Leeds", "Birmingham")),
)

# sku, name, product line, 2026 list price (euros HT), how often it is ordered, usual quantity
_PRODUCTS: tuple[tuple[str, str, str, int, float, tuple[int, int]], ...] = (
    ("FMX-061E", "Four mixte Ondine 6 niveaux GN 1/1, électrique", "Cuisson", 6490, 3.0, (1, 1)),
    ("FMX-061G", "Four mixte Ondine 6 niveaux GN 1/1, gaz", "Cuisson", 7190, 1.5, (1, 1)),
    ("FMX-101E", "Four mixte Ondine 10 niveaux GN 1/1, électrique", "Cuisson", 9890, 2.0, (1, 1)),
    ("FMX-101G", "Four mixte Ondine 10 niveaux GN 1/1, gaz", "Cuisson", 10690, 1.0, (1, 1)),
    ("FMX-202E", "Four mixte Ondine 20 niveaux GN 2/1, électrique, sur chariot", "Cuisson", 21450, 0.5, (1, 1)),
    ("FCV-050", "Four à convection 5 niveaux 600 x 400", "Cuisson", 3290, 2.5, (1, 2)),
    ("SBE-080", "Sauteuse basculante électrique 80 litres", "Cuisson", 11200, 0.6, (1, 1)),
    ("MAR-150", "Marmite électrique à chauffage indirect 150 litres", "Cuisson", 12900, 0.5, (1, 1)),
    ("FRI-2X10", "Friteuse électrique 2 cuves de 10 litres", "Cuisson", 2740, 2.5, (1, 2)),
    ("IND-4Z", "Plaque à induction 4 zones, 14 kW", "Cuisson", 5350, 1.8, (1, 1)),
    ("PIA-4F", "Piano de cuisson 4 feux vifs sur four gaz", "Cuisson", 4620, 1.2, (1, 1)),
    ("CRF-05", "Cellule de refroidissement rapide Givre 5 niveaux", "Froid", 6980, 1.5, (1, 1)),
    ("CRF-10", "Cellule de refroidissement rapide Givre 10 niveaux", "Froid", 9750, 0.8, (1, 1)),
    ("ARM-700P", "Armoire réfrigérée positive 700 litres, 1 porte", "Froid", 2190, 3.0, (1, 2)),
    ("ARM-1400P", "Armoire réfrigérée positive 1400 litres, 2 portes", "Froid", 3480, 2.0, (1, 2)),
    ("TAB-3PR", "Table réfrigérée 3 portes, dessus inox", "Froid", 2280, 2.2, (1, 2)),
    ("SAL-GN", "Saladette réfrigérée 7 GN 1/3", "Froid", 1690, 1.8, (1, 2)),
    ("LVC-500", "Lave-vaisselle à capot, panier 500 x 500", "Laverie", 5980, 2.0, (1, 1)),
    ("LVV-400", "Lave-verres frontal, panier 400 x 400", "Laverie", 2150, 2.0, (1, 2)),
    ("TUN-1800", "Lave-vaisselle à convoyeur 1800 assiettes/heure", "Laverie", 38600, 0.2, (1, 1)),
    ("TBL-140", "Table inox adossée 1400 x 700 avec étagère", "Inox et mobilier", 640, 3.0, (1, 4)),
    ("TBC-200", "Table inox centrale 2000 x 800", "Inox et mobilier", 980, 1.8, (1, 3)),
    ("PLG-1200", "Plonge inox 2 bacs avec égouttoir 1200 mm", "Inox et mobilier", 1120, 1.6, (1, 2)),
    ("HOT-2000", "Hotte murale à filtres 2000 mm", "Inox et mobilier", 2480, 1.0, (1, 1)),
    ("CHA-GN15", "Chariot échelle inox 15 niveaux GN 1/1", "Inox et mobilier", 590, 2.0, (1, 3)),
    ("BAC-GN11-65", "Bac gastronorme inox GN 1/1, profondeur 65 mm (lot de 6)", "Accessoires", 96, 5.0, (2, 12)),
    ("GRI-GN11", "Grille inox GN 1/1 (lot de 6)", "Accessoires", 84, 4.0, (1, 8)),
    ("SON-CAR", "Sonde à cœur pour four mixte Ondine", "Accessoires", 145, 2.5, (1, 3)),
    ("KIT-ADO", "Kit adoucisseur d'eau pour four mixte", "Accessoires", 690, 1.5, (1, 1)),
    ("LES-5L", "Détergent pour lave-vaisselle, bidon de 5 litres", "Consommables", 29, 6.0, (4, 40)),
    ("RIN-5L", "Produit de rinçage, bidon de 5 litres", "Consommables", 34, 5.0, (4, 30)),
    ("NET-FOUR", "Pastilles de nettoyage pour four mixte (boîte de 100)", "Consommables", 119, 4.0, (1, 10)),
    ("SER-MES", "Mise en service et formation sur site (forfait une demi-journée)", "Services", 390, 2.5, (1, 2)),
    ("SER-CTR", "Contrat d'entretien préventif annuel (2 visites)", "Services", 460, 2.0, (1, 3)),
)

# segment, share of customers, name stems, discount range (percent)
_SEGMENTS: tuple[tuple[str, float, tuple[str, ...], tuple[int, int]], ...] = (
    ("restaurant", 0.42, ("Restaurant", "Brasserie", "Bistrot", "Le Comptoir", "La Table", "Auberge"), (0, 5)),
    ("hôtel", 0.14, ("Hôtel", "Grand Hôtel", "Hôtel-restaurant"), (0, 8)),
    ("collectivité", 0.18, ("Cuisine centrale", "EHPAD", "Lycée", "Restaurant d'entreprise"), (5, 10)),
    ("traiteur", 0.12, ("Traiteur", "Maison", "Saveurs"), (0, 5)),
    ("boulangerie", 0.09, ("Boulangerie", "Pâtisserie", "Fournil"), (0, 3)),
    ("distributeur", 0.05, ("Équipements CHR", "Distrib'Pro", "Cuisines Pro"), (15, 25)),
)
_NAME_TAILS = (
    "du Marché", "des Halles", "de la Gare", "du Port", "des Canuts", "Saint-Jean", "du Parc", "des Arts",
    "du Lac", "de la Place", "des Remparts", "du Théâtre", "Bellevue", "des Tilleuls", "du Vieux Pont",
    "de l'Horloge", "des Oliviers", "du Moulin", "de la Source", "Sainte-Claire",
)

# department, head count, job titles, gross salary range (euros a year)
_DEPARTMENTS: tuple[tuple[str, int, tuple[str, ...], tuple[int, int]], ...] = (
    ("Production", 70, ("Opérateur de production", "Soudeur", "Chef d'équipe", "Technicien méthodes"), (26000, 42000)),
    ("Logistique", 18, ("Préparateur de commandes", "Cariste", "Responsable entrepôt"), (24000, 40000)),
    ("Commercial", 28, ("Chargé d'affaires", "Technico-commercial", "Responsable d'agence"), (34000, 62000)),
    ("SAV", 20, ("Technicien SAV", "Responsable SAV"), (29000, 46000)),
    ("R&D", 12, ("Ingénieur produit", "Dessinateur-projeteur"), (38000, 60000)),
    ("Administration et finance", 10, ("Comptable", "Contrôleur de gestion", "Assistant de direction"),
     (30000, 58000)),
    ("Ressources humaines", 5, ("Chargée RH", "Responsable RH"), (33000, 55000)),
    ("Informatique", 7, ("Technicien support", "Administrateur systèmes", "Responsable informatique"), (32000, 60000)),
    ("Qualité", 8, ("Technicien qualité", "Responsable qualité"), (30000, 52000)),
    ("Direction", 4, ("Directeur général", "Directeur industriel", "Directeur commercial", "Directeur financier"),
     (85000, 140000)),
)
_SITES_BY_DEPARTMENT = {
    "Production": ("Lyon",), "Logistique": ("Corbas",), "R&D": ("Lyon",), "Qualité": ("Lyon",),
    "Administration et finance": ("Lyon",), "Ressources humaines": ("Lyon",), "Informatique": ("Lyon",),
    "Direction": ("Lyon",),
    "Commercial": ("Lyon", "Paris", "Bordeaux", "Lille", "Marseille", "Nantes", "Strasbourg", "Manchester"),
    "SAV": ("Lyon", "Corbas", "Marseille", "Manchester"),
}


@dataclass(frozen=True, slots=True)
class DemoTables:
    regions: list[Row]
    products: list[Row]
    customers: list[Row]
    orders: list[Row]
    order_lines: list[Row]
    salaries: list[Row]
    access_log: list[Row]


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _price(list_price_2026: int, year: int) -> Decimal:
    return Decimal(round(list_price_2026 / 1.035 ** (2026 - year)))


def generate(seed: int = SEED) -> DemoTables:
    """Every row of the demo warehouse; the same seed gives the same rows."""
    rng = random.Random(seed)
    regions: list[Row] = [(rid, name, country, agency) for rid, name, country, agency, _, _ in _REGIONS]
    products: list[Row] = [
        (i, sku, name, line, Decimal(price)) for i, (sku, name, line, price, _, _) in enumerate(_PRODUCTS, 1)
    ]

    customers: list[Row] = []
    segment_of: dict[int, int] = {}
    created: dict[int, dt.date] = {}
    names: set[str] = set()
    n_customers = 430
    for cid in range(1, n_customers + 1):
        region = rng.choices(_REGIONS, weights=[r[4] for r in _REGIONS])[0]
        s = rng.choices(range(len(_SEGMENTS)), weights=[seg[1] for seg in _SEGMENTS])[0]
        city = rng.choice(region[5])
        name = f"{rng.choice(_SEGMENTS[s][2])} {rng.choice(_NAME_TAILS)} ({city})"
        while name in names:
            name = f"{rng.choice(_SEGMENTS[s][2])} {rng.choice(_NAME_TAILS)} ({city})"
        names.add(name)
        # A third were customers before 2022; the others join along the four years.
        since = (
            _day(rng, dt.date(2012, 1, 1), dt.date(2021, 12, 31))
            if rng.random() < 0.35
            else _day(rng, dt.date(2022, 1, 1), dt.date(2025, 9, 30))
        )
        segment_of[cid], created[cid] = s, since
        customers.append((cid, name, _SEGMENTS[s][0], city, region[0], since, f"contact{cid:04d}@canary.invalid"))

    activity = {cid: rng.paretovariate(1.6) for cid in created}
    orders: list[Row] = []
    lines: list[Row] = []
    weights = [p[4] for p in _PRODUCTS]
    order_id = 0
    for year in YEARS:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        eligible = [cid for cid, since in created.items() if since <= end]
        dates = sorted(_day(rng, start, end) for _ in range(ORDERS_PER_YEAR[year]))
        for day in dates:
            pool = [cid for cid in eligible if created[cid] <= day]
            cid = rng.choices(pool, weights=[activity[c] for c in pool])[0]
            seg = _SEGMENTS[segment_of[cid]]
            order_id += 1
            channel = "distributeur" if seg[0] == "distributeur" else rng.choices(
                ("agence", "showroom", "web", "salon"), weights=(0.62, 0.14, 0.18, 0.06)
            )[0]
            status = "en cours" if day >= dt.date(2025, 12, 10) else "livrée"
            orders.append((order_id, cid, day, channel, status))
            picked = rng.sample(range(len(_PRODUCTS)), k=rng.choices((1, 2, 3, 4), weights=(0.35, 0.3, 0.2, 0.15))[0])
            picked = sorted(picked, key=lambda i: -weights[i] * rng.random())
            for line_no, p in enumerate(picked, 1):
                _, _, _, price, _, (qmin, qmax) = _PRODUCTS[p]
                scale = 3 if seg[0] == "distributeur" else 1
                quantity = rng.randint(qmin, qmax) * scale
                lo, hi = seg[3]
                discount = Decimal(rng.randint(lo, hi)) / 100
                lines.append((order_id, line_no, p + 1, quantity, _price(price, year), discount))

    salaries: list[Row] = []
    n = 0
    for department, count, titles, (lo, hi) in _DEPARTMENTS:
        for k in range(count):
            n += 1
            title = titles[-1] if k == 0 and len(titles) > 1 and department != "Direction" else rng.choice(titles)
            if department == "Direction":
                title = titles[k % len(titles)]
            gross = Decimal(rng.randrange(lo, hi, 100)) + (Decimal(8000) if title.startswith("Responsable") else 0)
            salaries.append((
                f"MV-SAL-{n:04d}",
                title,
                department,
                rng.choice(_SITES_BY_DEPARTMENT[department]),
                _day(rng, dt.date(1998, 1, 1), dt.date(2025, 11, 30)),
                gross,
            ))

    base = dt.datetime(2025, 12, 1, 8, 0, tzinfo=dt.UTC)
    access_log: list[Row] = [
        (i, base + dt.timedelta(minutes=37 * i), f"user{i % 7}", f"CANARY-AUDIT export #{i}") for i in range(1, 61)
    ]
    return DemoTables(regions, products, customers, orders, lines, salaries, access_log)
