/* The dynamic state of a run: a struct of PETSc vectors on one DMDA layout. */
#ifndef SB_STATE_H
#define SB_STATE_H

#include "grid.h"

/* Per cell: water depth and the unit-width discharges through its east and south faces. */
typedef struct {
  PetscScalar h;  /* depth, m */
  PetscScalar qx; /* east face, m²/s, positive eastwards */
  PetscScalar qy; /* south face, m²/s, positive southwards (increasing row) */
} SbCell;

/* Volumes accumulated on this rank since the start (m³); reduced over ranks when reported. */
typedef struct {
  PetscReal rain_m3;
  PetscReal infiltration_m3; /* into the soil */
  PetscReal outflow_m3;      /* left the grid through outlet cells */
  /* vertical water balance (interception.c, soilwater.c, groundwater.c) */
  PetscReal interception_m3;       /* rain caught by the canopy */
  PetscReal canopy_evaporation_m3; /* evaporated from the canopy store */
  PetscReal soil_et_m3;            /* evapotranspired from the root-zone store */
  PetscReal percolation_m3;        /* drained from the root zone to groundwater */
  PetscReal baseflow_m3;           /* released by groundwater onto channel cells */
} SbLocalBudget;

typedef struct {
  SbGrid       *grid; /* not owned */
  DM            da;   /* dof 3 (SbCell), same ownership as grid->da */
  Vec           X;    /* global state */
  Vec           Xl;   /* local state with ghosts (width 1), on the ghost buffer below */
  PetscScalar  *ghost_buf; /* [ghost_len] storage of Xl; SbStateGetGhostBuffer lends it to a wider copy */
  PetscInt      ghost_len;
  Vec           hmax; /* maximum depth so far, on grid->da */
  Vec           infiltrated; /* cumulative infiltration depth, m, on grid->da */
  /* vertical water balance, on grid->da (docs/hydrology.md) */
  Vec           canopy;      /* canopy interception store, m */
  Vec           soil_water;  /* root-zone soil water, m of water */
  Vec           et_demand;   /* atmospheric demand left for the soil after the canopy, this step, m */
  Vec           recharge;    /* percolation out of the root zone this step, m */
  PetscInt      ngw;         /* groundwater stores: one per region id 0..ngw-1 (0: active cells without a region) */
  PetscReal    *gw_m3;       /* [ngw] groundwater storage, m³, the same on every rank */
  /* Per-cell multipliers of treatment measures (measures.c) of the overland Manning's n, the
     saturated conductivity Ks and the canopy interception capacity; NULL: 1 everywhere. Not owned. */
  Vec           manning_factor, ks_factor, interception_factor;
  SbLocalBudget budget;
  PetscLogEvent ev_rain; /* forcing */
} SbState;

PETSC_EXTERN PetscErrorCode SbStateCreate(SbGrid *grid, SbState **state);
PETSC_EXTERN PetscErrorCode SbStateDestroy(SbState **state);
/* Collective: water stored on the grid, m³. */
PETSC_EXTERN PetscErrorCode SbStateStorage(SbState *state, PetscReal *volume_m3);
/* Collective: the largest depth, m. */
PETSC_EXTERN PetscErrorCode SbStateMaxDepth(SbState *state, PetscReal *depth_m);
/* Collective: the largest depth (m) of the active cells outside open water (land use
   SB_LU_WATER: the reservoir's level pool, which the routing's stable step ignores too); infinite
   if any of their depths is NaN. */
PETSC_EXTERN PetscErrorCode SbStateMaxLandDepth(SbState *state, PetscReal *depth_m);
/* Collective: an error naming the first cell (row, col), its rank and the time if any depth is
   NaN, infinite or negative. */
PETSC_EXTERN PetscErrorCode SbStateCheck(SbState *state, PetscReal t_s);
/* Collective: water in the canopy, the root zone (m³) and groundwater (m³). */
PETSC_EXTERN PetscErrorCode SbStateStorageVertical(SbState *state, PetscReal *canopy_m3, PetscReal *soil_m3, PetscReal *groundwater_m3);
/* A buffer of at least n reals that also holds state->Xl, grown if need be (Xl then moves onto
   it; its contents are not kept): the local-inertial routing's ghosted state (width 3) lives in
   it during SbRoutingStep, state->Xl (width 1: sediment, output slices) outside it, so one
   buffer serves both. Owned by the state: valid until SbStateDestroy or the next larger request. */
PETSC_EXTERN PetscErrorCode SbStateGetGhostBuffer(SbState *state, PetscInt n, PetscScalar **buf);
/* Update hmax with the current depth (owned cells). */
PETSC_EXTERN PetscErrorCode SbStateTrackMax(SbState *state);

#endif
