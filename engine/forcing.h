/* Meteorological forcing: rain (uniform series inline or from CSV, gauges with inverse-distance
   weights, Chicago and alternating-block design storms, a seeded daily weather generator) and
   potential evapotranspiration (Hargreaves or monthly values). docs/hydrology.md, "Forcing".

   Everything heavy happens in SbForcingCreate: CSV files are read and checked, design storms and
   generated weather become piecewise-constant series, gauge weights are computed per cell. In the
   time loop SbForcingRainAt finds the current step of the series with a cursor (O(1) for the
   forward-moving loop), and SbForcingRainApply adds the rain, without allocating. */
#ifndef SB_FORCING_H
#define SB_FORCING_H

#include "scenario.h"
#include "state.h"

typedef struct _p_SbForcing *SbForcing;

/* Collective on grid->comm. Reads the CSV files on rank 0 (errors: one line naming the file, the
   line and the column, PETSC_ERR_USER_INPUT, on every rank), builds the series, and for gauges the
   per-cell weights. grid may be NULL to check the forcing and read its series without a mesh
   (`shuibao scenario check`, tests): then nothing may be applied to a state, and the basin mean of
   gauge rain is the gauges' plain mean. */
PETSC_EXTERN PetscErrorCode SbForcingCreate(SbGrid *grid, const SbScenario *sc, SbForcing *f);
PETSC_EXTERN PetscErrorCode SbForcingDestroy(SbForcing *f);

/* Rain at t_s: its basin mean (area weighted, m/s) over the step of the series holding t_s, and the
   time at which the rain next changes (PETSC_MAX_REAL if never). Not collective: the basin-mean
   weights are reduced once at set-up. Also makes that step the one SbForcingRainApply adds. */
PETSC_EXTERN PetscErrorCode SbForcingRainAt(SbForcing f, PetscReal t_s, PetscReal *mean_m_s, PetscReal *next_change_s);
/* Add the rain of the step chosen by the last SbForcingRainAt, times dt (s), to every active owned
   cell of state, and its volume to state->budget.rain_m3. dt must not cross next_change_s. */
PETSC_EXTERN PetscErrorCode SbForcingRainApply(SbForcing f, SbState *state, PetscReal dt);
/* The rain per cell (m/s, on grid->da) that the last SbForcingRainApply added, or NULL when the
   rain is uniform (then it is the mean of SbForcingRainAt); owned by f. */
PETSC_EXTERN PetscErrorCode SbForcingRainField(SbForcing f, Vec *field);
/* Rain intensity (m/s) of every owned cell at t_s into a global vector on grid->da (0 outside the
   basin). Costs one pass over the cells times the number of gauges; for other modules' set-up or
   output, not for every step. */
PETSC_EXTERN PetscErrorCode SbForcingRain(SbForcing f, PetscReal t_s, Vec rain_m_s);

/* Depth (mm) of the basin-mean rain between t0_s and t1_s (e.g. daily totals for the annual
   assessment). Not collective; leaves the time loop's cursor alone. */
PETSC_EXTERN PetscErrorCode SbForcingBasinDepth(SbForcing f, PetscReal t0_s, PetscReal t1_s, PetscReal *mm);
/* The same for n consecutive intervals [edges_s[i], edges_s[i+1]) (edges_s[0..n], non-decreasing)
   in one pass over the series: mm[i] equals SbForcingBasinDepth on interval i to the bit. */
PETSC_EXTERN PetscErrorCode SbForcingBasinDepths(SbForcing f, PetscInt n, const PetscReal *edges_s, PetscReal *mm);

/* Potential evapotranspiration, for the vertical water balance. The rate is uniform over the basin
   and constant over each calendar day of the scenario's clock (time.start is local time): the daily
   amount ET0 (mm/d) spread evenly, rate = ET0 / 8.64e7 m/s. Without "forcing.pet" the rate is 0.
   SbForcingPETAt: the rate at t_s and the next time it changes (the next midnight, or
   PETSC_MAX_REAL without PET); cheap (a few trigonometric calls), no allocation.
   SbForcingPET: the same rate into every owned cell of a global vector on grid->da (inactive cells
   get it too; multiply by the mask where that matters). */
PETSC_EXTERN PetscErrorCode SbForcingPETAt(SbForcing f, PetscReal t_s, PetscReal *pet_m_s, PetscReal *next_change_s);
PETSC_EXTERN PetscErrorCode SbForcingPET(SbForcing f, PetscReal t_s, Vec pet_m_s);
PETSC_EXTERN PetscErrorCode SbForcingHasPET(SbForcing f, PetscBool *has);

/* Uniform rain at rain_m_s: add rain_m_s * dt to every active owned cell and the volume (m³) to
   state->budget.rain_m3. */
PETSC_EXTERN PetscErrorCode SbRainApply(SbState *state, PetscReal rain_m_s, PetscReal dt);

/* ---- The formulas, exposed for the tests (tests/unit/test_forcing.c) ---- */

/* Extraterrestrial radiation Ra (MJ m⁻² d⁻¹) at latitude lat_deg on day of year doy (1..366), FAO-56
   (Allen et al. 1998) eqs. 21, 23, 24, 25; polar day and night clamp the sunset hour angle. */
PETSC_EXTERN PetscReal SbExtraterrestrialRadiation(PetscReal lat_deg, PetscInt doy);
/* Hargreaves ET0 (mm/d), FAO-56 eq. 52: 0.0023 (Tmean + 17.8) (Tmax − Tmin)^0.5 · 0.408 Ra, Tmean =
   (Tmin + Tmax)/2, Ra in MJ m⁻² d⁻¹; never negative. */
PETSC_EXTERN PetscReal SbHargreaves(PetscReal tmin_c, PetscReal tmax_c, PetscReal ra_mj_m2_d);
/* IDF depth (mm) of duration d_min: d · a/(d + b)^c / 60, i in mm/h. */
PETSC_EXTERN PetscReal SbIdfDepth(PetscReal a, PetscReal b_min, PetscReal c, PetscReal d_min);
/* Cumulative depth (mm) of a Chicago storm (Keifer & Chu 1957) of duration D_min, peak at r D,
   from its start to t_min (0 <= t_min <= D_min). */
PETSC_EXTERN PetscReal SbChicagoCumulative(PetscReal a, PetscReal b_min, PetscReal c, PetscReal r, PetscReal D_min, PetscReal t_min);
/* Block intensities (mm/h) of a design storm: n blocks of step_min; chicago or alternating block. */
PETSC_EXTERN PetscErrorCode SbDesignStorm(SbRainType type, PetscReal a, PetscReal b_min, PetscReal c, PetscReal r, PetscReal step_min, PetscInt n, PetscReal *mm_h);

/* Daily weather generator (Richardson 1981). Parameters by month (index 0 = January). */
typedef struct {
  PetscReal p_wd[12], p_ww[12], mean_mm[12], shape[12];
  PetscInt  max_duration_h;
  PetscInt  seed;
} SbWeatherParams;
/* ndays days from the calendar day day0 (days since 1970-01-01): amount (mm), and the first hour and
   length in hours of the day's rain block (0 on dry days). Deterministic in (params, day0, ndays). */
/* The generator's parameters of the scenario's forcing.rain (type "generator"). */
PETSC_EXTERN void SbWeatherParamsFromScenario(const SbScenario *sc, SbWeatherParams *p);
PETSC_EXTERN PetscErrorCode SbWeatherGenerate(const SbWeatherParams *p, PetscInt day0, PetscInt ndays, PetscReal *mm, PetscInt *start_h, PetscInt *duration_h);
/* Days since 1970-01-01 of a Gregorian date, and back (month 1..12); day of year 1..366. */
PETSC_EXTERN PetscInt SbDaysFromCivil(PetscInt y, PetscInt m, PetscInt d);
PETSC_EXTERN void     SbCivilFromDays(PetscInt days, PetscInt *y, PetscInt *m, PetscInt *d, PetscInt *doy);

#endif
