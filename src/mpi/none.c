/* polish — the build without MPI (meson -Dmpi=disabled, or no MPI found): one rank, nothing sent.
 * src/core/comm.h says what each call does; src/mpi/mpi.c is the MPI build. */
#include "core/comm.h"
#include "core/internal.h"

int pol_mpi_built(void)
{
    return 0;
}

pol_status pol_mpi_begin(int *argc, char ***argv, size_t *rank, size_t *size, pol_err *err)
{
    (void)argc;
    (void)argv;
    *rank = 0;
    *size = 1;
    return pol__err_set(err, POL_ERR_UNSUPPORTED,
                        "--mpi: this polish was built without MPI (install libopenmpi-dev and "
                        "build with meson -Dmpi=enabled)");
}

pol_status pol_mpi_agree(pol_status st, pol_err *err)
{
    (void)err;
    return st;
}

void pol_mpi_end(void)
{
}

size_t pol__comm_rank(void)
{
    return 0;
}

size_t pol__comm_size(void)
{
    return 1;
}

pol_status pol__comm_agree(pol_status st, const char *msg, long long *value, pol_err *err)
{
    (void)value;
    if (st) pol__err_set(err, st, "%s", msg ? msg : pol_status_str(st));
    return st;
}

pol_status pol__comm_gather(double *buf, const size_t *first, size_t per, pol_err *err)
{
    (void)buf;
    (void)first;
    (void)per;
    (void)err;
    return POL_OK;
}
