/* polish — the MPI build (meson -Dmpi=enabled; OpenMPI): the shards of a plan run as the ranks of
 * one MPI job (`mpirun -np N polish run --plan OUT/plan.json --mpi`), so a stage whose parts must
 * exchange data while they run (a model fitted over the whole grid: docs/SCALE.md) can. Only this
 * file calls MPI; src/core/comm.h says what each call does. Outside an MPI job (no --mpi) these
 * calls act as src/mpi/none.c's: one rank, nothing sent. */
#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>
#include "core/comm.h"
#include "core/internal.h"

static int active;      /* pol_mpi_begin started MPI */
static int rank_, size_ = 1;
static pol_status failed_st; /* a failure every rank has agreed on: no more communication */
static char failed_msg[sizeof(((pol_err *)0)->msg)];

int pol_mpi_built(void)
{
    return 1;
}

pol_status pol_mpi_begin(int *argc, char ***argv, size_t *rank, size_t *size, pol_err *err)
{
    *rank = 0;
    *size = 1;
    int provided = 0, inited = 0;
    MPI_Initialized(&inited);
    if (!inited && MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS)
        return pol__err_set(err, POL_ERR_INTERNAL, "--mpi: MPI_Init_thread failed");
    if (inited) MPI_Query_thread(&provided);
    if (provided < MPI_THREAD_SERIALIZED) {
        /* the items of a shard run on the worker pool's threads, one MPI call at a time */
        MPI_Finalize();
        return pol__err_set(err, POL_ERR_UNSUPPORTED,
                            "--mpi: this MPI library gives threads level %d; polish needs "
                            "MPI_THREAD_SERIALIZED", provided);
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    active = 1;
    failed_st = POL_OK;
    *rank = (size_t)rank_;
    *size = (size_t)size_;
    return POL_OK;
}

void pol_mpi_end(void)
{
    if (!active) return;
    active = 0;
    MPI_Finalize();
}

size_t pol__comm_rank(void)
{
    return active ? (size_t)rank_ : 0;
}

size_t pol__comm_size(void)
{
    return active ? (size_t)size_ : 1;
}

pol_status pol__comm_agree(pol_status st, const char *msg, long long *value, pol_err *err)
{
    if (!active) {
        if (st) pol__err_set(err, st, "%s", msg ? msg : pol_status_str(st));
        return st;
    }
    if (failed_st) return pol__err_set(err, failed_st, "%s", failed_msg);
    /* the first failing rank, and the least value, in one reduction */
    long long in[2] = {st ? (long long)rank_ : LLONG_MAX, value ? *value : 0}, out[2];
    MPI_Allreduce(in, out, 2, MPI_LONG_LONG, MPI_MIN, MPI_COMM_WORLD);
    if (value) *value = out[1];
    if (out[0] == LLONG_MAX) return POL_OK;
    /* its status and message, from it to every rank */
    struct {
        int code;
        char msg[sizeof failed_msg - 32];
    } what = {0, ""};
    int root = (int)out[0];
    if (root == rank_) {
        what.code = (int)st;
        snprintf(what.msg, sizeof what.msg, "%s", msg && *msg ? msg : pol_status_str(st));
    }
    MPI_Bcast(&what, (int)sizeof what, MPI_BYTE, root, MPI_COMM_WORLD);
    what.msg[sizeof what.msg - 1] = '\0';
    failed_st = what.code > 0 ? (pol_status)what.code : POL_ERR_INTERNAL;
    snprintf(failed_msg, sizeof failed_msg, "rank %d of %d failed: %s", root, size_, what.msg);
    return pol__err_set(err, failed_st, "%s", failed_msg);
}

pol_status pol_mpi_agree(pol_status st, pol_err *err)
{
    return pol__comm_agree(st, st ? err->msg : NULL, NULL, err);
}

pol_status pol__comm_gather(double *buf, const size_t *first, size_t per, pol_err *err)
{
    if (!active || size_ == 1) return POL_OK;
    if (failed_st) return pol__err_set(err, failed_st, "%s", failed_msg);
    int *counts = malloc(2 * (size_t)size_ * sizeof *counts);
    if (!counts) return pol__err_set(err, POL_ERR_NOMEM, "out of memory");
    int *displs = counts + size_;
    for (int r = 0; r < size_; r++) {
        size_t c = (first[r + 1] - first[r]) * per, d = first[r] * per;
        if (c > INT_MAX || d > INT_MAX) {
            free(counts);
            return pol__err_set(err, POL_ERR_LIMIT, "MPI: %zu values to gather from rank %d", c, r);
        }
        counts[r] = (int)c;
        displs[r] = (int)d;
    }
    MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, buf, counts, displs, MPI_DOUBLE,
                   MPI_COMM_WORLD);
    free(counts);
    return POL_OK;
}
