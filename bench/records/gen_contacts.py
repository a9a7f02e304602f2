#!/usr/bin/env python3
# polish — generates a messy contact CSV for the records benchmarks (deterministic: fixed seed).
# Usage: gen_contacts.py ROWS OUT.csv [PHONES.txt]   (~105 bytes a row; PHONES gets the phone column)
import random
import sys

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "William",
         "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah",
         "Charles", "Karen", "Jose", "Maria", "Sean", "Zoe", "Jean-Luc", "Anne-Marie", "Liam", "Mia"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
        "McDonald", "O'Brien", "MacKenzie", "van der Berg", "Lee", "Nguyen", "Smith-Jones"]
STREETS = ["Main", "Oak", "Maple", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "5th",
           "Sunset", "Lamar", "Congress", "Guadalupe", "Pecan", "Martin Luther King"]
SUFFIX = [("Street", "St"), ("Avenue", "Ave"), ("Boulevard", "Blvd"), ("Road", "Rd"),
          ("Drive", "Dr"), ("Lane", "Ln"), ("Court", "Ct"), ("Place", "Pl")]
CITIES = [("Austin", "TX", "Texas", "787"), ("Houston", "TX", "Texas", "770"),
          ("Boston", "MA", "Massachusetts", "021"), ("Seattle", "WA", "Washington", "981"),
          ("Denver", "CO", "Colorado", "802"), ("Miami", "FL", "Florida", "331"),
          ("Chicago", "IL", "Illinois", "606"), ("New York", "NY", "New York", "100"),
          ("San Diego", "CA", "California", "921"), ("Newark", "NJ", "New Jersey", "071")]
AREA = ["512", "737", "713", "617", "206", "303", "305", "312", "212", "619", "973"]
DOMAINS = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmial.com",
           "aol.com", "comcast.net"]
COMPANIES = ["", "", "", "Acme Plumbing", "Smith & Sons", "Johnson Plumbing LLC",
             "\"Lee, Lee and Partners\"", "Martinez HVAC", "Blue Sky Roofing"]
SOURCES = ["web form", "facebook ad", "referral", "landing page"]


def messy_case(s, r):
    k = r.random()
    return s.upper() if k < 0.1 else s.lower() if k < 0.25 else s


def phone(r):
    a, x, n = r.choice(AREA), r.randint(200, 999), r.randint(0, 9999)
    style = r.randrange(6)
    p = [f"({a}) {x}-{n:04d}", f"{a}-{x}-{n:04d}", f"{a}.{x}.{n:04d}", f"{a}{x}{n:04d}",
         f"+1 {a} {x} {n:04d}", f"1-{a}-{x}-{n:04d}"][style]
    if r.random() < 0.03:
        p += f" x{r.randint(1, 999)}"
    return p


def date(r):
    y, m, d = r.randint(2019, 2026), r.randint(1, 12), r.randint(1, 28)
    return [f"{y}-{m:02d}-{d:02d}", f"{m}/{d}/{y}", f"{y}{m:02d}{d:02d}"][r.randrange(3)]


def main():
    rows = int(sys.argv[1])
    out = sys.argv[2]
    phones = open(sys.argv[3], "w") if len(sys.argv) > 3 else None
    r = random.Random(20240611)
    with open(out, "w", newline="") as f:
        f.write("id,First Name,Last Name,Email,Phone,Street Address,City,State,Zip,Company,Source,"
                "Created\r\n")
        for i in range(rows):
            fn, ln = r.choice(FIRST), r.choice(LAST)
            city, st, stname, zip3 = r.choice(CITIES)
            sfx = r.choice(SUFFIX)
            street = f"{r.randint(1, 9999)} {r.choice(STREETS)} {sfx[r.randrange(2)]}"
            if r.random() < 0.1:
                street = f"\"{street}, Apt {r.randint(1, 40)}\""
            email = f"{fn.lower().replace(' ', '')}.{ln.lower().replace(' ', '').replace(chr(39), '')}{r.randint(1, 999)}@{r.choice(DOMAINS)}"
            if r.random() < 0.2:
                email = " " + email.upper()
            z = f"{zip3}{r.randint(0, 99):02d}"
            if z.startswith("0") and r.random() < 0.5:
                z = z.lstrip("0")
            ph = phone(r)
            if phones:
                phones.write(ph + "\n")
            state = [st, st.lower(), stname][r.randrange(3)]
            f.write(f"{i + 1},{messy_case(fn, r)},{messy_case(ln, r)}{' ' if r.random() < 0.1 else ''},"
                    f"{email},{ph},{street},{messy_case(city, r)},{state},{z},"
                    f"{r.choice(COMPANIES)},{r.choice(SOURCES)},{date(r)}\r\n")
    if phones:
        phones.close()


if __name__ == "__main__":
    main()
