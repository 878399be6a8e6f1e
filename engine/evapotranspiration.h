/* Potential evapotranspiration of the vertical water balance, uniform over the basin: a constant
   or a mean for each calendar month (scenario "evapotranspiration"). Kept apart from forcing.c so
   that a computed PET (e.g. Hargreaves) can later take its place behind the same call. */
#ifndef SB_EVAPOTRANSPIRATION_H
#define SB_EVAPOTRANSPIRATION_H

#include "scenario.h"
#include "forcing.h"

/* Calendar month (1..12) and day of year (1..366) at t_s seconds after start ("YYYY-MM-DDThh:mm:ss",
   proleptic Gregorian calendar, no time zone); an input error naming the text if it is malformed. */
PETSC_EXTERN PetscErrorCode SbCalendarAt(const char *start, PetscReal t_s, PetscInt *month, PetscInt *doy);
/* Potential evapotranspiration (m/s) at t_s: the forcing's PET when the scenario has forcing.pet
   (Hargreaves or monthly, forcing.c; forcing may be NULL), otherwise
   evapotranspiration.monthly_mm_d of the month when given, otherwise evapotranspiration.pet_mm_d. */
PETSC_EXTERN PetscErrorCode SbPotentialEvapotranspirationAt(const SbScenario *sc, SbForcing forcing, PetscReal t_s, PetscReal *pet_m_s);

#endif
