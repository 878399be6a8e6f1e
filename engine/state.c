/* The dynamic state: depth and face discharges on a dof-3 DMDA. */
#include "state.h"

PetscErrorCode SbStateCreate(SbGrid *grid, SbState **state)
{
  SbState *s;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&s));
  s->grid = grid;
  PetscCall(DMDACreateCompatibleDMDA(grid->da, 3, &s->da));
  PetscCall(DMDASetFieldName(s->da, 0, "depth"));
  PetscCall(DMDASetFieldName(s->da, 1, "qx"));
  PetscCall(DMDASetFieldName(s->da, 2, "qy"));
  PetscCall(DMCreateGlobalVector(s->da, &s->X));
  PetscCall(VecSet(s->X, 0.0));
  {
    PetscInt gxm, gym;

    PetscCall(DMDAGetGhostCorners(s->da, NULL, NULL, NULL, &gxm, &gym, NULL));
    s->ghost_len = 3 * gxm * gym;
    PetscCall(PetscCalloc1(s->ghost_len, &s->ghost_buf));
    PetscCall(VecCreateSeqWithArray(PETSC_COMM_SELF, 3, s->ghost_len, s->ghost_buf, &s->Xl));
  }
  PetscCall(DMCreateGlobalVector(grid->da, &s->hmax));
  PetscCall(VecSet(s->hmax, 0.0));
  PetscCall(DMCreateGlobalVector(grid->da, &s->infiltrated));
  PetscCall(VecSet(s->infiltrated, 0.0));
  PetscCall(VecDuplicate(s->infiltrated, &s->canopy));
  PetscCall(VecDuplicate(s->infiltrated, &s->soil_water));
  PetscCall(VecDuplicate(s->infiltrated, &s->et_demand));
  PetscCall(VecDuplicate(s->infiltrated, &s->recharge));
  PetscCall(VecSet(s->canopy, 0.0));
  PetscCall(VecSet(s->soil_water, 0.0));
  PetscCall(VecSet(s->et_demand, 0.0));
  PetscCall(VecSet(s->recharge, 0.0));
  PetscCall(PetscLogEventRegister("SbRain", DM_CLASSID, &s->ev_rain));
  *state = s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateDestroy(SbState **state)
{
  PetscFunctionBeginUser;
  if (!*state) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(VecDestroy(&(*state)->X));
  PetscCall(VecDestroy(&(*state)->Xl));
  PetscCall(PetscFree((*state)->ghost_buf));
  PetscCall(VecDestroy(&(*state)->hmax));
  PetscCall(VecDestroy(&(*state)->infiltrated));
  PetscCall(VecDestroy(&(*state)->canopy));
  PetscCall(VecDestroy(&(*state)->soil_water));
  PetscCall(VecDestroy(&(*state)->et_demand));
  PetscCall(VecDestroy(&(*state)->recharge));
  PetscCall(PetscFree((*state)->gw_m3));
  PetscCall(DMDestroy(&(*state)->da));
  PetscCall(PetscFree(*state));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateStorage(SbState *s, PetscReal *volume_m3)
{
  const SbCell      *x;
  const PetscScalar *area;
  const SbCellRuns  *act = &s->grid->active;
  PetscReal          v   = 0;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  /* Only active cells hold water (cellruns.h). */
  for (PetscInt r = 0; r < act->nruns; r++)
    for (PetscInt k = act->k[2 * r]; k < act->k[2 * r + 1]; k++) v += x[k].h * area[k];
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(&v, volume_m3, 1, MPIU_REAL, MPI_SUM, s->grid->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateStorageVertical(SbState *s, PetscReal *canopy_m3, PetscReal *soil_m3, PetscReal *groundwater_m3)
{
  const PetscScalar *area, *c, *w;
  const SbCellRuns  *act  = &s->grid->active;
  PetscReal          v[2] = {0, 0}, sum[2];

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  PetscCall(VecGetArrayRead(s->canopy, &c));
  PetscCall(VecGetArrayRead(s->soil_water, &w));
  /* Only active cells have a canopy and a root zone (cellruns.h). */
  for (PetscInt r = 0; r < act->nruns; r++)
    for (PetscInt k = act->k[2 * r]; k < act->k[2 * r + 1]; k++) {
      v[0] += c[k] * area[k];
      v[1] += w[k] * area[k];
    }
  PetscCall(VecRestoreArrayRead(s->soil_water, &w));
  PetscCall(VecRestoreArrayRead(s->canopy, &c));
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCallMPI(MPI_Allreduce(v, sum, 2, MPIU_REAL, MPI_SUM, s->grid->comm));
  *canopy_m3      = sum[0];
  *soil_m3        = sum[1];
  *groundwater_m3 = 0;
  for (PetscInt r = 0; r < s->ngw; r++) *groundwater_m3 += s->gw_m3[r]; /* replicated: no reduction */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateMaxDepth(SbState *s, PetscReal *depth_m)
{
  const SbCell *x;
  PetscReal     m = 0;
  PetscInt      n = s->grid->xm * s->grid->ym;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  /* A NaN or negative depth makes the maximum infinite on every rank (the comparison below is
     false for NaN), so the time loop can stop everywhere and SbStateCheck can name the cell. */
  for (PetscInt k = 0; k < n; k++) m = (x[k].h >= 0) ? PetscMax(m, x[k].h) : PETSC_INFINITY;
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(&m, depth_m, 1, MPIU_REAL, MPI_MAX, s->grid->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateMaxLandDepth(SbState *s, PetscReal *depth_m)
{
  const SbCell      *x;
  const PetscScalar *lu;
  const SbCellRuns  *act = &s->grid->active;
  PetscReal          m   = 0;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  PetscCall(VecGetArrayRead(s->grid->landuse, &lu));
  /* The active cells (cellruns.h): an inactive cell holds no water; a NaN there has stopped the
     time loop already (the routing's stable step, which looks at every cell, comes first). */
  for (PetscInt r = 0; r < act->nruns; r++)
    for (PetscInt k = act->k[2 * r]; k < act->k[2 * r + 1]; k++)
      if (!(x[k].h >= 0)) m = PETSC_INFINITY;
      else if ((PetscInt)lu[k] != SB_LU_WATER) m = PetscMax(m, x[k].h);
  PetscCall(VecRestoreArrayRead(s->grid->landuse, &lu));
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &m, 1, MPIU_REAL, MPI_MAX, s->grid->comm));
  *depth_m = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateGetGhostBuffer(SbState *s, PetscInt n, PetscScalar **buf)
{
  PetscFunctionBeginUser;
  if (n > s->ghost_len) {
    PetscInt     nl;
    PetscScalar *wider;

    PetscCall(VecGetLocalSize(s->Xl, &nl));
    PetscCall(PetscCalloc1(n, &wider));
    PetscCall(VecDestroy(&s->Xl));
    PetscCall(PetscFree(s->ghost_buf));
    s->ghost_buf = wider;
    s->ghost_len = n;
    PetscCall(VecCreateSeqWithArray(PETSC_COMM_SELF, 3, nl, s->ghost_buf, &s->Xl));
  }
  *buf = s->ghost_buf;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateTrackMax(SbState *s)
{
  const SbCell     *x;
  PetscScalar      *hm;
  const SbCellRuns *act = &s->grid->active;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  PetscCall(VecGetArray(s->hmax, &hm));
  /* Only active cells hold water (cellruns.h). */
  for (PetscInt r = 0; r < act->nruns; r++)
    for (PetscInt k = act->k[2 * r]; k < act->k[2 * r + 1]; k++) hm[k] = PetscMax(hm[k], x[k].h);
  PetscCall(VecRestoreArray(s->hmax, &hm));
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbStateCheck(SbState *s, PetscReal t_s)
{
  const SbCell *x;
  SbGrid       *g = s->grid;
  PetscMPIInt   rank;
  struct {
    double value;
    int    index;
  } mine = {PETSC_MAX_REAL, -1}, first;
  long long gi  = -1;
  double    bad = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  PetscCall(VecGetArrayRead(s->X, (const PetscScalar **)&x));
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    if (!(x[k].h >= 0) || PetscIsInfReal(x[k].h)) {
      gi  = (long long)(g->ys + k / g->xm) * g->nx + (g->xs + k % g->xm);
      bad = x[k].h;
      break;
    }
  PetscCall(VecRestoreArrayRead(s->X, (const PetscScalar **)&x));
  /* The lowest bad cell over all ranks, and which rank holds it. */
  if (gi >= 0) {
    mine.value = (double)gi;
    mine.index = rank;
  }
  PetscCallMPI(MPI_Allreduce(&mine, &first, 1, MPI_DOUBLE_INT, MPI_MINLOC, g->comm));
  if (first.index >= 0) {
    const long long cell = (long long)first.value;

    PetscCallMPI(MPI_Bcast(&bad, 1, MPI_DOUBLE, first.index, g->comm));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FP, "state: depth %g m at row %lld, col %lld (rank %d) at t = %.6g s: the run stops", bad, cell / g->nx, cell % g->nx, first.index, (double)t_s);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
