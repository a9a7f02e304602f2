# polish serve — load client: N threads at once each upload a small lead list (multipart, field
# "file"), ask for its fix, wait for "done" and check the output holds its own rows standardised.
# usage: python3 load_client.py BASE TOKEN FIRST COUNT; prints one line per failure, exits 1 on any.
import json, sys, threading, time, urllib.request, urllib.error

base, token, first, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
auth = {"Authorization": "Bearer " + token}
errors, ids = [], []
lock = threading.Lock()


def call(method, path, body=None, headers=None):
    req = urllib.request.Request(base + path, data=body, method=method, headers={**auth, **(headers or {})})
    with urllib.request.urlopen(req, timeout=300) as r:
        return r.status, r.read()


def client(n):
    try:
        csv = ("name,email,phone\nPerson%d Number%d,  USER%d@Fastmail.COM ,+44 20 7946 %04d\n"
               "Other%d Name,other%d@outlook.com,\n" % (n, n, n, n, n, n)).encode()
        b = "----polishload%d" % n
        body = (("--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads%d.csv\"\r\n"
                 "Content-Type: text/csv\r\n\r\n" % (b, n)).encode() + csv + ("\r\n--%s--\r\n" % b).encode())
        st, r = call("POST", "/api/items", body, {"Content-Type": "multipart/form-data; boundary=" + b})
        item = json.loads(r)["id"]
        st, r = call("POST", "/api/items/%d/fix" % item)
        if st != 202:
            raise RuntimeError("fix gave %d" % st)
        deadline = time.time() + 240
        state = ""
        while time.time() < deadline:
            state = json.loads(call("GET", "/api/items/%d" % item)[1])["state"]
            if state in ("done", "failed"):
                break
            time.sleep(0.25)
        if state != "done":
            raise RuntimeError("item %d ended '%s'" % (item, state))
        out = call("GET", "/api/items/%d/output" % item)[1].decode()
        if "user%d@fastmail.com" % n not in out or "other%d@outlook.com" % n not in out:
            raise RuntimeError("output of %d is wrong: %r" % (n, out[:200]))
        with lock:
            ids.append(item)
    except Exception as e:  # noqa: BLE001 - every failure is reported
        with lock:
            errors.append("client %d: %s" % (n, e))


threads = [threading.Thread(target=client, args=(n,)) for n in range(first, first + count)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for e in errors:
    print(e)
if len(set(ids)) != count:
    print("only %d distinct correct items of %d" % (len(set(ids)), count))
sys.exit(1 if errors or len(set(ids)) != count else 0)
