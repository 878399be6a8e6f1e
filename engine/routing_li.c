/* Local-inertial routing (scheme "local-inertial").

   Momentum, per face, with the q-centred numerical diffusion of de Almeida et al. (2012, eq. 8)
   and friction taken implicitly (Bates, Horritt & Fewtrell 2010, eq. 11, with |q^{n+1}| for |q^n|):

     q^{n+1} (1 + g a Δt |q^{n+1}| / k²) = θ q^n + (1−θ)/2 (q^n_− + q^n_+) − g a Δt (η_b − η_a)/Δx

   a and k the flow area and Manning conveyance per unit face width (SbFaceSection: a = h_f,
   k = h_f^{5/3}/n on ordinary faces, h_f = max(η_a, η_b) − max(z_a, z_b), Bates et al. 2010, eq. 6;
   a compound channel + floodplain section on channel links), q^n_− and q^n_+ the discharges of the
   faces upstream and downstream in the same direction (zero at walls). The quadratic is solved
   exactly, q = 2 q* / (1 + sqrt(1 + 4 g a Δt |q*| / k²)): the semi-implicit form overshoots when
   q^n ≈ 0 on steep shallow slopes (odd-even oscillation on a kinematic plane); the implicit one
   tends to Manning's law at steady state. Continuity is the finite-volume balance of face
   discharges times face lengths. Step: Δt = α Δx / c_max (Bates et al. 2010, eq. 12, with c_max
   the fastest characteristic: sqrt(g d) of every wet cell, d its flow depth, and |u| + sqrt(g a)
   of every face that carried water in the previous step, u = q/a the face's mean velocity).

   Positivity: a cell's outflow volume in a step may not exceed the water it holds; its outgoing
   discharges are scaled by the ratio (the factor f), the same scaled value used on both sides of
   a face, so depth never goes negative and volume is conserved to round-off.

   One halo exchange per step: the state is read with ghosts 3 cells deep, so each rank computes
   the new discharges of the faces of its cells and of two rings around them, and the factors of
   its cells and of one ring, redundantly but in the same arithmetic as the neighbour that owns
   them (docs/routing.md). */
#include "routing_impl.h"
#include "halo.h"

typedef struct {
  DM             da1;  /* box stencil width 3, dof 1: the static data's ghosts (set-up only) */
  SbHalo         halo; /* the state's active ghost cells, 3 deep (halo.h), into the state's ghost buffer (SbStateGetGhostBuffer) */
  SbRoutingLocal L;
  SbCellRuns     act;         /* the active cells of the ghosted block (cellruns.h): the step visits these only */
  PetscReal     *qe, *qs, *f; /* per local index: new unit discharge of the east and south face; limiter factor */
  /* Outlets in the block of owned cells and one ring: local index (sorted), width, sqrt slope, discharge */
  PetscInt       nout;
  PetscInt      *out_l;
  PetscReal     *out_w, *out_s, *out_q;
  PetscReal      face_speed; /* largest |u| + sqrt(g a) of the faces of the last step (this rank's) */
} SbRoutingLI;

static PetscErrorCode SetUp_LI(SbRouting r)
{
  SbRoutingLI *li = (SbRoutingLI *)r->data;
  SbGrid      *g  = r->grid;
  PetscInt     n, xm, ym, m1, n1, sx[2], sy[2];
  Vec          sl;
  const PetscScalar *s;

  PetscFunctionBeginUser;
  PetscCall(DMDAGetInfo(g->da, NULL, NULL, NULL, NULL, &m1, &n1, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  sx[0] = g->xm;
  sy[0] = g->ym;
  PetscCallMPI(MPI_Allreduce(sx, sx + 1, 1, MPIU_INT, MPI_MIN, g->comm));
  PetscCallMPI(MPI_Allreduce(sy, sy + 1, 1, MPIU_INT, MPI_MIN, g->comm));
  PetscCheck((m1 == 1 || sx[1] >= 3) && (n1 == 1 || sy[1] >= 3), g->comm, PETSC_ERR_SUP, "local-inertial routing needs at least 3 columns and 3 rows per rank (the grid is %" PetscInt_FMT " x %" PetscInt_FMT " on %" PetscInt_FMT " x %" PetscInt_FMT " ranks); use fewer ranks", g->nx, g->ny, m1, n1);
  PetscCall(SbRoutingCreateDA(r, 1, DMDA_STENCIL_BOX, 3, &li->da1));
  PetscCall(SbRoutingLocalCreate(r, li->da1, &li->L));
  r->local = &li->L;
  xm = li->L.gxm;
  ym = li->L.gym;
  n  = xm * ym;

  /* Outlets among the owned cells and the first ring. */
  PetscCall(DMCreateLocalVector(li->da1, &sl));
  PetscCall(DMGlobalToLocal(li->da1, g->slope, INSERT_VALUES, sl));
  PetscCall(VecGetArrayRead(sl, &s));
  for (PetscInt pass = 0; pass < 2; pass++) {
    li->nout = 0;
    for (PetscInt j = PetscMax(g->ys - 1, 0); j < PetscMin(g->ys + g->ym + 1, g->ny); j++)
      for (PetscInt i = PetscMax(g->xs - 1, 0); i < PetscMin(g->xs + g->xm + 1, g->nx); i++) {
        const PetscInt k = (j - li->L.gys) * xm + (i - li->L.gxs);

        if (!(li->L.flags[k] & SB_CELL_OUTLET)) continue;
        if (pass == 1) {
          li->out_l[li->nout] = k;
          li->out_w[li->nout] = 0.5 * (g->dx_m[j] + g->dy_m);
          li->out_s[li->nout] = PetscSqrtReal(PetscMax(s[k], 1e-5));
        }
        li->nout++;
      }
    if (pass == 0) PetscCall(PetscMalloc4(li->nout + 1, &li->out_l, li->nout + 1, &li->out_w, li->nout + 1, &li->out_s, li->nout + 1, &li->out_q));
  }
  PetscCall(VecRestoreArrayRead(sl, &s));
  PetscCall(VecDestroy(&sl));
  /* da1 brought the static fields onto the ghosted block (L keeps its corners); its index sets and
     scatter (24 bytes per grid cell) are not needed in the time loop. The work arrays come after,
     so that the set-up does not hold both. */
  PetscCall(DMDestroy(&li->da1));
  /* The state ghosted 3 deep at the active cells alone (halo.h): the step reads nothing else. */
  PetscCall(SbHaloCreate(g, 3, 3, li->L.flags, SB_CELL_ACTIVE, PETSC_FALSE, PETSC_FALSE, &li->halo));
  {
    PetscInt    hxs, hys, hxm, hym;
    PetscScalar *buf;

    PetscCall(SbHaloGetCorners(li->halo, &hxs, &hys, &hxm, &hym));
    PetscCheck(hxs == li->L.gxs && hys == li->L.gys && hxm == xm && hym == ym, PETSC_COMM_SELF, PETSC_ERR_PLIB, "local-inertial routing: the halo's block differs from the static data's");
    /* The ghosted state is needed inside the step only, the state's own ghosted copy outside it:
       they share the state's buffer (24 bytes per grid cell). */
    PetscCall(SbStateGetGhostBuffer(r->state, 3 * n, &buf));
  }
  PetscCall(PetscCalloc3(n, &li->qe, n, &li->qs, n, &li->f));
  /* The step computes the faces and factors of active cells only; an inactive cell is a wall
     (no discharge through its faces) and lets its neighbours' outflow through unscaled. */
  PetscCall(SbCellRunsCreate(xm, ym, li->L.flags, SB_CELL_ACTIVE, &li->act));
  for (PetscInt k = 0; k < n; k++)
    if (!(li->L.flags[k] & SB_CELL_ACTIVE)) li->f[k] = 1.0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Destroy_LI(SbRouting r)
{
  SbRoutingLI *li = (SbRoutingLI *)r->data;

  PetscFunctionBeginUser;
  if (!li) PetscFunctionReturn(PETSC_SUCCESS);
  if (li->L.flags) PetscCall(SbRoutingLocalDestroy(&li->L));
  if (li->qe) PetscCall(PetscFree3(li->qe, li->qs, li->f));
  if (li->out_l) PetscCall(PetscFree4(li->out_l, li->out_w, li->out_s, li->out_q));
  PetscCall(SbCellRunsDestroy(&li->act));
  PetscCall(SbHaloDestroy(&li->halo));
  PetscCall(DMDestroy(&li->da1));
  PetscCall(PetscFree(r->data));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode StableDt_LI(SbRouting r, PetscReal *dt)
{
  SbRoutingLI      *li = (SbRoutingLI *)r->data;
  SbGrid           *g  = r->grid;
  const SbCellRuns *act = &g->active;
  const SbCell     *x;
  PetscReal         smax = 0, dmax = 0; /* dmax: the largest flow depth of a wet cell outside the pool */
  PetscBool         bad  = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(r->state->X, (const PetscScalar **)&x));
  /* A NaN or negative depth makes the maximum the largest real on every rank (the comparison is
     false for NaN), so the step becomes zero and the time loop names the cell. Every owned cell is
     looked at, the inactive ones (between the runs) too, where nothing else does: a comparison per
     cell. */
  for (PetscInt jj = 0; jj < g->ym; jj++) {
    /* from the owned block's index to the ghosted block's */
    const PetscInt off = (g->ys + jj - li->L.gys) * li->L.gxm + (g->xs - li->L.gxs) - jj * g->xm;
    PetscInt       gap = jj * g->xm; /* the first cell after the last run */

    for (PetscInt q = act->row[jj]; q < act->row[jj + 1]; q++) {
      for (PetscInt k = gap; k < act->k[2 * q]; k++) bad = (PetscBool)(bad | !(x[k].h >= 0));
      for (PetscInt k = act->k[2 * q]; k < act->k[2 * q + 1]; k++) {
        const PetscReal h = x[k].h;

        if (!(h >= 0)) bad = PETSC_TRUE;
        else if (!(li->L.flags[k + off] & SB_CELL_POOL) && h > 0) dmax = PetscMax(dmax, SbFlowDepth(&li->L, k + off, h));
      }
      gap = act->k[2 * q + 1];
    }
    for (PetscInt k = gap; k < (jj + 1) * g->xm; k++) bad = (PetscBool)(bad | !(x[k].h >= 0));
  }
  /* The gravity wave sqrt(g d) of the deepest cell: the rounded product and square root are
     monotone, so this is the largest of the cells' own speeds, bit for bit. */
  smax = bad ? PETSC_MAX_REAL : PetscSqrtReal(SB_GRAVITY * dmax);
  PetscCall(VecRestoreArrayRead(r->state->X, (const PetscScalar **)&x));
  /* The flow speed counts as well as the gravity wave, for steep shallow flow is supercritical
     (u > sqrt(g d)), where the step of Bates et al. (eq. 12) lets the explicit outlet and face
     updates overshoot and the flow break into oscillations. It is the velocity on the faces, q/a
     with the flow area a the discharge was computed with, not q over a cell's depth after the step:
     a cell that the step emptied would show u = Δx/Δt, an artefact that shrank the step by the
     Courant number at every such step (on the 2 km default basin, to a fifth of this step) and,
     through the q-centred term's diffusion per step, flattened the peaks. The faces of the rings
     are computed by two ranks in the same arithmetic, so the maximum is the same on any rank count. */
  smax = PetscMax(smax, li->face_speed);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &smax, 1, MPIU_REAL, MPI_MAX, g->comm));
  *dt = r->max_dt;
  if (smax >= PETSC_MAX_REAL) *dt = 0.0;
  else if (smax > 0) *dt = PetscMin(*dt, r->cfl * r->min_spacing_m / smax);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether the face between cells of classes fa and fb with depths ha and hb may carry water: both
   cells active, not both in the pool, water above the threshold on either side. Most faces of a
   basin are dry most of the time: the step tests this before it computes FaceQ. */
static inline PetscBool FaceOpen(uint8_t fa, uint8_t fb, PetscReal ha, PetscReal hb, PetscReal threshold)
{
  return (PetscBool)((fa & fb & SB_CELL_ACTIVE) && !(fa & fb & SB_CELL_POOL) && !(ha <= threshold && hb <= threshold));
}

/* New unit discharge of the face between local cells ka (west/north) and kb (east/south), a face
   that FaceOpen lets carry water. */
/* The fastest characteristic |q|/a + sqrt(g a) of the faces with water is kept in *speed. */
static inline PetscReal FaceQ(const SbRouting r, const SbRoutingLocal *L, PetscInt ka, PetscInt kb, PetscReal ha, PetscReal hb, PetscReal q, PetscReal q_minus, PetscReal q_plus, PetscBool link, PetscReal dist, PetscReal lf, PetscReal dt, PetscReal *speed)
{
  const uint8_t   fa = L->flags[ka], fb = L->flags[kb];
  PetscReal       eta_a, eta_b, a, k, qstar, qn;

  eta_a = SbEta(L, ka, ha);
  eta_b = SbEta(L, kb, hb);
  if (!SbFaceSection(L, ka, kb, link, PetscMax(eta_a, eta_b), lf, r->n_overland, r->n_channel, &a, &k)) return 0.0;
  if (a <= r->depth_threshold) return 0.0;
  qstar = r->theta * q + 0.5 * (1.0 - r->theta) * (q_minus + q_plus) - SB_GRAVITY * a * dt * (eta_b - eta_a) / dist;
  qn    = 2.0 * qstar / (1.0 + PetscSqrtReal(1.0 + 4.0 * SB_GRAVITY * dt * a * PetscAbsReal(qstar) / (k * k)));
  /* Water enters the reservoir through its edge but leaves it only by its outflow rule. */
  if (((fa & SB_CELL_POOL) && qn > 0) || ((fb & SB_CELL_POOL) && qn < 0)) qn = 0.0;
  if (qn != 0.0) {
    const PetscReal c = PetscAbsReal(qn) / a + PetscSqrtReal(SB_GRAVITY * a);

    if (c > *speed) *speed = c;
  }
  return qn;
}

/* Outlet discharge (m³/s) of local cell k from the list computed this step; 0 if not an outlet. */
static inline PetscReal OutletQ(const SbRoutingLI *li, PetscInt k)
{
  PetscInt lo = 0, hi = li->nout - 1;

  if (!(li->L.flags[k] & SB_CELL_OUTLET)) return 0.0;
  while (lo <= hi) {
    const PetscInt mid = (lo + hi) / 2;

    if (li->out_l[mid] == k) return li->out_q[mid];
    if (li->out_l[mid] < k) lo = mid + 1;
    else hi = mid - 1;
  }
  return 0.0;
}

/* Limited discharges (m³/s) through the four faces of owned cell (i, j), local index k, positive
   east and south, and its limited outlet discharge; ls and ln: the lengths of its south and north
   faces (SbSouthWidth of rows j and j - 1). Inlined: it runs for every active cell of every step. */
#if PetscHasAttribute(always_inline)
__attribute__((always_inline))
#endif
static inline void Limited(const SbRoutingLI *li, const SbGrid *g, PetscInt i, PetscInt j, PetscInt k, PetscReal ls, PetscReal ln, PetscReal *qe, PetscReal *qw, PetscReal *qs, PetscReal *qn, PetscReal *qo)
{
  const PetscInt   gxm = li->L.gxm;
  const PetscReal *f = li->f, dy = g->dy_m;
  PetscReal        e, w = 0, s, n = 0;

  e = li->qe[k] * dy;
  if (e != 0) e *= e > 0 ? f[k] : f[k + 1];
  if (i > 0) {
    w = li->qe[k - 1] * dy;
    if (w != 0) w *= w > 0 ? f[k - 1] : f[k];
  }
  s = li->qs[k] * ls;
  if (s != 0) s *= s > 0 ? f[k] : f[k + gxm];
  if (j > 0) {
    n = li->qs[k - gxm] * ln;
    if (n != 0) n *= n > 0 ? f[k - gxm] : f[k];
  }
  *qe = e;
  *qw = w;
  *qs = s;
  *qn = n;
  *qo = f[k] * OutletQ(li, k);
}

static PetscErrorCode Step_LI(SbRouting r, PetscReal dt)
{
  SbRoutingLI          *li = (SbRoutingLI *)r->data;
  SbGrid               *g  = r->grid;
  SbState              *s  = r->state;
  const SbRoutingLocal *L  = &li->L;
  const SbCellRuns     *act = &li->act;
  const SbCell         *xl; /* the state on the ghosted block (halo.h): cell k of the block, active cells only */
  SbCell              **xg;
  const PetscInt        gxs = L->gxs, gys = L->gys, gxm = L->gxm;
  const PetscInt        xs = g->xs, ys = g->ys, xe = g->xs + g->xm, ye = g->ys + g->ym, nx = g->nx, ny = g->ny;
  const uint8_t        *flags = L->flags;
  const PetscReal      *area = L->area, thr = r->depth_threshold, dy = g->dy_m;
  PetscReal            *qe_new = li->qe, *qs_new = li->qs, *f = li->f;
  PetscReal             outflow = 0, speed = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(r->ev_flux, 0, 0, 0, 0));
  {
    const PetscScalar *xa;
    PetscScalar       *buf;

    PetscCall(SbStateGetGhostBuffer(s, 3 * gxm * L->gym, &buf));
    PetscCall(VecGetArrayRead(s->X, &xa));
    PetscCall(SbHaloUpdate(li->halo, xa, buf));
    PetscCall(VecRestoreArrayRead(s->X, &xa));
    xl = (const SbCell *)buf;
  }

  /* 1. New discharges on the east and south faces of the owned cells and two rings around them.
        The active cells alone are visited (cellruns.h): an inactive cell's faces stay zero
        (SetUp_LI), for a face carries water only between two active cells. */
  for (PetscInt j = PetscMax(ys - 2, 0); j < PetscMin(ye + 1, ny); j++) {
    const PetscReal ls = SbSouthWidth(g, j), dx = g->dx_m[j];
    const PetscInt  jj = j - gys, base = jj * gxm;

    for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++) {
      PetscInt k0, k1;

      SbCellRunsClip(act, run, jj, PetscMax(xs - 2, 0) - gxs, PetscMin(xe + 1, nx) - gxs, &k0, &k1);
      for (PetscInt k = k0; k < k1; k++) {
        const PetscInt  i = gxs + (k - base);
        const PetscReal h = xl[k].h;
        PetscReal       qe = 0.0, qs = 0.0;

        /* The neighbouring faces of the q-centred term; where one is a wall (grid edge or inactive
           cell), the face's own discharge stands for it (zero gradient, as the open boundaries of
           de Almeida et al. 2012 and Landlab's OverlandFlow): a zero there would damp the face by
           (1 - theta)/2 every step, which starves an inflow boundary (the moving-front test,
           tests/unit/test_routing_verify.c) and a face beside a wall in general. */
        if (i + 1 < nx && FaceOpen(flags[k], flags[k + 1], h, xl[k + 1].h, thr)) {
          const PetscReal q  = xl[k].qx;
          const PetscReal qm = (i > 0 && (flags[k - 1] & SB_CELL_ACTIVE)) ? xl[k - 1].qx : q;
          const PetscReal qp = (i + 2 < nx && (flags[k + 2] & SB_CELL_ACTIVE)) ? xl[k + 1].qx : q;

          qe = FaceQ(r, L, k, k + 1, h, xl[k + 1].h, q, qm, qp, (flags[k] & SB_CELL_LINK_E) ? PETSC_TRUE : PETSC_FALSE, dx, dy, dt, &speed);
        }
        if (j + 1 < ny && FaceOpen(flags[k], flags[k + gxm], h, xl[k + gxm].h, thr)) {
          const PetscReal q  = xl[k].qy;
          const PetscReal qm = (j > 0 && (flags[k - gxm] & SB_CELL_ACTIVE)) ? xl[k - gxm].qy : q;
          const PetscReal qp = (j + 2 < ny && (flags[k + 2 * gxm] & SB_CELL_ACTIVE)) ? xl[k + gxm].qy : q;

          qs = FaceQ(r, L, k, k + gxm, h, xl[k + gxm].h, q, qm, qp, (flags[k] & SB_CELL_LINK_S) ? PETSC_TRUE : PETSC_FALSE, dy, ls, dt, &speed);
        }
        qe_new[k] = qe;
        qs_new[k] = qs;
      }
    }
  }
  li->face_speed = speed;
  PetscCall(PetscLogEventEnd(r->ev_flux, 0, 0, 0, 0));

  PetscCall(PetscLogEventBegin(r->ev_continuity, 0, 0, 0, 0));
  /* 2. Outlets and limiter factors of the owned cells and one ring: the volume leaving a cell in
        this step may not exceed the volume it holds. An inactive cell's factor stays 1 (SetUp_LI). */
  for (PetscInt c = 0; c < li->nout; c++) {
    const PetscInt k = li->out_l[c];

    li->out_q[c] = SbOutletDischarge(L, k, xl[k].h, li->out_w[c], li->out_s[c], r->n_overland, r->n_channel);
  }
  for (PetscInt j = PetscMax(ys - 1, 0); j < PetscMin(ye + 1, ny); j++) {
    const PetscReal ls = SbSouthWidth(g, j), ln = j > 0 ? SbSouthWidth(g, j - 1) : 0.0;
    const PetscInt  jj = j - gys, base = jj * gxm;

    for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++) {
      PetscInt k0, k1;

      SbCellRunsClip(act, run, jj, PetscMax(xs - 1, 0) - gxs, PetscMin(xe + 1, nx) - gxs, &k0, &k1);
      for (PetscInt k = k0; k < k1; k++) {
        const PetscInt i = gxs + (k - base);
        PetscReal      out, vol;

        out = PetscMax(qe_new[k], 0.0) * dy + PetscMax(qs_new[k], 0.0) * ls;
        if (i > 0) out += PetscMax(-qe_new[k - 1], 0.0) * dy;
        if (j > 0) out += PetscMax(-qs_new[k - gxm], 0.0) * ln;
        out += OutletQ(li, k);
        out *= dt;
        vol  = xl[k].h * area[k];
        f[k] = out > vol ? vol / out : 1.0;
      }
    }
  }

  /* 3. Continuity of the owned active cells with the limited discharges. */
  PetscCall(DMDAVecGetArray(s->da, s->X, &xg));
  for (PetscInt j = ys; j < ye; j++) {
    const PetscReal ls = SbSouthWidth(g, j), ln = j > 0 ? SbSouthWidth(g, j - 1) : 0.0;
    const PetscInt  jj = j - gys, base = jj * gxm;

    for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++) {
      PetscInt k0, k1;

      SbCellRunsClip(act, run, jj, xs - gxs, xe - gxs, &k0, &k1);
      for (PetscInt k = k0; k < k1; k++) {
        const PetscInt i = gxs + (k - base);
        PetscReal      qe, qw, qs, qn, qo;

        Limited(li, g, i, j, k, ls, ln, &qe, &qw, &qs, &qn, &qo);
        xg[j][i].h  = PetscMax(xl[k].h + dt * (qw - qe + qn - qs - qo) / area[k], 0.0);
        xg[j][i].qx = qe / dy;
        xg[j][i].qy = qs / ls;
        outflow += dt * qo;
      }
    }
  }
  /* Gauges owned here: everything that leaves the gauge cell. */
  for (PetscInt q = 0; q < g->ngauges; q++) {
    if (r->gauge_k[q] < 0) continue;
    {
      const PetscInt i = g->gauges[q].col, j = g->gauges[q].row, k = (j - gys) * gxm + (i - gxs);
      PetscReal      qe, qw, qs, qn, qo;

      Limited(li, g, i, j, k, SbSouthWidth(g, j), j > 0 ? SbSouthWidth(g, j - 1) : 0.0, &qe, &qw, &qs, &qn, &qo);
      r->gauge_step_v[q] += dt * (PetscMax(qe, 0.0) + PetscMax(-qw, 0.0) + PetscMax(qs, 0.0) + PetscMax(-qn, 0.0) + qo);
    }
  }
  s->budget.outflow_m3 += outflow;
  PetscCall(DMDAVecRestoreArray(s->da, s->X, &xg));
  PetscCall(PetscLogEventEnd(r->ev_continuity, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The face speed of the last step sets the next step: a restart must have it. */
static PetscErrorCode CheckpointWrite_LI(void *ctx, hid_t grp)
{
  SbRouting    r  = (SbRouting)ctx;
  SbRoutingLI *li = (SbRoutingLI *)r->data;
  PetscReal    v  = li->face_speed;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPIU_REAL, MPI_MAX, r->grid->comm));
  PetscCall(SbCheckpointWriteReals(grp, "face_speed_m_s", &v, 1, 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckpointRead_LI(void *ctx, hid_t grp, const char *file)
{
  SbRouting    r  = (SbRouting)ctx;
  SbRoutingLI *li = (SbRoutingLI *)r->data;
  PetscReal   *v;
  PetscInt     n;

  PetscFunctionBeginUser;
  PetscCall(SbCheckpointReadReals(grp, file, "face_speed_m_s", 1, &v, &n));
  PetscCheck(n == 1 && v[0] >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: routing/local-inertial/face_speed_m_s: expected one speed >= 0", file);
  li->face_speed = v[0];
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Checkpoint_LI(SbRouting r, SbCheckpoint ck)
{
  PetscFunctionBeginUser;
  PetscCall(SbCheckpointAddHook(ck, "routing/local-inertial", CheckpointWrite_LI, CheckpointRead_LI, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRoutingCreate_LocalInertial(SbRouting r)
{
  SbRoutingLI *li;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&li));
  r->data         = li;
  r->ops.setup    = SetUp_LI;
  r->ops.stabledt = StableDt_LI;
  r->ops.step     = Step_LI;
  r->ops.destroy  = Destroy_LI;
  r->ops.checkpoint = Checkpoint_LI;
  PetscFunctionReturn(PETSC_SUCCESS);
}
