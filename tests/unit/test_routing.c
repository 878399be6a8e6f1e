/* Local-inertial routing against analytic cases.

   1. Kinematic plane at steady state (Woolhiser & Liggett 1967; e.g. Singh 1996, Kinematic Wave
      Modeling in Water Resources, ch. 4): rain r on a plane of length L and slope S reaches a
      steady state where the unit discharge at distance x from the divide is q = r x and the depth
      is h = (n q / S^{1/2})^{3/5}. The outflow then equals r L per unit width.
   2. Lake at rest over a bumpy bed: the water surface stays flat and nothing moves.
   3. Volume balance on rough terrain with rain: rain − outflow − storage change = 0 to round-off.
   4. Ownership ranges balance the weights. */
#include "grid.h"
#include "state.h"
#include "forcing.h"
#include "routing.h"
#include "scenario.h"
#include "meshdata.h"
#include "sbtest.h"
#include <math.h>

static int failures = 0;

static void CheckValue(PetscBool ok, const char *what, double got, double want)
{
  PetscPrintf(PETSC_COMM_WORLD, "%s %s: got %.10g, expected %.10g\n", ok ? "ok  " : "FAIL", what, got, want);
  if (!ok) failures++;
}

static PetscErrorCode DefaultScenario(SbScenario *sc)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(sc, sizeof(*sc)));
  sc->manning_n_overland = 0.05;
  sc->manning_n_channel  = 0.05;
  sc->cfl                = 0.7;
  sc->theta              = 0.9; /* 0.8 is unstable at cfl 0.7 in 2-D (lake at rest grows) */
  sc->max_dt_s           = 10.0;
  sc->depth_threshold_m  = 1e-6;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A projected nx x ny mesh; elevation from a callback; the outlet (flow_direction 0) at (orow, ocol),
   or none if orow < 0. Every other active cell gets a nonzero D8 code. */
static PetscErrorCode MakeMesh(const char *path, PetscInt nx, PetscInt ny, PetscReal cell, PetscReal (*z)(PetscReal, PetscReal, void *), void *ctx, PetscInt orow, PetscInt ocol, PetscReal oslope)
{
  SbMeshData *m;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(SbMeshDataCreate(nx, ny, &m));
    m->cellsize = cell;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt r = 0; r < ny; r++)
      for (PetscInt c = 0; c < nx; c++) {
        const PetscInt k = r * nx + c;

        m->mask[k]           = 1;
        m->elevation[k]      = z((c + 0.5) * cell, (r + 0.5) * cell, ctx);
        m->flow_direction[k] = (r == orow && c == ocol) ? 0 : SB_D8_E;
        /* the east column drains along the edge to the outlet (never off the grid) */
        if (c == nx - 1 && !(r == orow && c == ocol)) m->flow_direction[k] = orow < 0 ? SB_D8_W : (r < orow ? SB_D8_S : SB_D8_N);
        m->slope[k]          = oslope;
        m->region[k]         = 1;
        m->soil[k]           = SB_SOIL_LOAM;
        m->landuse[k]        = SB_LU_FOREST;
      }
    m->ngauges = 1;
    PetscCall(PetscCalloc1(1, &m->gauges));
    PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", SB_MAX_NAME));
    m->gauges[0].row = orow >= 0 ? orow : 0;
    m->gauges[0].col = ocol >= 0 ? ocol : 0;
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscReal PlaneZ(PetscReal x, PetscReal y, void *ctx)
{
  const PetscReal *p = (const PetscReal *)ctx; /* S, L */

  return p[0] * (p[1] - x);
}

static PetscReal BumpyZ(PetscReal x, PetscReal y, void *ctx)
{
  return 0.3 * sin(0.05 * x) * cos(0.07 * y) + 0.2 * sin(0.013 * x * y / 50.0);
}

static PetscReal RoughZ(PetscReal x, PetscReal y, void *ctx)
{
  return 0.01 * (400 - x) + 0.05 * sin(0.031 * x) * sin(0.023 * y) + 0.01 * cos(0.11 * x + 0.07 * y);
}

static PetscErrorCode Run(const char *path, const SbScenario *sc, PetscReal rain_m_s, PetscReal T, SbGrid **grid, SbState **state, SbRouting *routing, PetscBool keep_open)
{
  PetscReal t = 0;

  PetscFunctionBeginUser;
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, path, grid));
  PetscCall(SbStateCreate(*grid, state));
  PetscCall(SbRoutingCreate(*state, sc, routing));
  while (t < T) {
    PetscReal dt;

    PetscCall(SbRoutingStableDt(*routing, &dt));
    dt = PetscMin(dt, T - t);
    PetscCall(SbRainApply(*state, rain_m_s, dt));
    PetscCall(SbRoutingStep(*routing, dt));
    t += dt;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs the plane with nx cells over L = 1000 m; returns the steady outflow ratio, the largest
   relative depth error over x >= 100 m, and the error at the face x = 500 m. */
static PetscErrorCode RunPlane(PetscInt nx, PetscReal *qratio, PetscReal *maxerr, PetscReal *err500)
{
  const PetscReal L = 1000.0, dx = L / nx, S = 0.01, n = 0.05, r = 50.0 / 3.6e6, params[2] = {S, L};
  SbScenario      sc;
  SbGrid         *g;
  SbState        *s;
  SbRouting       ro;
  PetscReal       q[1], v[1];
  const SbCell   *x;

  PetscFunctionBeginUser;
  PetscCall(DefaultScenario(&sc));
  PetscCall(MakeMesh("test_routing_plane.h5", nx, 1, dx, PlaneZ, (void *)params, 0, nx - 1, S));
  PetscCall(Run("test_routing_plane.h5", &sc, r, 5 * 3600.0, &g, &s, &ro, PETSC_TRUE));
  PetscCall(SbRoutingGauges(ro, q, v));
  *qratio = q[0] / (r * L * dx);
  *maxerr = 0;
  *err500 = 0;
  /* The depth of cell i drives the discharge through its east face, at x = (i+1) dx. */
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  for (PetscInt i = 0; i < g->xm; i++) {
    const PetscInt  gi = g->xs + i;
    const PetscReal xf = (gi + 1) * dx, h = PetscPowReal(n * r * xf / PetscSqrtReal(S), 0.6), e = PetscAbsReal(x[i].h / h - 1);

    if (xf >= 100.0 && gi < nx - 1) *maxerr = PetscMax(*maxerr, e);
    if (PetscAbsReal(xf - 500.0) < 0.5 * dx) *err500 = e;
  }
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, maxerr, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, err500, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  PetscCall(SbRoutingDestroy(&ro));
  PetscCall(SbStateDestroy(&s));
  PetscCall(SbGridDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestPlane(void)
{
  PetscReal qr, e, e500, qr2, e2, e500b;

  PetscFunctionBeginUser;
  PetscCall(RunPlane(100, &qr, &e, &e500));
  CheckValue((PetscBool)(PetscAbsReal(qr - 1) < 0.005), "plane dx 10 m: steady outflow / (r L w) (0.5%)", qr, 1.0);
  CheckValue((PetscBool)(e < 0.01), "plane dx 10 m: depth vs (n r x / S^0.5)^0.6 for x >= 100 m, max relative error (1%)", e, 0.0);
  /* The remaining error is the scheme's first-order truncation (the upstream depth drives a
     face), so it must fall about in half when the cells are halved. */
  PetscCall(RunPlane(200, &qr2, &e2, &e500b));
  CheckValue((PetscBool)(PetscAbsReal(qr2 - 1) < 0.005), "plane dx 5 m: steady outflow / (r L w) (0.5%)", qr2, 1.0);
  CheckValue((PetscBool)(e500b < 0.65 * e500 && e500b < 0.003), "plane: error at x = 500 m, dx 5 m vs 10 m (first-order convergence)", e500b, e500);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestLakeAtRest(void)
{
  SbScenario sc;
  SbGrid    *g;
  SbState   *s;
  SbRouting  ro;
  SbCell    *x;
  PetscReal  z, qmax = 0, dev = 0, T = 600;
  PetscScalar *zz;

  PetscFunctionBeginUser;
  PetscCall(DefaultScenario(&sc));
  PetscCall(MakeMesh("test_routing_lake.h5", 40, 30, 10.0, BumpyZ, NULL, -1, -1, 0.01));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, "test_routing_lake.h5", &g));
  PetscCall(SbStateCreate(g, &s));
  PetscCall(SbRoutingCreate(s, &sc, &ro));
  /* Level 1 m everywhere. */
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(g->elevation, &zz));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) x[k].h = 1.0 - zz[k];
  PetscCall(VecRestoreArray(g->elevation, &zz));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  for (PetscReal t = 0; t < T;) {
    PetscReal dt;

    PetscCall(SbRoutingStableDt(ro, &dt));
    PetscCall(SbRoutingStep(ro, dt));
    t += dt;
  }
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(g->elevation, &zz));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) {
    z    = zz[k];
    dev  = PetscMax(dev, PetscAbsReal(z + x[k].h - 1.0));
    qmax = PetscMax(qmax, PetscMax(PetscAbsReal(x[k].qx), PetscAbsReal(x[k].qy)));
  }
  PetscCall(VecRestoreArray(g->elevation, &zz));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &dev, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &qmax, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  CheckValue((PetscBool)(dev < 1e-12), "lake at rest: max |level - 1 m|", dev, 0);
  CheckValue((PetscBool)(qmax < 1e-12), "lake at rest: max |q|", qmax, 0);
  PetscCall(SbRoutingDestroy(&ro));
  PetscCall(SbStateDestroy(&s));
  PetscCall(SbGridDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestBalance(void)
{
  SbScenario sc;
  SbGrid    *g;
  SbState   *s;
  SbRouting  ro;
  PetscReal  storage, rain, out, err, neg = 0;
  const SbCell *x;

  PetscFunctionBeginUser;
  PetscCall(DefaultScenario(&sc));
  sc.depth_threshold_m = 1e-4;
  PetscCall(MakeMesh("test_routing_rough.h5", 40, 35, 10.0, RoughZ, NULL, 17, 39, 0.01));
  PetscCall(Run("test_routing_rough.h5", &sc, 30.0 / 3.6e6, 3600.0, &g, &s, &ro, PETSC_TRUE));
  PetscCall(SbStateStorage(s, &storage));
  PetscCallMPI(MPI_Allreduce(&s->budget.rain_m3, &rain, 1, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(&s->budget.outflow_m3, &out, 1, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  err = PetscAbsReal(rain - out - storage) / rain;
  CheckValue((PetscBool)(err < 1e-12), "rough terrain: |rain - outflow - storage| / rain", err, 0);
  CheckValue((PetscBool)(out > 0.05 * rain), "rough terrain: water leaves through the outlet", out / rain, 0.05);
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) neg = PetscMin(neg, x[k].h);
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  CheckValue((PetscBool)(neg >= 0), "rough terrain: no negative depth", neg, 0);
  PetscCall(SbRoutingDestroy(&ro));
  PetscCall(SbStateDestroy(&s));
  PetscCall(SbGridDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A NaN depth in one cell stops the run everywhere with a message naming the cell and rank. */
static PetscErrorCode TestNaNStops(void)
{
  SbScenario     sc;
  SbGrid        *g;
  SbState       *s;
  SbRouting      ro;
  SbCell       **x;
  PetscReal      dt;
  PetscErrorCode ierr;
  Capture        cap = {0, ""};

  PetscFunctionBeginUser;
  PetscCall(DefaultScenario(&sc));
  PetscCall(MakeMesh("test_routing_lake.h5", 40, 30, 10.0, BumpyZ, NULL, -1, -1, 0.01));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, "test_routing_lake.h5", &g));
  PetscCall(SbStateCreate(g, &s));
  PetscCall(SbRoutingCreate(s, &sc, &ro));
  PetscCall(DMDAVecGetArray(s->da, s->X, &x));
  if (g->xs <= 17 && 17 < g->xs + g->xm && g->ys <= 12 && 12 < g->ys + g->ym) x[12][17].h = NAN;
  PetscCall(DMDAVecRestoreArray(s->da, s->X, &x));
  PetscCall(SbRoutingStableDt(ro, &dt));
  CheckValue((PetscBool)!(dt > 0), "NaN depth: the step becomes zero on every rank", dt, 0);
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbStateCheck(s, 42.0);
  PetscCall(PetscPopErrorHandler());
  CheckValue((PetscBool)(ierr == PETSC_ERR_FP), "NaN depth: SbStateCheck raises PETSC_ERR_FP on every rank", (double)ierr, (double)PETSC_ERR_FP);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "     message: %s\n", cap.msg));
  CheckValue((PetscBool)(strstr(cap.msg, "row 12, col 17") && strstr(cap.msg, "t = 42 s") && strstr(cap.msg, "rank ")), "NaN depth: the message names the cell, its rank and the time", 0, 0);
  PetscCall(SbRoutingDestroy(&ro));
  PetscCall(SbStateDestroy(&s));
  PetscCall(SbGridDestroy(&g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestPartition(void)
{
  PetscInt  counts[12] = {0, 0, 5, 9, 9, 9, 1, 1, 1, 20, 0, 0}, sizes[3], sum = 0, worst = 0, k = 0;
  PetscInt  ones[7] = {1, 1, 1, 1, 1, 1, 1}, s2[7];

  PetscFunctionBeginUser;
  PetscCall(SbGridPartition(counts, 12, 3, 1, sizes));
  for (PetscInt p = 0; p < 3; p++) {
    PetscInt w = 0;

    for (PetscInt i = 0; i < sizes[p]; i++) w += counts[k++];
    sum += sizes[p];
    worst = PetscMax(worst, w);
  }
  CheckValue((PetscBool)(sum == 12), "partition: sizes add up", sum, 12);
  CheckValue((PetscBool)(worst <= 21), "partition: heaviest part (55 in 3 parts; 21 is optimal)", worst, 21);
  PetscCall(SbGridPartition(ones, 7, 7, 1, s2));
  sum = 0;
  for (PetscInt p = 0; p < 7; p++) sum += (s2[p] == 1);
  CheckValue((PetscBool)(sum == 7), "partition: 7 rows in 7 parts of one", sum, 7);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestPartition());
  PetscCall(TestPlane());
  PetscCall(TestLakeAtRest());
  PetscCall(TestBalance());
  PetscCall(TestNaNStops());
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%d failure(s)\n", failures));
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
