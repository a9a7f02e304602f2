#!/usr/bin/env python3
"""polish bench — a messy US lead list with known duplicates, for dedupe speed and accuracy.

Usage: gen_leads.py ROWS OUT.csv TRUTH.txt   (TRUTH: one entity number per row, in row order)
About 70% of people appear once; the rest two to four times, as web forms write them: nicknames,
typos, case, missing fields, phone and street formats. Names are drawn from syllables, so the list
has the name variety of a real one (few namesakes), with a fixed seed.
"""
import random
import sys

r = random.Random(20261123)
ONSETS = ["b", "br", "c", "ch", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s",
          "sh", "t", "v", "w", "z", "st", "gr", "tr", "kl"]
VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "y"]
CODAS = ["", "n", "r", "s", "l", "th", "ck", "m", "nd", "rt", "son", "ton", "ley", "man"]
NICK = {"Robert": "Bob", "William": "Bill", "Elizabeth": "Liz", "Margaret": "Peggy",
        "James": "Jim", "Jennifer": "Jenny", "Michael": "Mike", "Richard": "Rick",
        "Katherine": "Kate", "Thomas": "Tom", "Susan": "Sue", "Daniel": "Dan", "Joseph": "Joe"}
FIRSTS = list(NICK) + ["Maria", "Carlos", "Aisha", "Wei", "Priya", "Olivia", "Ethan", "Sofia",
                       "Noah", "Emma", "Liam", "Ava", "Lucas", "Mia", "Omar", "Chloe", "Diego",
                       "Grace", "Hana", "Ivan", "Jade", "Kofi", "Leah", "Mateo", "Nina", "Owen"]
SUFFIXES = [("Street", "St.", "St"), ("Avenue", "Ave.", "Ave"), ("Drive", "Dr.", "Dr"),
            ("Lane", "Ln.", "Ln"), ("Road", "Rd.", "Rd"), ("Court", "Ct.", "Ct")]
CITIES = [("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Miami", "FL", "331"),
          ("Portland", "OR", "972"), ("Columbus", "OH", "432"), ("Raleigh", "NC", "276"),
          ("Phoenix", "AZ", "850"), ("Boston", "MA", "021"), ("Seattle", "WA", "981")]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com"]


def word(n):
    return "".join(r.choice(ONSETS) + r.choice(VOWELS) for _ in range(n)) + r.choice(CODAS)


def person():
    first = r.choice(FIRSTS) if r.random() < 0.5 else word(1).capitalize()
    last = word(r.choice((1, 2))).capitalize()
    city = r.choice(CITIES)
    return {
        "first": first, "last": last,
        "email": f"{first.lower()}.{last.lower()}{r.randint(1, 99)}@{r.choice(DOMAINS)}",
        "phone": f"{r.randint(2, 9)}{r.randint(10, 99)}{r.randint(200, 999)}{r.randint(0, 9999):04d}",
        "num": r.randint(1, 9999), "street": word(1).capitalize(), "suffix": r.choice(SUFFIXES),
        "city": city, "zip": city[2] + f"{r.randint(0, 99):02d}",
    }


def fmt_phone(p):
    k = r.randrange(4)
    if k == 0:
        return f"({p[:3]}) {p[3:6]}-{p[6:]}"
    if k == 1:
        return f"{p[:3]}.{p[3:6]}.{p[6:]}"
    if k == 2:
        return f"+1 {p[:3]} {p[3:6]} {p[6:]}"
    return p


def typo(s):
    if len(s) < 4:
        return s
    i = r.randrange(1, len(s) - 1)
    return s[:i] + r.choice("aeiourstn") + s[i + 1:]


def row(p, dup):
    first, last, email = p["first"], p["last"], p["email"]
    if dup:
        if first in NICK and r.random() < 0.4:
            first = NICK[first]
        if r.random() < 0.15:
            last = typo(last)
        if r.random() < 0.2:
            first, last = first.upper(), last.upper()
        if r.random() < 0.15:
            email = email.upper()
    street = f'{p["num"]} {p["street"]} {p["suffix"][r.randrange(3) if dup else 0]}'
    drop = r.randrange(6) if dup else 9
    cells = [first, last, "" if drop == 0 else email, "" if drop == 1 else fmt_phone(p["phone"]),
             "" if drop == 2 else street, p["city"][0], p["city"][1], p["zip"]]
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def main():
    rows, out, truth = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(out, "w") as f, open(truth, "w") as t:
        f.write("First Name,Last Name,Email,Phone,Street Address,City,State,Zip\n")
        n, ent = 0, 0
        while n < rows:
            p = person()
            ent += 1
            copies = 1 if r.random() < 0.7 else r.randint(2, 4)
            for k in range(min(copies, rows - n)):
                f.write(row(p, k > 0) + "\n")
                t.write(f"{ent}\n")
                n += 1


main()
