/* Green-Ampt infiltration against published and analytic cases.

   1. Chow, Maidment & Mays (1988), Applied Hydrology, Example 4.3.1: silt loam (Rawls et al.
      1983: theta_e 0.486, psi 16.7 cm, Ks 0.65 cm/h), initial effective saturation 0.3, ponded
      for one hour: F = 3.17 cm and f = 1.81 cm/h.
   2. The implicit solution F - S ln(1 + F/S) = Ks t, solved here by bisection, against the sum of
      the module's step increments (the increments are exact, so any step size must agree).
   3. Ponding time under constant rain r > Ks (Mein & Larson 1973; Chow et al. 1988, eq. 4.4.2):
      t_p = Ks S / (r (r - Ks)), for the same silt loam at r = 5 cm/h (Chow et al. Example 4.4.1:
      0.17 h), reached by the module's supply-limited steps of 1 s within 1 %.
   4. The increment solver alone, over F from 0 to 10 S, S from 1 mm to 1 m and Ks dt from 1e-9 S
      to 100 S (sub-second storm steps to a dry month's step), against a bisection of
      dF - S ln(1 + dF/(S + F)) = Ks dt in long double: relative difference below 1e-13. */
#include "infiltration.h"
#include "meshdata.h"
#include "sbtest.h"
#include <math.h>

static PetscReal ImplicitF(PetscReal ks, PetscReal S, PetscReal t)
{
  PetscReal lo = 0, hi = ks * t + PetscSqrtReal(2 * S * ks * t) + 1.0;

  for (int i = 0; i < 200; i++) {
    const PetscReal m = 0.5 * (lo + hi);

    if (m - S * PetscLogReal(1 + m / S) < ks * t) lo = m;
    else hi = m;
  }
  return 0.5 * (lo + hi);
}

/* The increment dF from F over Ks dt = a, by bisection in long double (the reference of case 4). */
static long double IncrementReference(long double F, long double S, long double a)
{
  long double lo = a, hi = a + sqrtl(2 * S * a) + a + 1;

  while (hi - S * log1pl(hi / (S + F)) < a) hi *= 2;
  for (int i = 0; i < 300; i++) {
    const long double m = 0.5L * (lo + hi);

    if (m - S * log1pl(m / (S + F)) < a) lo = m;
    else hi = m;
  }
  return 0.5L * (lo + hi);
}

int main(int argc, char **argv)
{
  Test      t;
  PetscReal ks, psi, te, por, S, F = 0, dF, f, worst = 0;
  char      what[256];

  memset(&t, 0, sizeof(t));
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(SbGreenAmptParameters(SB_SOIL_SILT_LOAM, &ks, &psi, &te, &por));
  S = psi * (1 - 0.3) * te;

  /* 1. Published example: one hour in one step. */
  PetscCall(SbGreenAmptIncrement(0.0, ks, S, 3600.0, &F));
  f = ks * (1 + S / F);
  PetscCall(PetscSNPrintf(what, sizeof(what), "Chow et al. Example 4.3.1: F(1 h) = %.4f cm (3.17), f = %.4f cm/h (1.81), within 1%%", (double)(100 * F), (double)(100 * 3600 * f)));
  PetscCall(Check(&t, (PetscBool)(PetscAbsReal(100 * F / 3.17 - 1) < 0.01 && PetscAbsReal(100 * 3600 * f / 1.81 - 1) < 0.01), what));

  /* 2. Step increments against the implicit solution, several step sizes, up to 6 h. */
  for (PetscReal dt = 1.0; dt <= 1800.0; dt *= 30.0) {
    F = 0;
    for (PetscReal tt = 0; tt < 6 * 3600.0 - 0.5 * dt; tt += dt) {
      PetscCall(SbGreenAmptIncrement(F, ks, S, dt, &dF));
      F += dF;
      if (PetscAbsReal(PetscFmodReal(tt + dt, 3600.0)) < 0.5 * dt) worst = PetscMax(worst, PetscAbsReal(F / ImplicitF(ks, S, tt + dt) - 1));
    }
  }
  PetscCall(PetscSNPrintf(what, sizeof(what), "sum of step increments (dt 1 s, 30 s, 900 s) = implicit solution hourly to 6 h: worst relative difference %.2e (< 1e-9)", (double)worst));
  PetscCall(Check(&t, (PetscBool)(worst < 1e-9), what));

  /* 3. Ponding time at r = 5 cm/h with supply-limited steps of 1 s. */
  {
    const PetscReal r = 0.05 / 3600.0, tp = ks * S / (r * (r - ks)), dt = 1.0;
    PetscReal       h = 0, tt = 0;

    F = 0;
    while (tt < 3600.0) {
      h += r * dt;
      PetscCall(SbGreenAmptIncrement(F, ks, S, dt, &dF));
      dF = PetscMin(dF, h);
      h -= dF;
      F += dF;
      tt += dt;
      if (h > 1e-12) break;
    }
    PetscCall(PetscSNPrintf(what, sizeof(what), "ponding at r = 5 cm/h after %.0f s; Mein-Larson t_p = %.1f s (0.17 h), within 1%%", (double)tt, (double)tp));
    PetscCall(Check(&t, (PetscBool)(PetscAbsReal(tt / tp - 1) < 0.01 && PetscAbsReal(tp / 3600.0 - 0.17) < 0.005), what));
  }

  /* 4. The increment solver over the whole range of its arguments. */
  {
    PetscReal worst4 = 0;

    for (PetscReal Sm = 1e-3; Sm <= 1.0001; Sm *= 10.0)
      for (PetscReal fr = 0; fr <= 10.0; fr = fr ? fr * 10.0 : 1e-6)
        for (PetscReal ar = 1e-9; ar <= 100.0001; ar *= 3.1622776601683795) {
          const PetscReal ks1 = 1e-6, Fm = fr * Sm, dt = ar * Sm / ks1;
          const long double ref = IncrementReference(Fm, Sm, (long double)ks1 * dt);

          PetscCall(SbGreenAmptIncrement(Fm, ks1, Sm, dt, &dF));
          worst4 = PetscMax(worst4, (PetscReal)fabsl(dF / ref - 1));
        }
    PetscCall(PetscSNPrintf(what, sizeof(what), "increments for F 0..10 S, S 1 mm..1 m, Ks dt 1e-9..100 S against a long-double bisection: worst relative difference %.2e (< 1e-13)", (double)worst4));
    PetscCall(Check(&t, (PetscBool)(worst4 < 1e-13), what));
  }

  /* 5. Every texture class has parameters; an unknown class is an error. */
  {
    PetscErrorCode ierr;
    Capture        cap = {0, ""};

    for (PetscInt k = 1; k < SB_SOIL_COUNT; k++) PetscCall(SbGreenAmptParameters(k, &ks, &psi, &te, &por));
    PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
    ierr = SbGreenAmptParameters(12, &ks, &psi, &te, &por);
    PetscCall(PetscPopErrorHandler());
    PetscCall(Check(&t, (PetscBool)(ierr == PETSC_ERR_USER_INPUT && strstr(cap.msg, "soil class 12")), "soil class 12 is an input error naming the class"));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " passed, %" PetscInt_FMT " failed\n", t.checks - t.failures, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
