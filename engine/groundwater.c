/* Linear groundwater reservoirs per region (docs/hydrology.md, "Groundwater").

   dS/dt = R - S/k (a linear reservoir, e.g. Chow, Maidment & Mays 1988, Applied Hydrology, §8.5;
   the baseflow store of HBV, Bergström 1995), solved exactly over each step with the recharge R
   of the step taken as constant: without recharge S(t) = S0 exp(-t/k). The release of a step is
   spread as one depth over the region's target cells (its channel cells, else its outlet cell),
   where the surface routing carries it. Along channels it is spread in proportion to the bed area
   of each cell's channel (width by the routing's hydraulic geometry, w = a A^b, times the cell
   size): groundwater seeps in evenly per unit of bed, and every channel rises by the same in-
   channel depth rather than narrow headwater channels by many metres. The stores are few (one per region) and replicated on
   every rank, so one reduction per step gives every rank the same values. */
#include "groundwater.h"
#include "exactsum.h"
#include <math.h>

struct _p_SbGroundwater {
  SbState      *state; /* not owned */
  PetscBool     enabled;
  PetscReal     k_s;
  PetscInt     *group;  /* [xm*ym] store of each owned cell, -1 if inactive */
  PetscInt      ntarget;   /* owned cells that receive their store's release, by increasing index */
  PetscInt     *target_k;  /* [ntarget] their index in the owned block */
  PetscReal    *share;     /* [ntarget] bed area of the cell's channel (m²) */
  PetscReal    *target_area_m2; /* [ngw] sum of share */
  PetscReal    *work, *inflow;  /* [ngw] */
  SbExactSum   *xsum;           /* [ngw] per-step recharge, summed exactly */
  PetscLogEvent ev;
};

PetscErrorCode SbLinearReservoirStep(PetscReal S, PetscReal in, PetscReal dt, PetscReal k, PetscReal *Sn, PetscReal *release)
{
  const PetscReal x = dt / k, decay = PetscExpReal(-x), frac = -expm1(-x); /* 1 - e^-x without cancellation */

  PetscFunctionBeginUser;
  *Sn      = S * decay + (x > 0 ? in * frac / x : in);
  *release = S + in - *Sn;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGroundwaterCreate(SbState *state, const SbScenario *sc, SbGroundwater *out)
{
  SbGroundwater      gw;
  SbGrid            *g = state->grid;
  const PetscInt     n = g->xm * g->ym;
  const PetscScalar *reg, *mask, *chan, *acc, *area;
  PetscInt           ng = 0, nmax;
  PetscReal         *a, *sum, *best;
  SbExactSum        *xs;
  PetscInt          *bidx, *gbidx;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&gw));
  gw->state   = state;
  gw->enabled = sc->gw_enabled;
  gw->k_s     = sc->gw_recession_s;
  PetscCall(PetscMalloc1(n, &gw->group));
  PetscCall(VecGetArrayRead(g->region, &reg));
  PetscCall(VecGetArrayRead(g->mask, &mask));
  PetscCall(VecGetArrayRead(g->channel, &chan));
  PetscCall(VecGetArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  /* Store index = region id; active cells without a region (id 0 or below) share store 0. */
  for (PetscInt k = 0; k < n; k++) {
    gw->group[k] = mask[k] != 0 ? PetscMax((PetscInt)reg[k], 0) : -1;
    ng           = PetscMax(ng, gw->group[k] + 1);
  }
  PetscCallMPI(MPI_Allreduce(&ng, &nmax, 1, MPIU_INT, MPI_MAX, g->comm));
  ng = PetscMax(nmax, 1);
  state->ngw = ng;
  PetscCall(PetscCalloc1(ng, &state->gw_m3));
  PetscCall(PetscCalloc3(ng, &gw->target_area_m2, ng, &gw->work, ng, &gw->inflow));
  PetscCall(PetscCalloc1(ng, &gw->xsum));
  PetscCall(PetscMalloc5(3 * ng, &a, 3 * ng, &sum, ng, &best, ng, &bidx, ng, &gbidx));
  /* Active area, channel area and largest upstream area of each store (sums independent of the
     rank count: exactsum.h). */
  PetscCall(PetscCalloc1(2 * ng, &xs));
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt r = gw->group[k];

    if (r < 0) continue;
    SbExactSumAdd(&xs[r], area[k]);
    if (chan[k] != 0) SbExactSumAdd(&xs[ng + r], area[k]);
  }
  PetscCall(SbExactSumReduce(g->comm, 2 * ng, xs, sum));
  for (PetscInt r = 0; r < ng; r++) best[r] = -1;
  for (PetscInt k = 0; k < n; k++)
    if (gw->group[k] >= 0) best[gw->group[k]] = PetscMax(best[gw->group[k]], acc[k]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, best, (int)ng, MPIU_REAL, MPI_MAX, g->comm));
  /* The outlet cell of a store without channel: largest upstream area, lowest global index on ties. */
  for (PetscInt r = 0; r < ng; r++) bidx[r] = PETSC_MAX_INT;
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt r = gw->group[k], gi = (g->ys + k / g->xm) * g->nx + g->xs + k % g->xm;

    if (r >= 0 && acc[k] == best[r]) bidx[r] = PetscMin(bidx[r], gi);
  }
  PetscCallMPI(MPI_Allreduce(bidx, gbidx, (int)ng, MPIU_INT, MPI_MIN, g->comm));
  PetscCall(PetscArrayzero(xs, 2 * ng));
  /* The cells that receive a release (channel cells, or a store's outlet cell), counted, then kept. */
  for (PetscInt pass = 0; pass < 2; pass++) {
    gw->ntarget = 0;
    for (PetscInt k = 0; k < n; k++) {
      const PetscInt r = gw->group[k], gi = (g->ys + k / g->xm) * g->nx + g->xs + k % g->xm;
      PetscReal      share = 0;

      if (r < 0) continue;
      const PetscReal cell_m = PetscSqrtReal(area[k]);

      if (sum[ng + r] > 0 && chan[k] != 0) {
        /* channel.c: w = a A^b (A in km²), whole-cell channels as wide as the cell */
        const PetscReal w = sc->channel_width_coef * PetscPowReal(PetscMax(acc[k], 0.0) / 1e6, sc->channel_width_exp);

        share = (sc->channel_subgrid && w < cell_m ? w : cell_m) * cell_m;
      } else if (sum[ng + r] == 0 && gi == gbidx[r]) share = area[k];
      if (pass == 0) SbExactSumAdd(&xs[r], share);
      if (share > 0) {
        if (pass == 1) {
          gw->target_k[gw->ntarget] = k;
          gw->share[gw->ntarget]    = share;
        }
        gw->ntarget++;
      }
    }
    if (pass == 0) PetscCall(PetscMalloc2(gw->ntarget + 1, &gw->target_k, gw->ntarget + 1, &gw->share));
  }
  PetscCall(SbExactSumReduce(g->comm, ng, xs, gw->target_area_m2));
  PetscCall(PetscFree(xs));
  for (PetscInt r = 0; r < ng; r++) state->gw_m3[r] = sc->gw_initial_m * sum[r];
  PetscCall(PetscFree5(a, sum, best, bidx, gbidx));
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(VecRestoreArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecRestoreArrayRead(g->channel, &chan));
  PetscCall(VecRestoreArrayRead(g->mask, &mask));
  PetscCall(VecRestoreArrayRead(g->region, &reg));
  PetscCall(PetscLogEventRegister("SbGroundwater", DM_CLASSID, &gw->ev));
  *out = gw;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGroundwaterStep(SbGroundwater gw, PetscReal dt)
{
  SbState           *st = gw->state;
  SbGrid            *g  = st->grid;
  const PetscInt     ng = st->ngw;
  const PetscScalar *rech, *area;
  SbCell            *x;
  PetscReal          added = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(gw->ev, 0, 0, 0, 0));
  /* the recharge of each store, the same on every rank count (exactsum.h) */
  PetscCall(PetscArrayzero(gw->xsum, ng));
  PetscCall(VecGetArrayRead(st->recharge, &rech));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  /* The active cells (cellruns.h), those with a store (group >= 0). */
  for (PetscInt r = 0; r < g->active.nruns; r++)
    for (PetscInt k = g->active.k[2 * r]; k < g->active.k[2 * r + 1]; k++) SbExactSumAdd(&gw->xsum[gw->group[k]], rech[k] * area[k]);
  PetscCall(VecRestoreArrayRead(st->recharge, &rech));
  PetscCall(SbExactSumReduce(g->comm, ng, gw->xsum, gw->inflow));
  /* Release of each store per unit of its targets' share. */
  for (PetscInt r = 0; r < ng; r++) {
    PetscReal Sn, rel = 0;

    if (gw->enabled && gw->target_area_m2[r] > 0) PetscCall(SbLinearReservoirStep(st->gw_m3[r], gw->inflow[r], dt, gw->k_s, &Sn, &rel));
    else Sn = st->gw_m3[r] + gw->inflow[r];
    st->gw_m3[r] = Sn;
    gw->work[r]  = gw->target_area_m2[r] > 0 ? rel / gw->target_area_m2[r] : 0.0;
  }
  PetscCall(VecGetArray(st->X, (PetscScalar **)&x));
  for (PetscInt c = 0; c < gw->ntarget; c++) {
    const PetscInt  k = gw->target_k[c];
    const PetscReal d = gw->work[gw->group[k]] * gw->share[c] / area[k];

    x[k].h += d;
    added += d * area[k];
  }
  PetscCall(VecRestoreArray(st->X, (PetscScalar **)&x));
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  st->budget.baseflow_m3 += added;
  PetscCall(PetscLogEventEnd(gw->ev, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGroundwaterDestroy(SbGroundwater *gw)
{
  PetscFunctionBeginUser;
  if (!*gw) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*gw)->group));
  PetscCall(PetscFree2((*gw)->target_k, (*gw)->share));
  PetscCall(PetscFree3((*gw)->target_area_m2, (*gw)->work, (*gw)->inflow));
  PetscCall(PetscFree((*gw)->xsum));
  PetscCall(PetscFree(*gw));
  PetscFunctionReturn(PETSC_SUCCESS);
}
