/* Level-pool reservoir (e.g. Danjiangkou): one water level over the pool, a stage-storage relation
   from the DEM cells of the pool, and an outflow rule (docs/routing.md). */
#ifndef SB_RESERVOIR_H
#define SB_RESERVOIR_H

#include "state.h"
#include "scenario.h"

typedef struct _p_SbReservoir *SbReservoir;

typedef struct {
  PetscReal       level_m;   /* normal pool level (mesh reservoir_level_m) */
  SbReservoirRule rule;
  PetscReal       weir_coef; /* C, m^0.5/s */
  PetscReal       weir_length_m;
} SbReservoirParams;

/* Collective. The pool: the largest 8-connected group of active land-use water cells whose
   elevation is at most level + 0.5 m. ORs SB_CELL_POOL (routing_impl.h) into flags (global on
   grid->da). *res is NULL when the level is not finite or no cell qualifies. */
PETSC_EXTERN PetscErrorCode SbReservoirCreate(SbGrid *grid, const SbReservoirParams *p, Vec flags, SbReservoir *res);
PETSC_EXTERN PetscErrorCode SbReservoirDestroy(SbReservoir *res);
/* Fill the pool to its normal level (the initial condition): depth level - z on pool cells. */
PETSC_EXTERN PetscErrorCode SbReservoirFill(SbReservoir res, SbState *state);
/* Collective (one reduction). After the routing step: gathers the pool's water into one level,
   releases by the rule over dt into the cell below the dam (or off the grid, adding to
   *outflow_m3, if the pool drains off the grid) and spreads the rest as a flat surface. */
PETSC_EXTERN PetscErrorCode SbReservoirStep(SbReservoir res, SbState *state, PetscReal dt, PetscReal *outflow_m3);
/* Stage (m) and the release of the last step (m³/s), the same on every rank. */
PETSC_EXTERN PetscErrorCode SbReservoirGetStatus(SbReservoir res, PetscReal *stage_m, PetscReal *release_m3_s);
/* Where the release goes: the index in the owned block of the cell below the dam (-1 if another
   rank owns it) and whether it leaves the grid instead (sediment.c carries sediment with it). */
PETSC_EXTERN PetscErrorCode SbReservoirGetTarget(SbReservoir res, PetscInt *target_k, PetscBool *off_grid);
/* Number of pool cells and the pool area at the normal level (m²). */
PETSC_EXTERN PetscErrorCode SbReservoirGetSize(SbReservoir res, PetscInt *cells, PetscReal *area_m2);

#endif
