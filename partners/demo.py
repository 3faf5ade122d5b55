"""A FICTITIOUS demo directory, so the app has something to show before real imports.

Every partner it makes is invented: names say "(fictif)"/"(fictive)", the
source is ``DÉMO FICTIVE``, the notes say not to refer patients to it, phone
numbers are in the range ARCEP keeps for fiction (04 65 71 xx xx), e-mails use
``example.org``, and there is no FINESS, RPPS or ADELI number. Psychologists
are numbered practices, never people's names.

In each of the 12 departments a seeded generator places CPTS whose
territories and HAD whose zones are contiguous groups of communes (grown on
the adjacency graph from seeds in populous communes, together tiling the
department), one ERC and one DAC in the main town, SSIAD and psychologists in
populous communes, and a CCAS in each of the largest communes.

Public functions
----------------
build_demo_directory(seed) -> list of Partner
load_demo_directory(conn) -> number of partners created or updated
ensure_demo_directory(conn) -> loads the demo only into a directory that never had a partner
"""
from __future__ import annotations

import collections
import sqlite3

import numpy as np

from geo.access import require_acting
from geo.database import transaction
from partners.model import DEMO_SOURCE, Partner
from partners.validation import normalize_name

#: ``notes`` of every demo partner.
DEMO_NOTE = "Partenaire FICTIF de démonstration : ne pas utiliser pour orienter un patient."
#: Author of the demo's history rows.
DEMO_AUTHOR = "démo"
DEFAULT_SEED = 20240611

_STREETS = ("rue des Tilleuls", "avenue des Acacias", "place du Marché", "rue de la Fontaine", "chemin des Vignes",
            "boulevard des Platanes", "rue du Lavoir", "allée des Cerisiers", "rue de l'Horloge", "quai des Saules")


def _phone(counter: int) -> str:
    return f"04 65 71 {counter // 100 % 100:02d} {counter % 100:02d}"


def _slug(text: str) -> str:
    return normalize_name(text).replace(" ", "-")


def grow_zones(members: np.ndarray, neighbours: list[np.ndarray], seeds: np.ndarray, xy: np.ndarray,
               rng: np.random.Generator) -> dict[int, int]:
    """Split ``members`` (unit positions) into contiguous zones grown from ``seeds``.

    Zones grow in turns, one unit at a time, to a random free neighbour; units
    unreachable inside ``members`` (enclaves) join the zone of the nearest seed.

    Returns
    -------
    dict
        Unit position -> zone number (index in ``seeds``).
    """
    allowed = set(int(m) for m in members)
    label = {int(s): z for z, s in enumerate(seeds)}
    frontier = [[int(s)] for s in seeds]
    active = True
    while active:
        active = False
        for zone in rng.permutation(len(seeds)):
            candidates = frontier[zone]
            while candidates:
                unit = candidates[int(rng.integers(len(candidates)))]
                free = [int(n) for n in neighbours[unit] if int(n) in allowed and int(n) not in label]
                if not free:
                    candidates.remove(unit)
                    continue
                chosen = free[int(rng.integers(len(free)))]
                label[chosen] = int(zone)
                candidates.append(chosen)
                active = True
                break
    for unit in allowed - set(label):
        label[unit] = int(np.argmin(((xy[seeds] - xy[unit]) ** 2).sum(axis=1)))
    return label


def build_demo_directory(seed: int = DEFAULT_SEED, places=None) -> list[Partner]:
    """The fictitious partners (same seed, same directory).

    Parameters
    ----------
    seed
        Random seed.
    places
        The territory (:class:`partners.places.Places`; the committed one by default).

    Returns
    -------
    list of Partner
        Located partners (code, position, precision) with keys ``DEMO:<type>:<dep>:<n>``.
    """
    from geo.adjacency import neighbours as unit_neighbours
    from partners.places import default_places

    places = places or default_places()
    units = places.units
    nbrs = unit_neighbours()
    rng = np.random.default_rng(seed)
    xy = places.reference_xy
    lon = units["mairie_lon"].to_numpy()
    lat = units["mairie_lat"].to_numpy()
    population = units["population"].to_numpy().astype(float)
    names = units["nom"].to_numpy()
    partners: list[Partner] = []
    counter = collections.Counter()

    def make(type_, dep, name, pos, zone=None, jitter=True, precision="address"):
        counter[type_, dep] += 1
        n = counter[type_, dep]
        counter["phone"] += 1
        if jitter:
            angle, radius = rng.uniform(0, 2 * np.pi), rng.uniform(0.0015, 0.005)
            plon, plat = lon[pos] + radius * np.cos(angle) * 1.4, lat[pos] + radius * np.sin(angle)
        else:
            plon, plat = lon[pos], lat[pos]
        street = _STREETS[int(rng.integers(len(_STREETS)))]
        partners.append(Partner(
            type=type_, name=name, key=f"DEMO:{type_}:{dep}:{n}",
            address=f"{int(rng.integers(1, 80))} {street} (adresse fictive)",
            code_insee=str(places.codes[pos]), commune=str(names[pos]),
            postal_code=str(units["codes_postaux"].iat[pos]).split(",")[0],
            lon=round(float(plon), 6), lat=round(float(plat), 6), precision=precision,
            phone=_phone(counter["phone"]),
            email=f"{_slug(type_)}-{dep.lower()}-{n}@example.org",
            website=f"https://example.org/demo/{_slug(type_)}-{dep.lower()}-{n}",
            communes=None if zone is None else tuple(sorted(str(places.codes[p]) for p in zone)),
            notes=DEMO_NOTE, source=DEMO_SOURCE, outside_territory=False,
        ))

    for dep in sorted(places.departements):
        members = np.flatnonzero(units["departement"].to_numpy() == dep)
        order = members[np.argsort(-population[members], kind="stable")]
        total = population[members].sum()
        weights = population[members] / total

        def pick(count, pool=members, p=weights):
            count = min(count, len(pool))
            return rng.choice(pool, size=count, replace=False, p=p)

        main = order[0]
        for type_, count in (("CPTS", int(np.clip(round(total / 110_000), 3, 10))),
                             ("HAD", 2 if total < 700_000 else 3)):
            seeds = pick(count)
            labels = grow_zones(members, nbrs, seeds, xy, rng)
            for zone, seed_pos in enumerate(seeds):
                zone_units = [u for u, z in labels.items() if z == zone]
                office = max(zone_units, key=lambda u: population[u])
                label = "CPTS (fictive)" if type_ == "CPTS" else "HAD (fictive)"
                make(type_, dep, f"{label} {names[office]} et environs", office, zone=zone_units)
        make("ERC", dep, f"Espace ressources cancer (fictif) de {names[main]}", main)
        make("DAC", dep, f"DAC (fictif) du département {dep}", main)
        for pos in pick(int(np.clip(round(total / 90_000), 3, 12))):
            make("SSIAD", dep, f"SSIAD (fictif) de {names[pos]}", pos)
        for pos in pick(int(np.clip(round(total / 60_000), 4, 20))):
            number = counter["PSY", dep] + 1
            make("PSY", dep, f"Cabinet de psychologie (fictif) n° {dep}-{number:02d}, {names[pos]}", pos,
                 precision="commune", jitter=False)
        for pos in order[:5]:
            make("CCAS", dep, f"CCAS (fictif) de {names[pos]}", pos, jitter=False,
                 precision="town_hall" if places.is_town_hall(str(places.codes[pos])) else "commune")
    return partners


def load_demo_directory(conn: sqlite3.Connection, seed: int = DEFAULT_SEED, places=None,
                        author: str = DEMO_AUTHOR) -> dict:
    """Save the demo directory (idempotent: a second load changes nothing).

    Returns
    -------
    dict
        Counts ``created``, ``updated``, ``unchanged``.
    """
    require_acting("partners.edit")

    from partners.validation import check_partner

    partners = [check_partner(p)[0] for p in build_demo_directory(seed, places)]
    return transaction(conn, lambda c: _save_all(c, partners, author))


def _save_all(conn, partners, author) -> dict:
    from partners.store import save_checked

    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for partner in partners:
        counts[save_checked(conn, partner, author=author, reason="annuaire de démonstration FICTIF").action] += 1
    return counts


def ensure_demo_directory(conn: sqlite3.Connection, seed: int = DEFAULT_SEED, places=None) -> int:
    """Load the demo into a directory that never had a partner; returns how many were created.

    A directory whose partners were all deleted (its history is not empty) is
    left alone. Safe when several app processes start at once: the check and
    the load happen in one write transaction.
    """
    def empty(c) -> bool:
        return (c.execute("SELECT count(*) FROM partners").fetchone()[0] == 0
                and c.execute("SELECT count(*) FROM partner_history").fetchone()[0] == 0)

    import partners.store  # noqa: F401  (the tables exist)

    if not empty(conn):
        return 0
    from partners.validation import check_partner

    ready = [check_partner(p)[0] for p in build_demo_directory(seed, places)]

    def work(c):
        return _save_all(c, ready, DEMO_AUTHOR)["created"] if empty(c) else 0

    return transaction(conn, work)
