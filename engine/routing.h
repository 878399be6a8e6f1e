/* Surface routing. The explicit local-inertial scheme (Bates, Horritt & Fewtrell 2010;
   de Almeida, Bates, Freer & Souvignet 2012) on the raster's four faces per cell. */
#ifndef SB_ROUTING_H
#define SB_ROUTING_H

#include "state.h"
#include "scenario.h"

typedef struct _p_SbRouting *SbRouting;

PETSC_EXTERN PetscErrorCode SbRoutingCreate(SbState *state, const SbScenario *sc, SbRouting *routing);
PETSC_EXTERN PetscErrorCode SbRoutingDestroy(SbRouting *routing);
/* Collective (one reduction): the stable step, cfl * min(dx) / sqrt(g h_max), capped at max_dt_s. */
PETSC_EXTERN PetscErrorCode SbRoutingStableDt(SbRouting routing, PetscReal *dt);
/* Advance depth and face discharges by dt. Positivity: the outflow of a cell within a step never
   exceeds the water it holds, so depth never goes negative and volume is conserved exactly. */
PETSC_EXTERN PetscErrorCode SbRoutingStep(SbRouting routing, PetscReal dt);
/* Collective: discharge (m³/s) out of each gauge cell during the last step, and the volume
   (m³) through each gauge since the start, both for every gauge of the grid, on every rank. */
PETSC_EXTERN PetscErrorCode SbRoutingGauges(SbRouting routing, PetscReal *discharge_m3_s, PetscReal *volume_m3);

#endif
