/* Forcing against published and hand-computed values (docs/hydrology.md, "Forcing").

   1. Extraterrestrial radiation, FAO-56 (Allen et al. 1998): Example 8, 20°S on 3 September
      (J = 246), Ra = 32.2 MJ m⁻² d⁻¹; Example 18, Brussels 50°48'N on 6 July (J = 187),
      Ra = 41.09 MJ m⁻² d⁻¹.
   2. Hargreaves, FAO-56 eq. 52: Lyon 45°43'N, 15 July, Tmax 26.6 °C, Tmin 14.8 °C gives
      ET0 = 5.0 mm/d (FAO-56, ch. 3, the Hargreaves example); the rate and its change at midnight
      through SbForcingPETAt; monthly values; daily temperatures from a CSV.
   3. Design storms: for the Chicago storm the depth of every window of duration d that holds the
      peak at fraction r equals the IDF depth P(d) = d a/(d + b)^c (Keifer & Chu 1957), for r = 0,
      0.3, 0.5, 1; the blocks hold the same depths; for the alternating block the largest sum of k
      consecutive blocks equals P(k Δt) for every k; the whole storm holds P(D).
   4. Weather generator: 400 years; per month the transition frequencies (p_wd, p_ww), the wet-day
      frequency, the mean and the variance of wet-day amounts against the parameters, each within
      4 standard errors computed from the sample size (see the tolerances below); determinism by
      seed; a run starting at 08:00 holds the day blocks clipped to it.
   5. CSV series: a good file gives the same series as inline; malformed text, NaN, negative
      values, times not increasing, a wrong column count, a missing file each give one line naming
      the file, line and column.
   6. Gauges: inverse-distance weights against hand-computed values on a 5 x 4 mesh, a cell on a
      gauge takes its value, an inactive cell gets none, the basin mean and the applied volume
      agree, on any number of ranks (the test runs at 1 and 2 ranks); on a geographic mesh the
      weights match great-circle distances to 1e-5. */
#include "forcing.h"
#include "grid.h"
#include "state.h"
#include "meshdata.h"
#include "sbtest.h"
#include <math.h>
#include <string.h>
#include <unistd.h>

static Test T;

#define CHECKF(cond, ...) \
  do { \
    char what_[512]; \
    snprintf(what_, sizeof(what_), __VA_ARGS__); \
    PetscCall(Check(&T, (cond) ? PETSC_TRUE : PETSC_FALSE, what_)); \
  } while (0)

static PetscBool Near(PetscReal a, PetscReal b, PetscReal rtol)
{
  return PetscAbsReal(a - b) <= rtol * PetscMax(PetscAbsReal(b), 1e-300) ? PETSC_TRUE : PETSC_FALSE;
}

static void Base(SbScenario *sc)
{
  memset(sc, 0, sizeof(*sc));
  snprintf(sc->start, sizeof(sc->start), "2021-07-20T08:00:00");
  sc->duration_s     = 24 * 3600.0;
  sc->rain_idw_power = 2;
  sc->pet_factor     = 1;
}

static PetscErrorCode TestPET(void)
{
  SbScenario sc;
  SbForcing  f;
  PetscReal  ra, et, pet, next;
  PetscReal  lo[12], hi[12], mon[12];

  PetscFunctionBeginUser;
  ra = SbExtraterrestrialRadiation(-20, 246);
  CHECKF(PetscAbsReal(ra - 32.2) < 0.05, "FAO-56 Example 8: Ra(20 S, J 246) = %.4f, published 32.2 MJ/m2/d", (double)ra);
  ra = SbExtraterrestrialRadiation(50 + 48.0 / 60, 187);
  CHECKF(PetscAbsReal(ra - 41.09) < 0.005, "FAO-56 Example 18: Ra(50 48' N, J 187) = %.4f, published 41.09 MJ/m2/d", (double)ra);
  et = SbHargreaves(14.8, 26.6, SbExtraterrestrialRadiation(45 + 43.0 / 60, 196));
  CHECKF(PetscAbsReal(et - 5.0) < 0.05, "FAO-56 Hargreaves, Lyon 15 July: ET0 = %.4f, published 5.0 mm/d", (double)et);
  /* hand: 0.0023 * (20 + 17.8) * sqrt(10) * 0.408 * 30 = 0.3367... */
  et = SbHargreaves(15, 25, 30);
  CHECKF(Near(et, 0.0023 * 37.8 * sqrt(10.0) * 0.408 * 30, 1e-14), "Hargreaves(15, 25, Ra 30) = %.10f mm/d by hand", (double)et);
  CHECKF(SbHargreaves(-40, -30, 30) == 0, "Hargreaves never negative (-40..-30 degC gives 0)");
  CHECKF(SbExtraterrestrialRadiation(80, 1) == 0, "polar night: Ra(80 N, 1 January) = 0");

  /* monthly: July, constant until midnight (start 08:00 -> 16 h) */
  Base(&sc);
  for (int m = 0; m < 12; m++) {
    mon[m] = m + 1;
    lo[m]  = 10 + m;
    hi[m]  = 20 + m;
  }
  sc.pet_present      = PETSC_TRUE;
  sc.pet_method       = SB_PET_MONTHLY;
  sc.pet_monthly_mm_d = mon;
  sc.pet_nmonthly     = 12;
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  PetscCall(SbForcingPETAt(f, 3600, &pet, &next));
  CHECKF(Near(pet, 7.0 / 8.64e7, 1e-14) && Near(next, 16 * 3600.0, 1e-14), "monthly PET in July: %.6e m/s (7 mm/d), next change %.0f s (midnight)", (double)pet, (double)next);
  PetscCall(SbForcingPETAt(f, 12 * 86400.0, &pet, &next));
  CHECKF(Near(pet, 8.0 / 8.64e7, 1e-14), "monthly PET on 1 August: 8 mm/d");
  PetscCall(SbForcingDestroy(&f));

  /* hargreaves with monthly mean temperatures: 20 July 2021 is day 201, 21 July day 202 */
  sc.pet_method       = SB_PET_HARGREAVES;
  sc.pet_latitude_deg = 32.5;
  sc.pet_tmin_c       = lo;
  sc.pet_tmax_c       = hi;
  sc.pet_ntmin = sc.pet_ntmax = 12;
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  PetscCall(SbForcingPETAt(f, 0, &pet, NULL));
  CHECKF(Near(pet * 8.64e7, SbHargreaves(16, 26, SbExtraterrestrialRadiation(32.5, 201)), 1e-13), "Hargreaves PET on 2021-07-20 (day 201, July means 16/26 degC): %.4f mm/d", (double)(pet * 8.64e7));
  PetscCall(SbForcingPETAt(f, 16 * 3600.0, &pet, NULL));
  CHECKF(Near(pet * 8.64e7, SbHargreaves(16, 26, SbExtraterrestrialRadiation(32.5, 202)), 1e-13), "Hargreaves PET from midnight uses day 202");
  PetscCall(SbForcingDestroy(&f));
  /* forcing.pet.factor multiplies either method */
  sc.pet_factor = 0.8;
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  PetscCall(SbForcingPETAt(f, 0, &pet, NULL));
  CHECKF(Near(pet * 8.64e7, 0.8 * SbHargreaves(16, 26, SbExtraterrestrialRadiation(32.5, 201)), 1e-13), "forcing.pet.factor 0.8: %.4f mm/d, 0.8 times Hargreaves", (double)(pet * 8.64e7));
  PetscCall(SbForcingDestroy(&f));
  sc.pet_method = SB_PET_MONTHLY;
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  PetscCall(SbForcingPETAt(f, 3600, &pet, NULL));
  CHECKF(Near(pet, 0.8 * 7.0 / 8.64e7, 1e-14), "forcing.pet.factor 0.8 on monthly PET: %.4f mm/d (5.6)", (double)(pet * 8.64e7));
  PetscCall(SbForcingDestroy(&f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestStorms(void)
{
  const PetscReal a = 1500, b = 10, c = 0.75, D = 120, step = 5;
  const PetscInt  n = 24;
  const PetscReal rs[4] = {0, 0.3, 0.5, 1};
  PetscReal       mm_h[24], worst = 0;
  SbScenario      sc;
  SbForcing       f;

  PetscFunctionBeginUser;
  /* continuous Chicago: every window holding the peak at fraction r */
  for (int q = 0; q < 4; q++) {
    const PetscReal r = rs[q], tp = r * D;

    for (PetscReal d = 1; d <= D; d += 1) {
      const PetscReal got = SbChicagoCumulative(a, b, c, r, D, tp + (1 - r) * d) - SbChicagoCumulative(a, b, c, r, D, tp - r * d), want = d * a / pow(d + b, c) / 60;

      worst = PetscMax(worst, PetscAbsReal(got - want) / want);
    }
  }
  CHECKF(worst < 1e-13, "Chicago: depth of every window of d = 1..120 min around the peak = IDF depth, r in {0, 0.3, 0.5, 1}: worst relative difference %.2e", (double)worst);

  /* blocks, r = 0.5: the 2k blocks centred on the peak (60 min) hold P(10 k min) */
  PetscCall(SbDesignStorm(SB_RAIN_CHICAGO, a, b, c, 0.5, step, n, mm_h));
  worst = 0;
  for (PetscInt k = 1; k <= n / 2; k++) {
    PetscReal s = 0;

    for (PetscInt i = n / 2 - k; i < n / 2 + k; i++) s += mm_h[i] * step / 60;
    worst = PetscMax(worst, PetscAbsReal(s - SbIdfDepth(a, b, c, 2 * k * step)) / SbIdfDepth(a, b, c, 2 * k * step));
  }
  CHECKF(worst < 1e-13, "Chicago blocks of 5 min, r = 0.5: centred windows of 10..120 min hold the IDF depth, worst %.2e", (double)worst);

  /* alternating block: the best window of k blocks holds P(k step) */
  for (int q = 0; q < 4; q++) {
    PetscCall(SbDesignStorm(SB_RAIN_ALTERNATING_BLOCK, a, b, c, rs[q], step, n, mm_h));
    worst = 0;
    for (PetscInt k = 1; k <= n; k++) {
      PetscReal best = 0;

      for (PetscInt i = 0; i + k <= n; i++) {
        PetscReal s = 0;

        for (PetscInt j = i; j < i + k; j++) s += mm_h[j] * step / 60;
        best = PetscMax(best, s);
      }
      worst = PetscMax(worst, PetscAbsReal(best - SbIdfDepth(a, b, c, k * step)) / SbIdfDepth(a, b, c, k * step));
    }
    CHECKF(worst < 1e-13, "alternating block, r = %.1f: the largest k-block depth = IDF depth P(5k min) for k = 1..24, worst %.2e", (double)rs[q], (double)worst);
  }

  /* the storm as forcing: starts at 2 h, no rain before or after, total P(120 min) */
  Base(&sc);
  sc.rain_type        = SB_RAIN_CHICAGO;
  sc.storm_a          = a;
  sc.storm_b_min      = b;
  sc.storm_c          = c;
  sc.storm_peak       = 0.4;
  sc.storm_duration_s = D * 60;
  sc.storm_step_s     = step * 60;
  sc.storm_start_s    = 7200;
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  {
    PetscReal t = 0, r, next, depth = 0, r0, n0;

    PetscCall(SbForcingRainAt(f, 0, &r0, &n0));
    while (t < sc.duration_s) {
      PetscCall(SbForcingRainAt(f, t, &r, &next));
      next = PetscMin(next, sc.duration_s);
      depth += r * (next - t) * 1000;
      t = next;
    }
    CHECKF(r0 == 0 && n0 == 7200, "Chicago forcing: dry until the start at 2 h (next change %.0f s)", (double)n0);
    CHECKF(Near(depth, SbIdfDepth(a, b, c, D), 1e-13), "Chicago forcing holds %.6f mm, P(120 min) = %.6f mm", (double)depth, (double)SbIdfDepth(a, b, c, D));
    PetscCall(SbForcingBasinDepth(f, 0, sc.duration_s, &depth));
    CHECKF(Near(depth, SbIdfDepth(a, b, c, D), 1e-13), "SbForcingBasinDepth of the Chicago forcing: %.6f mm", (double)depth);
    /* peak at 0.4 x 120 = 48 min; the 20 min holding it at 0.4 (40 to 60 min) are whole blocks */
    PetscCall(SbForcingBasinDepth(f, 7200 + 40 * 60, 7200 + 60 * 60, &depth));
    CHECKF(Near(depth, SbIdfDepth(a, b, c, 20), 1e-12), "SbForcingBasinDepth over the 20 min around the peak (r = 0.4): %.6f mm = P(20 min) %.6f mm", (double)depth, (double)SbIdfDepth(a, b, c, 20));
  }
  PetscCall(SbForcingDestroy(&f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A generator scenario with the parameters of q (gp holds its monthly arrays). */
static void GeneratorScenario(SbScenario *sc, const SbWeatherParams *q, PetscReal gp[4][12], const char *start, PetscReal duration_s)
{
  Base(sc);
  snprintf(sc->start, sizeof(sc->start), "%s", start);
  sc->duration_s = duration_s;
  sc->rain_type  = SB_RAIN_GENERATOR;
  for (int m = 0; m < 12; m++) {
    gp[0][m] = q->p_wd[m];
    gp[1][m] = q->p_ww[m];
    gp[2][m] = q->mean_mm[m];
    gp[3][m] = q->shape[m];
  }
  sc->gen_p_wd           = gp[0];
  sc->gen_p_ww           = gp[1];
  sc->gen_mean_mm        = gp[2];
  sc->gen_shape          = gp[3];
  sc->gen_seed           = q->seed;
  sc->gen_max_duration_h = q->max_duration_h;
}

static PetscErrorCode TestGenerator(void)
{
  /* Monthly parameters of the order of the upper Han river (wet summers); shape below and above 1. */
  const SbWeatherParams p = {
    .p_wd = {0.10, 0.14, 0.20, 0.25, 0.28, 0.32, 0.38, 0.33, 0.30, 0.22, 0.14, 0.09},
    .p_ww = {0.45, 0.50, 0.55, 0.58, 0.60, 0.62, 0.60, 0.58, 0.62, 0.60, 0.50, 0.42},
    .mean_mm = {3.5, 4.5, 6.0, 8.0, 10.5, 13.0, 17.0, 15.0, 12.0, 8.5, 5.0, 3.0},
    .shape = {0.60, 0.65, 0.70, 0.75, 0.80, 0.70, 0.65, 0.70, 0.75, 1.50, 2.50, 0.55},
    .max_duration_h = 12,
    .seed = 20250101,
  };
  const PetscInt day0 = SbDaysFromCivil(1601, 1, 1), nd = SbDaysFromCivil(2001, 1, 1) - day0; /* 400 years */
  PetscReal     *mm, *mm2, *prob;
  PetscInt      *sh, *dh, *sh2, *dh2, bad_block = 0, differ = 0;
  PetscInt       ndry[12] = {0}, kdw[12] = {0}, nwet[12] = {0}, kww[12] = {0}, ndays[12] = {0}, wetdays[12] = {0};
  PetscReal      sum[12] = {0}, sum2[12] = {0}, expect_wet[12] = {0}, prev = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(nd, &mm, nd, &sh, nd, &dh, nd, &prob));
  PetscCall(PetscMalloc3(nd, &mm2, nd, &sh2, nd, &dh2));
  PetscCall(SbWeatherGenerate(&p, day0, nd, mm, sh, dh));
  PetscCall(SbWeatherGenerate(&p, day0, nd / 2, mm2, sh2, dh2));
  for (PetscInt i = 0; i < nd / 2; i++)
    if (mm[i] != mm2[i] || sh[i] != sh2[i] || dh[i] != dh2[i]) differ++;
  CHECKF(differ == 0, "generator: the same seed gives the same days (a 200-year run is the first half of the 400-year one), %" PetscInt_FMT " differ", differ);
  {
    SbWeatherParams q = p;

    q.seed = p.seed + 1;
    PetscCall(SbWeatherGenerate(&q, day0, nd / 2, mm2, sh2, dh2));
    differ = 0;
    for (PetscInt i = 0; i < nd / 2; i++) differ += mm[i] != mm2[i];
    CHECKF(differ > nd / 10, "generator: another seed gives another sequence (%" PetscInt_FMT " days differ)", differ);
  }
  /* P(wet) day by day from the chain with the same start (stationary of January) */
  {
    const PetscReal den = 1 - p.p_ww[0] + p.p_wd[0];

    prev = p.p_wd[0] / den;
  }
  for (PetscInt i = 0; i < nd; i++) {
    PetscInt m;

    SbCivilFromDays(day0 + i, NULL, &m, NULL, NULL);
    m--;
    prob[i] = prev * p.p_ww[m] + (1 - prev) * p.p_wd[m];
    prev    = prob[i];
    expect_wet[m] += prob[i];
    ndays[m]++;
    if (mm[i] > 0) {
      wetdays[m]++;
      sum[m] += mm[i];
      sum2[m] += mm[i] * mm[i];
      if (dh[i] < 1 || dh[i] > p.max_duration_h || sh[i] < 0 || sh[i] + dh[i] > 24) bad_block++;
    }
    if (i > 0) {
      if (mm[i - 1] > 0) {
        nwet[m]++;
        kww[m] += mm[i] > 0;
      } else {
        ndry[m]++;
        kdw[m] += mm[i] > 0;
      }
    }
  }
  CHECKF(bad_block == 0, "generator: every wet day's block lies within its day and lasts 1..12 h");
  for (PetscInt m = 0; m < 12; m++) {
    /* Tolerances, 4 standard errors from the sample size:
       - transitions: Bernoulli trials given the previous day, se = sqrt(p (1 - p) / n);
       - wet-day frequency: a two-state chain's count over N days has variance
         N pi (1 - pi) (1 + rho) / (1 - rho), rho = p_ww - p_wd its lag-1 autocorrelation;
       - mean amount: gamma with mean mu and shape k has sd mu / sqrt(k), se = mu / sqrt(k n). */
    const PetscReal pwd = (PetscReal)kdw[m] / ndry[m], pww = (PetscReal)kww[m] / nwet[m];
    const PetscReal se_wd = PetscSqrtReal(p.p_wd[m] * (1 - p.p_wd[m]) / ndry[m]), se_ww = PetscSqrtReal(p.p_ww[m] * (1 - p.p_ww[m]) / nwet[m]);
    const PetscReal pi = expect_wet[m] / ndays[m], rho = p.p_ww[m] - p.p_wd[m];
    const PetscReal se_f = PetscSqrtReal(ndays[m] * pi * (1 - pi) * (1 + rho) / (1 - rho)) / ndays[m];
    const PetscReal mean = sum[m] / wetdays[m], se_mu = p.mean_mm[m] / PetscSqrtReal(p.shape[m] * wetdays[m]);

    CHECKF(PetscAbsReal(pwd - p.p_wd[m]) < 4 * se_wd, "month %2d: p_wd %.4f, parameter %.4f, |diff| %.4f < 4 se = %.4f (n = %" PetscInt_FMT " dry days)", (int)m + 1, (double)pwd, (double)p.p_wd[m], (double)PetscAbsReal(pwd - p.p_wd[m]), (double)(4 * se_wd), ndry[m]);
    CHECKF(PetscAbsReal(pww - p.p_ww[m]) < 4 * se_ww, "month %2d: p_ww %.4f, parameter %.4f, |diff| %.4f < 4 se = %.4f (n = %" PetscInt_FMT " wet days)", (int)m + 1, (double)pww, (double)p.p_ww[m], (double)PetscAbsReal(pww - p.p_ww[m]), (double)(4 * se_ww), nwet[m]);
    CHECKF(PetscAbsReal((PetscReal)wetdays[m] / ndays[m] - pi) < 4 * se_f, "month %2d: wet-day frequency %.4f, from the chain %.4f, |diff| < 4 se = %.4f", (int)m + 1, (double)wetdays[m] / ndays[m], (double)pi, (double)(4 * se_f));
    /* variance mu^2 / k: a gamma's excess kurtosis is 6/k, so the sample variance has se
       sigma^2 sqrt((2 + 6/k) / n) */
    const PetscReal var = (sum2[m] - wetdays[m] * mean * mean) / (wetdays[m] - 1), var_p = p.mean_mm[m] * p.mean_mm[m] / p.shape[m];
    const PetscReal se_var = var_p * PetscSqrtReal((2 + 6 / p.shape[m]) / wetdays[m]);

    CHECKF(PetscAbsReal(var - var_p) < 4 * se_var, "month %2d: variance of wet-day rain %.2f mm2, mean^2/shape %.2f, |diff| < 4 se = %.2f", (int)m + 1, (double)var, (double)var_p, (double)(4 * se_var));
    CHECKF(PetscAbsReal(mean - p.mean_mm[m]) < 4 * se_mu, "month %2d: mean wet-day rain %.3f mm, parameter %.3f, |diff| %.3f < 4 se = %.3f", (int)m + 1, (double)mean, (double)p.mean_mm[m], (double)PetscAbsReal(mean - p.mean_mm[m]), (double)(4 * se_mu));
  }
  PetscCall(PetscFree4(mm, sh, dh, prob));
  PetscCall(PetscFree3(mm2, sh2, dh2));

  /* as forcing from midnight: the series holds the generated days' rain */
  {
    SbScenario sc;
    SbForcing  f;
    PetscReal  gp[4][12], t = 0, r, next, depth = 0, want = 0, dmm[30];
    PetscInt   dsh[30], ddh[30];

    SbWeatherParams q = p;

    q.seed = 7;
    GeneratorScenario(&sc, &q, gp, "2021-06-01T00:00:00", 30 * 86400.0);
    PetscCall(SbForcingCreate(NULL, &sc, &f));
    while (t < sc.duration_s) {
      PetscCall(SbForcingRainAt(f, t, &r, &next));
      next = PetscMin(next, sc.duration_s);
      depth += r * (next - t) * 1000;
      t = next;
    }
    PetscCall(SbForcingDestroy(&f));
    PetscCall(SbWeatherGenerate(&q, SbDaysFromCivil(2021, 6, 1), 30, dmm, dsh, ddh));
    for (int i = 0; i < 30; i++) want += dmm[i];
    CHECKF(Near(depth, want, 1e-12) && want > 0, "generator forcing, June 2021: series holds %.6f mm, the generated days %.6f mm", (double)depth, (double)want);
  }
  /* a run from 08:00 for 3 days: the blocks clipped to [8 h, 80 h) of the calendar days */
  {
    SbScenario sc;
    SbForcing  f;
    PetscReal  gp[4][12], depth, want = 0, dmm[4];
    PetscInt   dsh[4], ddh[4];
    SbWeatherParams q = p;

    for (int m = 0; m < 12; m++) q.p_wd[m] = q.p_ww[m] = 0.9; /* wet almost every day, so that blocks cross 08:00 */
    q.seed           = 11;
    q.max_duration_h = 24;
    GeneratorScenario(&sc, &q, gp, "2021-07-01T08:00:00", 3 * 86400.0);
    PetscCall(SbWeatherGenerate(&q, SbDaysFromCivil(2021, 7, 1), 4, dmm, dsh, ddh));
    for (int i = 0; i < 4; i++) {
      const PetscReal a0 = 24.0 * i + dsh[i], a1 = a0 + ddh[i], lo = PetscMax(a0, 8.0), hi = PetscMin(a1, 80.0);

      if (ddh[i] > 0 && hi > lo) want += dmm[i] / ddh[i] * (hi - lo);
    }
    PetscCall(SbForcingCreate(NULL, &sc, &f));
    PetscCall(SbForcingBasinDepth(f, 0, sc.duration_s, &depth));
    PetscCall(SbForcingDestroy(&f));
    CHECKF(Near(depth, want, 1e-12) && want > 0, "generator from 08:00 for 3 days: %.6f mm, the day blocks clipped to the run by hand %.6f mm", (double)depth, (double)want);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteText(const char *path, const char *text)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    FILE *fp = fopen(path, "w");

    PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot write %s", path);
    fputs(text, fp);
    fclose(fp);
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* SbForcingCreate fails with PETSC_ERR_USER_INPUT and a one-line message holding expect. */
static PetscErrorCode ExpectFail(SbGrid *g, const SbScenario *sc, const char *expect)
{
  Capture        cap = {0, ""};
  SbForcing      f   = NULL;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbForcingCreate(g, sc, &f);
  PetscCall(PetscPopErrorHandler());
  if (!ierr) PetscCall(SbForcingDestroy(&f));
  CHECKF(ierr == PETSC_ERR_USER_INPUT && strstr(cap.msg, expect) && !strchr(cap.msg, '\n'), "error \"%s\" (expected \"%s\")", cap.msg, expect);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestCsv(const char *dir)
{
  SbScenario sc;
  SbForcing  f;
  char       expect[PETSC_MAX_PATH_LEN + 200];
  PetscReal  r, next;
  static const struct {
    const char *name, *text, *expect;
  } bad[] = {
    {"text.csv", "time_h,intensity_mm_h\n0,2\n1,abc\n", "line 3, column 2 (intensity_mm_h): expected a finite number, got \"abc\""},
    {"nan.csv", "time_h,intensity_mm_h\n0,2\n1,nan\n", "line 3, column 2 (intensity_mm_h): expected a finite number, got \"nan\""},
    {"negative.csv", "0,2\n1.5,-3\n", "line 2, column 2 (intensity_mm_h): expected a number in [0, 500] (mm/h), got \"-3\""},
    {"order.csv", "time_h,intensity_mm_h\n0,2\n2,1\n2,4\n", "line 4, column 1 (time_h): expected a number > 2 (times strictly increasing), got \"2\""},
    {"first.csv", "time_h,intensity_mm_h\n0.5,2\n", "line 2, column 1 (time_h): expected 0 (the first rain step starts with the scenario), got \"0.5\""},
    {"columns.csv", "time_h,intensity_mm_h\n0,2\n1,3,4\n", "line 3: expected 2 columns (time_h,intensity_mm_h), got 3"},
    {"empty_field.csv", "0,2\n1,\n", "line 2, column 2 (intensity_mm_h): expected a finite number, got \"\""},
    {"header_only.csv", "time_h,intensity_mm_h\n", "expected lines of time_h,intensity_mm_h, got none"},
  };

  PetscFunctionBeginUser;
  Base(&sc);
  snprintf(sc.rain_csv, sizeof(sc.rain_csv), "%s/good.csv", dir);
  PetscCall(WriteText(sc.rain_csv, "# a comment\ntime_h, intensity_mm_h\r\n0, 2\n\n3,8\n5,25\r\n7,0\n"));
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  PetscCall(SbForcingRainAt(f, 4 * 3600.0, &r, &next));
  CHECKF(Near(r, 8 / 3.6e6, 1e-15) && next == 5 * 3600.0, "CSV series: 8 mm/h from 3 h to 5 h (got %g mm/h, next %g s)", (double)(r * 3.6e6), (double)next);
  PetscCall(SbForcingRainAt(f, 1e6, &r, &next));
  CHECKF(r == 0 && next == PETSC_MAX_REAL, "CSV series: last step to the end");
  PetscCall(SbForcingDestroy(&f));
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    snprintf(sc.rain_csv, sizeof(sc.rain_csv), "%s/%s", dir, bad[i].name);
    PetscCall(WriteText(sc.rain_csv, bad[i].text));
    snprintf(expect, sizeof(expect), "%s: %s", sc.rain_csv, bad[i].expect);
    PetscCall(ExpectFail(NULL, &sc, expect));
  }
  snprintf(sc.rain_csv, sizeof(sc.rain_csv), "%s/none.csv", dir);
  snprintf(expect, sizeof(expect), "%s: cannot read file: No such file or directory", sc.rain_csv);
  PetscCall(ExpectFail(NULL, &sc, expect));

  /* daily temperatures */
  Base(&sc);
  sc.rain_type = SB_RAIN_CHICAGO;
  sc.storm_a = 1000, sc.storm_b_min = 10, sc.storm_c = 0.7, sc.storm_duration_s = 3600, sc.storm_step_s = 600, sc.storm_peak = 0.5;
  sc.pet_present      = PETSC_TRUE;
  sc.pet_method       = SB_PET_HARGREAVES;
  sc.pet_latitude_deg = 32.5;
  sc.duration_s       = 2 * 86400.0; /* 20 July 08:00 to 22 July 08:00 */
  snprintf(sc.pet_csv, sizeof(sc.pet_csv), "%s/temps.csv", dir);
  PetscCall(WriteText(sc.pet_csv, "date,tmin_c,tmax_c\n2021-07-20,22.0,31.5\n2021-07-21,23.5,33.0\n2021-07-22,21.0,30.0\n"));
  PetscCall(SbForcingCreate(NULL, &sc, &f));
  PetscCall(SbForcingPETAt(f, 20 * 3600.0, &r, &next)); /* 21 July 04:00 */
  CHECKF(Near(r * 8.64e7, SbHargreaves(23.5, 33.0, SbExtraterrestrialRadiation(32.5, 202)), 1e-13) && Near(next, 40 * 3600.0, 1e-14), "PET from daily CSV, 21 July: %.4f mm/d", (double)(r * 8.64e7));
  PetscCall(SbForcingDestroy(&f));
  sc.duration_s = 3 * 86400.0;
  snprintf(expect, sizeof(expect), "%s: expected every day of the run, 2021-07-20 to 2021-07-23, got 2021-07-20 to 2021-07-22", sc.pet_csv);
  PetscCall(ExpectFail(NULL, &sc, expect));
  PetscCall(WriteText(sc.pet_csv, "2021-07-20,22.0,31.5\n2021-07-22,23.5,33.0\n"));
  snprintf(expect, sizeof(expect), "%s: line 2, column 1 (date): expected the next day, 2021-07-21 (one line per day), got \"2021-07-22\"", sc.pet_csv);
  PetscCall(ExpectFail(NULL, &sc, expect));
  PetscCall(WriteText(sc.pet_csv, "2021-07-20,22.0,21.5\n"));
  snprintf(expect, sizeof(expect), "%s: line 1, column 3 (tmax_c): expected a number in [-90, 60] (degC), >= tmin_c (22), got \"21.5\"", sc.pet_csv);
  PetscCall(ExpectFail(NULL, &sc, expect));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Write an nx x ny mesh of cells of size cs at (xll, yll), every cell active but cell `inactive`
   (-1: none), and open it as a grid. */
static PetscErrorCode MakeGrid(const char *path, PetscInt nx, PetscInt ny, PetscReal cs, PetscReal xll, PetscReal yll, PetscBool geographic, PetscInt inactive, SbGrid **g)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    SbMeshData *m;

    PetscCall(SbMeshDataCreate(nx, ny, &m));
    m->cellsize   = cs;
    m->xll        = xll;
    m->yll        = yll;
    m->geographic = geographic;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt k = 0; k < nx * ny; k++) {
      m->mask[k]           = k != inactive;
      m->flow_direction[k] = k == 0 ? 0 : SB_D8_W;
      m->region[k]         = k != inactive;
    }
    m->ngauges = 1;
    PetscCall(PetscCalloc1(1, &m->gauges));
    PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", SB_MAX_NAME));
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, path, g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Two gauges with an inline series of nt steps (vals: [time][gauge]). */
static void TwoGauges(SbScenario *sc, PetscReal *gx, PetscReal *gy, PetscInt nt, PetscReal *times, PetscReal *vals)
{
  Base(sc);
  sc->rain_type    = SB_RAIN_GAUGES;
  sc->rain_ngauges = sc->rain_ngauges_y = 2;
  sc->rain_gauge_x = gx;
  sc->rain_gauge_y = gy;
  sc->nrain        = nt;
  sc->rain_time_s  = times;
  sc->nrain_values = 2 * nt;
  sc->rain_mm_h    = vals;
}

/* 5 x 4 cells of 100 m, xll = yll = 0: cell (row j, col i) has its centre at (50 + 100 i, 350 - 100 j).
   Cell (3, 4) is outside the basin. */
static PetscErrorCode TestGauges(const char *dir)
{
  SbScenario  sc;
  SbForcing   f;
  SbGrid     *g;
  SbState    *s;
  Vec         field;
  char        mesh[PETSC_MAX_PATH_LEN], csv[PETSC_MAX_PATH_LEN];
  PetscReal   gx[2] = {50, 420}, gy[2] = {350, 30}, times[2] = {0, 3600}, vals[4] = {10, 40, 0, 20};
  PetscReal   mean, next, vol, want_vol = 0, worst = 0;

  PetscFunctionBeginUser;
  snprintf(mesh, sizeof(mesh), "%s/gauges.h5", dir);
  PetscCall(MakeGrid(mesh, 5, 4, 100, 0, 0, PETSC_FALSE, 19, &g));
  PetscCall(SbStateCreate(g, &s));
  TwoGauges(&sc, gx, gy, 2, times, vals);
  PetscCall(SbForcingCreate(g, &sc, &f));
  PetscCall(DMCreateGlobalVector(g->da, &field));
  for (int step = 0; step < 2; step++) {
    const PetscReal *v = vals + 2 * step;
    PetscReal      **r, sum_a = 0, sum_ar = 0, tot[2];

    PetscCall(SbForcingRain(f, step * 3600.0 + 1, field));
    PetscCall(DMDAVecGetArrayRead(g->da, field, &r));
    for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
      for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
        const PetscReal x = 50 + 100 * i, y = 350 - 100 * j;
        const PetscReal d0 = (x - 50) * (x - 50) + (y - 350) * (y - 350), d1 = (x - 420) * (x - 420) + (y - 30) * (y - 30); /* squared: p = 2 */
        PetscReal       want;

        if (j == 3 && i == 4) want = 0;
        else if (d0 == 0) want = v[0];
        else want = (v[0] / d0 + v[1] / d1) / (1 / d0 + 1 / d1);
        worst = PetscMax(worst, PetscAbsReal(r[j][i] * 3.6e6 - want) / PetscMax(want, 1));
        if (!(j == 3 && i == 4)) {
          sum_a += 1e4;
          sum_ar += 1e4 * want;
        }
      }
    PetscCall(DMDAVecRestoreArrayRead(g->da, field, &r));
    tot[0] = sum_a;
    tot[1] = sum_ar;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, tot, 2, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
    PetscCall(SbForcingRainAt(f, step * 3600.0 + 1, &mean, &next));
    CHECKF(Near(mean * 3.6e6, tot[1] / tot[0], 1e-13), "gauges, step %d: basin mean %.10f mm/h, by hand %.10f", step, (double)(mean * 3.6e6), (double)(tot[1] / tot[0]));
    if (step == 0) {
      CHECKF(next == 3600, "gauges: next change at 1 h");
      PetscCall(SbForcingRainApply(f, s, 600));
      want_vol = tot[1] / 3.6e6 * 600;
    }
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  CHECKF(worst < 1e-13, "gauges: inverse-distance rain of every cell against the hand formula (p = 2), the gauge's own cell and the inactive one: worst %.2e", (double)worst);
  PetscCallMPI(MPI_Allreduce(&s->budget.rain_m3, &vol, 1, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  CHECKF(Near(vol, want_vol, 1e-13), "gauges: 10 min of rain adds %.6f m3, by hand %.6f m3", (double)vol, (double)want_vol);
  PetscCall(SbForcingDestroy(&f));

  /* the same gauges from a CSV (time_h, gauge 1, gauge 2) */
  snprintf(csv, sizeof(csv), "%s/gauges.csv", dir);
  PetscCall(WriteText(csv, "time_h,g1,g2\n0,10,40\n1,0,20\n"));
  PetscCall(PetscStrncpy(sc.rain_csv, csv, sizeof(sc.rain_csv)));
  sc.nrain = sc.nrain_values = 0;
  PetscCall(SbForcingCreate(g, &sc, &f));
  {
    PetscReal m2;

    PetscCall(SbForcingRainAt(f, 3601, &m2, &next));
    CHECKF(Near(m2, mean, 1e-15), "gauges from CSV: the same basin mean as inline");
  }
  PetscCall(SbForcingDestroy(&f));
  PetscCall(WriteText(csv, "time_h,g1,g2\n0,10,40\n1,-1,20\n"));
  {
    char expect[PETSC_MAX_PATH_LEN + 100];

    snprintf(expect, sizeof(expect), "%s: line 3, column 2 (gauge 1): expected a number in [0, 500] (mm/h), got \"-1\"", csv);
    PetscCall(ExpectFail(g, &sc, expect));
  }
  PetscCall(VecDestroy(&field));
  PetscCall(SbStateDestroy(&s));
  PetscCall(SbGridDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A geographic mesh of 4 x 3 cells of 0.01 degree at 32 N, gauges 1.5 to 6 km away: the weights
   use equirectangular distances, which differ from great-circle (haversine) distances by less than
   1e-5 relative at these distances, so the rain matches the haversine-weighted value to 1e-5. */
static PetscErrorCode TestGaugesGeographic(const char *dir)
{
  const PetscReal xll = 110, yll = 32, cs = 0.01, deg = PETSC_PI / 180;
  SbScenario      sc;
  SbForcing       f;
  SbGrid         *g;
  Vec             field;
  char            mesh[PETSC_MAX_PATH_LEN];
  PetscReal       gx[2] = {110.005, 110.05}, gy[2] = {32.025, 31.99}, times[1] = {0}, vals[2] = {10, 40}, worst = 0;
  PetscReal     **r;

  PetscFunctionBeginUser;
  snprintf(mesh, sizeof(mesh), "%s/geo.h5", dir);
  PetscCall(MakeGrid(mesh, 4, 3, cs, xll, yll, PETSC_TRUE, -1, &g));
  TwoGauges(&sc, gx, gy, 1, times, vals);
  PetscCall(SbForcingCreate(g, &sc, &f));
  PetscCall(DMCreateGlobalVector(g->da, &field));
  PetscCall(SbForcingRain(f, 0, field));
  PetscCall(DMDAVecGetArrayRead(g->da, field, &r));
  for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
      const PetscReal lon = xll + (i + 0.5) * cs, lat = yll + (3 - j - 0.5) * cs;
      PetscReal       w[2], want;

      for (int q = 0; q < 2; q++) { /* haversine */
        const PetscReal h = PetscSqr(PetscSinReal((lat - gy[q]) * deg / 2)) + PetscCosReal(lat * deg) * PetscCosReal(gy[q] * deg) * PetscSqr(PetscSinReal((lon - gx[q]) * deg / 2));
        const PetscReal d = 2 * SB_EARTH_RADIUS_M * PetscAsinReal(PetscSqrtReal(h));

        w[q] = d > 0 ? 1 / (d * d) : -1;
      }
      want = w[0] < 0 ? vals[0] : (vals[0] * w[0] + vals[1] * w[1]) / (w[0] + w[1]);
      worst = PetscMax(worst, PetscAbsReal(r[j][i] * 3.6e6 - want) / want);
    }
  PetscCall(DMDAVecRestoreArrayRead(g->da, field, &r));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  CHECKF(worst < 1e-5, "gauges on a geographic mesh (0.01 deg at 32 N) against haversine inverse-distance weights: worst relative difference %.2e", (double)worst);
  PetscCall(VecDestroy(&field));
  PetscCall(SbForcingDestroy(&f));
  PetscCall(SbGridDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  char        dir[64] = "/tmp/sb_forcing_XXXXXX";
  PetscMPIInt rank;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) PetscCheck(mkdtemp(dir), PETSC_COMM_SELF, PETSC_ERR_SYS, "mkdtemp failed");
  PetscCallMPI(MPI_Bcast(dir, sizeof(dir), MPI_CHAR, 0, PETSC_COMM_WORLD));
  PetscCall(TestPET());
  PetscCall(TestStorms());
  PetscCall(TestGenerator());
  PetscCall(TestCsv(dir));
  PetscCall(TestGauges(dir));
  PetscCall(TestGaugesGeographic(dir));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (rank == 0) {
    char cmd[128];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    if (system(cmd)) PetscCall(PetscPrintf(PETSC_COMM_SELF, "could not remove %s\n", dir));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &T.failures, 1, MPIU_INT, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s: %" PetscInt_FMT " checks, %" PetscInt_FMT " failure(s)\n", T.failures ? "FAIL" : "PASS", T.checks, T.failures));
  PetscCall(PetscFinalize());
  return T.failures ? 1 : 0;
}
