/* Green-Ampt infiltration (Green & Ampt 1911) of ponded water, parameters by soil texture
   (Rawls, Brakensiek & Miller 1983), with the ponding of Mein & Larson (1973) emerging from the
   supply limit. */
#ifndef SB_INFILTRATION_H
#define SB_INFILTRATION_H

#include "state.h"
#include "scenario.h"
#include "checkpoint.h"

typedef struct _p_SbInfiltration *SbInfiltration;

/* Green-Ampt parameters of a soil texture class (SbSoil, 1..11): saturated hydraulic
   conductivity (m/s), wetting-front suction head (m), effective and total porosity (-). */
PETSC_EXTERN PetscErrorCode SbGreenAmptParameters(PetscInt soil, PetscReal *ks_m_s, PetscReal *psi_m, PetscReal *theta_e, PetscReal *porosity);
/* Infiltration over dt under ponding from cumulative depth F (m): the exact increment of the
   implicit Green-Ampt solution, Fn - F - S ln((S + Fn)/(S + F)) = Ks dt, S = psi * dtheta (m). */
PETSC_EXTERN PetscErrorCode SbGreenAmptIncrement(PetscReal F, PetscReal ks_m_s, PetscReal s_m, PetscReal dt, PetscReal *dF);

/* A Green-Ampt cell with the recovery of SWMM 5 (Rossman & Huber 2016, Storm Water Management
   Model Reference Manual Vol. I - Hydrology, §4.3; grnampt.c): an upper soil zone of depth
   L_u = 4 sqrt(Ks) (in, Ks in in/h) holds F_u (m) of the infiltrated water, at most
   F_umax = IMD_max L_u; between storms it drains at k_r F_umax (k_r = sqrt(Ks)/75 per hour), and
   after a dry spell of T_r = 4.5/sqrt(Ks) h a new event starts with the moisture deficit
   IMD = (F_umax - F_u)/L_u and F = 0. */
typedef struct {
  PetscReal ks, psi, imd_max, lu, kr, tr; /* m/s, m, -, m, 1/s, s */
  PetscReal h_channel; /* surface water held in the cell's channel, out of reach of infiltration, m */
  PetscReal F;   /* infiltration of the current event, m */
  PetscReal Fu;  /* water in the upper zone, m */
  PetscReal T;   /* time left before a dry spell ends the event, s */
  PetscReal imd; /* moisture deficit of the current event, - */
} SbGreenAmptCell;

/* A dry cell of saturated conductivity ks_m_s, suction head psi_m and initial moisture deficit
   imd_max (= (1 - s_e) theta_e), F = F_u = 0. */
PETSC_EXTERN PetscErrorCode SbGreenAmptCellInit(PetscReal ks_m_s, PetscReal psi_m, PetscReal imd_max, SbGreenAmptCell *c);
/* One step of length dt with the water depth h_m on the cell: with water, the lesser of h and the
   exact Green-Ampt increment from F with S = psi IMD (the event timer T restarts when the supply
   h/dt exceeds Ks; a new event starts under a supply at or below Ks once T has run out); without
   water, the recovery of the upper zone. */
PETSC_EXTERN PetscErrorCode SbGreenAmptCellStep(SbGreenAmptCell *c, PetscReal h_m, PetscReal dt, PetscReal *dF_m);

/* Whether water infiltrates at a cell: infiltration on and an active cell with a soil. The
   root-zone store (soilwater.c) exists at the same cells. */
static inline PetscBool SbInfiltrates(const SbScenario *sc, PetscScalar mask, PetscScalar soil)
{
  return (PetscBool)(sc->infiltration_enabled && mask != 0 && soil != 0);
}

PETSC_EXTERN PetscErrorCode SbInfiltrationCreate(SbState *state, const SbScenario *sc, SbInfiltration *inf);
/* Move water from the surface (state depth) into the soil over dt: on each wet active cell the
   lesser of the ponded depth and the Green-Ampt increment (SbGreenAmptCellStep); dry cells
   recover. Adds the volume to the state's budget and the depth to state->infiltrated and to the
   root-zone store state->soil_water. */
PETSC_EXTERN PetscErrorCode SbInfiltrationStep(SbInfiltration inf, PetscReal dt);
PETSC_EXTERN PetscErrorCode SbInfiltrationDestroy(SbInfiltration *inf);
/* Register the per-cell Green-Ampt event state (F, F_u, T, IMD) with a checkpoint (checkpoint.h). */
PETSC_EXTERN PetscErrorCode SbInfiltrationCheckpointRegister(SbInfiltration inf, SbCheckpoint ck);

#endif
