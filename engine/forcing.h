/* Rainfall forcing. */
#ifndef SB_FORCING_H
#define SB_FORCING_H

#include "scenario.h"
#include "state.h"

/* Rain intensity (m/s) at time t_s and the next time at which it changes (PETSC_MAX_REAL if never). */
PETSC_EXTERN PetscErrorCode SbRainAt(const SbScenario *sc, PetscReal t_s, PetscReal *rain_m_s, PetscReal *next_change_s);
/* Add rain_m_s * dt to the depth of every active owned cell; adds the volume (m³) to the
   state's local budget. */
PETSC_EXTERN PetscErrorCode SbRainApply(SbState *state, PetscReal rain_m_s, PetscReal dt);

#endif
