/* Canopy interception: a store per cell whose capacity follows the leaf area index of its land use
   through the year (von Hoyningen-Huene 1981, hydro_tables.h). Rain fills it as S (1 - exp(-k P / S)) (Aston 1979) or, as a bucket, first; it evaporates
   at the potential rate; the rest (throughfall) stays on the ground. docs/hydrology.md. */
#ifndef SB_INTERCEPTION_H
#define SB_INTERCEPTION_H

#include "state.h"
#include "scenario.h"

typedef struct _p_SbInterception *SbInterception;

/* One step of a canopy store holding *storage_m of capacity capacity_m: of the step's rain depth
   rain_m it takes (capacity - storage)(1 - exp(-k rain / capacity)) (Merriam 1960, Aston 1979; k =
   0.046 LAI), all of it up to the room left when k is PETSC_INFINITY (a bucket), and negative when the
   capacity fell below the storage (the excess drips to the ground); then it evaporates
   min(storage, pet_m). */
PETSC_EXTERN PetscErrorCode SbCanopyStep(PetscReal capacity_m, PetscReal k, PetscReal rain_m, PetscReal pet_m, PetscReal *storage_m, PetscReal *caught_m, PetscReal *evaporated_m);

PETSC_EXTERN PetscErrorCode SbInterceptionCreate(SbState *state, const SbScenario *sc, SbInterception *ic);
/* Over [t_s, t_s + dt): the rain rain_m_s has already been added to the surface depth; take back
   what the canopy catches, evaporate the canopy at pet_m_s, and leave in state->et_demand the
   potential depth the canopy did not use (for the soil). Capacities are renewed once per
   calendar day. Adds to the state's budget. */
/* rain_m_s: the step's rain where it is uniform; rain_field: the rain per cell (m/s, on grid->da)
   where it is not (gauges; SbForcingRainField), or NULL. */
PETSC_EXTERN PetscErrorCode SbInterceptionStep(SbInterception ic, PetscReal t_s, PetscReal rain_m_s, Vec rain_field, PetscReal pet_m_s, PetscReal dt);
PETSC_EXTERN PetscErrorCode SbInterceptionDestroy(SbInterception *ic);

#endif
