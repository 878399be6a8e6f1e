/* Runs of the basin's cells in a rectangular block of the grid (issue 9, "work only where the
   basin is"): a basin fills a third to two thirds of its bounding rectangle, and the time loop's
   kernels visit the cells of the runs instead of testing every cell of the block. A run is a
   stretch of consecutive selected cells of one block row; the runs come in the order of a loop
   over the block (row by row, west to east), so a kernel that visits them adds its sums in the
   same order as a loop over the whole block and gets the same bits. */
#ifndef SB_CELLRUNS_H
#define SB_CELLRUNS_H

#include "sbsys.h"
#include <stdint.h>

typedef struct {
  PetscInt  m, n;   /* the block: m columns, n rows; cell (ii, jj) has block index jj m + ii */
  PetscInt  nruns;  /* runs in all */
  PetscInt  ncells; /* selected cells in all */
  PetscInt *row;    /* [n + 1]: the runs of block row jj are row[jj] .. row[jj + 1] - 1 */
  PetscInt *k;      /* [2 nruns]: block index of a run's first cell, and one past its last */
} SbCellRuns;

/* The runs of the cells k of an m x n block with (sel[k] & bits) != 0. */
PETSC_EXTERN PetscErrorCode SbCellRunsCreate(PetscInt m, PetscInt n, const uint8_t *sel, uint8_t bits, SbCellRuns *runs);
/* The same from a real field: the cells with v[k] != 0 (a mask). */
PETSC_EXTERN PetscErrorCode SbCellRunsCreateFromMask(PetscInt m, PetscInt n, const PetscScalar *v, SbCellRuns *runs);
PETSC_EXTERN PetscErrorCode SbCellRunsDestroy(SbCellRuns *runs);

/* Run r of block row jj clipped to the block columns [ilo, ihi): block indices [*k0, *k1), empty
   (*k0 >= *k1) if the run lies outside. */
static inline void SbCellRunsClip(const SbCellRuns *runs, PetscInt r, PetscInt jj, PetscInt ilo, PetscInt ihi, PetscInt *k0, PetscInt *k1)
{
  const PetscInt base = jj * runs->m;

  *k0 = PetscMax(runs->k[2 * r], base + ilo);
  *k1 = PetscMin(runs->k[2 * r + 1], base + ihi);
}

#endif
