"""National Annuaire Santé extract benchmark: a SYNTHETIC 2-million-line file, imported with the
psycho-oncology network's members' list.

Run it from the repository root::

    python bench/partners_rpps.py                       # 2,000,000 lines, 9,000 psychologists in the territory
    python bench/partners_rpps.py --lines 200000 --territory 2000 --members 150

Writes the SYNTHETIC extract (real file format, no real person: see
``partners/io/synthetic_rpps.py``) and a members' list to a temporary folder, then times:
reading the extract (streamed, other professions dropped), the import without a list (refused:
thousands of psychologists would become identical points at commune centres), the import of the
network's members, and the same import again (nothing changes). Prints the figures and the peak
memory of the process.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--territory", type=int, default=9_000, help="psychologists practising in the territory")
    parser.add_argument("--members", type=int, default=150, help="members of the network's list")
    args = parser.parse_args(argv)

    from geo.database import connect
    from partners.importer import import_partners
    from partners.io.rpps import read_rpps
    from partners.io.synthetic_rpps import write_extract, write_network_list
    from partners.places import default_places
    from partners.store import list_partners
    from partners.validation import ValidationError

    places = default_places()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        extract = folder / "PS_LibreAcces_Personne_activite_202411300000.txt"
        start = time.perf_counter()
        made = write_extract(extract, args.lines, args.territory, units=places.units)
        print(f"SYNTHETIC extract: {args.lines:,} lines, {made['psychologists']:,} psychologists "
              f"({len(made['territory']):,} in the territory), {extract.stat().st_size / 1e6:.0f} MB, "
              f"written in {time.perf_counter() - start:.1f} s")
        listing = folder / "reseau.csv"
        write_network_list(listing, made["territory"], args.members)

        start = time.perf_counter()
        read = read_rpps(extract)
        print(f"read: {len(read.records):,} psychologists kept of {args.lines:,} lines in "
              f"{time.perf_counter() - start:.1f} s")

        conn = connect(folder / "bench.sqlite")
        start = time.perf_counter()
        try:
            import_partners(conn, extract, "rpps", places=places, author="bench")
            print("import without the network's list: ACCEPTED (unexpected)")
        except ValidationError as exc:
            print(f"import without the network's list: refused ({exc.code}, {exc.params['count']:,} psychologists) "
                  f"in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        report = import_partners(conn, extract, "rpps", places=places, author="bench", network=listing)
        elapsed = time.perf_counter() - start
        psy = list_partners(conn, type="PSY")
        print(f"import of the network's members: created {report.created}, rejected {report.rejected}, "
              f"not in the network {report.skipped.get('not_in_network', 0):,}, in {elapsed:.1f} s; "
              f"{len(psy)} psychologists in the directory, {psy[['lon', 'lat']].drop_duplicates().shape[0]} "
              "distinct positions")
        start = time.perf_counter()
        again = import_partners(conn, extract, "rpps", places=places, author="bench", network=listing)
        print(f"same import again: unchanged {again.unchanged}, created {again.created}, in "
              f"{time.perf_counter() - start:.1f} s")
        conn.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB (timings inflated by the other processes sharing the machine)")
    return 0 if report.created == args.members else 1


if __name__ == "__main__":
    sys.exit(main())
