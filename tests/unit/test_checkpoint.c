/* Checkpoints (engine/checkpoint.c): interval parsing; a round trip of every kind of registered
   data on this rank count, and a read on one rank (another decomposition) of what all ranks
   wrote; identity errors (another mesh, another scenario, a name missing from the file). Run at
   1 rank as a unit test and at 2 and 3 ranks from tests/regression/regression.cmake. */
#include "checkpoint.h"
#include "meshdata.h"
#include "sbtest.h"
#include <petscdmda.h>

static PetscErrorCode MakeMesh(const char *path, PetscInt nx, PetscInt ny, PetscReal bump)
{
  SbMeshData *m;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(SbMeshDataCreate(nx, ny, &m));
    m->cellsize = 100;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt k = 0; k < nx * ny; k++) {
      m->mask[k]           = 1;
      m->elevation[k]      = 100.0 + (PetscReal)(k % nx) + (k == nx + 1 ? bump : 0.0);
      m->flow_direction[k] = k == nx * ny - 1 ? 0 : SB_D8_E;
      m->region[k]         = 1;
    }
    m->ngauges = 1;
    PetscCall(PetscCalloc1(1, &m->gauges));
    PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", SB_MAX_NAME));
    m->gauges[0].row = ny - 1;
    m->gauges[0].col = nx - 1;
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* What a run registers, in miniature: a dof-3 field, a dof-1 field, reals, ints, a per-rank sum
   and a hook. */
typedef struct {
  DM        da3;
  Vec       X, h;
  PetscReal t[2], sum;
  PetscInt  steps;
  PetscReal hook_value;
} Things;

static PetscErrorCode HookWrite(void *ctx, hid_t grp)
{
  Things *th = (Things *)ctx;

  PetscFunctionBeginUser;
  PetscCall(SbCheckpointWriteReals(grp, "value", &th->hook_value, 1, 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode HookRead(void *ctx, hid_t grp, const char *file)
{
  Things    *th = (Things *)ctx;
  PetscReal *v;
  PetscInt   n;

  PetscFunctionBeginUser;
  PetscCall(SbCheckpointReadReals(grp, file, "value", 1, &v, &n));
  th->hook_value = n == 1 ? v[0] : -1;
  PetscCall(PetscFree(v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Setup(SbGrid *g, const SbScenario *sc, Things *th, SbCheckpoint *ck)
{
  PetscFunctionBeginUser;
  PetscCall(DMDACreateCompatibleDMDA(g->da, 3, &th->da3));
  PetscCall(DMCreateGlobalVector(th->da3, &th->X));
  PetscCall(DMCreateGlobalVector(g->da, &th->h));
  PetscCall(SbCheckpointCreate(g, sc, ck));
  PetscCall(SbCheckpointAddVec(*ck, "state/X", th->X));
  PetscCall(SbCheckpointAddVec(*ck, "state/h", th->h));
  PetscCall(SbCheckpointAddReal(*ck, "run/t", th->t, 2));
  PetscCall(SbCheckpointAddInt(*ck, "run/steps", &th->steps, 1));
  PetscCall(SbCheckpointAddLocalSum(*ck, "budget/sum", &th->sum, 1));
  PetscCall(SbCheckpointAddHook(*ck, "hook", HookWrite, HookRead, th));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Teardown(Things *th, SbCheckpoint *ck)
{
  PetscFunctionBeginUser;
  PetscCall(SbCheckpointDestroy(ck));
  PetscCall(VecDestroy(&th->X));
  PetscCall(VecDestroy(&th->h));
  PetscCall(DMDestroy(&th->da3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Values from the global (natural) index, so that any decomposition can check them. */
static PetscErrorCode Fill(SbGrid *g, Things *th, PetscBool check, PetscBool *ok)
{
  PetscScalar *x, *h;
  PetscBool    good = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(VecGetArray(th->X, &x));
  PetscCall(VecGetArray(th->h, &h));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) {
    const PetscReal gi = (PetscReal)((g->ys + k / g->xm) * g->nx + (g->xs + k % g->xm));

    for (PetscInt d = 0; d < 3; d++) {
      if (check) good = (PetscBool)(good && x[3 * k + d] == gi + 0.25 * d);
      else x[3 * k + d] = gi + 0.25 * d;
    }
    if (check) good = (PetscBool)(good && h[k] == 1.0 / (gi + 1.0));
    else h[k] = 1.0 / (gi + 1.0);
  }
  PetscCall(VecRestoreArray(th->h, &h));
  PetscCall(VecRestoreArray(th->X, &x));
  if (check) PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &good, 1, MPIU_BOOL, MPI_LAND, g->comm));
  if (ok) *ok = good;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Zero(Things *th)
{
  PetscFunctionBeginUser;
  PetscCall(VecSet(th->X, 0));
  PetscCall(VecSet(th->h, 0));
  th->t[0] = th->t[1] = th->sum = th->hook_value = 0;
  th->steps = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ExpectError(Test *t, PetscErrorCode ierr, Capture *cap, const char *want, const char *what)
{
  char line[2300];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(line, sizeof(line), "%s: error containing \"%s\" (got \"%s\")", what, want, ierr ? cap->msg : "no error"));
  PetscCall(Check(t, (PetscBool)(ierr != 0 && strstr(cap->msg, want) != NULL), line));
  cap->code   = 0;
  cap->msg[0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test           t = {{0}, 0, 0};
  Capture        cap = {0, ""};
  SbGrid        *g, *g2;
  SbCheckpoint   ck, ck2;
  Things         th = {0}, th2 = {0};
  SbScenario     sc, sc2;
  PetscMPIInt    rank, size;
  PetscReal      s, tt;
  PetscBool      ok;
  PetscErrorCode ierr;
  const char    *ckpath = "test_checkpoint.ckpt.h5";

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscMemzero(&sc, sizeof(sc)));
  PetscCall(PetscMemzero(&sc2, sizeof(sc2)));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));

  /* Intervals. */
  PetscCall(SbCheckpointParseInterval("--checkpoint-every", "6h", &s));
  PetscCall(Check(&t, (PetscBool)(s == 21600), "6h = 21600 s"));
  PetscCall(SbCheckpointParseInterval("--checkpoint-every", "30min", &s));
  PetscCall(Check(&t, (PetscBool)(s == 1800), "30min = 1800 s"));
  PetscCall(SbCheckpointParseInterval("--checkpoint-every", "3600s", &s));
  PetscCall(Check(&t, (PetscBool)(s == 3600), "3600s = 3600 s"));
  PetscCall(SbCheckpointParseInterval("--checkpoint-every", "1.5d", &s));
  PetscCall(Check(&t, (PetscBool)(s == 129600), "1.5d = 129600 s"));
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  {
    const char *bad[] = {"6", "6 h", "6hours", "-1h", "0h", "h", "", "nanh"};

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
      char what[64];

      ierr = SbCheckpointParseInterval("--checkpoint-every", bad[i], &s);
      PetscCall(PetscSNPrintf(what, sizeof(what), "interval \"%s\" refused", bad[i]));
      PetscCall(ExpectError(&t, ierr, &cap, "--checkpoint-every: expected a positive simulated time with a unit", what));
    }
  }
  PetscCall(PetscPopErrorHandler());

  /* Round trip on this rank count. */
  PetscCall(MakeMesh("test_checkpoint_a.h5", 12, 9, 0.0));
  PetscCall(MakeMesh("test_checkpoint_b.h5", 12, 9, 0.5));
  sc.text  = (char *)"{\"name\": \"a\", \"mesh\": \"x.h5\", \"time\": {\"duration_h\": 2, \"start\": \"2020-01-01T00:00:00\"}, \"routing\": {\"cfl\": 0.5, \"//\": \"a comment\"}}";
  sc2.text = (char *)"{\"name\": \"b\", \"time\": {\"duration_h\": 9, \"start\": \"2020-01-01T00:00:00\"}, \"routing\": {\"cfl\": 0.6}}";
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, "test_checkpoint_a.h5", &g));
  PetscCall(Setup(g, &sc, &th, &ck));
  PetscCall(Fill(g, &th, PETSC_FALSE, NULL));
  th.t[0]       = 3600.0;
  th.t[1]       = 1.0 / 3.0;
  th.steps      = 42;
  th.sum        = 0.1 * (rank + 1);
  th.hook_value = 2.5;
  PetscCall(SbCheckpointWrite(ck, ckpath, 3600.0, "periodic"));
  PetscCall(Zero(&th));
  PetscCall(SbCheckpointRead(ck, ckpath, 7200.0, &tt));
  PetscCall(Fill(g, &th, PETSC_TRUE, &ok));
  PetscCall(Check(&t, ok, "fields (dof 3 and dof 1) read back exactly"));
  PetscCall(Check(&t, (PetscBool)(tt == 3600.0 && th.t[0] == 3600.0 && th.t[1] == 1.0 / 3.0 && th.steps == 42), "time, reals and integers read back exactly"));
  PetscCall(Check(&t, (PetscBool)(th.sum == 0.1 * (rank + 1)), "per-rank sums: each rank its own on the same decomposition"));
  PetscCall(Check(&t, (PetscBool)(th.hook_value == 2.5), "hook data read back"));
  {
    FILE *fp = fopen("test_checkpoint.ckpt.h5.partial", "rb");

    PetscCall(Check(&t, (PetscBool)(fp == NULL), "no .partial left after a write"));
    if (fp) fclose(fp);
  }

  /* Another decomposition: rank 0 alone reads what every rank wrote. */
  if (rank == 0) {
    PetscReal total = 0;

    for (PetscMPIInt q = 0; q < size; q++) total += 0.1 * (q + 1);
    PetscCall(SbGridCreate(PETSC_COMM_SELF, "test_checkpoint_a.h5", &g2));
    PetscCall(Setup(g2, &sc, &th2, &ck2));
    PetscCall(SbCheckpointRead(ck2, ckpath, 7200.0, &tt));
    PetscCall(Fill(g2, &th2, PETSC_TRUE, &ok));
    PetscCall(Check(&t, ok, "fields read on one rank in natural ordering"));
    PetscCall(Check(&t, (PetscBool)(size == 1 ? th2.sum == total : PetscAbsReal(th2.sum - total) <= 1e-15), "per-rank sums: their total on rank 0 on another decomposition"));
    PetscCall(Teardown(&th2, &ck2));
    PetscCall(SbGridDestroy(&g2));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));

  /* Identity errors and a name missing from the file. */
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbCheckpointRead(ck, ckpath, 3000.0, &tt);
  PetscCall(ExpectError(&t, ierr, &cap, "checkpoint at t = 1 h, past the end of the scenario (time.duration_h = 0.833333)", "a checkpoint past the end"));
  PetscCall(Teardown(&th, &ck));
  PetscCall(Setup(g, &sc2, &th, &ck));
  ierr = SbCheckpointRead(ck, ckpath, 7200.0, &tt);
  PetscCall(ExpectError(&t, ierr, &cap, "checkpoint of another scenario: routing.cfl (checkpoint 0.5, this run 0.6) differs", "another scenario (name, mesh, duration and comments do not count)"));
  PetscCall(Teardown(&th, &ck));
  PetscCall(SbGridDestroy(&g));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, "test_checkpoint_b.h5", &g));
  PetscCall(Setup(g, &sc, &th, &ck));
  ierr = SbCheckpointRead(ck, ckpath, 7200.0, &tt);
  PetscCall(ExpectError(&t, ierr, &cap, "have the same size but different contents", "another mesh of the same size (one elevation differs by 0.5 m)"));
  PetscCall(Teardown(&th, &ck));
  PetscCall(SbGridDestroy(&g));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, "test_checkpoint_a.h5", &g));
  PetscCall(Setup(g, &sc, &th, &ck));
  PetscCall(SbCheckpointAddReal(ck, "soil/new_store", &s, 1));
  ierr = SbCheckpointRead(ck, ckpath, 7200.0, &tt);
  PetscCall(ExpectError(&t, ierr, &cap, "soil/new_store: missing from the checkpoint", "a registered name missing from the file"));
  PetscCall(PetscPopErrorHandler());
  PetscCall(Teardown(&th, &ck));
  PetscCall(SbGridDestroy(&g));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " checks, %" PetscInt_FMT " failed\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
