/* Operations along D8 flow paths on the grid's DMDA, in parallel and exact: upstream accumulation
   a = (I − Pᵀ)⁻¹ w (and its max-plus variant), downstream path sums d = (I − P)⁻¹ w, and the
   value at each cell's receiver. P is the D8 routing matrix (row = cell, one entry at its
   receiver, which may live on another rank). docs/assessment.md, "Flow paths in parallel". */
#ifndef SB_D8_H
#define SB_D8_H

#include "grid.h"
#include <petscmat.h>

typedef struct _p_SbD8 *SbD8;

typedef enum {
  SB_D8_SUM = 0, /* a_i = w_i + Σ_donors pass_j a_j */
  SB_D8_MAX = 1  /* a_i = w_i + max(0, max_donors pass_j a_j): longest-path (slope length) */
} SbD8Op;

/* Collective. Receivers from grid->flow_direction; inactive cells and cells whose code points
   outside the grid or to an inactive cell have none (they are outlets). */
PETSC_EXTERN PetscErrorCode SbD8Create(SbGrid *grid, SbD8 *d8);
PETSC_EXTERN PetscErrorCode SbD8Destroy(SbD8 *d8);
/* Flow length of each cell's link (m): dx, dy or the diagonal; outlets get the row's dx. A global
   vector on grid->da owned by d8 (do not destroy). */
PETSC_EXTERN PetscErrorCode SbD8GetFlowLength(SbD8 d8, Vec *length_m);
/* The routing matrix P as MATAIJ on the DMDA's global numbering (entry 1 at (cell, receiver));
   owned by d8. */
PETSC_EXTERN PetscErrorCode SbD8GetMatrix(SbD8 d8, Mat *P);
/* Upstream accumulation along links, each link of cell j weighted by pass_j (NULL: 1; 0 cuts the
   link: check dams, slope-length cut-offs). Own cell included. w and a may not be the same. */
PETSC_EXTERN PetscErrorCode SbD8Accumulate(SbD8 d8, SbD8Op op, Vec w, Vec pass, Vec a);
/* Downstream path sum d_i = w_i + pass_i d_receiver(i) (pass NULL: 1). */
PETSC_EXTERN PetscErrorCode SbD8Downstream(SbD8 d8, Vec w, Vec pass, Vec d);
/* r_i = v at the receiver of i, or `none` where i has no receiver. */
PETSC_EXTERN PetscErrorCode SbD8Receiver(SbD8 d8, Vec v, PetscReal none, Vec r);
/* Outer iterations (exchanges between ranks) the last Accumulate/Downstream needed. */
PETSC_EXTERN PetscErrorCode SbD8GetIterations(SbD8 d8, PetscInt *iterations);

#endif
