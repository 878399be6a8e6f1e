/* Index of connectivity (Borselli, Cassi & Torri 2008, Catena 75:268–277) and sediment delivery
   ratio (Vigiak et al. 2012, Geomorphology 138:74–88; InVEST SDR user guide). Flow paths in
   parallel through SbD8. */
#include "connectivity.h"
#include "meshdata.h"

/* Bounds of the weighting factor (Borselli et al. 2008 use C in [0.001, 1]) and of the slope
   (InVEST SDR: 0.005 ≤ S ≤ 1, so that flat cells do not make D_dn infinite). */
#define SB_IC_W_MIN 0.001
#define SB_IC_S_MIN 0.005
#define SB_IC_S_MAX 1.0

PetscErrorCode SbConnectivityCompute(SbGrid *g, SbD8 d8, const SbConnectivityParams *p, Vec W, Vec tan_slope, Vec A, Vec landuse, Vec trap, Vec ic, Vec sdr, Vec export_t_a, Vec passing_t_a)
{
  const PetscInt     n = g->xm * g->ym;
  const PetscScalar *mk, *w, *ts, *ar, *ch, *lu, *rc, *rl, *len, *a, *up_a, *up_w, *up_s, *dn, *tp;
  PetscScalar       *x, *y, *z, *pass, *icv, *sv, *ev;
  Vec                wa, sa, area, uw, us, ua, rchan, rland, vpass, vdn, vlen;
  PetscLogEvent      ev_ic;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventRegister("SbConnectivity", DM_CLASSID, &ev_ic));
  PetscCall(PetscLogEventBegin(ev_ic, 0, 0, 0, 0));
  PetscCall(VecDuplicate(A, &wa));
  PetscCall(VecDuplicate(A, &sa));
  PetscCall(VecDuplicate(A, &area));
  PetscCall(VecDuplicate(A, &uw));
  PetscCall(VecDuplicate(A, &us));
  PetscCall(VecDuplicate(A, &ua));
  PetscCall(VecDuplicate(A, &rchan));
  PetscCall(VecDuplicate(A, &rland));
  PetscCall(VecDuplicate(A, &vpass));
  PetscCall(VecDuplicate(A, &vdn));
  PetscCall(SbD8GetFlowLength(d8, &vlen));

  /* Upslope component D_up = W̄ S̄ √A_up: area-weighted means over the contributing area, the
     cell itself included (Borselli et al. 2008, eq. 2). */
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  PetscCall(VecGetArrayRead(W, &w));
  PetscCall(VecGetArrayRead(tan_slope, &ts));
  PetscCall(VecGetArray(wa, &x));
  PetscCall(VecGetArray(sa, &y));
  PetscCall(VecGetArray(area, &z));
  for (PetscInt k = 0; k < n; k++) {
    const PetscReal aa = mk[k] != 0 ? ar[k] : 0.0;

    x[k] = aa * PetscClipInterval(w[k], SB_IC_W_MIN, 1.0);
    y[k] = aa * PetscClipInterval(ts[k], SB_IC_S_MIN, SB_IC_S_MAX);
    z[k] = aa;
  }
  PetscCall(VecRestoreArray(area, &z));
  PetscCall(VecRestoreArray(sa, &y));
  PetscCall(VecRestoreArray(wa, &x));
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, wa, NULL, uw));
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, sa, NULL, us));
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, area, NULL, ua));

  /* Downslope component D_dn = Σ d_i/(W_i S_i) along the flow path to the nearest sink: a channel
     or water (Borselli et al. 2008, eq. 3; InVEST: to the stream). A channel or water cell's own
     path is its own term. */
  PetscCall(SbD8Receiver(d8, g->channel, 0.0, rchan));
  PetscCall(SbD8Receiver(d8, landuse, 0.0, rland));
  PetscCall(VecGetArrayRead(g->channel, &ch));
  PetscCall(VecGetArrayRead(landuse, &lu));
  PetscCall(VecGetArrayRead(rchan, &rc));
  PetscCall(VecGetArrayRead(rland, &rl));
  PetscCall(VecGetArrayRead(vlen, &len));
  PetscCall(VecGetArray(vpass, &pass));
  PetscCall(VecGetArray(wa, &x));
  for (PetscInt k = 0; k < n; k++) {
    const PetscBool sink = ch[k] != 0 || (PetscInt)lu[k] == SB_LU_WATER;

    pass[k] = (mk[k] != 0 && !sink && rc[k] == 0 && (PetscInt)rl[k] != SB_LU_WATER) ? 1.0 : 0.0;
    x[k]    = mk[k] != 0 ? len[k] / (PetscClipInterval(w[k], SB_IC_W_MIN, 1.0) * PetscClipInterval(ts[k], SB_IC_S_MIN, SB_IC_S_MAX)) : 0.0;
  }
  PetscCall(VecRestoreArray(wa, &x));
  PetscCall(VecRestoreArray(vpass, &pass));
  PetscCall(VecRestoreArrayRead(vlen, &len));
  PetscCall(VecRestoreArrayRead(rland, &rl));
  PetscCall(VecRestoreArrayRead(rchan, &rc));
  PetscCall(VecRestoreArrayRead(landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->channel, &ch));
  PetscCall(SbD8Downstream(d8, wa, vpass, vdn));

  /* IC = log10(D_up/D_dn) (Borselli et al. 2008, eq. 1); SDR = SDR_max/(1 + exp((IC0 − IC)/k))
     (Vigiak et al. 2012, eq. 3; InVEST SDR). Export E_i = A_i area_i SDR_i. */
  PetscCall(VecGetArrayRead(uw, &up_w));
  PetscCall(VecGetArrayRead(us, &up_s));
  PetscCall(VecGetArrayRead(ua, &up_a));
  PetscCall(VecGetArrayRead(vdn, &dn));
  PetscCall(VecGetArrayRead(A, &a));
  PetscCall(VecGetArray(ic, &icv));
  PetscCall(VecGetArray(sdr, &sv));
  PetscCall(VecGetArray(export_t_a, &ev));
  for (PetscInt k = 0; k < n; k++) {
    icv[k] = sv[k] = ev[k] = 0;
    if (mk[k] == 0) continue;
    {
      const PetscReal dup = (up_w[k] / up_a[k]) * (up_s[k] / up_a[k]) * PetscSqrtReal(up_a[k]);

      icv[k] = PetscLog10Real(dup / dn[k]);
      sv[k]  = p->sdr_max / (1.0 + PetscExpReal((p->ic0 - icv[k]) / p->k));
      ev[k]  = a[k] * ar[k] * 1e-6 * sv[k];
    }
  }
  PetscCall(VecRestoreArray(export_t_a, &ev));
  PetscCall(VecRestoreArray(sdr, &sv));
  PetscCall(VecRestoreArray(ic, &icv));
  PetscCall(VecRestoreArrayRead(A, &a));
  PetscCall(VecRestoreArrayRead(vdn, &dn));
  PetscCall(VecRestoreArrayRead(ua, &up_a));
  PetscCall(VecRestoreArrayRead(us, &up_s));
  PetscCall(VecRestoreArrayRead(uw, &up_w));
  PetscCall(VecRestoreArrayRead(tan_slope, &ts));
  PetscCall(VecRestoreArrayRead(W, &w));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));

  /* What passes each cell: exported sediment is carried to the gauges without further deposition
     (InVEST SDR), except what a cell traps. The hook for check dams and reservoirs (a later issue):
     trap = the fraction held back at a cell; its links pass 1 − trap. */
  if (trap) {
    PetscCall(VecGetArrayRead(trap, &tp));
    PetscCall(VecGetArray(vpass, &pass));
    for (PetscInt k = 0; k < n; k++) pass[k] = 1.0 - tp[k];
    PetscCall(VecRestoreArray(vpass, &pass));
    PetscCall(VecRestoreArrayRead(trap, &tp));
  }
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, export_t_a, trap ? vpass : NULL, passing_t_a));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));

  PetscCall(VecDestroy(&wa));
  PetscCall(VecDestroy(&sa));
  PetscCall(VecDestroy(&area));
  PetscCall(VecDestroy(&uw));
  PetscCall(VecDestroy(&us));
  PetscCall(VecDestroy(&ua));
  PetscCall(VecDestroy(&rchan));
  PetscCall(VecDestroy(&rland));
  PetscCall(VecDestroy(&vpass));
  PetscCall(VecDestroy(&vdn));
  PetscCall(PetscLogEventEnd(ev_ic, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbConnectivityValueAt(SbGrid *g, Vec v, PetscInt row, PetscInt col, PetscReal *value)
{
  const PetscScalar *x;
  PetscReal          mine = 0;

  PetscFunctionBeginUser;
  if (row >= g->ys && row < g->ys + g->ym && col >= g->xs && col < g->xs + g->xm) {
    PetscCall(VecGetArrayRead(v, &x));
    mine = x[(row - g->ys) * g->xm + (col - g->xs)];
    PetscCall(VecRestoreArrayRead(v, &x));
  }
  PetscCallMPI(MPI_Allreduce(&mine, value, 1, MPIU_REAL, MPI_SUM, g->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbConnectivityIntoWater(SbGrid *g, SbD8 d8, Vec landuse, Vec export_t_a, PetscReal *sediment)
{
  const PetscInt     n = g->xm * g->ym;
  const PetscScalar *mk, *lu, *rl, *ps;
  PetscScalar       *pass;
  Vec                rland, vpass, land;
  PetscReal          mine = 0;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(landuse, &rland));
  PetscCall(VecDuplicate(landuse, &vpass));
  PetscCall(VecDuplicate(landuse, &land));
  PetscCall(SbD8Receiver(d8, landuse, 0.0, rland));
  PetscCall(VecGetArrayRead(landuse, &lu));
  PetscCall(VecGetArray(vpass, &pass));
  for (PetscInt k = 0; k < n; k++) pass[k] = (PetscInt)lu[k] == SB_LU_WATER ? 0.0 : 1.0;
  PetscCall(VecRestoreArray(vpass, &pass));
  /* Paths cut where they leave water, so that each land cell's export enters water at most once. */
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, export_t_a, vpass, land));
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(rland, &rl));
  PetscCall(VecGetArrayRead(land, &ps));
  for (PetscInt k = 0; k < n; k++)
    if (mk[k] != 0 && (PetscInt)lu[k] != SB_LU_WATER && (PetscInt)rl[k] == SB_LU_WATER) mine += ps[k];
  PetscCall(VecRestoreArrayRead(land, &ps));
  PetscCall(VecRestoreArrayRead(rland, &rl));
  PetscCall(VecRestoreArrayRead(landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(VecDestroy(&rland));
  PetscCall(VecDestroy(&vpass));
  PetscCall(VecDestroy(&land));
  PetscCallMPI(MPI_Allreduce(&mine, sediment, 1, MPIU_REAL, MPI_SUM, g->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
