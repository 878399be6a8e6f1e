/* Green-Ampt infiltration (Green & Ampt 1911) of ponded water, parameters by soil texture
   (Rawls, Brakensiek & Miller 1983), with the ponding of Mein & Larson (1973) emerging from the
   supply limit. */
#ifndef SB_INFILTRATION_H
#define SB_INFILTRATION_H

#include "state.h"
#include "scenario.h"

typedef struct _p_SbInfiltration *SbInfiltration;

/* Green-Ampt parameters of a soil texture class (SbSoil, 1..11): saturated hydraulic
   conductivity (m/s), wetting-front suction head (m), effective and total porosity (-). */
PETSC_EXTERN PetscErrorCode SbGreenAmptParameters(PetscInt soil, PetscReal *ks_m_s, PetscReal *psi_m, PetscReal *theta_e, PetscReal *porosity);
/* Infiltration over dt under ponding from cumulative depth F (m): the exact increment of the
   implicit Green-Ampt solution, Fn - F - S ln((S + Fn)/(S + F)) = Ks dt, S = psi * dtheta (m). */
PETSC_EXTERN PetscErrorCode SbGreenAmptIncrement(PetscReal F, PetscReal ks_m_s, PetscReal s_m, PetscReal dt, PetscReal *dF);

PETSC_EXTERN PetscErrorCode SbInfiltrationCreate(SbState *state, const SbScenario *sc, SbInfiltration *inf);
/* Move water from the surface (state depth) into the soil over dt: on each wet active cell the
   lesser of the ponded depth and the Green-Ampt increment. Adds the volume to the state's budget
   and the depth to state->infiltrated. */
PETSC_EXTERN PetscErrorCode SbInfiltrationStep(SbInfiltration inf, PetscReal dt);
PETSC_EXTERN PetscErrorCode SbInfiltrationDestroy(SbInfiltration *inf);

#endif
