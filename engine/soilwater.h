/* Root-zone soil-water store per cell: gains the Green-Ampt infiltration (infiltration.c adds it
   to state->soil_water), loses evapotranspiration (FAO-56 water-stress coefficient) and
   percolation (SWAT storage routing above field capacity). docs/hydrology.md. */
#ifndef SB_SOILWATER_H
#define SB_SOILWATER_H

#include "state.h"
#include "scenario.h"

typedef struct {
  PetscReal w_wp, w_fc, w_sat; /* water at wilting point, field capacity and saturation over the root depth, m */
  PetscReal w_stress;          /* below this (m) evapotranspiration falls linearly to 0 at w_wp: w_wp + (1 - p)(w_fc - w_wp) */
  PetscReal tt_s;              /* percolation travel time (w_sat - w_fc) / Ks, s */
} SbSoilColumn;

/* Parameters of a root zone of depth root_m of texture class soil, saturated conductivity ks_m_s
   and FAO-56 depletion fraction p. */
PETSC_EXTERN PetscErrorCode SbSoilColumnSet(PetscInt soil, PetscReal root_m, PetscReal ks_m_s, PetscReal p, SbSoilColumn *c);
/* One step of length dt of the store *w_m (m): evapotranspiration under the demand demand_m (m
   over the step, exact solution of dw/dt = -(demand/dt) Ks(w)), then percolation (water above
   saturation at once, then the excess over field capacity times 1 - exp(-dt/tt)). */
PETSC_EXTERN PetscErrorCode SbSoilColumnStep(const SbSoilColumn *c, PetscReal demand_m, PetscReal dt, PetscReal *w_m, PetscReal *et_m, PetscReal *perc_m);

typedef struct _p_SbSoilWater *SbSoilWater;

/* The initial water of each soil cell (where infiltration acts) is (theta_r + s_e theta_e) times
   the root depth, s_e the scenario's infiltration.initial_saturation. */
PETSC_EXTERN PetscErrorCode SbSoilWaterCreate(SbState *state, const SbScenario *sc, SbSoilWater *sw);
/* Evapotranspiration under state->et_demand and percolation into state->recharge (m this step). */
PETSC_EXTERN PetscErrorCode SbSoilWaterStep(SbSoilWater sw, PetscReal dt);
PETSC_EXTERN PetscErrorCode SbSoilWaterDestroy(SbSoilWater *sw);

#endif
