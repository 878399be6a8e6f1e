/* Diffusive-wave routing (scheme "diffusive-wave"), implicit through PETSc TS + SNES.

   State: the cell-mean depth h of every cell, dh/dt = (sum of inflows - outflows) / A. Each face
   carries the diffusive-wave discharge per unit width (inertia neglected in the momentum
   equation; Hunter, Horritt, Bates, Wilson & Werner 2005, eq. 2, the face-normal form of the
   2-D diffusive wave of Panday & Huyakorn 2004 and of ParFlow's OverlandDiffusive, Kollet &
   Maxwell 2006):

     q = k S / (S² + ε²)^{1/4},   S = (η_a − η_b) / Δx,

   k the Manning conveyance per unit width of the face at the upstream water surface
   (SbFaceSection: k = h_f^{5/3}/n, h_f = max(η_a, η_b) − max(z_a, z_b), or the compound channel
   section on channel links), so the depth is taken upwind; ε (routing.diffusive.slope_epsilon)
   keeps dq/dS finite where the surface is flat, q → k sign(S) |S|^{1/2} when |S| ≫ ε. The friction
   slope of a face is its face-normal surface slope, as in the local-inertial scheme, so both
   tend to the same steady state.

   Time: TSBEULER by default with the TSAdapt "basic" controller on the local truncation error
   (routing.diffusive.rtol / atol_m, infinity norm), all -ts_*, -snes_*, -ksp_*, -pc_* options
   apply. Jacobian: analytic (IJacobianLocal); -sb_dw_fd_jacobian uses finite differences with
   DMDA colouring instead (TSComputeIJacobianDefaultColor, 6 residual evaluations each).

   Conservation and positivity: after every internal TS step the new depth is recomputed from the
   start-of-step depth and the face discharges of the converged solution,
     h = h0 + Δt (Σ f_up Q_in − f Σ Q_out) / A,
   so the volume moved through a face leaves one cell and enters the other exactly, and the
   outlets' volume is taken from the same discharges: the budget closes to round-off whatever the
   solver tolerance. f ≤ 1 is the factor that keeps a cell's outflow within its water plus its
   inflow (1 almost always: the converged solution is already non-negative up to the solver
   tolerance); computed as a fixed point, it decreases monotonically and converges because flow
   goes from higher to lower water surfaces. The difference between the recomputed and the SNES
   depths is of the order of the SNES residual. */
#include "routing_impl.h"
#include <petscts.h>

typedef struct {
  DM             da; /* dof 1, star stencil, width 1 */
  TS             ts;
  Mat            J;
  Vec            U, U0, Ul, F, Fl; /* depth (global), start-of-step depth, ghosted depth, limiter factor (global, ghosted) */
  Vec            S;               /* source (m/s) of each owned cell over the current SbRoutingStep: its rain (see Step_DW) */
  PetscBool      snapped;         /* U holds the depth of the last SbRoutingStableDt, before rain and losses */
  SbRoutingLocal L;
  PetscReal     *QE, *QS;    /* per local index: discharge (m³/s) through the east and south faces, last internal step */
  PetscReal     *dE, *dS;    /* per local index: d(QE)/dh and d(QS)/dh of the face's west/north cell [2k] and east/south cell [2k+1] */
  PetscReal     *out_dq;     /* d(outlet discharge)/dh */
  PetscBool      fd_jacobian; /* -sb_dw_fd_jacobian: Jacobian by finite differences with DMDA colouring */
  PetscReal     *accE, *accS; /* per owned cell: volume through its east and south faces during SbRoutingStep */
  PetscInt      *out_l;      /* local index of each owned outlet */
  PetscReal     *out_q;
  PetscInt       internal_steps, limiter_passes;
} SbRoutingDW;

/* d k / d eta_max of SbFaceSection (same branches): k = h^{5/3}/n per part, dk/dh = 5/3 h^{2/3}/n. */
static inline PetscReal SectionDk(const SbRoutingLocal *L, PetscInt ka, PetscInt kb, PetscBool link, PetscReal eta_max, PetscReal lf, PetscReal n_overland, PetscReal n_channel)
{
  const PetscReal hf = eta_max - PetscMax(L->z[ka], L->z[kb]);

  n_overland = SbFaceOverlandN(L, ka, kb, n_overland);
  if (!link) return hf > 0 ? 5.0 / 3.0 * PetscCbrtReal(hf * hf) / n_overland : 0.0;
  {
    const PetscReal hc = eta_max - PetscMax(L->z[ka] - L->d[ka], L->z[kb] - L->d[kb]);
    const PetscReal wf = PetscMin(0.5 * (L->w[ka] + L->w[kb]), lf) / lf;
    PetscReal       dk = 0;

    if (hc <= 0) return 0.0;
    dk = wf * 5.0 / 3.0 * PetscCbrtReal(hc * hc) / n_channel;
    if (hf > 0 && wf < 1) dk += (1 - wf) * 5.0 / 3.0 * PetscCbrtReal(hf * hf) / n_overland;
    return dk;
  }
}

/* d eta / d h of SbEta. */
static inline PetscReal DEtaDh(const SbRoutingLocal *L, PetscInt k, PetscReal h)
{
  return 1.0 + (h < L->hb[k] ? L->beta[k] : 0.0);
}

/* Discharge (m³/s) through the face between local cells ka (west/north) and kb, positive ka -> kb.
   With d non-NULL also its derivatives d[0] = dQ/dh_a, d[1] = dQ/dh_b (the analytic Jacobian):
     dQ/dS = lf k (S²/2 + ε²) / (S² + ε²)^{5/4},
     dQ/dη_a = dQ/dS / Δx + [a upstream] lf k' S / (S² + ε²)^{1/4}, likewise for b with −dQ/dS,
   k' = dk/dη_max of the face section (SectionDk), dη/dh from SbEta (DEtaDh). The derivative of
   max(h, 0) is taken as 0 below 0 and 1 above. */
static inline PetscReal FaceFlux(const SbRouting r, const SbRoutingLocal *L, PetscInt ka, PetscInt kb, PetscReal ha, PetscReal hb, PetscBool link, PetscReal dist, PetscReal lf, PetscReal *d)
{
  const uint8_t fa = L->flags[ka], fb = L->flags[kb];
  const PetscReal eps2 = r->dw_slope_eps * r->dw_slope_eps;
  const PetscBool pa = (PetscBool)(ha > 0), pb = (PetscBool)(hb > 0);
  PetscReal     eta_a, eta_b, a, k, S, S2e, r4, Q, dQdS, kt;

  if (d) d[0] = d[1] = 0.0;
  if (!(fa & fb & SB_CELL_ACTIVE) || (fa & fb & SB_CELL_POOL)) return 0.0;
  ha = PetscMax(ha, 0.0);
  hb = PetscMax(hb, 0.0);
  if (ha <= 0 && hb <= 0) return 0.0;
  eta_a = SbEta(L, ka, ha);
  eta_b = SbEta(L, kb, hb);
  if (!SbFaceSection(L, ka, kb, link, PetscMax(eta_a, eta_b), lf, r->n_overland, r->n_channel, &a, &k)) return 0.0;
  S   = (eta_a - eta_b) / dist;
  S2e = S * S + eps2;
  r4  = PetscSqrtReal(PetscSqrtReal(S2e));
  Q   = lf * k * S / r4;
  /* Water enters the reservoir through its edge but leaves it only by its outflow rule. */
  if (((fa & SB_CELL_POOL) && Q > 0) || ((fb & SB_CELL_POOL) && Q < 0)) return 0.0;
  if (d) {
    dQdS = lf * k * (0.5 * S * S + eps2) / (S2e * r4) / dist;
    kt   = lf * SectionDk(L, ka, kb, link, PetscMax(eta_a, eta_b), lf, r->n_overland, r->n_channel) * S / r4;
    if (pa) d[0] = (dQdS + (eta_a >= eta_b ? kt : 0.0)) * DEtaDh(L, ka, ha);
    if (pb) d[1] = (-dQdS + (eta_a >= eta_b ? 0.0 : kt)) * DEtaDh(L, kb, hb);
  }
  return Q;
}

/* Face discharges of the owned cells' faces from the ghosted depth u: east faces of columns
   xs-1 .. xe-1 in the owned rows, south faces of rows ys-1 .. ye-1 in the owned columns (the
   faces on the west and north edges of the block are computed here too, in the same arithmetic
   as on the neighbour), and the outlets. */
static void Fluxes(const SbRouting r, SbRoutingDW *dw, const PetscScalar **u, PetscBool deriv)
{
  const SbGrid         *g = r->grid;
  const SbRoutingLocal *L = &dw->L;
  const PetscInt        gxs = L->gxs, gys = L->gys, gxm = L->gxm;
  const PetscInt        xs = g->xs, ys = g->ys, xe = g->xs + g->xm, ye = g->ys + g->ym;

  for (PetscInt j = ys; j < ye; j++)
    for (PetscInt i = PetscMax(xs - 1, 0); i < xe; i++) {
      const PetscInt k = (j - gys) * gxm + (i - gxs);

      dw->QE[k] = i + 1 < g->nx ? FaceFlux(r, L, k, k + 1, u[j][i], u[j][i + 1], (L->flags[k] & SB_CELL_LINK_E) ? PETSC_TRUE : PETSC_FALSE, g->dx_m[j], g->dy_m, deriv ? &dw->dE[2 * k] : NULL) : 0.0;
    }
  for (PetscInt j = PetscMax(ys - 1, 0); j < ye; j++) {
    const PetscReal ls = SbSouthWidth(g, j);

    for (PetscInt i = xs; i < xe; i++) {
      const PetscInt k = (j - gys) * gxm + (i - gxs);

      dw->QS[k] = j + 1 < g->ny ? FaceFlux(r, L, k, k + gxm, u[j][i], u[j + 1][i], (L->flags[k] & SB_CELL_LINK_S) ? PETSC_TRUE : PETSC_FALSE, g->dy_m, ls, deriv ? &dw->dS[2 * k] : NULL) : 0.0;
    }
  }
  for (PetscInt c = 0; c < r->noutlets; c++) {
    const PetscInt k = dw->out_l[c], i = gxs + k % gxm, j = gys + k / gxm;

    const PetscReal h = PetscMax(u[j][i], 0.0);

    dw->out_q[c] = SbOutletDischarge(L, k, h, r->outlet_w[c], r->outlet_sqrt_s[c], r->n_overland, r->n_channel);
    if (deriv) {
      const PetscBool chan = (L->flags[k] & SB_CELL_CHANNEL) ? PETSC_TRUE : PETSC_FALSE;

      /* Q_o = L_o k(eta) sqrt(S_0) (SbOutletDischarge) */
      dw->out_dq[c] = dw->out_q[c] > 0 ? r->outlet_w[c] * r->outlet_sqrt_s[c] * SectionDk(L, k, k, chan, SbEta(L, k, h), r->outlet_w[c], r->n_overland, r->n_channel) * DEtaDh(L, k, h) : 0.0;
    }
  }
}

/* Outlet discharge (m³/s) of owned local cell k in the last Fluxes(); 0 if not an outlet. */
static inline PetscReal OutletQ(const SbRouting r, const SbRoutingDW *dw, PetscInt k)
{
  if (!(dw->L.flags[k] & SB_CELL_OUTLET)) return 0.0;
  for (PetscInt c = 0; c < r->noutlets; c++)
    if (dw->out_l[c] == k) return dw->out_q[c];
  return 0.0;
}

/* F = dh/dt − (inflow − outflow) / A; inactive cells: F = dh/dt (they never change). */
static PetscErrorCode IFunctionLocal(DMDALocalInfo *info, PetscReal t, void *uu, void *uudot, void *ff, void *ctx)
{
  const SbRouting       r  = (SbRouting)ctx;
  SbRoutingDW          *dw = (SbRoutingDW *)r->data;
  const SbRoutingLocal *L  = &dw->L;
  const PetscScalar   **u = (const PetscScalar **)uu, **udot = (const PetscScalar **)uudot;
  PetscScalar         **F = (PetscScalar **)ff;
  const PetscInt        gxs = L->gxs, gys = L->gys, gxm = L->gxm;
  const PetscScalar    *src;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(r->ev_flux, 0, 0, 0, 0));
  PetscCall(VecGetArrayRead(dw->S, &src));
  Fluxes(r, dw, u, PETSC_FALSE);
  for (PetscInt j = info->ys; j < info->ys + info->ym; j++)
    for (PetscInt i = info->xs; i < info->xs + info->xm; i++) {
      const PetscInt k = (j - gys) * gxm + (i - gxs);
      PetscReal      net;

      if (!(L->flags[k] & SB_CELL_ACTIVE)) {
        F[j][i] = udot[j][i];
        continue;
      }
      net = -dw->QE[k] - dw->QS[k];
      if (i > 0) net += dw->QE[k - 1];
      if (j > 0) net += dw->QS[k - gxm];
      F[j][i] = udot[j][i] - net / L->area[k] - src[(j - info->ys) * info->xm + (i - info->xs)];
    }
  PetscCall(VecRestoreArrayRead(dw->S, &src));
  for (PetscInt c = 0; c < r->noutlets; c++) {
    const PetscInt k = dw->out_l[c], i = gxs + k % gxm, j = gys + k / gxm;

    F[j][i] += dw->out_q[c] / L->area[k];
  }
  PetscCall(PetscLogEventEnd(r->ev_flux, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The analytic Jacobian of IFunctionLocal: shift on the diagonal, minus d(inflow − outflow)/dh / A
   over the cell and its four neighbours (FaceFlux's derivatives). Replaces finite differences with
   DMDA colouring (6 residual evaluations per Jacobian on the 5-point stencil; -sb_dw_fd_jacobian
   restores them). */
static PetscErrorCode IJacobianLocal(DMDALocalInfo *info, PetscReal t, void *uu, void *uudot, PetscReal shift, Mat A, Mat B, void *ctx)
{
  const SbRouting       r  = (SbRouting)ctx;
  SbRoutingDW          *dw = (SbRoutingDW *)r->data;
  const SbRoutingLocal *L  = &dw->L;
  const PetscScalar   **u = (const PetscScalar **)uu;
  const PetscInt        gxs = L->gxs, gys = L->gys, gxm = L->gxm;

  PetscFunctionBeginUser;
  (void)t;
  (void)uudot;
  PetscCall(PetscLogEventBegin(r->ev_flux, 0, 0, 0, 0));
  Fluxes(r, dw, u, PETSC_TRUE);
  for (PetscInt j = info->ys; j < info->ys + info->ym; j++)
    for (PetscInt i = info->xs; i < info->xs + info->xm; i++) {
      const PetscInt k = (j - gys) * gxm + (i - gxs);
      MatStencil     row = {0}, col[5] = {{0}};
      PetscScalar    v[5];
      PetscInt       n = 1;

      row.i = col[0].i = i;
      row.j = col[0].j = j;
      if (!(L->flags[k] & SB_CELL_ACTIVE)) {
        v[0] = shift;
        PetscCall(MatSetValuesStencil(B, 1, &row, 1, col, v, INSERT_VALUES));
        continue;
      }
      /* F = udot − (Q_w − Q_e + Q_n − Q_s − Q_out) / A − s */
      v[0] = shift + (dw->dE[2 * k] + dw->dS[2 * k]) / L->area[k];
      if (i + 1 < info->mx) {
        col[n].i = i + 1;
        col[n].j = j;
        v[n++]   = dw->dE[2 * k + 1] / L->area[k];
      }
      if (j + 1 < info->my) {
        col[n].i = i;
        col[n].j = j + 1;
        v[n++]   = dw->dS[2 * k + 1] / L->area[k];
      }
      if (i > 0) {
        v[0] -= dw->dE[2 * (k - 1) + 1] / L->area[k];
        col[n].i = i - 1;
        col[n].j = j;
        v[n++]   = -dw->dE[2 * (k - 1)] / L->area[k];
      }
      if (j > 0) {
        v[0] -= dw->dS[2 * (k - gxm) + 1] / L->area[k];
        col[n].i = i;
        col[n].j = j - 1;
        v[n++]   = -dw->dS[2 * (k - gxm)] / L->area[k];
      }
      if (L->flags[k] & SB_CELL_OUTLET)
        for (PetscInt c = 0; c < r->noutlets; c++)
          if (dw->out_l[c] == k) v[0] += dw->out_dq[c] / L->area[k];
      PetscCall(MatSetValuesStencil(B, 1, &row, n, col, v, INSERT_VALUES));
    }
  PetscCall(MatAssemblyBegin(B, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(B, MAT_FINAL_ASSEMBLY));
  if (A != B) {
    PetscCall(MatAssemblyBegin(A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(A, MAT_FINAL_ASSEMBLY));
  }
  PetscCall(PetscLogEventEnd(r->ev_flux, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The conservative update after an internal step of length dtk from U0 to the solution U (see the
   comment at the top); adds the step's volumes to the face, outlet and gauge totals. */
static PetscErrorCode Conservative(SbRouting r, PetscReal dtk)
{
  SbRoutingDW          *dw = (SbRoutingDW *)r->data;
  SbGrid               *g  = r->grid;
  const SbRoutingLocal *L  = &dw->L;
  const PetscInt        gxs = L->gxs, gys = L->gys, gxm = L->gxm;
  const PetscInt        xs = g->xs, ys = g->ys, xe = g->xs + g->xm, ye = g->ys + g->ym;
  const PetscScalar   **u, *h0, *src;
  const PetscScalar   **f;
  PetscScalar          *h, *fg;
  PetscInt              changed = 1, pass = 0;
  PetscReal             outflow = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(r->ev_continuity, 0, 0, 0, 0));
  PetscCall(DMGlobalToLocal(dw->da, dw->U, INSERT_VALUES, dw->Ul));
  PetscCall(DMDAVecGetArrayRead(dw->da, dw->Ul, (void *)&u));
  Fluxes(r, dw, u, PETSC_FALSE);
  PetscCall(DMDAVecRestoreArrayRead(dw->da, dw->Ul, (void *)&u));

  /* Limiter factors by fixed-point iteration from f = 1. */
  PetscCall(VecSet(dw->Fl, 1.0));
  PetscCall(VecGetArrayRead(dw->U0, &h0));
  PetscCall(VecGetArrayRead(dw->S, &src));
  while (changed) {
    PetscInt mine = 0;

    PetscCheck(pass < 1000, PETSC_COMM_SELF, PETSC_ERR_CONV_FAILED, "diffusive-wave: the positivity limiter did not settle in 1000 passes");
    PetscCall(DMDAVecGetArrayRead(dw->da, dw->Fl, (void *)&f));
    PetscCall(VecGetArray(dw->F, &fg));
    for (PetscInt j = ys; j < ye; j++)
      for (PetscInt i = xs; i < xe; i++) {
        const PetscInt  k = (j - gys) * gxm + (i - gxs), o = (j - ys) * g->xm + (i - xs);
        const PetscReal qe = dw->QE[k], qs = dw->QS[k], qw = i > 0 ? dw->QE[k - 1] : 0.0, qn = j > 0 ? dw->QS[k - gxm] : 0.0;
        PetscReal       in = 0, out = 0, fnew = 1;

        if (L->flags[k] & SB_CELL_ACTIVE) {
          if (qe > 0) out += qe;
          else if (qe < 0) in -= qe * f[j][i + 1];
          if (qs > 0) out += qs;
          else if (qs < 0) in -= qs * f[j + 1][i];
          if (qw < 0) out -= qw;
          else if (qw > 0) in += qw * f[j][i - 1];
          if (qn < 0) out -= qn;
          else if (qn > 0) in += qn * f[j - 1][i];
          if (L->flags[k] & SB_CELL_OUTLET) out += OutletQ(r, dw, k);
          out *= dtk;
          in = dtk * (in + src[o] * L->area[k]);
          if (out > h0[o] * L->area[k] + in) fnew = (h0[o] * L->area[k] + in) / out;
        }
        fg[o] = fnew;
        if (fnew != f[j][i]) mine = 1;
      }
    PetscCall(VecRestoreArray(dw->F, &fg));
    PetscCall(DMDAVecRestoreArrayRead(dw->da, dw->Fl, (void *)&f));
    PetscCallMPI(MPI_Allreduce(&mine, &changed, 1, MPIU_INT, MPI_MAX, g->comm));
    if (changed) PetscCall(DMGlobalToLocal(dw->da, dw->F, INSERT_VALUES, dw->Fl));
    pass++;
  }
  dw->limiter_passes += pass - 1;

  /* The update with the limited discharges. */
  PetscCall(DMDAVecGetArrayRead(dw->da, dw->Fl, (void *)&f));
  PetscCall(VecGetArray(dw->U, &h));
  for (PetscInt j = ys; j < ye; j++) {
    for (PetscInt i = xs; i < xe; i++) {
      const PetscInt k = (j - gys) * gxm + (i - gxs), o = (j - ys) * g->xm + (i - xs);
      PetscReal      qe = dw->QE[k], qs = dw->QS[k], qw = i > 0 ? dw->QE[k - 1] : 0.0, qn = j > 0 ? dw->QS[k - gxm] : 0.0;

      if (!(L->flags[k] & SB_CELL_ACTIVE)) continue;
      qe *= qe < 0 ? f[j][i + 1] : f[j][i];
      qs *= qs < 0 ? f[j + 1][i] : f[j][i];
      qw *= qw > 0 ? f[j][i - 1] : f[j][i];
      qn *= qn > 0 ? f[j - 1][i] : f[j][i];
      h[o] = h0[o] + dtk * ((qw - qe + qn - qs) / L->area[k] + src[o]);
      dw->accE[o] += dtk * qe;
      dw->accS[o] += dtk * qs;
    }
  }
  for (PetscInt c = 0; c < r->noutlets; c++) {
    const PetscInt  k = dw->out_l[c], i = gxs + k % gxm, j = gys + k / gxm, o = (j - ys) * g->xm + (i - xs);
    const PetscReal q = f[j][i] * dw->out_q[c];

    h[o] -= dtk * q / L->area[k];
    outflow += dtk * q;
  }
  /* Gauges: everything that leaves the gauge cell. */
  for (PetscInt q = 0; q < g->ngauges; q++) {
    if (r->gauge_k[q] < 0) continue;
    {
      const PetscInt i = g->gauges[q].col, j = g->gauges[q].row, k = (j - gys) * gxm + (i - gxs);
      PetscReal      qe = dw->QE[k], qs = dw->QS[k], qw = i > 0 ? dw->QE[k - 1] : 0.0, qn = j > 0 ? dw->QS[k - gxm] : 0.0, v;

      v = f[j][i] * ((qe > 0 ? qe : 0.0) + (qs > 0 ? qs : 0.0) + (qw < 0 ? -qw : 0.0) + (qn < 0 ? -qn : 0.0) + OutletQ(r, dw, k));
      r->gauge_step_v[q] += dtk * v;
    }
  }
  /* Depth never negative: the limited update is >= 0 up to the round-off of its last operation. */
  for (PetscInt o = 0; o < g->xm * g->ym; o++) h[o] = PetscMax(h[o], 0.0);
  PetscCall(VecRestoreArray(dw->U, &h));
  PetscCall(DMDAVecRestoreArrayRead(dw->da, dw->Fl, (void *)&f));
  PetscCall(VecRestoreArrayRead(dw->U0, &h0));
  PetscCall(VecRestoreArrayRead(dw->S, &src));
  r->state->budget.outflow_m3 += outflow;
  PetscCall(PetscLogEventEnd(r->ev_continuity, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetFromOptions_DW(SbRouting r)
{
  SbRoutingDW *dw = (SbRoutingDW *)r->data;
  PetscBool    set;

  PetscFunctionBeginUser;
  /* The step adaptor measures the error in the infinity norm: in the default 2-norm, the error
     of a few wet cells is diluted by every dry one. -ts_adapt_wnormtype still overrides. */
  PetscCall(PetscOptionsHasName(NULL, NULL, "-ts_adapt_wnormtype", &set));
  if (!set) PetscCall(PetscOptionsSetValue(NULL, "-ts_adapt_wnormtype", "infinity"));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-sb_dw_fd_jacobian", &dw->fd_jacobian, NULL));
  PetscCall(TSSetFromOptions(dw->ts));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp_DW(SbRouting r)
{
  SbRoutingDW *dw = (SbRoutingDW *)r->data;
  SbGrid      *g  = r->grid;
  PetscInt     n;

  PetscFunctionBeginUser;
  PetscCall(SbRoutingLocalCreate(r, dw->da, &dw->L));
  r->local = &dw->L;
  n = dw->L.gxm * dw->L.gym;
  PetscCall(PetscCalloc2(n, &dw->QE, n, &dw->QS));
  PetscCall(PetscCalloc2(2 * n, &dw->dE, 2 * n, &dw->dS));
  PetscCall(PetscCalloc2(g->xm * g->ym + 1, &dw->accE, g->xm * g->ym + 1, &dw->accS));
  PetscCall(PetscMalloc2(r->noutlets + 1, &dw->out_l, r->noutlets + 1, &dw->out_q));
  PetscCall(PetscCalloc1(r->noutlets + 1, &dw->out_dq));
  for (PetscInt c = 0; c < r->noutlets; c++) {
    const PetscInt k = r->outlet_k[c], i = g->xs + k % g->xm, j = g->ys + k / g->xm;

    dw->out_l[c] = (j - dw->L.gys) * dw->L.gxm + (i - dw->L.gxs);
  }
  PetscCall(DMCreateGlobalVector(dw->da, &dw->U));
  PetscCall(VecDuplicate(dw->U, &dw->U0));
  PetscCall(VecDuplicate(dw->U, &dw->F));
  PetscCall(VecDuplicate(dw->U, &dw->S));
  PetscCall(DMCreateLocalVector(dw->da, &dw->Ul));
  PetscCall(VecDuplicate(dw->Ul, &dw->Fl));
  PetscCall(DMCreateMatrix(dw->da, &dw->J));
  PetscCall(DMDATSSetIFunctionLocal(dw->da, INSERT_VALUES, IFunctionLocal, r));
  if (dw->fd_jacobian) PetscCall(TSSetIJacobian(dw->ts, dw->J, dw->J, TSComputeIJacobianDefaultColor, NULL));
  else {
    PetscCall(TSSetIJacobian(dw->ts, dw->J, dw->J, NULL, NULL));
    PetscCall(DMDATSSetIJacobianLocal(dw->da, IJacobianLocal, r));
  }
  PetscCall(TSSetSolution(dw->ts, dw->U));
  PetscCall(TSSetUp(dw->ts));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_DW(SbRouting r)
{
  SbRoutingDW *dw = (SbRoutingDW *)r->data;

  PetscFunctionBeginUser;
  if (!dw) PetscFunctionReturn(PETSC_SUCCESS);
  if (dw->U) {
    PetscCall(PetscInfo(NULL, "diffusive-wave: %" PetscInt_FMT " internal steps, %" PetscInt_FMT " extra limiter passes\n", dw->internal_steps, dw->limiter_passes));
    PetscCall(SbRoutingLocalDestroy(&dw->L));
    PetscCall(PetscFree2(dw->QE, dw->QS));
    PetscCall(PetscFree2(dw->dE, dw->dS));
    PetscCall(PetscFree(dw->out_dq));
    PetscCall(PetscFree2(dw->accE, dw->accS));
    PetscCall(PetscFree2(dw->out_l, dw->out_q));
  }
  PetscCall(VecDestroy(&dw->U));
  PetscCall(VecDestroy(&dw->U0));
  PetscCall(VecDestroy(&dw->F));
  PetscCall(VecDestroy(&dw->S));
  PetscCall(VecDestroy(&dw->Ul));
  PetscCall(VecDestroy(&dw->Fl));
  PetscCall(MatDestroy(&dw->J));
  PetscCall(TSDestroy(&dw->ts));
  PetscCall(DMDestroy(&dw->da));
  PetscCall(PetscFree(r->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode StableDt_DW(SbRouting r, PetscReal *dt)
{
  SbRoutingDW  *dw = (SbRoutingDW *)r->data;
  const SbCell *x;
  PetscScalar  *h;
  PetscInt      bad = 0;

  PetscFunctionBeginUser;
  /* The depth before this step's rain and losses, from which Step_DW takes the rain (see there). */
  PetscCall(VecGetArrayRead(r->state->X, (const PetscScalar **)&x));
  PetscCall(VecGetArray(dw->U, &h));
  for (PetscInt k = 0; k < r->grid->xm * r->grid->ym; k++) {
    if (!(x[k].h >= 0) || PetscIsInfReal(x[k].h)) bad = 1;
    h[k] = x[k].h;
  }
  PetscCall(VecRestoreArray(dw->U, &h));
  PetscCall(VecRestoreArrayRead(r->state->X, (const PetscScalar **)&x));
  dw->snapped = PETSC_TRUE;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_MAX, r->grid->comm));
  PetscCall(TSGetTimeStep(dw->ts, dt));
  *dt = bad ? 0.0 : PetscMin(*dt, r->max_dt);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Step_DW(SbRouting r, PetscReal dt)
{
  SbRoutingDW *dw = (SbRoutingDW *)r->data;
  SbGrid      *g  = r->grid;
  SbState     *s  = r->state;
  SbCell      *x;
  PetscScalar *h, *src;
  PetscReal    done = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(r->ev_solve, 0, 0, 0, 0));
  /* The water the cells gained since SbRoutingStableDt (the rain of this step, net of
     interception and infiltration) enters the implicit solve as a constant source over the step,
     not as a jump of the initial depth: Backward Euler's error estimate compares the step with
     the previous one, and a jump between them counted as error. On the verification plane
     (i = 3e-6 m/s, routing.diffusive.rtol 1e-4) it rejected the first step after every rain
     application and held the steps near 0.1-0.9 s instead of 5 s; the rejections and the tiny
     steps after them made the step sequence depend on the round-off of the linear solves, so
     2 ranks differed from 1 by 5e-4 of the peak. Losses (a depth that fell) and cells without
     a snapshot (a step without SbRoutingStableDt before it), inactive cells and the reservoir's
     pool keep the jump: a loss spread over the step could take water the outflow has already
     taken. */
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(dw->U, &h));
  PetscCall(VecGetArray(dw->S, &src));
  for (PetscInt o = 0; o < g->xm * g->ym; o++) {
    const PetscInt  k    = (g->ys + o / g->xm - dw->L.gys) * dw->L.gxm + (g->xs + o % g->xm - dw->L.gxs);
    const PetscBool gain = (PetscBool)(dw->snapped && x[o].h > h[o] && (dw->L.flags[k] & SB_CELL_ACTIVE) && !(dw->L.flags[k] & SB_CELL_POOL));

    src[o]      = gain ? (x[o].h - h[o]) / dt : 0.0;
    h[o]        = gain ? h[o] : x[o].h;
    dw->accE[o] = 0;
    dw->accS[o] = 0;
  }
  PetscCall(VecRestoreArray(dw->S, &src));
  PetscCall(VecRestoreArray(dw->U, &h));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  dw->snapped = PETSC_FALSE;
  /* The interval is measured by the steps themselves, not by differences of the TS time: at
     t = 2290 s a step of 2e-13 s left the TS time unchanged (its spacing is 4.5e-13 s), so the
     interval never ended (on 2 ranks of the verification plane, where the steps' round-off put a
     sliver of 2e-13 s at the end of an interval: 650,000 steps of zero length). */
  while (done < dt * (1 - 1e-12)) {
    PetscReal hstep, t0, t1, taken;
    PetscInt  rej0, rej1;

    PetscCall(TSGetTimeStep(dw->ts, &hstep));
    hstep = PetscMin(hstep, r->max_dt);
    /* Land on the end of the interval; avoid a sliver of a last step. */
    if (done + hstep > dt || done + 1.05 * hstep > dt) hstep = dt - done;
    PetscCall(TSSetTimeStep(dw->ts, hstep));
    PetscCall(VecCopy(dw->U, dw->U0));
    PetscCall(TSGetTime(dw->ts, &t0));
    PetscCall(TSGetStepRejections(dw->ts, &rej0));
    PetscCall(TSStep(dw->ts));
    PetscCall(TSGetStepRejections(dw->ts, &rej1));
    PetscCall(TSGetTime(dw->ts, &t1));
    /* Accepted as proposed: the step is hstep, the length the Backward Euler solve used. After a
       rejection the TS took a shorter step, known only as the difference of its times. */
    taken = rej1 == rej0 ? hstep : t1 - t0;
    PetscCheck(taken > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "diffusive-wave: a TS step of zero length at t = %g s", (double)t0);
    PetscCall(Conservative(r, taken));
    done += taken;
    dw->internal_steps++;
  }
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(dw->U, &h));
  PetscCall(VecGetArrayRead(dw->S, (const PetscScalar **)&src));
  for (PetscInt o = 0; o < g->xm * g->ym; o++) {
    const PetscInt j = g->ys + o / g->xm;

    /* The steps add up to dt within 1e-12 of it: the source's remainder, so the cell gains
       exactly its rain. */
    x[o].h  = PetscMax(h[o] + src[o] * (dt - done), 0.0);
    x[o].qx = dw->accE[o] / (dt * g->dy_m);
    x[o].qy = dw->accS[o] / (dt * SbSouthWidth(g, j));
  }
  PetscCall(VecRestoreArrayRead(dw->S, (const PetscScalar **)&src));
  PetscCall(VecRestoreArray(dw->U, &h));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  PetscCall(PetscLogEventEnd(r->ev_solve, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checkpoint: the TS keeps the step its adaptor proposed and its time between SbRoutingStep calls. */
static PetscErrorCode CheckpointWrite_DW(void *ctx, hid_t grp)
{
  SbRoutingDW *dw = (SbRoutingDW *)ctx;
  PetscReal    v[2];

  PetscFunctionBeginUser;
  PetscCall(TSGetTimeStep(dw->ts, &v[0]));
  PetscCall(TSGetTime(dw->ts, &v[1]));
  PetscCall(SbCheckpointWriteReals(grp, "ts_step_and_time", v, 1, 2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckpointRead_DW(void *ctx, hid_t grp, const char *file)
{
  SbRoutingDW *dw = (SbRoutingDW *)ctx;
  PetscReal   *v;
  PetscInt     n;

  PetscFunctionBeginUser;
  PetscCall(SbCheckpointReadReals(grp, file, "ts_step_and_time", 2, &v, &n));
  PetscCheck(n == 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: routing/diffusive-wave: expected one TS step and time", file);
  PetscCall(TSSetTimeStep(dw->ts, v[0]));
  PetscCall(TSSetTime(dw->ts, v[1]));
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Checkpoint_DW(SbRouting r, SbCheckpoint ck)
{
  PetscFunctionBeginUser;
  PetscCall(SbCheckpointAddHook(ck, "routing/diffusive-wave", CheckpointWrite_DW, CheckpointRead_DW, r->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingCreate_DiffusiveWave(SbRouting r)
{
  SbRoutingDW *dw;
  TSAdapt      adapt;
  SNES         snes;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&dw));
  r->data               = dw;
  r->ops.setfromoptions = SetFromOptions_DW;
  r->ops.setup          = SetUp_DW;
  r->ops.stabledt       = StableDt_DW;
  r->ops.step           = Step_DW;
  r->ops.destroy        = Destroy_DW;
  r->ops.checkpoint     = Checkpoint_DW;
  PetscCall(SbRoutingCreateDA(r, 1, DMDA_STENCIL_STAR, 1, &dw->da));
  PetscCall(TSCreate(r->grid->comm, &dw->ts));
  PetscCall(TSSetDM(dw->ts, dw->da));
  PetscCall(TSSetType(dw->ts, TSBEULER));
  PetscCall(TSSetProblemType(dw->ts, TS_NONLINEAR));
  PetscCall(TSSetTime(dw->ts, 0.0));
  PetscCall(TSSetTimeStep(dw->ts, PetscMin(r->dw_initial_dt, r->max_dt)));
  PetscCall(TSSetMaxTime(dw->ts, 1e300));
  PetscCall(TSSetExactFinalTime(dw->ts, TS_EXACTFINALTIME_MATCHSTEP));
  PetscCall(TSSetTolerances(dw->ts, r->dw_atol, NULL, r->dw_rtol, NULL));
  PetscCall(TSSetMaxSNESFailures(dw->ts, -1));
  PetscCall(TSSetMaxStepRejections(dw->ts, 100));
  PetscCall(TSGetAdapt(dw->ts, &adapt));
  PetscCall(TSAdaptSetType(adapt, TSADAPTBASIC));
  PetscCall(TSAdaptSetStepLimits(adapt, 1e-6, r->max_dt));
  PetscCall(TSGetSNES(dw->ts, &snes));
  /* Tight enough that 1, 2 and 4 ranks agree to about 1e-12 m (the Krylov solve differs with
     the block preconditioner of each rank count; Newton converges quadratically past it). The
     absolute tolerance, 1e-12 m/s on the residual dh/dt - (in - out)/A (2-norm), is a depth
     error below 1e-9 m in a step of 300 s, above the residual's round-off floor (about 1e-14
     on 800 cells, growing as the square root of the cell count): without it the residual
     stalls at that floor short of the relative 1e-10, the line search fails, the TS rejects
     the step and halves it (on the verification plane, 7,000 times: 70x the run time). */
  PetscCall(SNESSetTolerances(snes, 1e-12, 1e-10, 1e-14, 50, PETSC_DEFAULT));
  PetscFunctionReturn(PETSC_SUCCESS);
}
