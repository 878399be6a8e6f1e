/* D8 flow-path operations and sediment connectivity in parallel against a plain serial reference.

   Random small DEMs (three seeds) with steepest-descent D8 directions, some inactive cells, water
   and channels. Every rank builds the same mesh in memory; rank 0 writes it. The reference walks
   every flow path cell by cell (O(cells × path length), no topological order, no ranks): upstream
   sums and longest paths, downstream sums, then IC, SDR and export with the formulas of Borselli
   et al. (2008) and Vigiak et al. (2012). Run by ctest at 1 rank and by regression.cmake at 1, 2
   and 4 ranks; parallel and reference must agree to 1e-12 (relative). Also checks that the
   assembled routing matrix satisfies (I − Pᵀ) a = w. */
#include "grid.h"
#include "d8.h"
#include "connectivity.h"
#include "meshdata.h"
#include "sbtest.h"
#include <math.h>

#define NX 29
#define NY 19
#define N  (NX * NY)

typedef struct {
  uint64_t s;
} Rng;

static double Uniform(Rng *r)
{
  /* splitmix64 (Steele, Lea & Flood 2014) */
  uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return (double)(z >> 11) / 9007199254740992.0;
}

typedef struct {
  SbMeshData *m;
  PetscInt    recv[N]; /* receiver or -1 */
  double      len[N], w[N], pass[N], W[N], A[N], lu[N];
} Case;

static const int DI[8] = {1, 1, 0, -1, -1, -1, 0, 1}, DJ[8] = {0, 1, 1, 1, 0, -1, -1, -1}, CODE[8] = {1, 2, 4, 8, 16, 32, 64, 128};

static PetscErrorCode MakeCase(uint64_t seed, Case *c)
{
  Rng      r = {seed};
  PetscInt acc[N];

  PetscFunctionBeginUser;
  PetscCall(SbMeshDataCreate(NX, NY, &c->m));
  c->m->cellsize = 30.0;
  PetscCall(SbMeshDataComputeMetrics(c->m));
  for (PetscInt k = 0; k < N; k++) {
    const PetscInt i = k % NX, j = k / NX;

    c->m->mask[k]      = !((i < 3 && j < 3) || (i > NX - 4 && j < 2) || Uniform(&r) < 0.03);
    c->m->elevation[k] = 0.4 * i + 0.25 * j + 3.0 * Uniform(&r);
    c->m->region[k]    = c->m->mask[k] ? 1 : 0;
    c->m->soil[k]      = 4;
    c->m->slope[k]     = 0.6 * Uniform(&r);
  }
  /* steepest descent to a lower active neighbour, else an outlet */
  for (PetscInt k = 0; k < N; k++) {
    const PetscInt i = k % NX, j = k / NX;
    double         best = 0;

    c->recv[k] = -1;
    c->len[k]  = c->m->dx_m[j]; /* outlets and inactive cells, as SbD8 */
    if (!c->m->mask[k]) continue;
    for (int d = 0; d < 8; d++) {
      const PetscInt ii = i + DI[d], jj = j + DJ[d];
      double         drop;

      if (ii < 0 || ii >= NX || jj < 0 || jj >= NY || !c->m->mask[jj * NX + ii]) continue;
      drop = (c->m->elevation[k] - c->m->elevation[jj * NX + ii]) / ((DI[d] && DJ[d]) ? sqrt(2.0) : 1.0);
      if (drop > best) {
        best                 = drop;
        c->recv[k]           = jj * NX + ii;
        c->m->flow_direction[k] = (uint8_t)CODE[d];
      }
    }
    if (c->m->flow_direction[k]) c->len[k] = (c->recv[k] % NX != i && c->recv[k] / NX != j) ? sqrt(c->m->dx_m[j] * c->m->dx_m[j] + c->m->dy_m * c->m->dy_m) : (c->recv[k] % NX != i ? c->m->dx_m[j] : c->m->dy_m);
  }
  /* channels where 12 or more cells drain through, by walking every path */
  for (PetscInt k = 0; k < N; k++) acc[k] = 0;
  for (PetscInt k = 0; k < N; k++)
    if (c->m->mask[k])
      for (PetscInt q = k; q >= 0; q = c->recv[q]) acc[q]++;
  for (PetscInt k = 0; k < N; k++) {
    c->m->channel[k] = c->m->mask[k] && acc[k] >= 12;
    c->m->landuse[k] = c->m->mask[k] ? 1 + (int32_t)(7 * Uniform(&r)) % 7 : 0;
    c->lu[k]         = c->m->landuse[k];
    c->w[k]          = c->m->mask[k] ? Uniform(&r) : 0.0;
    c->pass[k]       = c->m->mask[k] ? (Uniform(&r) < 0.85 ? 1.0 : 0.3 * Uniform(&r)) : 0.0;
    c->W[k]          = c->m->mask[k] ? 0.0005 + Uniform(&r) : 0.0;
    c->A[k]          = c->m->mask[k] ? 5000 * Uniform(&r) : 0.0;
  }
  c->m->ngauges = 1;
  PetscCall(PetscCalloc1(1, &c->m->gauges));
  PetscCall(PetscStrncpy(c->m->gauges[0].name, "outlet", SB_MAX_NAME));
  c->m->nregions = 1;
  PetscCall(PetscStrncpy(c->m->region_names[0], "all", SB_MAX_NAME));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reference by walking paths: up[i] = Σ_j w_j Π pass over the links j→…→i; longest[i] = max over
   j of the flow length of the path j..i through links with pass != 0; down[i] = Σ over the path
   from i of w_k Π pass of the links before k. */
static void Reference(const Case *c, const double *w, const double *pass, double *up, double *longest, double *down)
{
  for (PetscInt k = 0; k < N; k++) up[k] = longest[k] = down[k] = 0;
  for (PetscInt j = 0; j < N; j++) {
    double f = 1, s = 0; /* inactive cells have no receiver: their walk is themselves */

    for (PetscInt q = j; q >= 0; q = c->recv[q]) {
      up[q] += f * w[j];
      f *= pass[q];
    }
    for (PetscInt q = j; q >= 0; q = c->recv[q]) {
      s += c->len[q];
      if (s > longest[q]) longest[q] = s;
      if (pass[q] == 0) break;
    }
    f = 1;
    for (PetscInt q = j; q >= 0; q = c->recv[q]) {
      down[j] += f * w[q];
      f *= pass[q];
    }
  }
}

/* Largest |par − ref| / max(|ref|, 1) over owned cells, over all ranks. */
static PetscErrorCode Compare(SbGrid *g, Vec v, const double *ref, PetscReal *err)
{
  const PetscScalar *x;
  PetscReal          e = 0;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(v, &x));
  for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
      const PetscInt k = j * NX + i;

      e = PetscMax(e, PetscAbsReal(x[(j - g->ys) * g->xm + (i - g->xs)] - ref[k]) / PetscMax(PetscAbsReal(ref[k]), 1.0));
    }
  PetscCall(VecRestoreArrayRead(v, &x));
  PetscCallMPI(MPI_Allreduce(&e, err, 1, MPIU_REAL, MPI_MAX, g->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Fill(SbGrid *g, Vec v, const double *a)
{
  PetscScalar *x;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(v, &x));
  for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++) x[(j - g->ys) * g->xm + (i - g->xs)] = a[j * NX + i];
  PetscCall(VecRestoreArray(v, &x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunCase(Test *t, uint64_t seed)
{
  Case                 c;
  SbGrid              *g;
  SbD8                 d8;
  Vec                  w, pass, a, b, one, lu, W, A, ts, ic, sdr, ex, ps;
  Mat                  P;
  double              *up, *lo, *dn, *ones, *ic_r, *sdr_r, *ex_r, *ps_r, *tmp, *tmp2;
  PetscReal            err, res, wn;
  PetscMPIInt          rank, size;
  PetscInt             it;
  char                 path[64], what[160];
  SbConnectivityParams cp = {0.8, 0.5, 2.0};

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(MakeCase(seed, &c));
  PetscCall(PetscSNPrintf(path, sizeof(path), "test_d8_np%d_%d.h5", size, (int)seed));
  if (rank == 0) PetscCall(SbMeshDataWrite(c.m, path));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, path, &g));
  PetscCall(SbD8Create(g, &d8));
  PetscCall(PetscMalloc5(N, &up, N, &lo, N, &dn, N, &ones, N, &tmp));
  PetscCall(PetscMalloc5(N, &ic_r, N, &sdr_r, N, &ex_r, N, &ps_r, N, &tmp2));
  PetscCall(DMCreateGlobalVector(g->da, &w));
  PetscCall(VecDuplicate(w, &pass));
  PetscCall(VecDuplicate(w, &a));
  PetscCall(VecDuplicate(w, &b));
  PetscCall(VecDuplicate(w, &one));
  PetscCall(Fill(g, w, c.w));
  PetscCall(Fill(g, pass, c.pass));

  /* 1. upstream sums, weighted links */
  Reference(&c, c.w, c.pass, up, lo, dn);
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, w, pass, a));
  PetscCall(SbD8GetIterations(d8, &it));
  PetscCall(Compare(g, a, up, &err));
  PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: upstream sum, max relative difference %.3g (%" PetscInt_FMT " exchanges)", (int)seed, (double)err, it));
  PetscCall(Check(t, err <= 1e-12 ? PETSC_TRUE : PETSC_FALSE, what));
  /* 2. downstream path sums */
  PetscCall(SbD8Downstream(d8, w, pass, b));
  PetscCall(Compare(g, b, dn, &err));
  PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: downstream sum, max relative difference %.3g", (int)seed, (double)err));
  PetscCall(Check(t, err <= 1e-12 ? PETSC_TRUE : PETSC_FALSE, what));
  /* 3. longest path (slope length) through links with pass != 0 */
  {
    Vec len;

    PetscCall(SbD8GetFlowLength(d8, &len));
    PetscCall(Compare(g, len, c.len, &err));
    PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: flow lengths, max relative difference %.3g", (int)seed, (double)err));
    PetscCall(Check(t, err <= 1e-14 ? PETSC_TRUE : PETSC_FALSE, what));
    for (PetscInt k = 0; k < N; k++) tmp[k] = c.pass[k] == 1.0 ? 1.0 : 0.0;
    Reference(&c, c.w, tmp, tmp2, lo, dn);
    PetscCall(Fill(g, pass, tmp));
    PetscCall(SbD8Accumulate(d8, SB_D8_MAX, len, pass, a));
    PetscCall(Compare(g, a, lo, &err));
    PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: longest upstream path, max relative difference %.3g", (int)seed, (double)err));
    PetscCall(Check(t, err <= 1e-12 ? PETSC_TRUE : PETSC_FALSE, what));
  }
  /* 4. the routing matrix: (I − Pᵀ) a = w for the unweighted accumulation */
  PetscCall(SbD8Accumulate(d8, SB_D8_SUM, w, NULL, a));
  PetscCall(SbD8GetMatrix(d8, &P));
  PetscCall(MatMultTranspose(P, a, b));
  PetscCall(VecAYPX(b, -1.0, a));
  PetscCall(VecAXPY(b, -1.0, w));
  PetscCall(VecNorm(b, NORM_INFINITY, &res));
  PetscCall(VecNorm(a, NORM_INFINITY, &wn));
  PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: ||(I - P^T) a - w|| / ||a|| = %.3g", (int)seed, (double)(res / wn)));
  PetscCall(Check(t, res <= 1e-13 * wn ? PETSC_TRUE : PETSC_FALSE, what));

  /* 5. IC, SDR, export and what passes each cell, against the formulas applied to the reference */
  {
    double *wa, *sa, *ar, *ua, *uw, *us, *ddn, *pdn;

    PetscCall(PetscMalloc4(N, &wa, N, &sa, N, &ar, N, &ua));
    PetscCall(PetscMalloc4(N, &uw, N, &us, N, &ddn, N, &pdn));
    for (PetscInt k = 0; k < N; k++) {
      const double Wc = PetscClipInterval(c.W[k], 0.001, 1.0), Sc = PetscClipInterval(c.m->slope[k], 0.005, 1.0);
      const PetscBool sink = c.m->channel[k] || c.lu[k] == SB_LU_WATER;
      const PetscInt  r    = c.recv[k];

      ar[k]   = c.m->mask[k] ? c.m->cell_area[k] : 0.0;
      wa[k]   = ar[k] * Wc;
      sa[k]   = ar[k] * Sc;
      ones[k] = 1.0;
      ddn[k]  = c.m->mask[k] ? c.len[k] / (Wc * Sc) : 0.0;
      pdn[k]  = (c.m->mask[k] && !sink && !(r >= 0 && (c.m->channel[r] || c.lu[r] == SB_LU_WATER))) ? 1.0 : 0.0;
    }
    Reference(&c, wa, ones, uw, tmp, tmp2);
    Reference(&c, sa, ones, us, tmp, tmp2);
    Reference(&c, ar, ones, ua, tmp, tmp2);
    Reference(&c, ddn, pdn, tmp, tmp2, dn);
    for (PetscInt k = 0; k < N; k++) {
      ic_r[k] = sdr_r[k] = ex_r[k] = 0;
      if (!c.m->mask[k]) continue;
      ic_r[k]  = log10((uw[k] / ua[k]) * (us[k] / ua[k]) * sqrt(ua[k]) / dn[k]);
      sdr_r[k] = 0.8 / (1.0 + exp((0.5 - ic_r[k]) / 2.0));
      ex_r[k]  = c.A[k] * ar[k] * 1e-6 * sdr_r[k];
    }
    Reference(&c, ex_r, ones, ps_r, tmp, tmp2);
    PetscCall(PetscFree4(wa, sa, ar, ua));
    PetscCall(PetscFree4(uw, us, ddn, pdn));
  }
  PetscCall(VecDuplicate(w, &lu));
  PetscCall(VecDuplicate(w, &W));
  PetscCall(VecDuplicate(w, &A));
  PetscCall(VecDuplicate(w, &ts));
  PetscCall(VecDuplicate(w, &ic));
  PetscCall(VecDuplicate(w, &sdr));
  PetscCall(VecDuplicate(w, &ex));
  PetscCall(VecDuplicate(w, &ps));
  PetscCall(Fill(g, lu, c.lu));
  PetscCall(Fill(g, W, c.W));
  PetscCall(Fill(g, A, c.A));
  PetscCall(VecCopy(g->slope, ts));
  PetscCall(SbConnectivityCompute(g, d8, &cp, W, ts, A, lu, NULL, ic, sdr, ex, ps));
  PetscCall(Compare(g, ic, ic_r, &err));
  PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: IC, max relative difference %.3g", (int)seed, (double)err));
  PetscCall(Check(t, err <= 1e-12 ? PETSC_TRUE : PETSC_FALSE, what));
  PetscCall(Compare(g, sdr, sdr_r, &err));
  PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: SDR, max relative difference %.3g", (int)seed, (double)err));
  PetscCall(Check(t, err <= 1e-12 ? PETSC_TRUE : PETSC_FALSE, what));
  PetscCall(Compare(g, ps, ps_r, &err));
  PetscCall(PetscSNPrintf(what, sizeof(what), "seed %d: sediment passing each cell (export to any gauge), max relative difference %.3g", (int)seed, (double)err));
  PetscCall(Check(t, err <= 1e-12 ? PETSC_TRUE : PETSC_FALSE, what));

  PetscCall(VecDestroy(&lu));
  PetscCall(VecDestroy(&W));
  PetscCall(VecDestroy(&A));
  PetscCall(VecDestroy(&ts));
  PetscCall(VecDestroy(&ic));
  PetscCall(VecDestroy(&sdr));
  PetscCall(VecDestroy(&ex));
  PetscCall(VecDestroy(&ps));
  PetscCall(VecDestroy(&w));
  PetscCall(VecDestroy(&pass));
  PetscCall(VecDestroy(&a));
  PetscCall(VecDestroy(&b));
  PetscCall(VecDestroy(&one));
  PetscCall(PetscFree5(up, lo, dn, ones, tmp));
  PetscCall(PetscFree5(ic_r, sdr_r, ex_r, ps_r, tmp2));
  PetscCall(SbD8Destroy(&d8));
  PetscCall(SbGridDestroy(&g));
  PetscCall(SbMeshDataDestroy(&c.m));
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  if (rank == 0) (void)remove(path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t = {{0}, 0, 0};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  for (uint64_t seed = 1; seed <= 3; seed++) PetscCall(RunCase(&t, seed));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " checks, %" PetscInt_FMT " failures\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
