/* Surface routing: the registry of schemes and what they share — cell classes, sub-grid channel
   geometry (channel.c), the level-pool reservoir (reservoir.c), outlets and gauges. The schemes
   live in routing_li.c (local inertial) and routing_dw.c (diffusive wave); docs/routing.md. */
#include "routing_impl.h"
#include "channel.h"

/* Registered names in the order of SbRoutingScheme (the scenario's routing.scheme). */
static const char *const SbRoutingSchemeNames[] = {SBROUTINGLOCALINERTIAL, SBROUTINGDIFFUSIVEWAVE};

PetscErrorCode SbRoutingRegister(SbRouting r, const char name[], PetscErrorCode (*create)(SbRouting))
{
  PetscFunctionBeginUser;
  PetscCall(PetscFunctionListAdd(&r->list, name, create));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingCreate(SbState *state, const SbScenario *sc, SbRouting *routing)
{
  SbRouting r;

  PetscFunctionBeginUser;
  PetscCheck((int)sc->routing_scheme >= 0 && (int)sc->routing_scheme < (int)(sizeof(SbRoutingSchemeNames) / sizeof(SbRoutingSchemeNames[0])), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "routing.scheme: unknown scheme number %d", (int)sc->routing_scheme);
  PetscCall(PetscNew(&r));
  r->state             = state;
  r->grid              = state->grid;
  r->theta             = sc->theta;
  r->cfl               = sc->cfl;
  r->max_dt            = sc->max_dt_s;
  r->depth_threshold   = sc->depth_threshold_m;
  r->n_overland        = sc->manning_n_overland;
  r->n_channel         = sc->manning_n_channel;
  r->channel_subgrid   = sc->channel_subgrid;
  r->width_coef        = sc->channel_width_coef;
  r->width_exp         = sc->channel_width_exp;
  r->depth_coef        = sc->channel_depth_coef;
  r->depth_exp         = sc->channel_depth_exp;
  r->dw_rtol           = sc->dw_rtol > 0 ? sc->dw_rtol : 0.02;
  r->dw_atol           = sc->dw_atol_m > 0 ? sc->dw_atol_m : 5e-4;
  r->dw_slope_eps      = sc->dw_slope_eps > 0 ? sc->dw_slope_eps : 1e-5;
  r->dw_initial_dt     = sc->dw_initial_dt_s > 0 ? sc->dw_initial_dt_s : 1.0;
  r->reservoir_enabled = sc->reservoir_enabled;
  r->reservoir_rule    = sc->reservoir_rule;
  r->weir_coef         = sc->weir_coef;
  r->weir_length       = sc->weir_length_m;
  PetscCall(SbRoutingRegister(r, SBROUTINGLOCALINERTIAL, SbRoutingCreate_LocalInertial));
  PetscCall(SbRoutingRegister(r, SBROUTINGDIFFUSIVEWAVE, SbRoutingCreate_DiffusiveWave));
  PetscCall(PetscLogEventRegister("SbRoutingFlux", DM_CLASSID, &r->ev_flux));
  PetscCall(PetscLogEventRegister("SbRoutingCont", DM_CLASSID, &r->ev_continuity));
  PetscCall(PetscLogEventRegister("SbRoutingSolve", DM_CLASSID, &r->ev_solve));
  PetscCall(PetscLogEventRegister("SbReservoir", DM_CLASSID, &r->ev_reservoir));
  PetscCall(SbRoutingSetType(r, SbRoutingSchemeNames[sc->routing_scheme]));
  *routing = r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingSetType(SbRouting r, SbRoutingType type)
{
  PetscErrorCode (*create)(SbRouting) = NULL;
  PetscBool same;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(r->type, type, &same));
  if (same) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFunctionListFind(r->list, type, &create));
  PetscCheck(create, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "routing scheme \"%s\": unknown; the schemes are \"%s\" and \"%s\"", type, SBROUTINGLOCALINERTIAL, SBROUTINGDIFFUSIVEWAVE);
  PetscCheck(!r->setupcalled, PETSC_COMM_SELF, PETSC_ERR_ORDER, "routing: the scheme cannot change after SbRoutingSetUp");
  if (r->ops.destroy) PetscCall((*r->ops.destroy)(r));
  PetscCall(PetscMemzero(&r->ops, sizeof(r->ops)));
  r->data  = NULL;
  r->local = NULL;
  PetscCall(PetscStrncpy(r->type, type, sizeof(r->type)));
  PetscCall((*create)(r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingGetType(SbRouting r, SbRoutingType *type)
{
  PetscFunctionBeginUser;
  *type = r->type;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingSetFromOptions(SbRouting r)
{
  char      type[64];
  PetscBool set;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(type, r->type, sizeof(type)));
  PetscOptionsBegin(r->grid->comm, NULL, "Surface routing", "SbRouting");
  PetscCall(PetscOptionsFList("-sb_routing_scheme", "Routing scheme (overrides the scenario's routing.scheme)", "SbRoutingSetType", r->list, r->type, type, sizeof(type), &set));
  PetscOptionsEnd();
  if (set) PetscCall(SbRoutingSetType(r, type));
  if (r->ops.setfromoptions) PetscCall((*r->ops.setfromoptions)(r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingCreateDA(SbRouting r, PetscInt dof, DMDAStencilType st, PetscInt width, DM *da)
{
  SbGrid         *g = r->grid;
  const PetscInt *lx, *ly;
  PetscInt        m, n;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetInfo(g->da, NULL, NULL, NULL, NULL, &m, &n, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetOwnershipRanges(g->da, &lx, &ly, NULL));
  PetscCall(DMDACreate2d(g->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, st, g->nx, g->ny, m, n, dof, width, lx, ly, da));
  PetscCall(DMSetUp(*da));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingLocalCreate(SbRouting r, DM da, SbRoutingLocal *L)
{
  SbGrid            *g = r->grid;
  Vec                v;
  const PetscScalar *a;
  PetscInt           n;
  Vec               *src[6];
  PetscReal        **dst[6];
  PetscInt           nsrc = 5;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetGhostCorners(da, &L->gxs, &L->gys, NULL, &L->gxm, &L->gym, NULL));
  n = L->gxm * L->gym;
  PetscCall(DMCreateLocalVector(da, &v));
  /* The classes and the channel live on the scheme's ghosted block from here on (r->local): the
     global vectors are read by the set-up alone and go as soon as they are copied, each array
     allocated just before, so that the set-up never holds both copies of all of them. */
  src[0] = &r->flags;
  dst[0] = NULL;
  src[1] = &r->chan_depth;
  dst[1] = &L->d;
  src[2] = &r->chan_width;
  dst[2] = &L->w;
  src[3] = &g->elevation;
  dst[3] = &L->z;
  src[4] = &g->cell_area;
  dst[4] = &L->area;
  L->nf  = NULL;
  if (r->state->manning_factor) {
    src[5] = &r->state->manning_factor;
    dst[5] = &L->nf;
    nsrc   = 6;
  }
  for (PetscInt f = 0; f < nsrc; f++) {
    PetscCall(DMGlobalToLocal(da, *src[f], INSERT_VALUES, v));
    PetscCall(VecGetArrayRead(v, &a));
    if (dst[f]) {
      PetscCall(PetscMalloc1(n, dst[f]));
      PetscCall(PetscArraycpy(*dst[f], a, n));
    } else {
      PetscCall(PetscMalloc1(n, &L->flags));
      for (PetscInt k = 0; k < n; k++) L->flags[k] = (uint8_t)a[k];
    }
    PetscCall(VecRestoreArrayRead(v, &a));
    if (f < 3) PetscCall(VecDestroy(src[f])); /* r->flags, r->chan_depth, r->chan_width */
  }
  PetscCall(VecDestroy(&v));
  PetscCall(PetscMalloc2(n, &L->beta, n, &L->hb));
  /* Storage of the sub-grid channel: the channel's plan area is w sqrt(A) (its length taken as
     the cell's side), phi = sqrt(A) / w >= 1. */
  for (PetscInt k = 0; k < n; k++) {
    if ((L->flags[k] & SB_CELL_CHANNEL) && L->d[k] > 0 && L->w[k] > 0) {
      const PetscReal phi = PetscMax(PetscSqrtReal(L->area[k]) / L->w[k], 1.0);

      L->beta[k] = phi - 1.0;
      L->hb[k]   = L->d[k] / phi;
    } else {
      L->beta[k] = 0;
      L->hb[k]   = 0;
      L->d[k]    = (L->flags[k] & SB_CELL_CHANNEL) ? L->d[k] : 0.0;
    }
    /* Inactive cells: walls. Their area is never divided by. */
    if (!(L->flags[k] & SB_CELL_ACTIVE)) L->area[k] = 1.0;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingLocalDestroy(SbRoutingLocal *L)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(L->flags));
  PetscCall(PetscFree(L->d));
  PetscCall(PetscFree(L->w));
  PetscCall(PetscFree(L->z));
  PetscCall(PetscFree(L->area));
  PetscCall(PetscFree2(L->beta, L->hb));
  PetscCall(PetscFree(L->nf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cell classes, channel geometry, reservoir, outlets, gauges. */
static PetscErrorCode SetUpCommon(SbRouting r)
{
  SbGrid            *g = r->grid;
  PetscScalar       *fl;
  const PetscScalar *mk, *fd, *sl, *flr;
  SbChannelParams    cp;
  PetscInt           added;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(g->da, &r->flags));
  PetscCall(VecDuplicate(r->flags, &r->chan_depth));
  PetscCall(VecDuplicate(r->flags, &r->chan_width));
  PetscCall(VecGetArray(r->flags, &fl));
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(g->flow_direction, &fd));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) fl[k] = mk[k] != 0 ? (PetscScalar)(SB_CELL_ACTIVE | (fd[k] == 0 ? SB_CELL_OUTLET : 0)) : 0.0;
  PetscCall(VecRestoreArrayRead(g->flow_direction, &fd));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(VecRestoreArray(r->flags, &fl));

  cp.subgrid    = r->channel_subgrid;
  cp.width_coef = r->width_coef;
  cp.width_exp  = r->width_exp;
  cp.depth_coef = r->depth_coef;
  cp.depth_exp  = r->depth_exp;
  PetscCall(SbChannelGeometry(g, &cp, r->flags, r->chan_depth, r->chan_width, &added));
  PetscCall(PetscInfo(NULL, "routing: %" PetscInt_FMT " cells join the channel network at diagonal D8 steps\n", added));

  if (r->reservoir_enabled) {
    SbReservoirParams rp;

    rp.level_m       = g->reservoir_level_m;
    rp.rule          = (SbReservoirRule)r->reservoir_rule;
    rp.weir_coef     = r->weir_coef;
    rp.weir_length_m = r->weir_length;
    PetscCall(SbReservoirCreate(g, &rp, r->flags, &r->reservoir));
    if (r->reservoir) {
      PetscInt  cells;
      PetscReal area;

      PetscCall(SbReservoirGetSize(r->reservoir, &cells, &area));
      PetscCall(PetscInfo(NULL, "routing: level-pool reservoir of %" PetscInt_FMT " cells, %g km2 at %g m\n", cells, (double)(area / 1e6), (double)g->reservoir_level_m));
      PetscCall(SbReservoirFill(r->reservoir, r->state));
    }
  }

  /* Outlets: width across the D8 direction (dy for E/W, dx for N/S; the mean for the diagonals
     and for outlets without direction), slope floored at 1e-5. A pool cell drains through the
     reservoir's rule, not through an outlet. */
  PetscCall(VecGetArray(r->flags, &fl));
  PetscCall(VecGetArrayRead(g->slope, &sl));
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    if (((PetscInt)fl[k] & SB_CELL_OUTLET) && ((PetscInt)fl[k] & SB_CELL_POOL)) fl[k] = (PetscScalar)((PetscInt)fl[k] & ~SB_CELL_OUTLET);
  for (PetscInt k = 0; k < g->xm * g->ym; k++) r->noutlets += ((PetscInt)fl[k] & SB_CELL_OUTLET) ? 1 : 0;
  PetscCall(PetscMalloc3(r->noutlets + 1, &r->outlet_k, r->noutlets + 1, &r->outlet_w, r->noutlets + 1, &r->outlet_sqrt_s));
  r->noutlets = 0;
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    if ((PetscInt)fl[k] & SB_CELL_OUTLET) {
      const PetscInt j = g->ys + k / g->xm;

      r->outlet_k[r->noutlets]      = k;
      r->outlet_w[r->noutlets]      = 0.5 * (g->dx_m[j] + g->dy_m);
      r->outlet_sqrt_s[r->noutlets] = PetscSqrtReal(PetscMax(sl[k], 1e-5));
      r->noutlets++;
    }
  PetscCall(VecRestoreArrayRead(g->slope, &sl));
  PetscCall(VecRestoreArray(r->flags, &fl));

  r->min_spacing_m = g->dy_m;
  for (PetscInt j = 0; j < g->ny; j++) r->min_spacing_m = PetscMin(r->min_spacing_m, g->dx_m[j]);

  PetscCall(PetscCalloc3(g->ngauges + 1, &r->gauge_step_v, g->ngauges + 1, &r->gauge_q, g->ngauges + 1, &r->gauge_v));
  PetscCall(PetscMalloc1(g->ngauges + 1, &r->gauge_k));
  PetscCall(PetscCalloc1(g->ngauges + 1, &r->gauge_pool));
  PetscCall(VecGetArrayRead(r->flags, &flr));
  for (PetscInt q = 0; q < g->ngauges; q++) {
    const PetscInt i = g->gauges[q].col, j = g->gauges[q].row;

    r->gauge_k[q] = (i >= g->xs && i < g->xs + g->xm && j >= g->ys && j < g->ys + g->ym) ? (j - g->ys) * g->xm + (i - g->xs) : -1;
    /* Inside the pool no face carries water: a gauge there (a dam's gauge on a coarse grid, where
       the dam and the pool share a cell) records the reservoir's release. */
    if (r->gauge_k[q] >= 0) r->gauge_pool[q] = ((PetscInt)flr[r->gauge_k[q]] & SB_CELL_POOL) ? PETSC_TRUE : PETSC_FALSE;
  }
  PetscCall(VecRestoreArrayRead(r->flags, &flr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingSetUp(SbRouting r)
{
  PetscFunctionBeginUser;
  if (r->setupcalled) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SetUpCommon(r));
  if (r->ops.setup) PetscCall((*r->ops.setup)(r));
  r->setupcalled = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingDestroy(SbRouting *routing)
{
  SbRouting r = *routing;

  PetscFunctionBeginUser;
  if (!r) PetscFunctionReturn(PETSC_SUCCESS);
  if (r->ops.destroy) PetscCall((*r->ops.destroy)(r));
  PetscCall(SbReservoirDestroy(&r->reservoir));
  PetscCall(VecDestroy(&r->flags));
  PetscCall(VecDestroy(&r->chan_depth));
  PetscCall(VecDestroy(&r->chan_width));
  PetscCall(PetscFree3(r->outlet_k, r->outlet_w, r->outlet_sqrt_s));
  PetscCall(PetscFree3(r->gauge_step_v, r->gauge_q, r->gauge_v));
  PetscCall(PetscFree(r->gauge_k));
  PetscCall(PetscFree(r->gauge_pool));
  PetscCall(PetscFree2(r->fixed_k, r->fixed_h));
  PetscCall(PetscFunctionListDestroy(&r->list));
  PetscCall(PetscFree(*routing));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reset the cells of prescribed depth, counting the water added. */
static PetscErrorCode HoldFixed(SbRouting r)
{
  SbCell            *x;
  const PetscScalar *area;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(r->state->X, (PetscScalar **)&x));
  PetscCall(VecGetArrayRead(r->grid->cell_area, &area));
  for (PetscInt c = 0; c < r->nfixed; c++) {
    const PetscInt k = r->fixed_k[c];

    r->fixed_m3 += (r->fixed_h[c] - x[k].h) * area[k];
    x[k].h = r->fixed_h[c];
  }
  PetscCall(VecRestoreArrayRead(r->grid->cell_area, &area));
  PetscCall(VecRestoreArray(r->state->X, (PetscScalar **)&x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingStableDt(SbRouting r, PetscReal *dt)
{
  PetscFunctionBeginUser;
  PetscCall(SbRoutingSetUp(r));
  PetscCall((*r->ops.stabledt)(r, dt));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingStep(SbRouting r, PetscReal dt)
{
  PetscFunctionBeginUser;
  PetscCall(SbRoutingSetUp(r));
  for (PetscInt q = 0; q < r->grid->ngauges; q++) r->gauge_step_v[q] = 0;
  PetscCall((*r->ops.step)(r, dt));
  if (r->reservoir) {
    PetscCall(PetscLogEventBegin(r->ev_reservoir, 0, 0, 0, 0));
    PetscCall(SbReservoirStep(r->reservoir, r->state, dt, &r->state->budget.outflow_m3));
    PetscCall(PetscLogEventEnd(r->ev_reservoir, 0, 0, 0, 0));
    {
      PetscReal stage, release;

      PetscCall(SbReservoirGetStatus(r->reservoir, &stage, &release));
      for (PetscInt q = 0; q < r->grid->ngauges; q++)
        if (r->gauge_k[q] >= 0 && r->gauge_pool[q]) r->gauge_step_v[q] = release * dt;
    }
  }
  if (r->nfixed) PetscCall(HoldFixed(r));
  PetscCall(SbRoutingGaugesEndStep(r, dt));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingSetFixedDepth(SbRouting r, PetscInt row, PetscInt col, PetscReal depth_m)
{
  SbGrid  *g = r->grid;
  PetscInt c, k;

  PetscFunctionBeginUser;
  PetscCheck(row >= 0 && row < g->ny && col >= 0 && col < g->nx, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "fixed depth: cell (row %" PetscInt_FMT ", col %" PetscInt_FMT ") is outside the %" PetscInt_FMT " x %" PetscInt_FMT " grid", row, col, g->ny, g->nx);
  PetscCheck(depth_m >= 0, g->comm, PETSC_ERR_ARG_OUTOFRANGE, "fixed depth: %g m is negative", (double)depth_m);
  PetscCall(SbRoutingSetUp(r));
  if (!(col >= g->xs && col < g->xs + g->xm && row >= g->ys && row < g->ys + g->ym)) PetscFunctionReturn(PETSC_SUCCESS);
  k = (row - g->ys) * g->xm + (col - g->xs);
  for (c = 0; c < r->nfixed; c++)
    if (r->fixed_k[c] == k) break;
  if (c == r->nfixed) {
    PetscInt  *kk;
    PetscReal *hh;

    PetscCall(PetscMalloc2(c + 1, &kk, c + 1, &hh));
    PetscCall(PetscArraycpy(kk, r->fixed_k, c));
    PetscCall(PetscArraycpy(hh, r->fixed_h, c));
    PetscCall(PetscFree2(r->fixed_k, r->fixed_h));
    r->fixed_k = kk;
    r->fixed_h = hh;
    r->fixed_k[c] = k;
    r->nfixed++;
  }
  r->fixed_h[c] = depth_m;
  PetscCall(HoldFixed(r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingFixedVolume(SbRouting r, PetscReal *volume_m3)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(&r->fixed_m3, volume_m3, 1, MPIU_REAL, MPI_SUM, r->grid->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingGaugesEndStep(SbRouting r, PetscReal dt)
{
  PetscFunctionBeginUser;
  for (PetscInt q = 0; q < r->grid->ngauges; q++) {
    if (r->gauge_k[q] < 0) continue;
    r->gauge_q[q] = dt > 0 ? r->gauge_step_v[q] / dt : 0.0;
    r->gauge_v[q] += r->gauge_step_v[q];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingGauges(SbRouting r, PetscReal *discharge_m3_s, PetscReal *volume_m3)
{
  const PetscInt ng = r->grid->ngauges;

  PetscFunctionBeginUser;
  if (ng == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbRoutingSetUp(r));
  /* Each gauge cell is owned by exactly one rank; the others contribute zero. */
  PetscCallMPI(MPI_Allreduce(r->gauge_q, discharge_m3_s, (int)ng, MPIU_REAL, MPI_SUM, r->grid->comm));
  PetscCallMPI(MPI_Allreduce(r->gauge_v, volume_m3, (int)ng, MPIU_REAL, MPI_SUM, r->grid->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingCheckpointRegister(SbRouting r, SbCheckpoint ck)
{
  PetscFunctionBeginUser;
  PetscCall(SbRoutingSetUp(r));
  /* Each rank's share of the gauge volumes: only the owner of a gauge cell adds to it. */
  /* -sb_routing_scheme may override the scenario: the scheme must not change on a restart. */
  PetscCall(SbCheckpointAddIdentity(ck, "routing_scheme", r->type));
  PetscCall(SbCheckpointAddLocalSum(ck, "routing/gauge_volume_m3", r->gauge_v, r->grid->ngauges));
  if (r->ops.checkpoint) PetscCall((*r->ops.checkpoint)(r, ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingGetReservoir(SbRouting r, PetscBool *has, PetscReal *stage_m, PetscReal *release_m3_s)
{
  PetscFunctionBeginUser;
  PetscCall(SbRoutingSetUp(r));
  *has          = r->reservoir ? PETSC_TRUE : PETSC_FALSE;
  *stage_m      = 0;
  *release_m3_s = 0;
  if (r->reservoir) PetscCall(SbReservoirGetStatus(r->reservoir, stage_m, release_m3_s));
  PetscFunctionReturn(PETSC_SUCCESS);
}
