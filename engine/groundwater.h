/* Groundwater: one linear reservoir per region (sub-basin, the mesh's /region ids), fed by the
   percolation of its cells, releasing Q = S/k onto its channel cells (in proportion to their channel bed area), or onto its outlet cell (the
   cell of largest upstream area) where it has no channel. docs/hydrology.md. */
#ifndef SB_GROUNDWATER_H
#define SB_GROUNDWATER_H

#include "state.h"
#include "scenario.h"

/* Exact step of dS/dt = I/dt - S/k over dt with the inflow volume inflow_m3 spread evenly over
   the step: S_new = S e^(-dt/k) + I (k/dt)(1 - e^(-dt/k)); release = S + I - S_new. */
PETSC_EXTERN PetscErrorCode SbLinearReservoirStep(PetscReal storage_m3, PetscReal inflow_m3, PetscReal dt, PetscReal k_s, PetscReal *storage_new_m3, PetscReal *release_m3);

typedef struct _p_SbGroundwater *SbGroundwater;

/* Collective. Sets state->ngw and state->gw_m3 (the initial storage: groundwater.initial_mm over
   each region's active area). */
PETSC_EXTERN PetscErrorCode SbGroundwaterCreate(SbState *state, const SbScenario *sc, SbGroundwater *gw);
/* Collective (one reduction of ngw numbers): recharge from state->recharge, release onto the
   surface depth. With groundwater.enabled false the stores only fill. */
PETSC_EXTERN PetscErrorCode SbGroundwaterStep(SbGroundwater gw, PetscReal dt);
PETSC_EXTERN PetscErrorCode SbGroundwaterDestroy(SbGroundwater *gw);

#endif
