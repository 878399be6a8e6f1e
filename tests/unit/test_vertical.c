/* The vertical water balance, cell by cell, against hand computations (docs/hydrology.md).

   1. Canopy capacity, von Hoyningen-Huene (1981): S = 0.935 + 0.498 LAI - 0.00575 LAI^2 mm; LAI 5
      gives 3.28125 mm; forest on 15 July (LAI 5.0995 by hydro_tables.c) 3.32502 mm.
   2. Canopy bucket: capacity 2 mm, rain 1.5 mm twice with PET 0.2 mm per step: caught 1.5 then
      0.7 mm, store 1.3 then 1.8 mm; dry, it empties in 9 steps of 0.2 mm; a capacity fallen to
      1 mm drips the excess 0.8 mm.
   3. Green-Ampt recovery (SWMM 5, Rossman & Huber 2016, Reference Manual Vol. I §4.3) on the silt
      loam of Chow et al. (1988) Example 4.3.1 (Ks 0.65 cm/h, psi 16.68 cm, theta_e 0.486,
      s_e 0.3): L_u = 4 sqrt(0.2559 in/h) in = 5.1396 cm, k_r = 0.0067449 /h, T_r = 8.8955 h,
      F_umax = 0.3402 L_u = 1.74851 cm. Storm 1, ponded 1 h: F = 3.16559 cm (F_u full). Three dry
      days: F_u = F_umax (1 - 72 k_r) = 0.899370 cm, a new event with IMD = 72 k_r IMD_max =
      0.165213, S = 2.75576 cm: storm 2 (1 h ponded) infiltrates 2.34872 cm by
      F - S ln(1 + F/S) = Ks t, against 1.58682 cm had the soil not recovered. After only 4 dry
      hours (< T_r) the event goes on from F = 3.16559 - 4 k_r F_umax = 3.11842 cm: 1.59703 cm.
   4. Root zone (silt loam, 1 m, p = 0.5; w_wp 0.133, w_fc 0.330, w_sat 0.501, w* 0.2315 m;
      TT = 0.171 m / 0.65 cm/h = 94707.7 s): from 0.40 m, a day at 5 mm/d: ET 5 mm, percolation
      (0.395 - 0.330)(1 - e^(-86400/TT)) = 0.0388955 m. From 0.20 m, 10 days at 5 mm/d:
      w = 0.133 + 0.067 exp(-0.05/0.0985) = 0.173329 m, in one step or ten. From 0.235 m, a day
      at 10 mm/d: 3.5 mm at the potential rate, then exponential: w = 0.225210 m. From 0.55 m:
      0.049 m at once plus the storage routing.
   5. Linear reservoir: S(t) = S0 exp(-t/k) (k = 10 d, hourly and irregular steps, 30 days) and,
      with a constant recharge q, S(t) = q k + (S0 - q k) exp(-t/k).
   6. Calendar and monthly PET. */
#include "interception.h"
#include "infiltration.h"
#include "soilwater.h"
#include "groundwater.h"
#include "evapotranspiration.h"
#include "hydro_tables.h"
#include "meshdata.h"
#include "sbtest.h"

static PetscBool Close(PetscReal a, PetscReal b, PetscReal rtol)
{
  return (PetscBool)(PetscAbsReal(a - b) <= rtol * PetscAbsReal(b));
}

/* Ponded for duration_s in steps of dt (1 m of water: the supply never limits); returns the
   infiltrated depth. */
static PetscErrorCode Ponded(SbGreenAmptCell *c, PetscReal duration_s, PetscReal dt, PetscReal *F)
{
  PetscFunctionBeginUser;
  *F = 0;
  for (PetscReal t = 0; t < duration_s - 0.5 * dt; t += dt) {
    PetscReal dF;

    PetscCall(SbGreenAmptCellStep(c, 1.0, dt, &dF));
    *F += dF;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Dry(SbGreenAmptCell *c, PetscReal duration_s, PetscReal dt)
{
  PetscFunctionBeginUser;
  for (PetscReal t = 0; t < duration_s - 0.5 * dt; t += dt) {
    PetscReal dF;

    PetscCall(SbGreenAmptCellStep(c, 0.0, dt, &dF));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t;
  char what[512];

  memset(&t, 0, sizeof(t));
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));

  /* 1. Capacity. */
  {
    SbLandUseProperties p;
    PetscReal           cap, lai;

    PetscCall(SbCanopyCapacity(5.0, &cap));
    PetscCall(PetscSNPrintf(what, sizeof(what), "canopy capacity at LAI 5: %.6f mm (3.28125)", (double)(1e3 * cap)));
    PetscCall(Check(&t, Close(cap, 3.28125e-3, 1e-12), what));
    PetscCall(SbLandUsePropertiesGet(SB_LU_FOREST, &p));
    PetscCall(SbLeafAreaIndex(&p, 196, &lai));
    PetscCall(SbCanopyCapacity(lai, &cap));
    PetscCall(PetscSNPrintf(what, sizeof(what), "forest on 15 July: LAI %.5f (5.09948), capacity %.5f mm (3.32502)", (double)lai, (double)(1e3 * cap)));
    PetscCall(Check(&t, (PetscBool)(Close(lai, 5.099483305191292, 1e-12) && Close(cap, 3.3250154886006964e-3, 1e-12)), what));
    PetscCall(SbCanopyCapacity(0.0, &cap));
    PetscCall(Check(&t, (PetscBool)(cap == 0), "no leaves, no capacity"));
  }

  /* 2a. Aston (1979) after Merriam (1960), as LISFLOOD's eq. 2-6 and 2-8 (van der Knijff, Younis &
     de Roo 2010, Int. J. Geogr. Inf. Sci. 24:189; LISFLOOD manual): LAI 4, S = 0.935 + 0.498*4 -
     0.00575*16 = 2.835 mm, k = 0.046*4 = 0.184; 5 mm of rain on a dry canopy:
     Int = 2.835 (1 - exp(-0.184*5/2.835)) = 0.785641236 mm. Five steps of 1 mm (no evaporation) fill
     the same store: the incremental form is exact for any step. */
  {
    const PetscReal S = 2.835e-3, k = 0.046 * 4;
    PetscReal       C = 0, caught, evap, C5 = 0, sum = 0;

    PetscCall(SbCanopyStep(S, k, 5e-3, 0.0, &C, &caught, &evap));
    PetscCall(PetscSNPrintf(what, sizeof(what), "Aston: LAI 4, 5 mm on a dry canopy: caught %.9f mm (0.785641236, LISFLOOD eq. 2-6)", (double)(1e3 * caught)));
    PetscCall(Check(&t, Close(caught, 0.785641236352418e-3, 1e-12), what));
    for (PetscInt i = 0; i < 5; i++) {
      PetscCall(SbCanopyStep(S, k, 1e-3, 0.0, &C5, &caught, &evap));
      sum += caught;
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "Aston: five steps of 1 mm store %.12f mm, one of 5 mm %.12f mm", (double)(1e3 * C5), (double)(1e3 * C)));
    PetscCall(Check(&t, (PetscBool)(Close(C5, C, 1e-12) && Close(sum, C, 1e-12)), what));
    PetscCall(SbCanopyStep(S, k, 1.0, 0.0, &C, &caught, &evap));
    PetscCall(PetscSNPrintf(what, sizeof(what), "Aston: 1 m of rain fills the store to its capacity: %.9f mm (2.835)", (double)(1e3 * C)));
    PetscCall(Check(&t, Close(C, S, 1e-12), what));
  }

  /* 2b. Bucket (k infinite). */
  {
    PetscReal C = 0, caught, evap, c1, c2, total = 0;
    PetscInt  n = 0;

    PetscCall(SbCanopyStep(2e-3, PETSC_INFINITY, 1.5e-3, 0.2e-3, &C, &caught, &evap));
    c1 = caught;
    PetscCall(SbCanopyStep(2e-3, PETSC_INFINITY, 1.5e-3, 0.2e-3, &C, &caught, &evap));
    c2 = caught;
    PetscCall(PetscSNPrintf(what, sizeof(what), "canopy 2 mm, rain 1.5 mm twice, PET 0.2 mm: caught %.4f and %.4f mm (1.5, 0.7), store %.4f mm (1.8)", (double)(1e3 * c1), (double)(1e3 * c2), (double)(1e3 * C)));
    PetscCall(Check(&t, (PetscBool)(Close(c1, 1.5e-3, 1e-12) && Close(c2, 0.7e-3, 1e-12) && Close(C, 1.8e-3, 1e-12)), what));
    while (C > 0 && n < 100) {
      PetscCall(SbCanopyStep(2e-3, PETSC_INFINITY, 0.0, 0.2e-3, &C, &caught, &evap));
      total += evap;
      n++;
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "dry canopy empties at the potential rate: %" PetscInt_FMT " steps (9), %.4f mm evaporated (1.8)", n, (double)(1e3 * total)));
    PetscCall(Check(&t, (PetscBool)(n == 9 && Close(total, 1.8e-3, 1e-12)), what));
    C = 1.8e-3;
    PetscCall(SbCanopyStep(1e-3, PETSC_INFINITY, 0.0, 0.0, &C, &caught, &evap));
    PetscCall(PetscSNPrintf(what, sizeof(what), "capacity fallen to 1 mm under a 1.8 mm store: %.4f mm drip (-0.8 caught)", (double)(-1e3 * caught)));
    PetscCall(Check(&t, (PetscBool)(Close(caught, -0.8e-3, 1e-12) && Close(C, 1e-3, 1e-12)), what));
  }

  /* 3. Green-Ampt recovery, two storms. */
  {
    PetscReal       ks, psi, te, por, F1, F2;
    SbGreenAmptCell c, c0;

    PetscCall(SbGreenAmptParameters(SB_SOIL_SILT_LOAM, &ks, &psi, &te, &por));
    PetscCall(SbGreenAmptCellInit(ks, psi, (1 - 0.3) * te, &c0));
    PetscCall(PetscSNPrintf(what, sizeof(what), "SWMM upper zone: L_u %.5f cm (5.13965), k_r %.7f /h (0.0067449), T_r %.4f h (8.8955)", (double)(100 * c0.lu), (double)(3600 * c0.kr), (double)(c0.tr / 3600)));
    PetscCall(Check(&t, (PetscBool)(Close(c0.lu, 0.05139649793517065, 1e-12) && Close(c0.kr * 3600, 0.006744947235586699, 1e-12) && Close(c0.tr / 3600, 8.895547719548764, 1e-12)), what));
    c = c0;
    PetscCall(Ponded(&c, 3600, 60, &F1));
    PetscCall(Dry(&c, 72 * 3600, 3600));
    PetscCall(Ponded(&c, 3600, 60, &F2));
    PetscCall(PetscSNPrintf(what, sizeof(what), "two storms 72 h apart: storm 1 %.5f cm (3.16559), storm 2 %.5f cm (2.34872; 1.58682 without recovery)", (double)(100 * F1), (double)(100 * F2)));
    PetscCall(Check(&t, (PetscBool)(Close(F1, 0.03165594991311604, 1e-9) && Close(F2, 0.023487205502812536, 1e-9)), what));
    c = c0;
    PetscCall(Ponded(&c, 3600, 60, &F1));
    PetscCall(Dry(&c, 4 * 3600, 1800));
    PetscCall(Ponded(&c, 3600, 60, &F2));
    PetscCall(PetscSNPrintf(what, sizeof(what), "two storms 4 h apart (< T_r, one event): storm 2 %.5f cm (1.59703)", (double)(100 * F2)));
    PetscCall(Check(&t, Close(F2, 0.01597034032351472, 1e-9), what));
    /* A very long dry spell restores the initial deficit: storm 2 equals storm 1. */
    c = c0;
    PetscCall(Ponded(&c, 3600, 60, &F1));
    PetscCall(Dry(&c, 200 * 3600, 3600));
    PetscCall(Ponded(&c, 3600, 60, &F2));
    PetscCall(PetscSNPrintf(what, sizeof(what), "after 200 dry hours (> 1/k_r = 148 h) storm 2 = storm 1: %.6f and %.6f cm", (double)(100 * F2), (double)(100 * F1)));
    PetscCall(Check(&t, Close(F2, F1, 1e-12), what));
  }

  /* 4. Root zone. */
  {
    SbSoilColumn col;
    PetscReal    ks, psi, te, por, w, et, perc, w1, sum_et = 0;

    PetscCall(SbGreenAmptParameters(SB_SOIL_SILT_LOAM, &ks, &psi, &te, &por));
    PetscCall(SbSoilColumnSet(SB_SOIL_SILT_LOAM, 1.0, ks, 0.5, &col));
    PetscCall(PetscSNPrintf(what, sizeof(what), "silt loam 1 m: w_wp %.3f, w_fc %.3f, w_sat %.3f, w* %.4f m, TT %.1f s (0.133, 0.330, 0.501, 0.2315, 94707.7)", (double)col.w_wp, (double)col.w_fc, (double)col.w_sat, (double)col.w_stress, (double)col.tt_s));
    PetscCall(Check(&t, (PetscBool)(Close(col.w_stress, 0.2315, 1e-12) && Close(col.tt_s, 94707.6923076923, 1e-12)), what));
    w = 0.40;
    PetscCall(SbSoilColumnStep(&col, 0.005, 86400, &w, &et, &perc));
    PetscCall(PetscSNPrintf(what, sizeof(what), "from 0.40 m, a day at 5 mm/d: ET %.6f m (0.005), percolation %.7f m (0.0388955)", (double)et, (double)perc));
    PetscCall(Check(&t, (PetscBool)(Close(et, 0.005, 1e-12) && Close(perc, 0.038895529892740525, 1e-12) && Close(w, 0.3561044701072595, 1e-12)), what));
    w = 0.20;
    PetscCall(SbSoilColumnStep(&col, 0.05, 864000, &w, &et, &perc));
    w1 = w;
    w  = 0.20;
    for (int d = 0; d < 10; d++) {
      PetscCall(SbSoilColumnStep(&col, 0.005, 86400, &w, &et, &perc));
      sum_et += et;
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "from 0.20 m (stressed), 10 days at 5 mm/d: w %.6f m in one step, %.6f m in ten (0.173329), no percolation", (double)w1, (double)w));
    PetscCall(Check(&t, (PetscBool)(Close(w1, 0.17332930622138779, 1e-12) && Close(w, 0.17332930622138779, 1e-12) && Close(sum_et, 0.026670693778612226, 1e-10) && perc == 0), what));
    w = 0.235;
    PetscCall(SbSoilColumnStep(&col, 0.01, 86400, &w, &et, &perc));
    PetscCall(PetscSNPrintf(what, sizeof(what), "from 0.235 m, a day at 10 mm/d: 3.5 mm unstressed then stressed, w %.6f m (0.225210)", (double)w));
    PetscCall(Check(&t, Close(w, 0.22520982626834068, 1e-12), what));
    w = 0.55;
    PetscCall(SbSoilColumnStep(&col, 0.0, 3600, &w, &et, &perc));
    PetscCall(PetscSNPrintf(what, sizeof(what), "from 0.55 m (above saturation), an hour: percolation %.7f m (0.0553780)", (double)perc));
    PetscCall(Check(&t, (PetscBool)(Close(perc, 0.0553780125222269, 1e-12) && et == 0), what));
    w = 0.10;
    PetscCall(SbSoilColumnStep(&col, 0.005, 86400, &w, &et, &perc));
    PetscCall(Check(&t, (PetscBool)(w == 0.10 && et == 0 && perc == 0), "below the wilting point: no evapotranspiration, no percolation"));
  }

  /* 5. Linear reservoir. */
  {
    const PetscReal k = 10 * 86400.0, S0 = 1e6, q = 2.0; /* m³/s */
    PetscReal       S = S0, Sn, rel, tt = 0, worst = 0, out = 0;
    PetscInt        i = 0;

    while (tt < 30 * 86400.0) {
      const PetscReal dt = (i++ % 3 == 0) ? 3600.0 : 600.0 * (1 + i % 7); /* irregular steps */

      PetscCall(SbLinearReservoirStep(S, 0.0, dt, k, &Sn, &rel));
      S = Sn;
      out += rel;
      tt += dt;
      worst = PetscMax(worst, PetscAbsReal(S / (S0 * PetscExpReal(-tt / k)) - 1));
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "recession S0 exp(-t/k), k = 10 d, irregular steps over 30 d: worst relative difference %.2e (< 1e-12); release + storage = S0 to %.1e", (double)worst, (double)PetscAbsReal((out + S) / S0 - 1)));
    PetscCall(Check(&t, (PetscBool)(worst < 1e-12 && PetscAbsReal((out + S) / S0 - 1) < 1e-14), what));
    S  = S0;
    tt = 0;
    for (int n = 0; n < 24 * 30; n++) {
      PetscCall(SbLinearReservoirStep(S, q * 3600.0, 3600.0, k, &Sn, &rel));
      S = Sn;
      tt += 3600.0;
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "recharge 2 m3/s: S(30 d) = %.6e m3, q k + (S0 - q k) exp(-t/k) = %.6e m3", (double)S, (double)(q * k + (S0 - q * k) * PetscExpReal(-tt / k))));
    PetscCall(Check(&t, Close(S, q * k + (S0 - q * k) * PetscExpReal(-tt / k), 1e-12), what));
  }

  /* 6. Calendar and monthly PET. */
  {
    PetscInt   m, d;
    SbScenario sc;
    PetscReal  monthly[12], pet;

    PetscCall(SbCalendarAt("2021-07-20T08:00:00", 0.0, &m, &d));
    PetscCall(Check(&t, (PetscBool)(m == 7 && d == 201), "2021-07-20 is day 201, July"));
    PetscCall(SbCalendarAt("2021-07-20T08:00:00", 16 * 3600.0, &m, &d));
    PetscCall(Check(&t, (PetscBool)(m == 7 && d == 202), "16 h after 08:00 is the next day"));
    PetscCall(SbCalendarAt("2020-02-28T12:00:00", 86400.0, &m, &d));
    PetscCall(Check(&t, (PetscBool)(m == 2 && d == 60), "2020-02-29 (leap year) is day 60, February"));
    PetscCall(SbCalendarAt("2020-12-31T12:00:00", 12 * 3600.0, &m, &d));
    PetscCall(Check(&t, (PetscBool)(m == 1 && d == 1), "2020-12-31 + 12 h is 1 January"));
    memset(&sc, 0, sizeof(sc));
    PetscCall(PetscStrncpy(sc.start, "2021-01-31T00:00:00", sizeof(sc.start)));
    for (int i = 0; i < 12; i++) monthly[i] = (i + 1) * 1e-3 / 86400;
    sc.pet_m_s         = 9;
    sc.npet_monthly    = 12;
    sc.pet_monthly_m_s = monthly;
    PetscCall(SbPotentialEvapotranspirationAt(&sc, NULL, 86400.0, &pet));
    PetscCall(Check(&t, Close(pet, 2e-3 / 86400, 1e-15), "monthly PET: 1 February takes February's value"));
    sc.npet_monthly = 0;
    PetscCall(SbPotentialEvapotranspirationAt(&sc, NULL, 86400.0, &pet));
    PetscCall(Check(&t, (PetscBool)(pet == 9), "without monthly values the constant applies"));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " passed, %" PetscInt_FMT " failed\n", t.checks - t.failures, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
