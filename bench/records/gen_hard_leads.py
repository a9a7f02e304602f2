#!/usr/bin/env python3
"""polish bench - a messy lead list with hard negatives and known truth, for dedupe precision.

Usage: gen_hard_leads.py ROWS OUT.csv TRUTH.txt   (TRUTH: one person number per row, in row order)

Like gen_leads.py (web-form duplicates: nicknames, typos, case, missing fields, phone and street
styles), plus the people a matcher must keep apart, each a distinct person in the truth:
- namesakes: a common first and last name shared by people in other cities or streets
  (the share grows with the list, as it does in real lists);
- households: two people at one address sharing the landline, different first names;
- Sr./Jr. pairs: father and son with the same name at one address, told apart only by the
  suffix and (often) their own email or mobile.
Fixed seed.
"""
import random
import sys

r = random.Random(20261206)
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
COMMON_LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
               "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Taylor"]
SUFFIXES = [("Street", "St.", "St"), ("Avenue", "Ave.", "Ave"), ("Drive", "Dr.", "Dr"),
            ("Lane", "Ln.", "Ln"), ("Road", "Rd.", "Rd"), ("Court", "Ct.", "Ct")]
CITIES = [("Austin", "TX", "787"), ("Denver", "CO", "802"), ("Miami", "FL", "331"),
          ("Portland", "OR", "972"), ("Columbus", "OH", "432"), ("Raleigh", "NC", "276"),
          ("Phoenix", "AZ", "850"), ("Boston", "MA", "021"), ("Seattle", "WA", "981")]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "icloud.com", "hotmail.com", "aol.com"]


def word(n):
    return "".join(r.choice(ONSETS) + r.choice(VOWELS) for _ in range(n)) + r.choice(CODAS)


def phone():
    return f"{r.randint(2, 9)}{r.randint(10, 99)}{r.randint(200, 999)}{r.randint(0, 9999):04d}"


def person(first=None, last=None, home=None):
    first = first or (r.choice(FIRSTS) if r.random() < 0.5 else word(1).capitalize())
    last = last or word(r.choice((1, 2))).capitalize()
    city = r.choice(CITIES)
    p = {"first": first, "last": last, "gen": "",
         "email": f"{first.lower()}.{last.lower()}{r.randint(1, 999)}@{r.choice(DOMAINS)}",
         "phone": phone(), "num": r.randint(1, 9999), "street": word(1).capitalize(),
         "suffix": r.choice(SUFFIXES), "city": city, "zip": city[2] + f"{r.randint(0, 99):02d}"}
    if home:
        for k in ("num", "street", "suffix", "city", "zip"):
            p[k] = home[k]
    return p


def fmt_phone(p):
    k = r.randrange(4)
    return [f"({p[:3]}) {p[3:6]}-{p[6:]}", f"{p[:3]}.{p[3:6]}.{p[6:]}",
            f"+1 {p[:3]} {p[3:6]} {p[6:]}", p][k]


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
    if p["gen"]:
        last = f"{last} {p['gen']}"
    street = f'{p["num"]} {p["street"]} {p["suffix"][r.randrange(3) if dup else 0]}'
    drop = r.randrange(6) if dup else 9
    cells = [first, last, "" if drop == 0 else email, "" if drop == 1 else fmt_phone(p["phone"]),
             "" if drop == 2 else street, p["city"][0], p["city"][1], p["zip"]]
    return ",".join('"' + c.replace('"', '""') + '"' for c in cells)


def people(rows):
    """Groups of distinct people (each a list of person dicts) until `rows` rows are planned."""
    namesake_share = 0.02 + 0.03 * min(1.0, rows / 1_000_000)
    while True:
        k = r.random()
        if k < 0.06:  # a household: two people, one address and landline
            a = person()
            b = person(last=a["last"], home=a)
            b["phone"] = a["phone"] if r.random() < 0.6 else phone()
            yield [a, b]
        elif k < 0.09:  # father and son
            a = person()
            b = person(first=a["first"], last=a["last"], home=a)
            a["gen"], b["gen"] = r.choice([("Sr.", "Jr."), ("Sr", "Jr"), ("", "Jr."), ("Sr.", "")])
            if r.random() < 0.5:
                b["phone"] = a["phone"]
            yield [a, b]
        elif k < 0.09 + namesake_share:  # a namesake of someone else in the list
            yield [person(first=r.choice(FIRSTS), last=r.choice(COMMON_LAST))]
        else:
            yield [person()]


def main():
    rows, out, truth = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    with open(out, "w") as f, open(truth, "w") as t:
        f.write("First Name,Last Name,Email,Phone,Street Address,City,State,Zip\n")
        n, ent = 0, 0
        for group in people(rows):
            for p in group:
                ent += 1
                copies = 1 if r.random() < 0.7 else r.randint(2, 4)
                for k in range(copies):
                    if n == rows:
                        return
                    f.write(row(p, k > 0) + "\n")
                    t.write(f"{ent}\n")
                    n += 1


main()
