/* Runs of active cells (engine/cellruns.c) and the active-cell halo (engine/halo.c) against what
   they replace: a loop over every cell of the block testing the mask, and DMGlobalToLocal /
   DMLocalToLocal on a DMDA of the grid's ownership. Run at 1, 2 and 4 ranks
   (tests/regression/regression.cmake): the mask is irregular (a disc with a hole and a notch), so
   runs start and end inside rows, some ghost cells are active and some not, and some ranks' blocks
   hold few active cells. */
#include "sbtest.h"
#include "cellruns.h"
#include "halo.h"
#include "meshdata.h"
#include <petscdmda.h>

/* The active cells of the test mesh: a disc, less a hole near its centre and a notch from the
   north edge. */
static PetscBool Active(PetscInt i, PetscInt j, PetscInt nx, PetscInt ny)
{
  const PetscReal x = (i + 0.5) / nx - 0.5, y = (j + 0.5) / ny - 0.5, r2 = x * x + y * y;

  if (r2 > 0.2) return PETSC_FALSE;
  if ((x - 0.08) * (x - 0.08) + (y + 0.05) * (y + 0.05) < 0.01) return PETSC_FALSE;
  if (j < ny / 2 && i == nx / 3) return PETSC_FALSE;
  return PETSC_TRUE;
}

static PetscErrorCode MakeMesh(const char *path, PetscInt nx, PetscInt ny)
{
  SbMeshData *m;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(SbMeshDataCreate(nx, ny, &m));
    m->cellsize = 100;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt j = 0; j < ny; j++)
      for (PetscInt i = 0; i < nx; i++) {
        const PetscInt k = j * nx + i;

        m->mask[k]           = Active(i, j, nx, ny) ? 1 : 0;
        m->elevation[k]      = (PetscReal)(nx - i);
        m->flow_direction[k] = m->mask[k] ? SB_D8_E : 0;
        m->slope[k]          = 0.01;
        m->region[k]         = m->mask[k] ? 1 : 0;
        m->soil[k]           = m->mask[k] ? SB_SOIL_LOAM : 0;
        m->landuse[k]        = SB_LU_FOREST;
      }
    /* an outlet: the easternmost active cell of the middle row */
    for (PetscInt i = nx - 1; i >= 0; i--)
      if (m->mask[(ny / 2) * nx + i]) {
        m->flow_direction[(ny / 2) * nx + i] = 0;
        m->ngauges                           = 1;
        PetscCall(PetscCalloc1(1, &m->gauges));
        PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", SB_MAX_NAME));
        m->gauges[0].row = ny / 2;
        m->gauges[0].col = i;
        break;
      }
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The runs of a few patterns against the cells a loop over the block selects, in its order. */
static PetscErrorCode TestRuns(Test *t)
{
  const PetscInt m = 7, n = 5;
  uint8_t        sel[35];
  const char    *pattern[3] = {"1100111"
                               "0000000"
                               "1111111"
                               "0010100"
                               "1000001",
                               "0000000"
                               "0000000"
                               "0000000"
                               "0000000"
                               "0000000",
                               "1111111"
                               "1111111"
                               "1111111"
                               "1111111"
                               "1111111"};
  const PetscInt nruns[3]   = {7, 0, 5};

  PetscFunctionBeginUser;
  for (PetscInt p = 0; p < 3; p++) {
    SbCellRuns runs;
    PetscInt   next = 0, cells = 0;
    PetscBool  ok = PETSC_TRUE;

    for (PetscInt k = 0; k < m * n; k++) sel[k] = pattern[p][k] == '1' ? 2 : 1; /* bit 2 selects */
    PetscCall(SbCellRunsCreate(m, n, sel, 2, &runs));
    for (PetscInt jj = 0; jj < n; jj++)
      for (PetscInt r = runs.row[jj]; r < runs.row[jj + 1]; r++) {
        /* a run lies in its row, is not empty and follows the previous one with a gap */
        ok = (PetscBool)(ok && runs.k[2 * r] >= jj * m && runs.k[2 * r + 1] <= (jj + 1) * m && runs.k[2 * r] < runs.k[2 * r + 1] && (r == 0 || runs.k[2 * r] > runs.k[2 * r - 1] || runs.k[2 * r] == jj * m));
        for (PetscInt k = runs.k[2 * r]; k < runs.k[2 * r + 1]; k++) {
          while (next < m * n && sel[next] != 2) next++;
          ok = (PetscBool)(ok && k == next);
          next++;
          cells++;
        }
      }
    while (next < m * n && sel[next] != 2) next++;
    ok = (PetscBool)(ok && next >= m * n && cells == runs.ncells && runs.nruns == nruns[p] && runs.row[n] == runs.nruns);
    PetscCall(Check(t, ok, p == 0 ? "runs: a pattern with runs at row ends and single cells, in the order of the block" : p == 1 ? "runs: an empty block has none" : "runs: a full block has one run per row"));
    PetscCall(SbCellRunsDestroy(&runs));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A value of cell (i, j), component d: distinct everywhere. */
static PetscReal Value(PetscInt i, PetscInt j, PetscInt d)
{
  return 1.0 + i + 1000.0 * j + 0.25 * d;
}

/* SbHaloUpdate against DMGlobalToLocal (roots: the global vector) and DMLocalToLocal (roots: the
   ghosted copies) on a box DMDA of the grid's ownership, width w, dof values per cell. */
static PetscErrorCode TestHalo(Test *t, SbGrid *g, PetscInt w, PetscInt dof)
{
  DM                 da;
  Vec                X, Xl;
  const PetscInt    *lx, *ly;
  PetscInt           m, n, gxs, gys, gxm, gym, hxs, hys, hxm, hym, bad[3] = {0, 0, 0}, nsel = 0;
  PetscScalar       *x, *ref, *mine, *la;
  const PetscScalar *mk;
  uint8_t           *sel;
  Vec                maskl;
  DM                 da1;
  char               what[256];

  PetscFunctionBeginUser;
  PetscCall(DMDAGetInfo(g->da, NULL, NULL, NULL, NULL, &m, &n, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  PetscCall(DMDAGetOwnershipRanges(g->da, &lx, &ly, NULL));
  PetscCall(DMDACreate2d(g->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX, g->nx, g->ny, m, n, dof, w, lx, ly, &da));
  PetscCall(DMSetUp(da));
  PetscCall(DMDACreate2d(g->comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX, g->nx, g->ny, m, n, 1, w, lx, ly, &da1));
  PetscCall(DMSetUp(da1));
  PetscCall(DMDAGetGhostCorners(da, &gxs, &gys, NULL, &gxm, &gym, NULL));
  /* the selection: the mask on the ghosted block */
  PetscCall(DMCreateLocalVector(da1, &maskl));
  PetscCall(DMGlobalToLocal(da1, g->mask, INSERT_VALUES, maskl));
  PetscCall(VecGetArrayRead(maskl, &mk));
  PetscCall(PetscMalloc1(gxm * gym, &sel));
  for (PetscInt k = 0; k < gxm * gym; k++) sel[k] = mk[k] != 0 ? 1 : 0;
  PetscCall(VecRestoreArrayRead(maskl, &mk));
  PetscCall(VecDestroy(&maskl));
  PetscCall(DMDestroy(&da1));
  /* the global vector: values at active cells, zero elsewhere (as the state) */
  PetscCall(DMCreateGlobalVector(da, &X));
  PetscCall(DMCreateLocalVector(da, &Xl));
  PetscCall(VecGetArray(X, &x));
  PetscCall(VecGetArrayRead(g->mask, &mk));
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    for (PetscInt d = 0; d < dof; d++) x[k * dof + d] = mk[k] != 0 ? Value(g->xs + k % g->xm, g->ys + k / g->xm, d) : 0.0;
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(VecRestoreArray(X, &x));
  PetscCall(DMGlobalToLocal(da, X, INSERT_VALUES, Xl));
  PetscCall(VecGetArray(Xl, &ref));
  PetscCall(PetscMalloc1(dof * gxm * gym, &mine));
  for (PetscInt mode = 0; mode < 3; mode++) {
    /* 0: global -> ghosted, 1: the same, the others set to zero, 2: ghosted -> ghosted */
    SbHalo h;

    PetscCall(SbHaloCreate(g, w, dof, sel, 1, mode == 2 ? PETSC_TRUE : PETSC_FALSE, mode == 1 ? PETSC_TRUE : PETSC_FALSE, &h));
    PetscCall(SbHaloGetCorners(h, &hxs, &hys, &hxm, &hym));
    if (hxs != gxs || hys != gys || hxm != gxm || hym != gym) bad[mode]++;
    for (PetscInt k = 0; k < dof * gxm * gym; k++) mine[k] = -7.0; /* a sentinel */
    if (mode == 2) {
      /* the owned cells in place, the ghosts from the neighbours' ghosted copies */
      PetscCall(VecGetArray(Xl, &la));
      for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
        for (PetscInt i = g->xs; i < g->xs + g->xm; i++)
          for (PetscInt d = 0; d < dof; d++) mine[((j - gys) * gxm + (i - gxs)) * dof + d] = la[((j - gys) * gxm + (i - gxs)) * dof + d];
      PetscCall(VecRestoreArray(Xl, &la));
      PetscCall(SbHaloUpdate(h, mine, mine));
    } else {
      PetscCall(VecGetArray(X, &x));
      PetscCall(SbHaloUpdate(h, x, mine));
      PetscCall(VecRestoreArray(X, &x));
    }
    for (PetscInt k = 0; k < gxm * gym; k++) {
      const PetscInt i = gxs + k % gxm, j = gys + k / gxm;
      const PetscBool owned = (PetscBool)(i >= g->xs && i < g->xs + g->xm && j >= g->ys && j < g->ys + g->ym);

      if (mode == 0 && sel[k]) nsel++;
      for (PetscInt d = 0; d < dof; d++) {
        const PetscScalar a = mine[k * dof + d], b = ref[k * dof + d];

        if (sel[k] || (mode == 2 && owned)) {
          if (a != b) bad[mode]++; /* selected (and, in place, owned): DMGlobalToLocal's value */
        } else if (mode == 1) {
          if (a != 0.0) bad[mode]++; /* set to zero */
        } else if (a != -7.0) bad[mode]++; /* untouched */
      }
    }
    PetscCall(SbHaloDestroy(&h));
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, bad, 3, MPIU_INT, MPI_SUM, g->comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nsel, 1, MPIU_INT, MPI_SUM, g->comm));
  PetscCall(PetscSNPrintf(what, sizeof(what), "halo %" PetscInt_FMT " deep, %" PetscInt_FMT " values per cell: the active cells as DMGlobalToLocal gives them, the others untouched (%" PetscInt_FMT " differences)", w, dof, bad[0]));
  PetscCall(Check(t, (PetscBool)(bad[0] == 0 && nsel > 0), what));
  PetscCall(PetscSNPrintf(what, sizeof(what), "halo %" PetscInt_FMT " deep, %" PetscInt_FMT " values per cell, the others set to zero: as DMGlobalToLocal of a state zero outside the basin (%" PetscInt_FMT " differences)", w, dof, bad[1]));
  PetscCall(Check(t, (PetscBool)(bad[1] == 0), what));
  PetscCall(PetscSNPrintf(what, sizeof(what), "halo %" PetscInt_FMT " deep, %" PetscInt_FMT " values per cell, ghosted to ghosted: the active ghosts as DMLocalToLocal gives them (%" PetscInt_FMT " differences)", w, dof, bad[2]));
  PetscCall(Check(t, (PetscBool)(bad[2] == 0), what));
  PetscCall(VecRestoreArray(Xl, &ref));
  PetscCall(PetscFree(mine));
  PetscCall(PetscFree(sel));
  PetscCall(VecDestroy(&Xl));
  PetscCall(VecDestroy(&X));
  PetscCall(DMDestroy(&da));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The grid's runs: every owned active cell once, in the order of the block, nothing else. */
static PetscErrorCode TestGridRuns(Test *t, SbGrid *g)
{
  const PetscScalar *mk;
  PetscInt           bad = 0, next = 0, cells = 0;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(g->mask, &mk));
  for (PetscInt r = 0; r < g->active.nruns; r++)
    for (PetscInt k = g->active.k[2 * r]; k < g->active.k[2 * r + 1]; k++) {
      while (next < g->xm * g->ym && mk[next] == 0) next++;
      if (k != next) bad++;
      next++;
      cells++;
    }
  while (next < g->xm * g->ym && mk[next] == 0) next++;
  if (next < g->xm * g->ym || cells != g->nactive_local) bad++;
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPIU_INT, MPI_SUM, g->comm));
  PetscCall(Check(t, (PetscBool)(bad == 0), "grid: the runs of the owned block are its active cells, in order"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test        t = {{0}, 0, 0};
  SbGrid     *g;
  PetscMPIInt size;
  char        path[PETSC_MAX_PATH_LEN];

  PetscFunctionBeginUser;
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(TestRuns(&t));
  PetscCall(PetscSNPrintf(path, sizeof(path), "test_halo_np%d.h5", (int)size));
  PetscCall(MakeMesh(path, 31, 23));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, path, &g));
  {
    PetscInt m, n;

    PetscCall(DMDAGetInfo(g->da, NULL, NULL, NULL, NULL, &m, &n, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%d ranks: a %" PetscInt_FMT " x %" PetscInt_FMT " process grid\n", (int)size, m, n));
  }
  PetscCall(TestGridRuns(&t, g));
  PetscCall(TestHalo(&t, g, 3, 3)); /* the local-inertial state */
  PetscCall(TestHalo(&t, g, 1, 3)); /* the sediment's state */
  PetscCall(TestHalo(&t, g, 1, 2)); /* concentrations of two classes */
  PetscCall(SbGridDestroy(&g));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " checks, %" PetscInt_FMT " failures\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
