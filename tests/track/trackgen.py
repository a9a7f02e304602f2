#!/usr/bin/env python3
"""polish — generated GPS tracks with a known truth, and their scores.

gen MODE SEED OUT_PREFIX [--seconds N] [--white M] [--corr M] [--tau S] [--spikes F]
    [--dropouts F] [--interval S] [--stops N]
  writes OUT_PREFIX.gpx (what a GPS would record) and OUT_PREFIX.truth.csv (t,x,y,lat,lon,spike),
  and with --corr OUT_PREFIX.wander.csv (t,bx,by: the slowly varying error at each fix)
score TRUTH_CSV TRACK_GPX [--raw RAW_GPX]
  prints JSON: rmse_m, points, spikes_total, spikes_removed, spike_recall, false_removed,
  turn_points_removed, distance_m, truth_distance_m, distance_error, still_distance_share (the
  length written where the truth stands still, over the truth's length), moving_steps_frozen
  (the share of the truth's moving steps written as no move at all), distance_error_signed, and
  distance_floor (signed, when the wander file is beside the truth: its change along the path)
big N OUT_GPX   a long cycling track of N points (bench), written fast
"""
import json, math, os, random, sys
import xml.etree.ElementTree as ET

LAT0, LON0 = 47.37, 8.54
R = 6371008.8
KY = R * math.pi / 180
KX = KY * math.cos(LAT0 * math.pi / 180)
T0 = 1714557600  # 2024-05-01T10:00:00Z

SPEED = {"walk": 1.4, "cycle": 5.5, "drive": 14.0, "market": 0.75}
TOP = {"walk": 1.8, "cycle": 8.0, "drive": 25.0, "market": 1.0}
# market: a shuffle between stalls, each leg at its own pace of 0.5-1 m/s, tight turns (the
# other modes draw nothing more, so their tracks are as before)

def iso(t):
    import time
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t)))
    ms = int(round((t - int(t)) * 1000))
    return s + ("Z" if ms == 0 else ".%03dZ" % ms)

def truth(mode, rng, seconds, interval, stops):
    """Truth positions (x, y metres) every `interval` s: legs, turns that slow down, stops."""
    v0 = SPEED[mode]
    x = y = 0.0
    head = rng.uniform(0, 2 * math.pi)
    v = v0
    out = []  # (t, x, y, turning)
    t = 0.0
    leg_left = rng.uniform(20, 60)
    turn_left = 0.0
    turn_rate = 0.0
    stop_times = sorted(rng.uniform(0.15, 0.85) * seconds for _ in range(stops))
    stop_left = 0.0
    pace = 1.0
    dt = 0.1
    next_sample = 0.0
    while t <= seconds + 1e-9:
        if t >= next_sample - 1e-9:
            out.append((t, x, y, turn_left > 0))
            next_sample += interval
        if stop_times and t >= stop_times[0]:
            stop_times.pop(0)
            stop_left = rng.uniform(30, 60)
        if stop_left > 0:
            stop_left -= dt
            v = 0.0 if stop_left > 0 else 0.5 * v0
        elif turn_left > 0:
            head += turn_rate * dt
            turn_left -= dt
            target = v0 * 0.5
            v += max(-1.5 * dt, min(1.0 * dt, target - v))
        else:
            leg_left -= dt
            target = min(TOP[mode], pace * v0 * rng.uniform(0.95, 1.05))
            v += max(-1.5 * dt, min(1.0 * dt, target - v))
            head += rng.gauss(0, 0.002)
            if leg_left <= 0:
                ang = rng.choice([-1, 1]) * rng.uniform(math.radians(30), math.radians(110))
                # a turn at a radius the mode allows
                radius = {"walk": 3.0, "cycle": 8.0, "drive": 15.0, "market": 1.5}[mode]
                if mode == "market":
                    pace = rng.uniform(0.5, 1.0) / v0
                vt = v0 * 0.5
                dur = abs(ang) * radius / max(vt, 0.3)
                turn_rate = ang / dur
                turn_left = dur
                leg_left = rng.uniform(20, 60) * (v0 / 1.4) ** 0.3
        x += v * math.cos(head) * dt
        y += v * math.sin(head) * dt
        t += dt
    return out

def gen(mode, seed, prefix, seconds=600, white=3.0, corr=0.0, tau=60.0, spikes=0.0,
        dropouts=0.0, interval=1.0, stops=2):
    rng = random.Random(seed)
    tr = truth(mode, rng, seconds, interval, stops)
    cx = cy = 0.0
    a = math.exp(-interval / tau)
    rows = []
    wander = []
    pts = []
    drop_left = 0
    for i, (t, x, y, turning) in enumerate(tr):
        if corr > 0:
            cx = a * cx + math.sqrt(1 - a * a) * rng.gauss(0, corr)
            cy = a * cy + math.sqrt(1 - a * a) * rng.gauss(0, corr)
            if i == 0:
                cx, cy = rng.gauss(0, corr), rng.gauss(0, corr)
        mx = x + cx + rng.gauss(0, white)
        my = y + cy + rng.gauss(0, white)
        spike = 0
        if drop_left > 0:
            drop_left -= 1
            continue
        if dropouts > 0 and rng.random() < dropouts and 5 < i < len(tr) - 5:
            drop_left = rng.randint(3, 30)
            continue
        if spikes > 0 and 2 < i < len(tr) - 3 and rng.random() < spikes:
            d = rng.uniform(50, 500)
            ang = rng.uniform(0, 2 * math.pi)
            mx += d * math.cos(ang)
            my += d * math.sin(ang)
            spike = 1
        lat = LAT0 + y / KY
        lon = LON0 + x / KX
        mlat = LAT0 + my / KY
        mlon = LON0 + mx / KX
        rows.append((T0 + t, x, y, lat, lon, spike, int(turning)))
        wander.append((T0 + t, cx, cy))
        pts.append((mlat, mlon, 400 + 0.02 * y, T0 + t))
    with open(prefix + ".gpx", "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="trackgen" '
                'xmlns="http://www.topografix.com/GPX/1/1">\n<trk><name>%s %d</name><trkseg>\n'
                % (mode, seed))
        for lat, lon, ele, t in pts:
            f.write('<trkpt lat="%.7f" lon="%.7f"><ele>%.1f</ele><time>%s</time></trkpt>\n'
                    % (lat, lon, ele, iso(t)))
        f.write("</trkseg></trk>\n</gpx>\n")
    with open(prefix + ".truth.csv", "w") as f:
        f.write("t,x,y,lat,lon,spike,turning\n")
        for r in rows:
            f.write("%.3f,%.4f,%.4f,%.9f,%.9f,%d,%d\n" % r)
    if corr > 0:
        with open(prefix + ".wander.csv", "w") as f:
            f.write("t,bx,by\n")
            for r in wander:
                f.write("%.3f,%.6f,%.6f\n" % r)

def parse_time(s):
    import calendar
    s = s.strip()
    base, frac = s[:19], 0.0
    rest = s[19:]
    if rest.startswith("."):
        k = 1
        while k < len(rest) and rest[k].isdigit():
            k += 1
        frac = float(rest[:k])
    return calendar.timegm((int(base[0:4]), int(base[5:7]), int(base[8:10]), int(base[11:13]),
                            int(base[14:16]), int(base[17:19]), 0, 0, 0)) + frac

def read_gpx(path):
    pts = []
    for ev, el in ET.iterparse(path):
        tag = el.tag.split("}")[-1]
        if tag == "trkpt":
            tm = None
            for c in el:
                if c.tag.split("}")[-1] == "time":
                    tm = parse_time(c.text)
            pts.append((tm, float(el.get("lat")), float(el.get("lon"))))
            el.clear()
    return pts

def xy(lat, lon):
    return (lon - LON0) * KX, (lat - LAT0) * KY

def score(truth_csv, track_gpx):
    tr = {}
    order = []
    with open(truth_csv) as f:
        next(f)
        for line in f:
            t, x, y, lat, lon, spike, turning = line.split(",")
            key = round(float(t), 3)
            tr[key] = (float(x), float(y), int(spike), int(turning))
            order.append(key)
    pts = read_gpx(track_gpx)
    seen = set()
    se = 0.0
    n = 0
    dist = 0.0
    prev = None
    for t, lat, lon in pts:
        key = round(t, 3)
        x, y = xy(lat, lon)
        if prev:
            dist += math.hypot(x - prev[0], y - prev[1])
        prev = (x, y)
        if key not in tr:
            continue
        seen.add(key)
        tx, ty, spike, _ = tr[key]
        if spike:
            continue  # a spike that stayed: counted by recall, not RMSE
        se += (x - tx) ** 2 + (y - ty) ** 2
        n += 1
    spikes = [k for k in order if tr[k][2]]
    removed_spikes = [k for k in spikes if k not in seen]
    false_removed = [k for k in order if not tr[k][2] and k not in seen]
    turn_removed = [k for k in false_removed if tr[k][3]]
    tdist = 0.0
    for a, b in zip(order, order[1:]):
        tdist += math.hypot(tr[b][0] - tr[a][0], tr[b][1] - tr[a][1])
    # between fixes next to each other in both: the length written where the truth stands still
    # (the error walked at rest), and the steps held still where the truth moves (frozen)
    out = {round(t, 3): xy(lat, lon) for t, lat, lon in pts}
    still_dist, frozen, moving = 0.0, 0, 0
    for a, b in zip(order, order[1:]):
        if a not in out or b not in out:
            continue
        d_out = math.hypot(out[b][0] - out[a][0], out[b][1] - out[a][1])
        if math.hypot(tr[b][0] - tr[a][0], tr[b][1] - tr[a][1]) < 1e-6:
            still_dist += d_out
        else:
            moving += 1
            frozen += d_out < 0.05
    # The floor (with a slowly varying error written beside the truth): the wander's change along
    # the truth's direction over its moving steps, which moves the fixes along the path exactly
    # as walking faster or slower would; no smoother that does not know the speed removes it.
    floor = None
    wpath = truth_csv[:-len(".truth.csv")] + ".wander.csv" if truth_csv.endswith(".truth.csv") else ""
    if wpath and os.path.exists(wpath):
        wd = {}
        with open(wpath) as f:
            next(f)
            for line in f:
                t, bx, by = line.split(",")
                wd[round(float(t), 3)] = (float(bx), float(by))
        floor = 0.0
        for a, b in zip(order, order[1:]):
            dx, dy = tr[b][0] - tr[a][0], tr[b][1] - tr[a][1]
            d = math.hypot(dx, dy)
            if d >= 1e-6 and a in wd and b in wd:
                floor += ((wd[b][0] - wd[a][0]) * dx + (wd[b][1] - wd[a][1]) * dy) / d
        floor = floor / tdist if tdist else None
    return {
        "rmse_m": math.sqrt(se / n) if n else None,
        "points": len(pts),
        "spikes_total": len(spikes),
        "spikes_removed": len(removed_spikes),
        "spike_recall": len(removed_spikes) / len(spikes) if spikes else None,
        "false_removed": len(false_removed),
        "turn_points_removed": len(turn_removed),
        "distance_m": dist,
        "truth_distance_m": tdist,
        "distance_error": abs(dist - tdist) / tdist if tdist else None,
        "distance_error_signed": (dist - tdist) / tdist if tdist else None,
        "distance_floor": floor,
        "still_distance_share": still_dist / tdist if tdist else None,
        "moving_steps_frozen": frozen / moving if moving else None,
    }

def big(n, out):
    rng = random.Random(7)
    x = y = 0.0
    head = 0.0
    with open(out, "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n<gpx version="1.1" creator="trackgen" '
                'xmlns="http://www.topografix.com/GPX/1/1">\n<trk><name>big</name><trkseg>\n')
        w = f.write
        for i in range(n):
            head += rng.gauss(0, 0.05)
            x += 5.5 * math.cos(head)
            y += 5.5 * math.sin(head)
            lat = LAT0 + (y + rng.gauss(0, 3)) / KY
            lon = LON0 + (x + rng.gauss(0, 3)) / KX
            w('<trkpt lat="%.7f" lon="%.7f"><ele>%.1f</ele><time>%s</time></trkpt>\n'
              % (lat, lon, 400 + 0.001 * y, iso(T0 + i)))
        w("</trkseg></trk>\n</gpx>\n")

def main(argv):
    if argv[1] == "gen":
        kw = {}
        i = 5
        while i < len(argv):
            k = argv[i][2:]
            kw[k] = float(argv[i + 1]) if k != "stops" else int(argv[i + 1])
            i += 2
        gen(argv[2], int(argv[3]), argv[4], **kw)
    elif argv[1] == "score":
        print(json.dumps(score(argv[2], argv[3])))
    elif argv[1] == "big":
        big(int(argv[2]), argv[3])

if __name__ == "__main__":
    main(sys.argv)
