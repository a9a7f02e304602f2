#!/usr/bin/env bash
# polish — captions from a transcript that matches the speech only in part. Soundtracks of
# pocketsphinx-testdata's LibriVox readings (leading silence trimmed, 1 s before, 2 s between),
# each reading's words timed independently by pocketsphinx_continuous on the reading alone (its
# recogniser, not polish's aligner). Transcripts: one with a paragraph never said inserted (one
# piece), one missing a reading that is said (one piece), one missing two readings of ten (66.7 s:
# 30 s windows). Every cue that starts (ends) on a matched word starts (ends) within 0.3 s of that
# word's independent time; the words never said are reported as an unmatched stretch and not as
# aligned; the speech missing from the transcript is reported; the rest is aligned.
. "$(dirname "$0")/lib.sh"
command -v sox >/dev/null || { echo "SKIP: sox missing"; exit 77; }
command -v pocketsphinx_continuous >/dev/null || { echo "pocketsphinx_continuous missing (scripts/setup)"; exit 1; }
[ -f /usr/share/pocketsphinx/model/en-us/en-us/mdef ] || { echo "SKIP: pocketsphinx-en-us missing"; exit 77; }
READ=(0870 0880 0890 0920 0930)
for k in "${READ[@]}"; do
    sox "$LIBRIVOX"/*-"$k".wav "$T/u$k.wav" silence 1 0.01 1%
    # the reading's words by the recogniser, in the reading's time
    pocketsphinx_continuous -infile "$T/u$k.wav" -time yes 2>/dev/null |
        awk 'NF == 4 && $1 != "<s>" && $1 != "</s>" && $1 != "<sil>" && $1 !~ /^\[/' >"$T/ref$k.txt"
done
sox -n -r 16000 -c 1 -b 16 "$T/lead.wav" trim 0 1
sox -n -r 16000 -c 1 -b 16 "$T/gap.wav" trim 0 2
sed 's/^<s> //; s/ <\/s>.*//' "$LIBRIVOX/transcription" >"$T/five.txt"
# clip NAME READING...: the readings with silences around them; NAME.plan: each reading's start
clip() {
    local name=$1; shift
    local parts=("$T/lead.wav") t=1.0
    : >"$T/$name.plan"
    for k in "$@"; do
        echo "$k $t" >>"$T/$name.plan"
        t=$(python3 -c "print($t + $(soxi -D "$T/u$k.wav") + 2)")
        parts+=("$T/u$k.wav" "$T/gap.wav")
    done
    unset 'parts[${#parts[@]}-1]'
    sox "${parts[@]}" "$T/lead.wav" "$T/$name.wav"
    $FF -f lavfi -i "color=c=gray:s=160x90:r=10" -i "$T/$name.wav" -c:v libx264 -preset ultrafast -pix_fmt yuv420p \
        -c:a aac -shortest "$T/$name.mp4"
}
line() { sed -n "$(($1 + 1))p" "$T/five.txt"; } # line N: reading N's text (0-based, READ order)
clip short 0870 0880 0890
clip long 0870 0880 0890 0920 0930 0870 0880 0890 0920 0930
INSERTED="The weather in the valley had turned cold by the end of the week, and the farmers brought their cattle down from the hills before the first snow covered the roads."
# NAME.src: for each transcript line, the reading it is (by its place in the clip) or "-" (never said)
{ line 0; echo "$INSERTED"; line 1; line 2; } >"$T/ins.txt"; printf '0\n-\n1\n2\n' >"$T/ins.src"
{ line 1; line 2; } >"$T/rem.txt"; printf '1\n2\n' >"$T/rem.src"
{ line 0; line 2; line 3; line 4; line 0; line 1; line 2; line 4; } >"$T/reml.txt"; printf '0\n2\n3\n4\n5\n6\n7\n9\n' >"$T/reml.src"
run_polish 0 video captions --transcript "$T/ins.txt" "$T/short.mp4" -o "$T/ins.mp4" --report "$T/ins.json"
run_polish 0 video captions --transcript "$T/rem.txt" "$T/short.mp4" -o "$T/rem.mp4" --report "$T/rem.json"
run_polish 0 video captions --transcript "$T/reml.txt" "$T/long.mp4" -o "$T/reml.mp4" --report "$T/reml.json"
for c in ins:short rem:short reml:long; do
    n=${c%%:*} clipname=${c#*:}
    $FF -i "$T/$n.mp4" -map 0:s -f srt "$T/$n.srt"
    check "partial transcript ($n): matched words' cues at their independent times; mismatches reported" \
        python3 - "$T" "$n" "$clipname" <<'PY'
import difflib, json, re, sys
T, name, clipname = sys.argv[1:]
norm = lambda s: re.sub(r"[^a-z0-9' ]", "", s.lower().replace("-", " ")).split()
plan = [(l.split()[0], float(l.split()[1])) for l in open(f"{T}/{clipname}.plan")]
lines = open(f"{T}/{name}.txt").read().strip().split("\n")
src = open(f"{T}/{name}.src").read().split()
# the transcript's words (as polish counts them: whitespace tokens), each with its independent
# time (t0, t1) when its reading is said and the recogniser heard that word there; None otherwise
words, ref, said = [], [], []
for ln, s in zip(lines, src):
    toks = ln.split()
    words += toks
    if s == "-":
        ref += [None] * len(toks); said += [False] * len(toks)
        continue
    k, start = plan[int(s)]
    rec = [l.split() for l in open(f"{T}/ref{k}.txt")]
    rw = [re.sub(r"\(\d+\)$", "", r[0]) for r in rec]
    # token -> its parts ("ill-disposed" is two); a token is timed when all its parts were heard
    parts = [(i, p) for i, t in enumerate(toks) for p in norm(t)]
    hit = {}
    # only words inside runs of two or more the recogniser heard alike (a lone "and" may be another)
    for a, b, n in difflib.SequenceMatcher(None, [p for _, p in parts], rw, autojunk=False).get_matching_blocks():
        for j in range(n if n >= 2 else 0):
            hit[a + j] = (float(rec[b + j][1]) + start, float(rec[b + j][2]) + start)
    hit.setdefault(0, (start, None))  # a reading's first word starts where the reading does
    for i in range(len(toks)):
        ps = [q for q, (ti, _) in enumerate(parts) if ti == i]
        ref.append((hit[ps[0]][0], hit[ps[-1]][1]) if ps and all(q in hit for q in ps) else None)
        said.append(True)
step = json.load(open(f"{T}/{name}.json"))["items"][0]["steps"][0]
m, warn = step["measured"], step.get("warnings", [])
unmatched = set()
for s in m.get("unmatched_spans", []):
    unmatched |= set(range(s["first_word"] - 1, s["last_word"]))
cues = []
for block in re.split(r"\n\s*\n", open(f"{T}/{name}.srt").read().strip()):
    l = block.strip().split("\n")
    g = [int(x) for x in re.match(r"(\d+):(\d+):(\d+),(\d+) --> (\d+):(\d+):(\d+),(\d+)", l[1]).groups()]
    cues.append((g[0] * 3600 + g[1] * 60 + g[2] + g[3] / 1000, g[4] * 3600 + g[5] * 60 + g[6] + g[7] / 1000,
                 len(re.sub(r"<[^>]*>", "", " ".join(l[2:])).split())))
assert sum(c[2] for c in cues) == len(words), (sum(c[2] for c in cues), len(words))
# a cue's start is its first word's; its end may be held longer by the layout rules, never shorter
errs, late, i = [], [], 0
for t0, t1, n in cues:
    if i not in unmatched and said[i] and ref[i] is not None:
        errs.append((words[i], round(t0, 2), round(t0 - ref[i][0], 3)))
    e = i + n - 1
    if e not in unmatched and said[e] and ref[e] is not None and ref[e][1] and t1 < ref[e][1] - 0.3:
        late.append((words[e], round(t1, 2), round(t1 - ref[e][1], 3)))
    i += n
bad = [e for e in errs if abs(e[2]) > 0.3] + late
print(f"{name}: {m['alignment']}, {m['words_aligned']} of {m['words']} aligned, {len(errs)} cue edges on matched "
      f"words checked, largest error {max(abs(e[2]) for e in errs):.3f} s; unmatched {sorted(unmatched)[:3]}... "
      f"({len(unmatched)}); speech not in transcript {m.get('speech_not_in_transcript')}")
assert m["alignment"] == "pocketsphinx", m
assert len(errs) >= len(cues) // 2, (errs, cues)
assert not bad, bad
never = {i for i, s in enumerate(said) if not s}
# the words never said: reported unmatched (all of them), and not counted as aligned
assert never <= unmatched, sorted(never - unmatched)
assert m["words_aligned"] <= len(words) - len(never), m
# the words said: at least 90% aligned, few reported unmatched beside the never-said ones
assert m["words_aligned"] >= 0.9 * (len(words) - len(never)), m
assert len(unmatched - never) <= 0.1 * (len(words) - len(never)), sorted(unmatched - never)
if never:
    assert any("not matched in the speech" in w for w in warn), warn
# readings said but missing from the transcript: at least one reported, over most of its length
missing = [q for q in range(len(plan)) if str(q) not in src]
if missing:
    spans = [(s["start_s"], s["end_s"]) for s in m["speech_not_in_transcript"]]
    cover = []
    for q in missing:
        k, start = plan[q]
        end = start + max(float(l.split()[2]) for l in open(f"{T}/ref{k}.txt"))
        cover.append(sum(max(0, min(b, end) - max(a, start)) for a, b in spans) / (end - start))
    print("  missing readings covered by reported speech:", [round(c, 2) for c in cover])
    assert max(cover) >= 0.6, cover
    assert any("not in the transcript" in w for w in warn), warn
PY
done
finish
