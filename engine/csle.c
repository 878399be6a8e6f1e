/* CSLE soil loss per cell (Liu, Zhang & Xie 2002): A = R·K·L·S·B·E·T in t·hm⁻²·a⁻¹, reported in
   t·km⁻²·a⁻¹ (× 100). */
#include "csle.h"
#include <petscdmda.h>

#define SB_DEG (PETSC_PI / 180.0)

PetscErrorCode SbCsleSteepness(PetscReal theta, PetscReal *S)
{
  const PetscReal s = PetscSinReal(theta);

  PetscFunctionBeginUser;
  /* McCool et al. (1987) below 10° (as taken into CSLE by Liu et al. 2002); Liu, Nearing & Risse
     (1994), Trans. ASAE 37(6):1835–1840, eq. for slopes of 10° and more. */
  if (theta < 5.0 * SB_DEG) *S = 10.8 * s + 0.03;
  else if (theta < 10.0 * SB_DEG) *S = 16.8 * s - 0.50;
  else *S = 21.91 * s - 0.96;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCsleLength(PetscReal lambda_m, PetscReal theta, PetscReal *L)
{
  PetscReal m;

  PetscFunctionBeginUser;
  /* Exponent m by slope class (Wischmeier & Smith 1978; Liu et al. 2000, SSSAJ 64:1759–1763, keep
     0.5 on steep slopes). */
  if (theta <= 1.0 * SB_DEG) m = 0.2;
  else if (theta <= 3.0 * SB_DEG) m = 0.3;
  else if (theta <= 5.0 * SB_DEG) m = 0.4;
  else m = 0.5;
  *L = PetscPowReal(lambda_m / 22.13, m);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCsleErosivityDaily(PetscInt n, const PetscReal *P, PetscReal threshold, PetscReal years, PetscReal *R, PetscReal *alpha, PetscReal *beta)
{
  PetscReal sum = 0, sumb = 0, a = 0, b = 0;
  PetscInt  nd  = 0;

  PetscFunctionBeginUser;
  PetscCheck(years > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "erosivity: the series must cover a positive number of years, got %g", (double)years);
  for (PetscInt i = 0; i < n; i++)
    if (P[i] >= threshold) {
      sum += P[i];
      nd++;
    }
  *R = 0;
  if (nd > 0) {
    /* Zhang, Xie & Liu (2002), 地理科学 22(6):705–711: Pd12 mean rain of an erosive day, Py12 mean
       annual rain of erosive days; β = 0.8363 + 18.144/Pd12 + 24.455/Py12, α = 21.586 β^−7.1891,
       half-month M = α Σ P^β, so the annual R is α Σ P^β over a year's erosive days. */
    const PetscReal Pd12 = sum / nd, Py12 = sum / years;

    b = 0.8363 + 18.144 / Pd12 + 24.455 / Py12;
    a = 21.586 * PetscPowReal(b, -7.1891);
    for (PetscInt i = 0; i < n; i++)
      if (P[i] >= threshold) sumb += PetscPowReal(P[i], b);
    *R = a * sumb / years;
  }
  if (alpha) *alpha = a;
  if (beta) *beta = b;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCsleVegetationB(PetscReal cover, PetscReal *B)
{
  PetscFunctionBeginUser;
  PetscCheck(cover >= 0 && cover <= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "vegetation cover: expected a fraction in [0, 1], got %g", (double)cover);
  /* Cai, Ding, Shi, Huang & Zhang (2000), 水土保持学报 14(2):19–24, from plots under natural and
     simulated rain: C = 1 without cover, 0.6508 − 0.3436 lg c (c in %) below 78.3 %, 0 above (soil
     loss falls with cover to a turning point near 78.3 %, Wang & Liu 1999). The formula exceeds 1
     below c = 0.096 %; B is at most 1 there. */
  if (cover <= 0) *B = 1.0;
  else if (cover < 0.783) *B = PetscMin(1.0, 0.6508 - 0.3436 * PetscLog10Real(100.0 * cover));
  else *B = 0.0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCsleSlopeCorrect(PetscReal tan_cell, PetscReal cell_m, PetscReal target_m, PetscReal D, PetscReal *tan_target)
{
  PetscFunctionBeginUser;
  /* Zhang, Drake, Wainwright & Mulligan (1999), Earth Surf. Process. Landforms 24:763–779: on a
     fractal surface the slope measured over a step d scales as d^(1−D), so the slope a finer DEM
     would see is tan θ_c (d_t/d_c)^(1−D). The ceiling of 45° bounds the extrapolation. */
  *tan_target = tan_cell;
  if (cell_m > target_m) *tan_target = PetscMin(tan_cell * PetscPowReal(target_m / cell_m, 1.0 - D), 1.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCsleCompute(SbGrid *g, SbD8 d8, const SbCsleParams *p, Vec landuse, Vec soil, Vec A, Vec W, Vec tan_slope, Vec lambda, Vec LS)
{
  const PetscInt     n = g->xm * g->ym;
  const PetscScalar *mk, *lu, *so, *sl, *ar, *tr, *rs, *rc, *rl, *rm = NULL, *km = NULL, *wm = NULL;
  PetscScalar       *a, *w, *ts, *lam, *ls, *pass;
  Vec                vpass, rslope, rchannel, rland, vlen;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(A, &vpass));
  PetscCall(VecDuplicate(A, &rslope));
  PetscCall(VecDuplicate(A, &rchannel));
  PetscCall(VecDuplicate(A, &rland));
  PetscCall(SbD8GetFlowLength(d8, &vlen));

  /* Slope, after the sub-grid correction where asked for. */
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(p->slope_correction == SB_SLOPE_CORRECTION_MESH ? p->slope_map : g->slope, &sl));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  PetscCall(VecGetArray(tan_slope, &ts));
  for (PetscInt k = 0; k < n; k++) {
    ts[k] = 0;
    if (mk[k] == 0) continue;
    if (p->slope_correction == SB_SLOPE_CORRECTION_FRACTAL) PetscCall(SbCsleSlopeCorrect(PetscMax(sl[k], 0.0), PetscSqrtReal(ar[k]), p->target_cell_m, p->fractal_dimension, &ts[k]));
    else ts[k] = PetscMax(sl[k], 0.0); /* as it is, or the mesh's sub-grid slope (corrected at build) */
  }
  PetscCall(VecRestoreArray(tan_slope, &ts));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(p->slope_correction == SB_SLOPE_CORRECTION_MESH ? p->slope_map : g->slope, &sl));

  /* Slope length along flow paths (Hickey 2000; Van Remortel et al. 2001): the longest path from
     the divide, ending where it enters a channel or water (the slope ends there), and where the
     slope decreases enough for deposition to start: receiver slope below 0.5 of the donor's on
     slopes of 5 % or more, below 0.7 under 5 % — the cut-off ratios used in the national monitoring
     practice (docs/assessment.md), then bounded by slope_length_max_m. */
  PetscCall(SbD8Receiver(d8, tan_slope, 0.0, rslope));
  PetscCall(SbD8Receiver(d8, g->channel, 0.0, rchannel));
  PetscCall(SbD8Receiver(d8, landuse, 0.0, rland));
  PetscCall(VecGetArrayRead(tan_slope, &tr));
  PetscCall(VecGetArrayRead(rslope, &rs));
  PetscCall(VecGetArrayRead(rchannel, &rc));
  PetscCall(VecGetArrayRead(rland, &rl));
  PetscCall(VecGetArray(vpass, &pass));
  for (PetscInt k = 0; k < n; k++) {
    const PetscReal ratio = tr[k] >= 0.05 ? 0.5 : 0.7;

    pass[k] = (mk[k] != 0 && rc[k] == 0 && (PetscInt)rl[k] != SB_LU_WATER && !(rs[k] < ratio * tr[k])) ? 1.0 : 0.0;
  }
  PetscCall(VecRestoreArray(vpass, &pass));
  PetscCall(VecRestoreArrayRead(rland, &rl));
  PetscCall(VecRestoreArrayRead(rchannel, &rc));
  PetscCall(VecRestoreArrayRead(rslope, &rs));
  PetscCall(VecRestoreArrayRead(tan_slope, &tr));
  PetscCall(SbD8Accumulate(d8, SB_D8_MAX, vlen, vpass, lambda));

  PetscCall(VecGetArrayRead(landuse, &lu));
  PetscCall(VecGetArrayRead(soil, &so));
  PetscCall(VecGetArrayRead(tan_slope, &tr));
  PetscCall(VecGetArray(lambda, &lam));
  PetscCall(VecGetArray(LS, &ls));
  PetscCall(VecGetArray(W, &w));
  PetscCall(VecGetArray(A, &a));
  if (p->r_map) PetscCall(VecGetArrayRead(p->r_map, &rm));
  if (p->k_map) PetscCall(VecGetArrayRead(p->k_map, &km));
  if (p->w_map) PetscCall(VecGetArrayRead(p->w_map, &wm));
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt u = (PetscInt)lu[k], s = (PetscInt)so[k];
    PetscReal      theta, L, S, K;

    a[k] = w[k] = ls[k] = 0;
    if (mk[k] == 0) {
      lam[k] = 0;
      continue;
    }
    PetscCheck(u >= 1 && u < SB_LU_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /landuse: expected a class 1..%d at an active cell, got %" PetscInt_FMT, g->path, SB_LU_COUNT - 1, u);
    PetscCheck(s >= 0 && s < SB_SOIL_COUNT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /soil: expected a class 0..%d at an active cell, got %" PetscInt_FMT, g->path, SB_SOIL_COUNT - 1, s);
    lam[k] = PetscMin(lam[k], p->slope_length_max_m);
    theta  = PetscAtanReal(tr[k]);
    PetscCall(SbCsleLength(lam[k], theta, &L));
    PetscCall(SbCsleSteepness(theta, &S));
    S     = PetscMax(S, 0.0);
    K     = km ? km[k] : p->tables.k[s];
    ls[k] = L * S;
    w[k]  = wm ? wm[k] : p->tables.b[u] * p->tables.e[u] * p->tables.t[u];
    /* Liu, Zhang & Xie (2002): A in t·hm⁻²·a⁻¹; × 100 hm²/km². */
    a[k] = 100.0 * (rm ? rm[k] : p->r) * K * L * S * w[k];
  }
  if (p->r_map) PetscCall(VecRestoreArrayRead(p->r_map, &rm));
  if (p->k_map) PetscCall(VecRestoreArrayRead(p->k_map, &km));
  if (p->w_map) PetscCall(VecRestoreArrayRead(p->w_map, &wm));
  PetscCall(VecRestoreArray(A, &a));
  PetscCall(VecRestoreArray(W, &w));
  PetscCall(VecRestoreArray(LS, &ls));
  PetscCall(VecRestoreArray(lambda, &lam));
  PetscCall(VecRestoreArrayRead(tan_slope, &tr));
  PetscCall(VecRestoreArrayRead(soil, &so));
  PetscCall(VecRestoreArrayRead(landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(VecDestroy(&vpass));
  PetscCall(VecDestroy(&rslope));
  PetscCall(VecDestroy(&rchannel));
  PetscCall(VecDestroy(&rland));
  PetscFunctionReturn(PETSC_SUCCESS);
}
