/* Level-pool reservoir routing (e.g. Chow, Maidment & Mays 1988, Applied Hydrology, sec. 8.2):
   the pool is one store with one water level. Its stage-storage relation comes from the DEM
   cells of the pool, S(s) = sum_i A_i max(s - z_i, 0), exact and piecewise linear. Each step the
   routing has brought water into the pool cells (faces into the pool only let water in); here
   that water is gathered, the outflow rule releases part of it below the dam, and the rest is
   spread as a flat surface at the new stage.

   Rules (routing.reservoir.rule):
     normal-level  all storage above the normal pool level is released in the step (the dam is
                   operated to hold the normal level: outflow = inflow once full);
     weir          a free spillway with its crest at the normal level, Q = C L (s - z_crest)^{3/2}
                   (broad-crested weir, e.g. Chow 1959, Open-Channel Hydraulics, sec. 15-2),
                   integrated implicitly, S_new + dt Q(s(S_new)) = S, so that any step is stable
                   and the pool never drops below the crest by spilling.

   The pool: the largest 8-connected group of active cells of land use water with elevation at
   most level + 0.5 m (the tolerance admits DEMs that show the water surface with a little noise).
   It is found in parallel by propagating the smallest global cell index through the group, local
   sweeps between halo exchanges. The release goes to the D8 receiver outside the pool with the
   largest upstream area (the cell below the dam), or off the grid if the pool has no such
   receiver or drains off the grid itself. */
#include "reservoir.h"
#include "routing_impl.h"
#include "meshdata.h"

struct _p_SbReservoir {
  SbGrid           *grid; /* not owned */
  SbReservoirParams p;
  PetscInt          nlocal;    /* pool cells owned here */
  PetscInt         *k;         /* their index in the owned block */
  PetscReal        *z;         /* their elevation, m (the grid's elevation is set-up only) */
  PetscInt          n;         /* pool cells in all */
  PetscReal        *zr;        /* [n] sorted pool elevations relative to the level */
  PetscReal        *cumA;      /* [n+1] sum of areas of cells below */
  PetscReal        *cumAZ;     /* [n+1] sum of area x zr of cells below */
  PetscReal         area_m2;   /* cumA[n] */
  PetscReal         v_level;   /* storage at the normal level */
  PetscInt          target_k;  /* index in the owned block of the cell that receives the release; -1 if not owned here */
  PetscBool         off_grid;  /* the release leaves the grid */
  PetscReal         stage, release_m3_s;
  PetscMPIInt       rank;
};

/* Storage (m³) at stage zr (relative to the level). */
static PetscReal Storage(const struct _p_SbReservoir *r, PetscReal s)
{
  PetscInt lo = 0, hi = r->n; /* number of cells with zr < s */

  while (lo < hi) {
    const PetscInt mid = (lo + hi) / 2;

    if (r->zr[mid] < s) lo = mid + 1;
    else hi = mid;
  }
  return s * r->cumA[lo] - r->cumAZ[lo];
}

/* Stage (relative to the level) holding storage v: the inverse of Storage. */
static PetscReal Stage(const struct _p_SbReservoir *r, PetscReal v)
{
  PetscInt lo = 1, hi = r->n; /* the largest m with Storage(zr[m-1]) <= v */

  if (v <= 0) return r->zr[0];
  while (lo < hi) {
    const PetscInt mid = (lo + hi + 1) / 2;

    if (r->zr[mid - 1] * r->cumA[mid - 1] - r->cumAZ[mid - 1] <= v) lo = mid;
    else hi = mid - 1;
  }
  /* lo cells wet: v = s cumA[lo] - cumAZ[lo] */
  return (v + r->cumAZ[lo]) / r->cumA[lo];
}

typedef struct {
  PetscReal z;
  PetscReal area;
  PetscReal gidx;
} PoolCell;

static int ComparePoolCell(const void *a, const void *b)
{
  const PoolCell *x = (const PoolCell *)a, *y = (const PoolCell *)b;

  if (x->z != y->z) return x->z < y->z ? -1 : 1;
  return x->gidx < y->gidx ? -1 : (x->gidx > y->gidx);
}

static int CompareReal(const void *a, const void *b)
{
  const PetscReal x = *(const PetscReal *)a, y = *(const PetscReal *)b;

  return x < y ? -1 : (x > y);
}

/* Smallest global index of each 8-connected group of candidates (label -1 elsewhere). */
static PetscErrorCode LabelGroups(SbGrid *g, Vec label)
{
  Vec         ll;
  PetscInt    changed_global = 1;
  const PetscInt xs = g->xs, ys = g->ys, xe = g->xs + g->xm, ye = g->ys + g->ym;

  PetscFunctionBeginUser;
  PetscCall(DMCreateLocalVector(g->da, &ll));
  while (changed_global) {
    PetscScalar **L;
    PetscInt      changed = 0, sweep_changed = 1;

    PetscCall(DMGlobalToLocal(g->da, label, INSERT_VALUES, ll));
    PetscCall(DMDAVecGetArray(g->da, ll, &L));
    /* Forward and backward sweeps over the owned block until nothing changes here. */
    while (sweep_changed) {
      sweep_changed = 0;
      for (PetscInt pass = 0; pass < 2; pass++)
        for (PetscInt jj = 0; jj < g->ym; jj++)
          for (PetscInt ii = 0; ii < g->xm; ii++) {
            const PetscInt j = pass == 0 ? ys + jj : ye - 1 - jj, i = pass == 0 ? xs + ii : xe - 1 - ii;
            PetscScalar    m = L[j][i];

            if (m < 0) continue;
            for (PetscInt dj = -1; dj <= 1; dj++)
              for (PetscInt di = -1; di <= 1; di++) {
                const PetscInt ni = i + di, nj = j + dj;

                if (ni < 0 || nj < 0 || ni >= g->nx || nj >= g->ny) continue;
                if (L[nj][ni] >= 0 && L[nj][ni] < m) m = L[nj][ni];
              }
            if (m < L[j][i]) {
              L[j][i]       = m;
              sweep_changed = 1;
              changed       = 1;
            }
          }
    }
    PetscCall(DMDAVecRestoreArray(g->da, ll, &L));
    PetscCall(DMLocalToGlobal(g->da, ll, INSERT_VALUES, label));
    PetscCallMPI(MPI_Allreduce(&changed, &changed_global, 1, MPIU_INT, MPI_MAX, g->comm));
  }
  PetscCall(VecDestroy(&ll));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The label of the group with the most cells (the smallest label on a tie), or -1. */
static PetscErrorCode LargestGroup(SbGrid *g, Vec label, PetscReal *best)
{
  const PetscScalar *l;
  PetscReal         *mine, *pairs, *all;
  PetscInt           n = 0, npairs = 0;
  PetscMPIInt        size, cnt, *counts, *displs, total = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(g->comm, &size));
  PetscCall(VecGetArrayRead(label, &l));
  PetscCall(PetscMalloc1(g->xm * g->ym + 1, &mine));
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    if (l[k] >= 0) mine[n++] = l[k];
  PetscCall(VecRestoreArrayRead(label, &l));
  qsort(mine, (size_t)n, sizeof(PetscReal), CompareReal);
  PetscCall(PetscMalloc1(2 * n + 2, &pairs));
  for (PetscInt a = 0; a < n;) {
    PetscInt b = a;

    while (b < n && mine[b] == mine[a]) b++;
    pairs[2 * npairs]     = mine[a];
    pairs[2 * npairs + 1] = (PetscReal)(b - a);
    npairs++;
    a = b;
  }
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  cnt = (PetscMPIInt)(2 * npairs);
  PetscCallMPI(MPI_Allgather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, g->comm));
  for (PetscMPIInt q = 0; q < size; q++) {
    displs[q] = total;
    total += counts[q];
  }
  PetscCall(PetscMalloc1(total + 2, &all));
  PetscCallMPI(MPI_Allgatherv(pairs, cnt, MPIU_REAL, all, counts, displs, MPIU_REAL, g->comm));
  /* Sum the counts per label: sort the pairs by label (labels as keys of a simple merge). */
  {
    const PetscInt np = total / 2;
    PetscReal     *lab, bestcount = 0;

    PetscCall(PetscMalloc1(2 * np + 2, &lab));
    for (PetscInt q = 0; q < np; q++) {
      lab[2 * q]     = all[2 * q];
      lab[2 * q + 1] = all[2 * q + 1];
    }
    qsort(lab, (size_t)np, 2 * sizeof(PetscReal), CompareReal);
    *best = -1;
    for (PetscInt a = 0; a < np;) {
      PetscInt  b   = a;
      PetscReal sum = 0;

      while (b < np && lab[2 * b] == lab[2 * a]) sum += lab[2 * b++ + 1];
      if (sum > bestcount) {
        bestcount = sum;
        *best     = lab[2 * a];
      }
      a = b;
    }
    PetscCall(PetscFree(lab));
  }
  PetscCall(PetscFree(all));
  PetscCall(PetscFree2(counts, displs));
  PetscCall(PetscFree(pairs));
  PetscCall(PetscFree(mine));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The stage-storage table from every pool cell, the same on every rank. */
static PetscErrorCode BuildTable(struct _p_SbReservoir *r, const PoolCell *local)
{
  SbGrid     *g = r->grid;
  PetscMPIInt size, cnt, *counts, *displs, total = 0;
  PoolCell   *all;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(g->comm, &size));
  PetscCall(PetscMalloc2(size, &counts, size, &displs));
  cnt = (PetscMPIInt)(3 * r->nlocal);
  PetscCallMPI(MPI_Allgather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, g->comm));
  for (PetscMPIInt q = 0; q < size; q++) {
    displs[q] = total;
    total += counts[q];
  }
  r->n = total / 3;
  PetscCall(PetscMalloc1(r->n + 1, &all));
  PetscCallMPI(MPI_Allgatherv((void *)local, cnt, MPIU_REAL, all, counts, displs, MPIU_REAL, g->comm));
  qsort(all, (size_t)r->n, sizeof(PoolCell), ComparePoolCell);
  PetscCall(PetscMalloc3(r->n + 1, &r->zr, r->n + 1, &r->cumA, r->n + 1, &r->cumAZ));
  r->cumA[0]  = 0;
  r->cumAZ[0] = 0;
  for (PetscInt i = 0; i < r->n; i++) {
    r->zr[i]        = all[i].z - r->p.level_m;
    r->cumA[i + 1]  = r->cumA[i] + all[i].area;
    r->cumAZ[i + 1] = r->cumAZ[i] + all[i].area * r->zr[i];
  }
  r->zr[r->n] = PETSC_MAX_REAL;
  r->area_m2  = r->cumA[r->n];
  r->v_level  = Storage(r, 0.0);
  PetscCall(PetscFree(all));
  PetscCall(PetscFree2(counts, displs));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Where the release goes: the receiver outside the pool with the largest upstream area. */
static PetscErrorCode FindTarget(struct _p_SbReservoir *r, Vec label, PetscReal pool_label)
{
  SbGrid            *g = r->grid;
  Vec                ll, accl, maskl;
  const PetscScalar **L, **acc, **mk, **fd;
  PetscReal          best[3] = {-1, -1, -1}, *all; /* upstream area, target global index (-1 off the grid), source global index */
  PetscMPIInt        size;
  static const PetscInt code[8] = {1, 2, 4, 8, 16, 32, 64, 128}, ddi[8] = {1, 1, 0, -1, -1, -1, 0, 1}, ddj[8] = {0, 1, 1, 1, 0, -1, -1, -1};

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(g->comm, &size));
  PetscCall(DMCreateLocalVector(g->da, &ll));
  PetscCall(VecDuplicate(ll, &accl));
  PetscCall(VecDuplicate(ll, &maskl));
  PetscCall(DMGlobalToLocal(g->da, label, INSERT_VALUES, ll));
  PetscCall(DMGlobalToLocal(g->da, g->flow_accumulation, INSERT_VALUES, accl));
  PetscCall(DMGlobalToLocal(g->da, g->mask, INSERT_VALUES, maskl));
  PetscCall(DMDAVecGetArrayRead(g->da, ll, (void *)&L));
  PetscCall(DMDAVecGetArrayRead(g->da, accl, (void *)&acc));
  PetscCall(DMDAVecGetArrayRead(g->da, maskl, (void *)&mk));
  PetscCall(DMDAVecGetArrayRead(g->da, g->flow_direction, (void *)&fd));
  for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
      PetscReal cand[3];
      PetscInt  d;

      if (L[j][i] != pool_label) continue;
      for (d = 0; d < 8; d++)
        if ((PetscInt)fd[j][i] == code[d]) break;
      cand[2] = (PetscReal)(j * g->nx + i);
      if (d == 8) { /* the pool cell is an outlet */
        cand[0] = acc[j][i];
        cand[1] = -1;
      } else {
        const PetscInt ni = i + ddi[d], nj = j + ddj[d];

        if (ni < 0 || nj < 0 || ni >= g->nx || nj >= g->ny) {
          cand[0] = acc[j][i];
          cand[1] = -1;
        } else if (mk[nj][ni] == 0 || L[nj][ni] == pool_label) continue;
        else {
          cand[0] = acc[nj][ni];
          cand[1] = (PetscReal)(nj * g->nx + ni);
        }
      }
      if (cand[0] > best[0] || (cand[0] == best[0] && cand[2] < best[2])) PetscCall(PetscArraycpy(best, cand, 3));
    }
  PetscCall(DMDAVecRestoreArrayRead(g->da, g->flow_direction, (void *)&fd));
  PetscCall(DMDAVecRestoreArrayRead(g->da, maskl, (void *)&mk));
  PetscCall(DMDAVecRestoreArrayRead(g->da, accl, (void *)&acc));
  PetscCall(DMDAVecRestoreArrayRead(g->da, ll, (void *)&L));
  PetscCall(VecDestroy(&maskl));
  PetscCall(VecDestroy(&accl));
  PetscCall(VecDestroy(&ll));
  PetscCall(PetscMalloc1(3 * size, &all));
  PetscCallMPI(MPI_Allgather(best, 3, MPIU_REAL, all, 3, MPIU_REAL, g->comm));
  for (PetscMPIInt q = 0; q < size; q++)
    if (all[3 * q + 2] >= 0 && (all[3 * q] > best[0] || (all[3 * q] == best[0] && all[3 * q + 2] < best[2]) || best[2] < 0)) PetscCall(PetscArraycpy(best, &all[3 * q], 3));
  PetscCall(PetscFree(all));
  r->target_k = -1;
  r->off_grid = (PetscBool)(best[1] < 0);
  if (!r->off_grid) {
    const PetscInt t = (PetscInt)best[1], ti = t % g->nx, tj = t / g->nx;

    if (ti >= g->xs && ti < g->xs + g->xm && tj >= g->ys && tj < g->ys + g->ym) r->target_k = (tj - g->ys) * g->xm + (ti - g->xs);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbReservoirCreate(SbGrid *g, const SbReservoirParams *p, Vec flags, SbReservoir *res)
{
  struct _p_SbReservoir *r;
  Vec                    label;
  PetscScalar           *l, *fl;
  const PetscScalar     *mk, *lu, *z, *area;
  PetscReal              pool = -1;
  PoolCell              *cells;

  PetscFunctionBeginUser;
  *res = NULL;
  if (PetscIsInfOrNanReal(p->level_m)) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(DMCreateGlobalVector(g->da, &label));
  PetscCall(VecGetArray(label, &l));
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(g->landuse, &lu));
  PetscCall(VecGetArrayRead(g->elevation, &z));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) {
    const PetscInt i = g->xs + k % g->xm, j = g->ys + k / g->xm;

    l[k] = (mk[k] != 0 && (PetscInt)lu[k] == SB_LU_WATER && z[k] <= p->level_m + SB_POOL_TOLERANCE_M) ? (PetscReal)(j * g->nx + i) : -1.0;
  }
  PetscCall(VecRestoreArrayRead(g->elevation, &z));
  PetscCall(VecRestoreArrayRead(g->landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(VecRestoreArray(label, &l));
  PetscCall(LabelGroups(g, label));
  PetscCall(LargestGroup(g, label, &pool));
  if (pool < 0) {
    PetscCall(VecDestroy(&label));
    PetscFunctionReturn(PETSC_SUCCESS);
  }

  PetscCall(PetscNew(&r));
  r->grid = g;
  r->p    = *p;
  PetscCallMPI(MPI_Comm_rank(g->comm, &r->rank));
  PetscCall(VecGetArray(label, &l));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) r->nlocal += (l[k] == pool);
  PetscCall(PetscMalloc2(r->nlocal + 1, &r->k, r->nlocal + 1, &r->z));
  PetscCall(PetscMalloc1(r->nlocal + 1, &cells));
  PetscCall(VecGetArray(flags, &fl));
  PetscCall(VecGetArrayRead(g->elevation, &z));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  r->nlocal = 0;
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    if (l[k] == pool) {
      const PetscInt i = g->xs + k % g->xm, j = g->ys + k / g->xm;

      fl[k] = (PetscScalar)((PetscInt)fl[k] | SB_CELL_POOL);
      cells[r->nlocal].z    = z[k];
      cells[r->nlocal].area = area[k];
      cells[r->nlocal].gidx = (PetscReal)(j * g->nx + i);
      r->z[r->nlocal]       = z[k];
      r->k[r->nlocal++]     = k;
    }
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(VecRestoreArrayRead(g->elevation, &z));
  PetscCall(VecRestoreArray(flags, &fl));
  PetscCall(VecRestoreArray(label, &l));
  PetscCall(BuildTable(r, cells));
  PetscCall(PetscFree(cells));
  PetscCall(FindTarget(r, label, pool));
  PetscCall(VecDestroy(&label));
  r->stage = 0;
  *res     = r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbReservoirDestroy(SbReservoir *res)
{
  PetscFunctionBeginUser;
  if (!*res) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree2((*res)->k, (*res)->z));
  PetscCall(PetscFree3((*res)->zr, (*res)->cumA, (*res)->cumAZ));
  PetscCall(PetscFree(*res));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbReservoirFill(SbReservoir r, SbState *s)
{
  SbCell *x;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  for (PetscInt c = 0; c < r->nlocal; c++) x[r->k[c]].h = PetscMax(r->p.level_m - r->z[c], 0.0);
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  r->stage = r->p.level_m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Weir outflow (m³/s) at stage s relative to the crest. */
static PetscReal Weir(const struct _p_SbReservoir *r, PetscReal s)
{
  return s > 0 ? r->p.weir_coef * r->p.weir_length_m * s * PetscSqrtReal(s) : 0.0;
}

PetscErrorCode SbReservoirStep(SbReservoir r, SbState *s, PetscReal dt, PetscReal *outflow_m3)
{
  SbCell            *x;
  const PetscScalar *area;
  PetscReal          v = 0, vnew, release, stage;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArrayRead(r->grid->cell_area, &area));
  for (PetscInt c = 0; c < r->nlocal; c++) v += x[r->k[c]].h * area[r->k[c]];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPIU_REAL, MPI_SUM, r->grid->comm));

  /* The rule: the new storage vnew. */
  if (v <= r->v_level) vnew = v;
  else if (r->p.rule == SB_RESERVOIR_NORMAL_LEVEL) vnew = r->v_level;
  else {
    /* vnew + dt Q(stage(vnew)) = v, monotone in vnew: bisection to the resolution of doubles. */
    PetscReal lo = r->v_level, hi = v;

    for (PetscInt it = 0; it < 200 && hi - lo > 1e-15 * hi; it++) {
      const PetscReal mid = 0.5 * (lo + hi);

      if (mid + dt * Weir(r, Stage(r, mid)) > v) hi = mid;
      else lo = mid;
    }
    vnew = lo;
  }
  release = v - vnew;
  stage   = Stage(r, vnew);
  for (PetscInt c = 0; c < r->nlocal; c++) x[r->k[c]].h = PetscMax(stage - (r->z[c] - r->p.level_m), 0.0);
  if (r->target_k >= 0) x[r->target_k].h += release / area[r->target_k];
  if (r->off_grid && r->rank == 0) *outflow_m3 += release;
  PetscCall(VecRestoreArrayRead(r->grid->cell_area, &area));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  r->stage        = r->p.level_m + stage;
  r->release_m3_s = dt > 0 ? release / dt : 0.0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbReservoirGetStatus(SbReservoir r, PetscReal *stage_m, PetscReal *release_m3_s)
{
  PetscFunctionBeginUser;
  *stage_m      = r->stage;
  *release_m3_s = r->release_m3_s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbReservoirGetSize(SbReservoir r, PetscInt *cells, PetscReal *area_m2)
{
  PetscFunctionBeginUser;
  *cells   = r->n;
  *area_m2 = r->area_m2;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbReservoirGetTarget(SbReservoir r, PetscInt *target_k, PetscBool *off_grid)
{
  PetscFunctionBeginUser;
  *target_k = r->target_k;
  *off_grid = r->off_grid;
  PetscFunctionReturn(PETSC_SUCCESS);
}
