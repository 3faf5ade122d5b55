"""Place resolver benchmark: every commune typed the ways people type it.

Run it from the repository root::

    python bench/resolver.py              # prints the shares and the time, checks the targets
    python bench/resolver.py --seed 3 --show 20

The inputs are built from the committed territory itself, for every unit:

- ``insee``: the INSEE code alone;
- ``postal``: each postal code alone;
- ``postal+name``: "69290 Craponne" and "Craponne (69290)" for each postal code;
- ``no_accents``: the name in lower case without accents, hyphens as spaces;
- ``st``: Saint/Sainte abbreviated St/Ste (and "s/" for "sur");
- ``typo``: one-letter typos of the name (substitution, deletion, insertion,
  transposition of two neighbours), three per commune, seeded. A typo that is
  itself the exact name of another commune is left out (no resolver can see
  it) and counted;
- ``article``: "Le ..." before the name (the committed names carry no article,
  "Puy-en-Velay"; people type "Le Puy-en-Velay");
- ``delegated``: each former/delegated commune's name (-> today's commune);
- ``lyon``: Lyon's arrondissements as "Lyon 8e", "Lyon 8", "Lyon 08",
  "Lyon 8ème", "LYON 8EME ARRONDISSEMENT", "69008 Lyon".

Each answer is classed as **right** (found/corrected, the right unit),
**flagged** (ambiguous with the right unit among the candidates), **flagged
without it** (ambiguous, right unit missing), **not found**, or **wrong
without a flag** (found/corrected, another unit). Targets: right + flagged >=
98 %, wrong without a flag 0.0 %, 10,000 inputs in <= 2 s (one
:meth:`geo.resolver.Resolver.resolve` call each, no cache; best of
``--repeat``). Timings on a shared machine are inflated by whatever else runs.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
import unicodedata
from collections import Counter, defaultdict

TARGET_OK = 0.98
TARGET_WRONG = 0.0
BUDGET_S = 2.0
TIMED = 10_000
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _plain(name: str) -> str:
    text = unicodedata.normalize("NFKD", name)
    return "".join(c for c in text if not unicodedata.combining(c)).lower().replace("-", " ").replace("'", " ")


def _abbreviated(name: str) -> str | None:
    words = name.replace("-", " ").split()
    short = {"Saint": "St", "Sainte": "Ste", "Saints": "Sts", "sur": "s/"}
    if not any(w in short for w in words):
        return None
    return " ".join(short.get(w, w) for w in words)


def _typo(name: str, rng: random.Random) -> str:
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    i = rng.choice(letters)
    kind = rng.choice(("substitute", "delete", "insert", "swap"))
    if kind == "substitute":
        return name[:i] + rng.choice(LETTERS.replace(name[i].lower(), "")) + name[i + 1:]
    if kind == "delete":
        return name[:i] + name[i + 1:]
    if kind == "insert":
        return name[:i] + rng.choice(LETTERS) + name[i:]
    j = i + 1 if i + 1 < len(name) and name[i + 1].isalpha() else i - 1
    if j < 0 or not name[j].isalpha() or name[i].lower() == name[j].lower():
        return name[:i] + name[i + 1:]
    a, b = sorted((i, j))
    return name[:a] + name[b] + name[a] + name[b + 1:]


def build_inputs(seed: int = 0, typos: int = 3) -> tuple[list[tuple[str, str, str]], int]:
    """``[(text, expected unit, variant)]`` for every unit, and the number of typos left out."""
    from geo.lookup import _name_key, gazetteer
    from geo.resolver import resolver

    g = gazetteer()
    index = resolver()
    rng = random.Random(seed)
    inputs: list[tuple[str, str, str]] = []
    skipped = 0
    for code in g.codes:
        unit = g.unit(code)
        name = str(unit["nom"])
        postal = [c.strip() for c in str(unit.get("codes_postaux") or "").split(",") if c.strip()]
        inputs.append((code, code, "insee"))
        for cp in postal:
            inputs.append((cp, code, "postal"))
            inputs.append((f"{cp} {name}", code, "postal+name"))
            inputs.append((f"{name} ({cp})", code, "postal+name"))
        inputs.append((_plain(name), code, "no_accents"))
        short = _abbreviated(name)
        if short:
            inputs.append((short, code, "st"))
        made = 0
        for _ in range(typos * 5):
            if made == typos:
                break
            typo = _typo(name, rng)
            if _name_key(typo) in index._key and code not in index._key[_name_key(typo)]:
                skipped += 1  # the typo is another commune's exact name
                continue
            if _name_key(typo) == _name_key(name):
                continue
            inputs.append((typo, code, "typo"))
            made += 1
        inputs.append((f"Le {name}", code, "article"))
        for part in filter(None, str(unit.get("anciennes_communes") or "").split("|")):
            old_code, old_name, *_ = part.split(":")
            if old_code != code:
                inputs.append((old_name, code, "delegated"))
        if unit.get("unit_type") == "ARM":
            n = int(code[-1])
            suffix = "er" if n == 1 else "e"
            for text in (f"Lyon {n}{suffix}", f"Lyon {n}", f"Lyon 0{n}", f"Lyon {n}{'er' if n == 1 else 'ème'}",
                         f"LYON {n}{'ER' if n == 1 else 'EME'} ARRONDISSEMENT", f"6900{n} Lyon"):
                inputs.append((text, code, "lyon"))
    return inputs, skipped


def classify(resolution, expected: str) -> str:
    if resolution.resolved:
        return "right" if resolution.code == expected else "wrong"
    if resolution.ambiguous:
        return "flagged" if expected in resolution.codes else "flagged_without"
    return "not_found"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--show", type=int, default=10, help="examples of each failure kind to print")
    args = parser.parse_args(argv)

    from geo.resolver import Resolver, resolver
    from geo.lookup import gazetteer

    start = time.perf_counter()
    Resolver(gazetteer())
    build_s = time.perf_counter() - start
    index = resolver()
    inputs, skipped = build_inputs(args.seed)

    outcomes: Counter = Counter()
    by_variant: dict[str, Counter] = defaultdict(Counter)
    failures: dict[str, list[str]] = defaultdict(list)
    for text, expected, variant in inputs:
        result = index.resolve(text)
        kind = classify(result, expected)
        outcomes[kind] += 1
        by_variant[variant][kind] += 1
        if kind not in ("right", "flagged"):
            failures[kind].append(f"{text!r} -> {result.status} {result.reason} {result.codes[:3]} "
                                  f"(expected {expected})")

    rng = random.Random(args.seed + 1)
    timed = [text for text, _, _ in rng.sample(inputs, min(TIMED, len(inputs)))]
    best = float("inf")
    for _ in range(args.repeat):
        fresh = Resolver(gazetteer())  # nothing cached from the pass above
        start = time.perf_counter()
        for text in timed:
            fresh.resolve(text)
        best = min(best, time.perf_counter() - start)

    total = len(inputs)
    share = {k: outcomes[k] / total for k in ("right", "flagged", "flagged_without", "not_found", "wrong")}
    print(f"inputs: {total:,} ({len(by_variant)} variants; {skipped} typos left out: another commune's exact name)")
    for variant, counts in sorted(by_variant.items()):
        n = sum(counts.values())
        print(f"  {variant:<12} {n:>6,}  right {counts['right'] / n:6.1%}  flagged {counts['flagged'] / n:6.1%}  "
              f"flagged without {counts['flagged_without'] / n:5.1%}  not found {counts['not_found'] / n:5.1%}  "
              f"wrong {counts['wrong'] / n:5.1%}")
    print(f"right: {share['right']:.2%}")
    print(f"flagged ambiguous (right unit among the candidates): {share['flagged']:.2%}")
    print(f"flagged ambiguous without the right unit: {share['flagged_without']:.2%}")
    print(f"not found: {share['not_found']:.2%}")
    print(f"wrong without a flag: {share['wrong']:.2%} ({outcomes['wrong']} inputs)")
    ok = share["right"] + share["flagged"]
    print(f"right or correctly flagged: {ok:.2%} (target >= {TARGET_OK:.0%})")
    print(f"time for {len(timed):,} inputs: {best:.3f} s (target <= {BUDGET_S} s; best of {args.repeat}); "
          f"index build {build_s:.2f} s")
    for kind in ("wrong", "flagged_without", "not_found"):
        for line in failures[kind][:args.show]:
            print(f"  {kind}: {line}")
    passed = ok >= TARGET_OK and share["wrong"] <= TARGET_WRONG and best <= BUDGET_S
    print("targets met" if passed else "TARGETS MISSED")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
