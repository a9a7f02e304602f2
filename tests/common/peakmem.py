"""polish tests: the peak resident memory of one polish run, for the memory checks of the shell tests.

peak(polish, *args) runs `polish ARGS... --quiet` in a forked child and returns (in KiB) the largest
resident set of that run alone: the fork keeps the caller's own children out of the figure. Under
AddressSanitizer freed blocks wait in a 256 MB quarantine before reuse, which would hide whether
memory is reused; the run's quarantine is kept at 4 MB. A run that fails raises AssertionError.
"""
import os
import resource
import subprocess


def peak(polish, *args):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        env = dict(os.environ)
        if env.get("ASAN_OPTIONS"):
            env["ASAN_OPTIONS"] += ":quarantine_size_mb=4"
        rc = subprocess.call([polish, *args, "--quiet"], stdout=subprocess.DEVNULL, env=env)
        os.write(w, b"%d %d" % (rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
        os._exit(0)
    os.close(w)
    rc, kib = map(int, os.read(r, 100).split())
    os.close(r)
    os.waitpid(pid, 0)
    assert rc == 0, (rc, args)
    return kib
