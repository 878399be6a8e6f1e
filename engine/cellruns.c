/* Runs of the basin's cells in a block of the grid (cellruns.h). */
#include "cellruns.h"

PetscErrorCode SbCellRunsCreate(PetscInt m, PetscInt n, const uint8_t *sel, uint8_t bits, SbCellRuns *runs)
{
  PetscFunctionBeginUser;
  runs->m = m;
  runs->n = n;
  /* Counted, then kept. */
  for (PetscInt pass = 0; pass < 2; pass++) {
    PetscInt nr = 0;

    runs->ncells = 0;
    for (PetscInt jj = 0; jj < n; jj++) {
      const uint8_t *s = sel + jj * m;

      if (pass == 1) runs->row[jj] = nr;
      for (PetscInt ii = 0; ii < m;) {
        PetscInt a;

        while (ii < m && !(s[ii] & bits)) ii++;
        if (ii == m) break;
        a = ii;
        while (ii < m && (s[ii] & bits)) ii++;
        if (pass == 1) {
          runs->k[2 * nr]     = jj * m + a;
          runs->k[2 * nr + 1] = jj * m + ii;
        }
        runs->ncells += ii - a;
        nr++;
      }
    }
    if (pass == 0) {
      runs->nruns = nr;
      PetscCall(PetscMalloc2(n + 1, &runs->row, 2 * nr + 1, &runs->k));
    } else runs->row[n] = nr;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCellRunsCreateFromMask(PetscInt m, PetscInt n, const PetscScalar *v, SbCellRuns *runs)
{
  uint8_t *sel;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(m * n + 1, &sel));
  for (PetscInt k = 0; k < m * n; k++) sel[k] = v[k] != 0 ? 1 : 0;
  PetscCall(SbCellRunsCreate(m, n, sel, 1, runs));
  PetscCall(PetscFree(sel));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCellRunsDestroy(SbCellRuns *runs)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree2(runs->row, runs->k));
  runs->nruns = runs->ncells = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}
