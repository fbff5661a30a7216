"""Write planning_sv/data/common_passwords.txt: passwords that are easy to guess.

The list is generated from well-known patterns (the words that top every published list of
leaked passwords, with the digits, years and doublings people add to reach a length rule;
number runs; keyboard walks), so it is ours to ship under the project's MIT licence and can
be regenerated and reviewed. Entries are normalised as `store.users.normalise_password`
does (lower case, letters and digits only) and only those of at least MIN_LENGTH characters
are kept: anything shorter is refused by the length rule anyway.

    python scripts/common_passwords.py     # rewrites the file; commit the result
"""

from __future__ import annotations

import itertools
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "planning_sv" / "data" / "common_passwords.txt"
MIN_LENGTH = 12

# Words at the top of published leaked-password lists, plus ones this service invites
# (its own name, the councils, planning words, English football clubs and cities).
_WORDS_TEXT = """
password passw0rd p4ssword pass word secret letmein welcome hello iloveyou loveyou
love admin administrator root user login master qwerty azerty abc abcdef abcdefg
monkey dragon football baseball soccer hockey basketball sunshine princess shadow
superman batman spiderman starwars trustno1 whatever computer internet freedom
michael jennifer jordan thomas charlie daniel jessica ashley andrew joshua matthew
robert william george harry oliver jack sophie emily hannah chloe lauren
summer winter spring autumn monday friday january august september december
cheese chocolate cookie banana orange apple pepper ginger honey sugar coffee
flower butterfly rainbow angel baby babygirl lovely pretty beautiful sweet
tigger pokemon killer hunter ranger buster soccer tiger lion eagle falcon
mustang ferrari porsche mercedes harley yamaha
access changeme default temp guest test testing demo example sample qazwsx
london manchester salford islington england britain liverpool birmingham leeds
arsenal chelsea tottenham united city everton celtic rangers
council planning planner developer development building builder housing
socialvalue social value application officer
"""
WORDS = _WORDS_TEXT.split()

PHRASES = [
    "correcthorsebatterystaple",
    "thequickbrownfoxjumpsoverthelazydog",
    "thequickbrownfox",
    "letmeinplease",
    "opensesame",
    "iloveyousomuch",
    "iloveyoutoo",
    "mypasswordis",
    "thisismypassword",
    "mysecretpassword",
    "supersecretpassword",
    "changemeplease",
    "welcometothejungle",
    "maytheforcebewithyou",
    "tobeornottobe",
    "helloworld",
    "hellohello",
    "passwordispassword",
]

DIGITS = "0123456789"
KEYBOARD_WALKS = [
    "qwertyuiop",
    "qwertyuiopasdfghjkl",
    "qwertzuiop",
    "azertyuiop",
    "asdfghjkl",
    "asdfghjklzxcvbnm",
    "zxcvbnm",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm",
    "zaq12wsxcde34rfvbgt56yhn",
    "zaq1xsw2cde3vfr4bgt5",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
    "1a2b3c4d5e6f7g8h9i",
    "a1b2c3d4e5f6g7h8i9",
    "qweasdzxc",
    "qweasdzxcqweasdzxc",
    "abcdefghijklmnopqrstuvwxyz",
    "zyxwvutsrqponmlkjihgfedcba",
    "iloveyouiloveyou",
]


def _number_runs() -> set[str]:
    """Ascending and descending digit runs (wrapping round 9 -> 0), 12 to 20 long."""
    runs = set()
    for start in range(10):
        for length in range(MIN_LENGTH, 21):
            up = "".join(DIGITS[(start + i) % 10] for i in range(length))
            runs.add(up)
            runs.add(up[::-1])
    # Pairs and triples repeated: 121212121212, 123123123123, 112233445566...
    for unit in ("12", "123", "1234", "12345", "69", "007", "112233", "102030", "147258369"):
        runs.add((unit * 20)[:MIN_LENGTH])
        runs.add(unit * (MIN_LENGTH // len(unit) + 1))
    runs.add("11223344556677889900")
    runs.add("112233445566")
    return runs


def _walks() -> set[str]:
    """Keyboard walks and their prefixes of at least MIN_LENGTH characters."""
    out = set()
    for walk in KEYBOARD_WALKS:
        for end in range(MIN_LENGTH, len(walk) + 1):
            out.add(walk[:end])
        for suffix in ("123", "1234", "12345", "123456", "1"):
            out.add(walk + suffix)
            out.add(walk[:10] + suffix)
    return out


def generate() -> list[str]:
    """Every entry, normalised and sorted.

    Words are kept at any length: the check also looks up a password with its leading and
    trailing digits removed ('Password2024!' -> 'password'), so 'word + digits or year' needs
    no entry of its own. Everything else is kept only from MIN_LENGTH characters.
    """
    words = list(dict.fromkeys(WORDS))  # file order: the most common first
    entries: set[str] = set()
    for word in words:
        entries.update((word, word + word, word[::-1]))
    # Two common words together ('iloveyoubaby', 'welcomehome' style); the most common 60
    # only, which keeps the file a few thousand lines.
    top = words[:60]
    for first, second in itertools.product(top, top):
        if first != second and len(first + second) >= MIN_LENGTH:
            entries.add(first + second)
    # 'ilove' / 'my' / 'the' + a word, and famous phrases.
    for word in words:
        entries.update(("ilove" + word, "iloveyou" + word, "my" + word, "the" + word))
    entries.update(PHRASES)
    entries |= _number_runs()
    entries |= _walks()
    return sorted(e for e in entries if e.isalnum() and e == e.lower())


def main() -> None:
    entries = generate()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Easy-to-guess passwords, normalised (lower case, letters and digits only), one a\n"
        "# line. Generated by scripts/common_passwords.py from well-known patterns; MIT.\n"
    )
    OUT.write_text(header + "\n".join(entries) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} entries to {OUT}")


if __name__ == "__main__":
    main()
