/* Sums over cells that do not depend on how the cells are split among ranks.

   A floating-point MPI_SUM of per-rank partial sums depends on the decomposition in its last bits,
   and a model that feeds such a sum back into its state (a groundwater store per region fed by
   every cell's percolation, released onto its channel cells) then differs from one rank count to
   another by more than round-off once the routing amplifies it. Here every term is first rounded
   to a fixed point of 2^-40 (about 1e-12 in the term's unit) and the fixed-point numbers are summed
   exactly in integers, so the sum is the same for any order and any rank count. A term is split
   into a high part (multiples of 2^32 units) and a low part (0 .. 2^32 - 1 units), each summed in
   int64: exact for fewer than 2^31 terms per sum and totals below about 2^54 (1.8e16). */
#ifndef SB_EXACTSUM_H
#define SB_EXACTSUM_H

#include "sbsys.h"
#include <math.h>
#include <stdint.h>

#define SB_EXACTSUM_BITS 40

typedef struct {
  int64_t hi, lo;
} SbExactSum;

static inline void SbExactSumAdd(SbExactSum *s, PetscReal v)
{
  const double y = v * 0x1p40; /* exact: a power-of-two scaling (SB_EXACTSUM_BITS) */

  /* llrint rounds to nearest like nearbyintl and is exact on the integer y of |y| >= 2^53, so
     the fast path gives the same bits as the long-double one; it is ~20x cheaper (no x87). */
  if (fabs(y) < 0x1p62) {
    const int64_t q = llrint(y);

    s->hi += q >> 32; /* arithmetic shift: floor division by 2^32, as for the __int128 below */
    s->lo += q & (int64_t)0xffffffff;
  } else {
    const __int128 q = (__int128)nearbyintl(ldexpl((long double)v, SB_EXACTSUM_BITS));

    s->hi += (int64_t)(q >> 32);
    s->lo += (int64_t)(q & (__int128)0xffffffff);
  }
}

/* Collective: out[i] = the exact total of s[i] over the ranks, as a real. */
static inline PetscErrorCode SbExactSumReduce(MPI_Comm comm, PetscInt n, const SbExactSum *s, PetscReal *out)
{
  int64_t  stack[64], *buf = stack; /* no allocation per step for the usual few sums */

  PetscFunctionBeginUser;
  if (2 * n > 64) PetscCall(PetscMalloc1(2 * n, &buf));
  for (PetscInt i = 0; i < n; i++) {
    buf[2 * i]     = s[i].hi;
    buf[2 * i + 1] = s[i].lo;
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, buf, (PetscMPIInt)(2 * n), MPI_INT64_T, MPI_SUM, comm));
  for (PetscInt i = 0; i < n; i++) {
    const __int128 q = (__int128)buf[2 * i] * ((__int128)1 << 32) + (__int128)buf[2 * i + 1];

    out[i] = (PetscReal)ldexpl((long double)q, -SB_EXACTSUM_BITS);
  }
  if (buf != stack) PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#endif
