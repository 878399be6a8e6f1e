/* Sediment delivery by hydrological connectivity: the index IC of Borselli, Cassi & Torri (2008)
   and the delivery ratio SDR of Vigiak et al. (2012) as in the InVEST SDR model, sediment export of
   every cell and what reaches each gauge and the reservoir. docs/assessment.md. */
#ifndef SB_CONNECTIVITY_H
#define SB_CONNECTIVITY_H

#include "grid.h"
#include "d8.h"

typedef struct {
  PetscReal sdr_max; /* upper bound of SDR (InVEST default 0.8) */
  PetscReal ic0;     /* IC at which SDR = sdr_max / 2 (InVEST default 0.5) */
  PetscReal k;       /* spread of the sigmoid (InVEST default 2) */
} SbConnectivityParams;

/* Collective. In: W = B·E·T, tan_slope, A (t·km⁻²·a⁻¹), landuse (codes as reals), trap: fraction of
   the passing sediment each cell holds back (check dams, reservoirs; NULL: none). Out (caller's
   global vectors on grid->da): ic, sdr, export_t_a (E_i = A_i·area_i·SDR_i) and passing_t_a (what
   passes each cell: its own export and all that reaches it from upstream). Inactive cells get 0. */
PETSC_EXTERN PetscErrorCode SbConnectivityCompute(SbGrid *grid, SbD8 d8, const SbConnectivityParams *p, Vec W, Vec tan_slope, Vec A, Vec landuse, Vec trap, Vec ic, Vec sdr, Vec export_t_a, Vec passing_t_a);
/* Collective. The value of v at gauge cell (row, col), on every rank. */
PETSC_EXTERN PetscErrorCode SbConnectivityValueAt(SbGrid *grid, Vec v, PetscInt row, PetscInt col, PetscReal *value);
/* Collective. Sediment entering water cells (the reservoir) from land cells, t/a: the export of
   every land cell whose path reaches water, counted where it first enters water. */
PETSC_EXTERN PetscErrorCode SbConnectivityIntoWater(SbGrid *grid, SbD8 d8, Vec landuse, Vec export_t_a, PetscReal *sediment_t_a);

#endif
