#!/usr/bin/env python3
"""polish — an evaluation of `text check` and `text fix` on real documents, not on the project's
own templates: the FAQs that Debian packages install under /usr/share/doc are the knowledge base,
and the answers are their own sentences, quoted or re-worded with a chatbot's openings, with one
planted error in some (a number changed, a negation flipped, a URL or e-mail changed). The
planting is done here with plain regular expressions, not with polish's value parser.

Usage: bench/text/realdocs.py POLISH OUTDIR [SEED]
Prints claim-level precision and recall of flagging wrong answers, how many wrong values `fix`
put back, and how many correct answers it changed."""
import gzip
import json
import os
import random
import re
import subprocess
import sys

DOCS = [  # (package, path): plain-text and Markdown FAQs
    ("procps", "/usr/share/doc/procps/FAQ.gz"),
    ("man-db", "/usr/share/doc/man-db/FAQ"),
    ("zlib1g-dev", "/usr/share/doc/zlib1g-dev/FAQ.gz"),
    ("lsof", "/usr/share/doc/lsof/00FAQ.gz"),
    ("fp-compiler", "/usr/share/doc/fp-compiler/3.2.2/faq.txt.gz"),
    ("xz-utils", "/usr/share/doc/xz-utils/faq.txt.gz"),
    ("sed", "/usr/share/doc/sed/sedfaq.txt.gz"),
    ("libsndfile1-dev", "/usr/share/doc/libsndfile1-dev/markdown/FAQ.md.gz"),
    ("valgrind", "/usr/share/doc/valgrind/FAQ.txt.gz"),
    ("ncurses-base", "/usr/share/doc/ncurses-base/FAQ"),
    ("python3-docutils", "/usr/share/doc/python3-docutils/FAQ.txt.gz"),
    ("sysstat", "/usr/share/doc/sysstat/FAQ.md.gz"),
]

OPENINGS = ["", "", "Yes. ", "Sure! ", "Good question. ", "According to the documentation, ",
            "As far as I know, ", "In short: ", "Hi! ", "Thanks for asking. "]
CLOSINGS = ["", "", " Anything else I can help with?", " Hope this helps!", " Let me know if you "
            "have other questions."]

NUM = re.compile(r"(?<![\w.$/-])(\d{1,6})(?:\.(\d{1,3}))?(?![\w/-]|\.\d)")
URL = re.compile(r"https?://[\w.-]+(?:/[\w./%~-]*)?")
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
NEG = re.compile(r"\b(is|are|was|were|does|do|did|can|will|should|must|has|have)( not|n't)\b")
POS = re.compile(r"\b(is|are|does|can|will|should|must)\b(?! not)")


def read(path):
    data = gzip.open(path).read() if path.endswith(".gz") else open(path, "rb").read()
    return data.decode("utf-8", "replace")


def sentences(text):
    """Prose sentences of a document: joined lines, split at . ! ? followed by a space. Questions
    (a FAQ's own headings) are left out: an answer states, and a question is not a claim."""
    paras = re.split(r"\n\s*\n", text)
    out = []
    for p in paras:
        lines = p.split("\n")
        # code, tables, headings and ASCII art are not prose
        if any(l.startswith(("    ", "\t", "$ ", "# ", "|", "+-", "```")) for l in lines):
            continue
        s = " ".join(l.strip() for l in lines)
        s = re.sub(r"\s+", " ", s)
        for x in re.split(r"(?<=[.!?])\s+(?=[A-Z])", s):
            x = x.strip()
            letters = sum(c.isalpha() for c in x)
            if 50 <= len(x) <= 240 and letters > 0.6 * len(x) and x[-1] in ".!" and \
                    not re.search(r"[{}<>\\=;]|\s-{1,2}\w|[*_`]", x):
                out.append(x)
    return out


def plant(s, rng):
    """One error in sentence s: (kind, wrong sentence, original value, wrong value) or None."""
    kinds = []
    nums = [m for m in NUM.finditer(s) if not (1900 <= int(m.group(1)) <= 2100 and not m.group(2))
            or True]
    if nums:
        kinds.append("number")
    if URL.search(s):
        kinds.append("url")
    if EMAIL.search(s):
        kinds.append("email")
    if NEG.search(s) or POS.search(s):
        kinds.append("negation")
    if not kinds:
        return None
    k = rng.choice(kinds)
    if k == "number":
        m = rng.choice(nums)
        v = int(m.group(1))
        w = v + rng.choice([1, 2, 3, 5, 10]) if v < 10 else v + rng.randint(1, max(2, v // 3))
        if rng.random() < 0.3 and v > 1:
            w = max(0, v - rng.randint(1, max(1, v // 2)))
        new = str(w) + ("." + m.group(2) if m.group(2) else "")
        return k, s[:m.start()] + new + s[m.end():], m.group(0), new
    if k == "url":
        m = URL.search(s)
        u = m.group(0)
        new = re.sub(r"//([\w-]+)", lambda x: "//" + x.group(1) + "-docs", u, count=1)
        return k, s[:m.start()] + new + s[m.end():], u, new
    if k == "email":
        m = EMAIL.search(s)
        e = m.group(0)
        new = "help@" + e.split("@", 1)[1]
        if new == e:
            new = "support@" + e.split("@", 1)[1]
        return k, s[:m.start()] + new + s[m.end():], e, new
    m = NEG.search(s)
    if m:
        new = m.group(1)
        return "negation", s[:m.start()] + new + s[m.end():], m.group(0), new
    m = POS.search(s)
    new = m.group(1) + " not"
    return "negation", s[:m.start()] + new + s[m.end():], m.group(0), new


def main():
    polish, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    rng = random.Random(seed)
    docs = os.path.join(out, "docs")
    ans = os.path.join(out, "answers")
    os.makedirs(docs, exist_ok=True)
    os.makedirs(ans, exist_ok=True)
    for f in os.listdir(ans):
        os.unlink(os.path.join(ans, f))
    used, pool = [], []
    for pkg, path in DOCS:
        if not os.path.exists(path):
            continue
        text = read(path)
        ext = ".md" if ".md" in path else ".txt"
        name = os.path.join(docs, pkg + ext)
        with open(name, "w") as f:
            f.write(text)
        used.append(pkg)
        for s in sentences(text):
            pool.append((pkg, s))
    kb = os.path.join(out, "kb.db")
    if os.path.exists(kb):
        os.unlink(kb)
    subprocess.run([polish, "text", "kb", "add", docs, "--kb", kb, "--quiet"], check=True)
    rng.shuffle(pool)
    answers = []  # (file, wrong?, kind, original sentence, planted value, original value)
    for i, (pkg, s) in enumerate(pool[:600]):
        wrong = rng.random() < 0.5
        body, kind, orig_v, new_v = s, "correct", None, None
        if wrong:
            p = plant(s, rng)
            if not p:
                wrong = False
            else:
                kind, body, orig_v, new_v = p
        opening = rng.choice(OPENINGS)
        if opening and body[0].isupper() and not body[:2].isupper() and opening.endswith(", "):
            body = body[0].lower() + body[1:]
        text = opening + body + rng.choice(CLOSINGS) + "\n"
        fn = os.path.join(ans, "a%04d.txt" % i)
        with open(fn, "w") as f:
            f.write(text)
        answers.append((fn, wrong, kind, s, new_v, orig_v, pkg, text))
    r = subprocess.run([polish, "text", "check", *[a[0] for a in answers], "--kb", kb, "--json",
                        "--quiet"], capture_output=True, text=True)
    doc = json.loads(r.stdout)
    items = doc.get("items", [doc])
    by_input = {}
    for it in items:
        src = it.get("input") or it.get("source")
        by_input[src] = it
    # the order of items is the order of inputs
    tp = fp = fn_ = tn = 0
    unsup_wrong = unsup_right = 0
    per_kind = {}
    cases = open(os.path.join(out, "cases.txt"), "w")
    for a, it in zip(answers, items):
        claims = it.get("claims", []) if isinstance(it, dict) else []
        flagged = any(c["verdict"] == "contradicted" for c in claims)
        unsupported = any(c["verdict"] == "unsupported" for c in claims)
        tag = ("TP" if flagged else "FN") if a[1] else ("FP" if flagged else "TN")
        cases.write("%s %s %s | %s -> %s | %s | %s\n" % (tag, a[2], os.path.basename(a[0]), a[5], a[4],
                    a[7].strip(), [(c["verdict"], c.get("reason", "")) for c in claims]))
        if a[1]:
            k = per_kind.setdefault(a[2], [0, 0, 0])
            k[0] += 1
            k[1] += flagged
            k[2] += (not flagged) and unsupported
            tp += flagged
            fn_ += not flagged
            unsup_wrong += (not flagged) and unsupported
        else:
            fp += flagged
            tn += not flagged
            unsup_right += unsupported
    # fix: wrong answers get the original value back; correct answers byte for byte the same
    fixed_dir = os.path.join(out, "fixed")
    subprocess.run(["rm", "-rf", fixed_dir])
    subprocess.run([polish, "text", "fix", *[a[0] for a in answers], "--kb", kb, "-o", fixed_dir,
                    "--quiet"], check=False)
    repaired = changed_correct = wrong_fix = 0
    n_wrong = sum(a[1] for a in answers)
    for a in answers:
        f = os.path.join(fixed_dir, os.path.basename(a[0]))
        got = open(f).read() if os.path.exists(f) else None
        if got is None:
            continue
        if a[1]:
            if got != a[7]:
                if a[3] in got:
                    repaired += 1
                else:
                    wrong_fix += 1
        elif got != a[7]:
            changed_correct += 1
    n = len(answers)
    prec = tp / (tp + fp) if tp + fp else 0
    rec = tp / (tp + fn_) if tp + fn_ else 0
    print("documents: %d FAQs from Debian packages (%s), %d prose sentences" %
          (len(used), ", ".join(used), len(pool)))
    print("answers: %d (%d with one planted error, %d correct); seed %d" % (n, n_wrong, n - n_wrong, seed))
    print("flagging wrong answers (any claim contradicted): precision %.3f, recall %.3f "
          "(tp %d, fp %d, fn %d)" % (prec, rec, tp, fp, fn_))
    print("  wrong answers not flagged but marked unsupported: %d; correct answers with an "
          "unsupported claim: %d of %d" % (unsup_wrong, unsup_right, n - n_wrong))
    for k, v in sorted(per_kind.items()):
        print("  %-9s %3d planted, %3d flagged (%.3f), %3d only unsupported" % (k, v[0], v[1], v[1] / v[0], v[2]))
    print("fix: %d of %d wrong answers restored to the document's sentence, %d changed "
          "otherwise; correct answers changed: %d of %d" % (repaired, n_wrong, wrong_fix,
                                                           changed_correct, n - n_wrong))


if __name__ == "__main__":
    main()
