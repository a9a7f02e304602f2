/* polish — the communication between the shards of one MPI job (docs/SCALE.md, "MPI"). The
 * library calls these whether or not it was built with MPI: without an MPI job (no --mpi, or a
 * build without MPI: src/mpi/none.c) there is one rank and nothing is sent. With one
 * (src/mpi/mpi.c) every rank must make the same calls in the same order. */
#ifndef POLISH_CORE_COMM_H
#define POLISH_CORE_COMM_H

#include <stddef.h>
#include "polish/status.h"

/* This process's rank and the job's number of ranks: 0 and 1 outside an MPI job. */
size_t pol__comm_rank(void);
size_t pol__comm_size(void);

/* Every rank calls it at the same point with its own outcome: `st` and, when st != POL_OK, its
 * message `msg`. Returns POL_OK when no rank failed; otherwise the first failing rank's status,
 * with "rank R of N failed: MESSAGE" in `err`, on every rank. `value` (may be NULL) gives this rank's
 * number and receives the least over the ranks. Once a failure is agreed on, every later call
 * returns it at once without communicating: a rank that fails outside the calls another rank is
 * waiting in (before it reached them) is heard at its next call, and no rank waits for it. */
pol_status pol__comm_agree(pol_status st, const char *msg, long long *value, pol_err *err);

/* `buf` holds `per` doubles a block; this rank owns blocks first[rank] .. first[rank + 1] - 1
 * (first: size + 1 entries) and has filled them; afterwards every rank holds every block. */
pol_status pol__comm_gather(double *buf, const size_t *first, size_t per, pol_err *err);

#endif
