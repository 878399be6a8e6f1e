/* The weather of scenarios/hanjiang-baseline.json against the published climate of the
   Danjiangkou catchment (shared data hanjiang/SOURCES.md, section 5, from the gc5.com article
   "丹江口库区及上游水土流失现状及防治对策"): mean annual precipitation 987 mm, 80 % of it in
   May-October, mean temperature 12.2 degC. docs/hanjiang.md, "Climate".

   200 generated years (2001-2200, the scenario's seed): the annual mean must lie within 3 standard
   errors (sd of the annual totals / sqrt(200)) of 987 mm and the May-October share within 3
   standard errors of 0.80; the mean of the monthly (tmin + tmax)/2, weighted by the days of the
   months, must be 12.2 degC to 0.01 degC; the scenario's forcing holds exactly the generated rain
   of its 10 years. */
#include "sbtest.h"
#include "scenario.h"
#include "forcing.h"
#include <math.h>

#ifndef SB_SOURCE_DIR
  #error "SB_SOURCE_DIR must be defined"
#endif

#define NYEARS 200

int main(int argc, char **argv)
{
  Test            t = {{0}, 0, 0};
  SbScenario     *sc;
  SbWeatherParams p;
  SbForcing       f;
  PetscInt        day0, day1, nd;
  PetscReal      *mm, annual[NYEARS] = {0}, summer[NYEARS] = {0}, mean = 0, sd = 0, share = 0, sds = 0, tsum = 0, dsum = 0, ten = 0, depth;
  PetscInt       *sh, *dh;
  char            msg[512];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(SbScenarioLoad(PETSC_COMM_WORLD, SB_SOURCE_DIR "/scenarios/hanjiang-baseline.json", &sc));
  PetscCheck(sc->rain_type == SB_RAIN_GENERATOR, PETSC_COMM_SELF, PETSC_ERR_PLIB, "hanjiang-baseline.json: expected the generator");
  SbWeatherParamsFromScenario(sc, &p);
  day0             = SbDaysFromCivil(2001, 1, 1);
  day1             = SbDaysFromCivil(2001 + NYEARS, 1, 1);
  nd               = day1 - day0;
  PetscCall(PetscMalloc3(nd, &mm, nd, &sh, nd, &dh));
  PetscCall(SbWeatherGenerate(&p, day0, nd, mm, sh, dh));
  for (PetscInt i = 0; i < nd; i++) {
    PetscInt y, m, d, doy;

    SbCivilFromDays(day0 + i, &y, &m, &d, &doy);
    annual[y - 2001] += mm[i];
    if (m >= 5 && m <= 10) summer[y - 2001] += mm[i];
    if (y < 2011) ten += mm[i];
  }
  for (PetscInt k = 0; k < NYEARS; k++) {
    mean += annual[k] / NYEARS;
    share += summer[k] / annual[k] / NYEARS;
  }
  for (PetscInt k = 0; k < NYEARS; k++) {
    sd += PetscSqr(annual[k] - mean) / (NYEARS - 1);
    sds += PetscSqr(summer[k] / annual[k] - share) / (NYEARS - 1);
  }
  sd  = PetscSqrtReal(sd);
  sds = PetscSqrtReal(sds);
  (void)snprintf(msg, sizeof(msg), "annual rain %.1f mm (sd %.1f mm, se %.1f mm) within 3 se of the published 987 mm", (double)mean, (double)sd, (double)(sd / PetscSqrtReal(NYEARS)));
  PetscCall(Check(&t, (PetscBool)(PetscAbsReal(mean - 987.0) <= 3 * sd / PetscSqrtReal(NYEARS)), msg));
  (void)snprintf(msg, sizeof(msg), "May-October share %.4f (sd %.4f, se %.4f) within 3 se of the published 0.80", (double)share, (double)sds, (double)(sds / PetscSqrtReal(NYEARS)));
  PetscCall(Check(&t, (PetscBool)(PetscAbsReal(share - 0.80) <= 3 * sds / PetscSqrtReal(NYEARS)), msg));
  {
    /* days of the months over the 400-year Gregorian cycle */
    static const PetscReal days[12] = {31, 28.2425, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

    for (PetscInt m = 0; m < 12; m++) {
      tsum += days[m] * 0.5 * (sc->pet_tmin_c[m] + sc->pet_tmax_c[m]);
      dsum += days[m];
    }
    (void)snprintf(msg, sizeof(msg), "mean temperature %.3f degC, published 12.2 degC (to 0.01)", (double)(tsum / dsum));
    PetscCall(Check(&t, (PetscBool)(PetscAbsReal(tsum / dsum - 12.2) <= 0.01), msg));
  }
  PetscCall(SbForcingCreate(NULL, sc, &f));
  PetscCall(SbForcingBasinDepth(f, 0.0, sc->duration_s, &depth));
  PetscCall(SbForcingDestroy(&f));
  (void)snprintf(msg, sizeof(msg), "the scenario's 10 years hold the generated rain: %.6f mm, generated %.6f mm (%.1f mm/a)", (double)depth, (double)ten, (double)(ten / 10));
  PetscCall(Check(&t, (PetscBool)(PetscAbsReal(depth - ten) <= 1e-9 * ten), msg));
  PetscCall(PetscFree3(mm, sh, dh));
  PetscCall(SbScenarioDestroy(&sc));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " checks, %" PetscInt_FMT " failed\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
