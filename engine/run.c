/* The time loop: calls the processes in order and does no physics itself. */
#include "run.h"
#include "scenario.h"
#include "grid.h"
#include "state.h"
#include "forcing.h"
#include "infiltration.h"
#include "interception.h"
#include "soilwater.h"
#include "groundwater.h"
#include "evapotranspiration.h"
#include "routing.h"
#include "output.h"
#include "signals.h"
#include "assessment.h"
#include "checkpoint.h"
#include "measures.h"
#include "sediment.h"

typedef struct {
  SbScenario *sc;
  SbGrid     *grid;
  SbState       *state;
  SbForcing      forcing;
  SbInfiltration infiltration;
  SbInterception interception;
  SbSoilWater    soilwater;
  SbGroundwater  groundwater;
  SbRouting      routing;
  SbSediment     sediment; /* NULL unless sediment.enabled */
  SbOutput    out;
  SbAssessment assessment; /* NULL unless "mode": "assessment" or an "assessment" object */
  SbMeasures   measures;   /* treatment measures and targets (measures.c) */
  /* The time loop's own state, registered with the checkpoint. */
  SbCheckpoint ck;
  char         ck_path[PETSC_MAX_PATH_LEN];
  PetscReal    t, next_out, storage_initial_m3;
  PetscReal    vertical_initial_m3[3]; /* canopy, soil, groundwater storage at the start of the run */
  PetscReal   *gauge_q;                /* [ngauges + 1] discharge per gauge over the last step, m³/s */
  PetscReal   *gauge_volume_m3;        /* [ngauges + 1] volume through each gauge, for the budget */
  PetscInt     steps;
} SbRunCtx;

/* Progress on rank 0: after the first step, then at most every SB_PROGRESS_WALL_S of wall time and
   at the end. The time left is extrapolated from this process's own pace (from t0 at wall0, so a
   restarted run does not count the time before its checkpoint). */
#define SB_PROGRESS_WALL_S 3.0
static PetscErrorCode Report(MPI_Comm comm, PetscBool quiet, PetscReal t, PetscReal t0, PetscReal T, PetscReal dt, PetscLogDouble wall0, PetscLogDouble *last, PetscReal q_outlet)
{
  PetscLogDouble now;
  PetscReal      frac = T > 0 ? t / T : 1.0, left;

  PetscFunctionBeginUser;
  if (quiet) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscTime(&now));
  if (*last > 0 && now - *last < SB_PROGRESS_WALL_S && t < T) PetscFunctionReturn(PETSC_SUCCESS);
  *last = now;
  left  = t > t0 ? (now - wall0) * (T - t) / (t - t0) : 0.0;
  /* q_outlet < 0: not known yet (a restarted run before its first output time). */
  if (q_outlet >= 0) PetscCall(PetscPrintf(comm, "  t = %9.3f h  %5.1f%%  dt = %8.3f s  outlet %10.3f m3/s  about %.0f s left\n", (double)(t / 3600.0), (double)(100.0 * frac), (double)dt, (double)q_outlet, (double)left));
  else PetscCall(PetscPrintf(comm, "  t = %9.3f h  %5.1f%%  dt = %8.3f s  outlet          - m3/s  about %.0f s left\n", (double)(t / 3600.0), (double)(100.0 * frac), (double)dt, (double)left));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Everything the run needs to continue: the loop's own variables, the state, infiltration and the
   budget here; routing and output register their own. */
static PetscErrorCode RegisterCheckpoint(SbRunCtx *c, const SbRunOptions *opts, const char *result)
{
  SbLocalBudget *lb = &c->state->budget;

  PetscFunctionBeginUser;
  if (opts->checkpoint) PetscCall(PetscStrncpy(c->ck_path, opts->checkpoint, sizeof(c->ck_path)));
  else {
    size_t n = strlen(result);

    PetscCall(PetscStrncpy(c->ck_path, result, sizeof(c->ck_path)));
    if (n > 3 && !strcmp(result + n - 3, ".h5")) c->ck_path[n - 3] = 0;
    PetscCall(PetscStrlcat(c->ck_path, ".ckpt.h5", sizeof(c->ck_path)));
  }
  PetscCall(SbCheckpointCreate(c->grid, c->sc, &c->ck));
  PetscCall(SbCheckpointAddReal(c->ck, "run/time_s", &c->t, 1));
  PetscCall(SbCheckpointAddReal(c->ck, "run/next_output_s", &c->next_out, 1));
  PetscCall(SbCheckpointAddReal(c->ck, "run/storage_initial_m3", &c->storage_initial_m3, 1));
  PetscCall(SbCheckpointAddReal(c->ck, "run/vertical_initial_m3", c->vertical_initial_m3, 3));
  PetscCall(SbCheckpointAddInt(c->ck, "run/steps", &c->steps, 1));
  PetscCall(SbCheckpointAddVec(c->ck, "state/X", c->state->X));
  PetscCall(SbCheckpointAddVec(c->ck, "state/hmax", c->state->hmax));
  PetscCall(SbCheckpointAddVec(c->ck, "infiltration/cumulative_m", c->state->infiltrated));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/rain_m3", &lb->rain_m3, 1));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/infiltration_m3", &lb->infiltration_m3, 1));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/outflow_m3", &lb->outflow_m3, 1));
  /* the vertical water balance: its stores and budget sums (the Green-Ampt event state below) */
  PetscCall(SbCheckpointAddVec(c->ck, "state/canopy", c->state->canopy));
  PetscCall(SbCheckpointAddVec(c->ck, "state/soil_water", c->state->soil_water));
  if (c->state->ngw > 0) PetscCall(SbCheckpointAddReal(c->ck, "state/groundwater_m3", c->state->gw_m3, c->state->ngw));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/interception_m3", &lb->interception_m3, 1));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/canopy_evaporation_m3", &lb->canopy_evaporation_m3, 1));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/soil_et_m3", &lb->soil_et_m3, 1));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/percolation_m3", &lb->percolation_m3, 1));
  PetscCall(SbCheckpointAddLocalSum(c->ck, "budget/baseflow_m3", &lb->baseflow_m3, 1));
  PetscCall(SbInfiltrationCheckpointRegister(c->infiltration, c->ck));
  PetscCall(SbRoutingCheckpointRegister(c->routing, c->ck));
  PetscCall(SbSedimentCheckpointRegister(c->sediment, c->ck));
  PetscCall(SbOutputCheckpointRegister(c->out, c->ck, c->ck_path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteCheckpoint(SbRunCtx *c, const SbRunOptions *opts, const char *path, const char *reason)
{
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(SbCheckpointWrite(c->ck, path, c->t, reason));
  PetscCall(PetscTime(&t1));
  /* After a signal mpiexec may have closed our output already (SIGPIPE): the error line names the
     checkpoint of a signal or a bad state instead. */
  if (!opts->quiet && !strcmp(reason, "periodic")) PetscCall(PetscPrintf(c->grid->comm, "  checkpoint at t = %.3f h: %s, %.2f s\n", (double)(c->t / 3600.0), c->ck_path, (double)(t1 - t0)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TimeLoop(SbRunCtx *c, const SbRunOptions *opts, PetscInt *nsteps, SbWaterBudget *b)
{
  SbGrid        *g  = c->grid;
  const PetscReal T = c->sc->duration_s, interval = c->sc->output_interval_s, every = opts->checkpoint_every_s;
  PetscReal      t, next_out, *q, rain, change, storage, pet, t0 = c->t, next_ck = PETSC_MAX_REAL;
  PetscInt       steps, outlet, nan_step = -1;
  PetscLogDouble wall0, last = 0;
  PetscBool      have_q = opts->restart ? PETSC_FALSE : PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&wall0));
  q = c->gauge_q; /* freed by SbRun, also when a step fails */
  PetscCall(SbGridFindGauge(g, "outlet", &outlet));
  /* Fault injection for the tests (tests/regression/signal_test.py): a NaN depth at row 0, col 0
     before step N. */
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-sb_fault_nan_step", &nan_step, NULL));
  if (!opts->restart) {
    c->t        = 0.0;
    c->steps    = 0;
    c->next_out = PetscMin(interval, T);
    PetscCall(SbStateStorage(c->state, &c->storage_initial_m3));
    PetscCall(SbStateStorageVertical(c->state, &c->vertical_initial_m3[0], &c->vertical_initial_m3[1], &c->vertical_initial_m3[2]));
    PetscCall(SbForcingRainAt(c->forcing, 0.0, &rain, &change));
    PetscCall(SbOutputRecord(c->out, 0.0, q, rain * 3.6e6, c->storage_initial_m3));
    PetscCall(SbSedimentStart(c->sediment));
    PetscCall(SbSedimentRecord(c->sediment, 0.0));
    PetscCall(SbOutputWriteSlice(c->out, c->state, 0.0));
  }
  t        = c->t;
  steps    = c->steps;
  next_out = c->next_out;
  if (every > 0) next_ck = (PetscFloorReal(t / every) + 1) * every;
  while (t < T) {
    PetscReal dt, t_new;

    c->t        = t; /* what a checkpoint written in this iteration holds */
    c->steps    = steps;
    c->next_out = next_out;
    /* Every 16 steps (one small reduction) look for SIGINT/SIGTERM on any rank; on one, keep the
       state in a checkpoint. */
    if (steps % 16 == 0) {
      int signo;

      PetscCall(SbSignalsReceived(g->comm, &signo));
      if (signo) PetscCall(WriteCheckpoint(c, opts, c->ck_path, "signal"));
      PetscCheck(!signo, PETSC_COMM_SELF, PETSC_ERR_SIG, "interrupted by signal %d at t = %.3f h of %.3f h; no result written; checkpoint %s (continue with --restart %s)", signo, (double)(t / 3600.0), (double)(T / 3600.0), c->ck_path, c->ck_path);
    }
    if (steps == nan_step && g->xs == 0 && g->ys == 0) {
      SbCell *x;

      PetscCall(VecGetArray(c->state->X, (PetscScalar **)&x));
      x[0].h = NAN;
      PetscCall(VecRestoreArray(c->state->X, (PetscScalar **)&x));
    }
    PetscCall(SbRoutingStableDt(c->routing, &dt));
    /* A NaN or negative depth anywhere makes the step zero on every rank: keep the state in a
       checkpoint to inspect, and name the cell. */
    if (!(dt > 0)) {
      PetscErrorCode ierr;
      char           msg[1024], bad[PETSC_MAX_PATH_LEN + 16];
      const char    *specific = NULL;
      size_t         n = strlen(c->ck_path);

      /* Beside the last good checkpoint, which stays the one to restart from: x.ckpt.h5 -> x.ckpt.bad.h5 */
      PetscCall(PetscStrncpy(bad, c->ck_path, sizeof(bad)));
      if (n > 3 && !strcmp(c->ck_path + n - 3, ".h5")) bad[n - 3] = 0;
      PetscCall(PetscStrlcat(bad, ".bad.h5", sizeof(bad)));
      PetscCall(WriteCheckpoint(c, opts, bad, "bad state"));
      ierr = SbStateCheck(c->state, t);
      if (ierr) {
        PetscErrorMessage(ierr, NULL, (char **)&specific);
        PetscCall(PetscStrncpy(msg, specific ? specific : "state: bad depth", sizeof(msg)));
        SETERRQ(PETSC_COMM_SELF, ierr, "%s; checkpoint of this state for inspection: %s", msg, bad);
      }
    }
    PetscCheck(dt > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "time step %g s at t = %g s", (double)dt, (double)t);
    PetscCall(SbForcingRainAt(c->forcing, t, &rain, &change));
    /* Continuous runs: without rain and with no surface water that could flow (open water aside),
       the step is only limited by time_step.dry_max_h (the vertical processes are exact over any
       step). */
    if (rain == 0 && dt < c->sc->dry_max_dt_s) {
      PetscReal hmax;

      PetscCall(SbStateMaxLandDepth(c->state, &hmax));
      if (hmax <= c->sc->depth_threshold_m) dt = c->sc->dry_max_dt_s;
    }
    /* Land exactly on output times and on changes of the forcing. */
    t_new = t + dt;
    if (t_new >= next_out) t_new = next_out;
    if (t_new >= change) t_new = change;
    dt = t_new - t;
    PetscCall(SbForcingRainApply(c->forcing, c->state, dt));
    PetscCall(SbPotentialEvapotranspirationAt(c->sc, c->forcing, t, &pet));
    {
      Vec field;

      PetscCall(SbForcingRainField(c->forcing, &field));
      PetscCall(SbInterceptionStep(c->interception, t, rain, field, pet, dt));
    }
    PetscCall(SbInfiltrationStep(c->infiltration, dt));
    PetscCall(SbSoilWaterStep(c->soilwater, dt));
    PetscCall(SbGroundwaterStep(c->groundwater, dt));
    PetscCall(SbSedimentBeginStep(c->sediment));
    PetscCall(SbRoutingStep(c->routing, dt));
    {
      Vec field;

      PetscCall(SbForcingRainField(c->forcing, &field));
      PetscCall(SbSedimentStep(c->sediment, rain, field, dt));
    }
    PetscCall(SbStateTrackMax(c->state));
    t = t_new;
    steps++;
    if (t >= next_out) {
      PetscReal *v;

      PetscCall(PetscCalloc1(g->ngauges + 1, &v));
      PetscCall(SbRoutingGauges(c->routing, q, v));
      PetscCall(PetscFree(v));
      PetscCall(SbStateStorage(c->state, &storage));
      PetscCall(SbOutputRecord(c->out, t, q, rain * 3.6e6, storage));
      PetscCall(SbSedimentRecord(c->sediment, t));
      PetscCall(SbOutputWriteSlice(c->out, c->state, t));
      have_q   = PETSC_TRUE;
      next_out = PetscMin(next_out + interval, T);
      /* Periodic checkpoints at the first output time from each multiple of the interval: every
         run lands on output times, so checkpoints never change the steps. */
      if (t >= next_ck && t < T) {
        c->t        = t;
        c->steps    = steps;
        c->next_out = next_out;
        PetscCall(WriteCheckpoint(c, opts, c->ck_path, "periodic"));
        next_ck = (PetscFloorReal(t / every) + 1) * every;
      }
    }
    PetscCall(Report(g->comm, opts->quiet, t, t0, T, dt, wall0, &last, !have_q ? -1.0 : outlet >= 0 ? q[outlet] : 0.0));
  }
  b->storage_initial_m3     = c->storage_initial_m3;
  b->canopy_initial_m3      = c->vertical_initial_m3[0];
  b->soil_initial_m3        = c->vertical_initial_m3[1];
  b->groundwater_initial_m3 = c->vertical_initial_m3[2];
  PetscCall(SbStateStorage(c->state, &b->storage_final_m3));
  PetscCall(SbStateStorageVertical(c->state, &b->canopy_final_m3, &b->soil_final_m3, &b->groundwater_final_m3));
  PetscCall(SbRoutingGauges(c->routing, q, b->gauge_volume_m3));
  PetscCallMPI(MPI_Allreduce(&c->state->budget.rain_m3, &b->rain_m3, 1, MPIU_REAL, MPI_SUM, g->comm));
  PetscCallMPI(MPI_Allreduce(&c->state->budget.outflow_m3, &b->outflow_m3, 1, MPIU_REAL, MPI_SUM, g->comm));
  PetscCallMPI(MPI_Allreduce(&c->state->budget.infiltration_m3, &b->infiltration_m3, 1, MPIU_REAL, MPI_SUM, g->comm));
  {
    const SbLocalBudget *lb = &c->state->budget;
    PetscReal            v[5] = {lb->interception_m3, lb->canopy_evaporation_m3, lb->soil_et_m3, lb->percolation_m3, lb->baseflow_m3}, w[5];

    PetscCallMPI(MPI_Allreduce(v, w, 5, MPIU_REAL, MPI_SUM, g->comm));
    b->interception_m3       = w[0];
    b->canopy_evaporation_m3 = w[1];
    b->soil_et_m3            = w[2];
    b->percolation_m3        = w[3];
    b->baseflow_m3           = w[4];
  }
  {
    /* rain = evapotranspiration + outflow + change of all stores (docs/hydrology.md) */
    const PetscReal change   = (b->storage_final_m3 - b->storage_initial_m3) + (b->canopy_final_m3 - b->canopy_initial_m3) + (b->soil_final_m3 - b->soil_initial_m3) + (b->groundwater_final_m3 - b->groundwater_initial_m3);
    const PetscReal residual = b->rain_m3 - b->canopy_evaporation_m3 - b->soil_et_m3 - b->outflow_m3 - change;
    const PetscReal stored0  = b->storage_initial_m3 + b->canopy_initial_m3 + b->soil_initial_m3 + b->groundwater_initial_m3;
    const PetscReal scale    = PetscMax(PetscMax(b->rain_m3, PetscAbsReal(stored0)), 1e-300);

    b->relative_error = residual / scale;
  }
  *nsteps = steps;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A log stage by name, registered once per process (an ensemble or a calibration runs several scenarios in turn). */
static PetscErrorCode Stage(const char *name, PetscLogStage *st)
{
  PetscFunctionBeginUser;
  PetscCall(PetscLogStageGetId(name, st));
  if (*st < 0) PetscCall(PetscLogStageRegister(name, st));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunInner(MPI_Comm comm, const SbRunOptions *opts, SbRunCtx *c)
{
  PetscLogStage  st_setup, st_loop, st_out;
  SbWaterBudget  b = {0};
  SbProvenance   p = {0};
  PetscInt       steps = 0;
  PetscLogDouble w0, w1;
  const char    *mesh, *result;
  PetscMPIInt    size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscTime(&w0));
  PetscCall(Stage("Setup", &st_setup));
  PetscCall(Stage("TimeLoop", &st_loop));
  PetscCall(Stage("Output", &st_out));

  PetscCall(PetscLogStagePush(st_setup));
  PetscCall(SbScenarioLoad(comm, opts->scenario, &c->sc));
  mesh   = opts->mesh ? opts->mesh : c->sc->mesh_path;
  result = opts->output ? opts->output : c->sc->output_file;
  PetscCall(SbGridCreate(comm, mesh, &c->grid));
  PetscCall(SbStateCreate(c->grid, &c->state));
  PetscCall(SbForcingCreate(c->grid, c->sc, &c->forcing)); /* reads and checks forcing files before any computation */
  if (c->sc->mode == SB_MODE_ASSESSMENT || c->sc->assessment_present) PetscCall(SbAssessmentCreate(c->grid, c->sc, &c->assessment));
  /* Treatment measures are placed at set-up, by the untreated soil loss of the assessment; the
     hydrology reads their per-cell multipliers from the state. */
  PetscCall(SbMeasuresCreate(c->grid, c->sc, &c->measures));
  if (c->assessment) PetscCall(SbAssessmentApplyMeasures(c->assessment, c->measures));
  else {
    PetscInt nm;

    PetscCall(SbMeasuresGetCount(c->measures, &nm));
    PetscCheck(nm == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: measures: expected an \"assessment\" object or \"mode\": \"assessment\" with them (measures are placed by the untreated soil loss)", c->sc->measures_origin);
  }
  PetscCall(SbMeasuresGetFields(c->measures, NULL, NULL, &c->state->manning_factor, &c->state->ks_factor, &c->state->interception_factor));
  /* The time loop's modules; "mode": "assessment" has none (at 90 m they are 40 % of the memory). */
  if (c->sc->mode != SB_MODE_ASSESSMENT) {
    PetscCall(SbInfiltrationCreate(c->state, c->sc, &c->infiltration));
    PetscCall(SbInterceptionCreate(c->state, c->sc, &c->interception));
    PetscCall(SbSoilWaterCreate(c->state, c->sc, &c->soilwater));
    PetscCall(SbGroundwaterCreate(c->state, c->sc, &c->groundwater));
    PetscCall(SbRoutingCreate(c->state, c->sc, &c->routing));
    PetscCall(SbRoutingSetFromOptions(c->routing)); /* -sb_routing_scheme, and the TS/SNES/KSP/PC options of the diffusive wave */
    PetscCall(SbRoutingSetUp(c->routing));
    PetscCall(SbSedimentCreate(c->state, c->routing, c->sc, &c->sediment));
  }
  PetscCall(SbOutputCreate(c->grid, result, c->sc->start, &c->out));
  PetscCall(SbSedimentAttachOutput(c->sediment, c->out));
  PetscCall(PetscPrintf(comm, "shuibao run %s: mesh %s, %" PetscInt_FMT " x %" PetscInt_FMT " cells, %" PetscInt_FMT " active (%.1f km2), %d ranks, load imbalance %.1f%%\n", opts->scenario, mesh, c->grid->nx, c->grid->ny, c->grid->nactive, (double)(c->grid->active_area_m2 / 1e6), size, (double)(100 * c->grid->load_imbalance)));
  if (c->sc->mode != SB_MODE_ASSESSMENT) {
    PetscCall(RegisterCheckpoint(c, opts, result));
    if (opts->restart) {
      PetscCall(SbCheckpointRead(c->ck, opts->restart, c->sc->duration_s, &c->t));
      PetscCall(PetscPrintf(comm, "continuing from %s at t = %.3f h (step %" PetscInt_FMT ")\n", opts->restart, (double)(c->t / 3600.0), c->steps));
    }
  } else PetscCheck(!opts->restart && opts->checkpoint_every_s <= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: \"mode\": \"assessment\" has no time loop to checkpoint or restart", opts->scenario);
  /* Everything is set up: the static fields the time loop does not read can go (the assessment
     after it reads them all). */
  if (!c->assessment) PetscCall(SbGridReleaseSetUpFields(c->grid));
  PetscCall(PetscLogStagePop());

  PetscCall(PetscLogStagePush(st_loop));
  PetscCall(PetscCalloc2(c->grid->ngauges + 1, &c->gauge_q, c->grid->ngauges + 1, &c->gauge_volume_m3));
  b.gauge_volume_m3 = c->gauge_volume_m3;
  /* "mode": "assessment" runs the annual assessment alone. Otherwise it runs once, after the loop;
     a run of whole calendar years is assessed year by year there too, from the forcing's daily rain
     (assessment.c), so the loop keeps no state for it. */
  if (c->sc->mode != SB_MODE_ASSESSMENT) PetscCall(TimeLoop(c, opts, &steps, &b));
  PetscCall(PetscLogStagePop());

  PetscCall(PetscLogStagePush(st_out));
  PetscCall(PetscTime(&w1));
  p.scenario_text  = c->sc->text;
  p.scenario_path  = opts->scenario;
  p.mesh_path      = mesh;
  p.command_line   = opts->command_line ? opts->command_line : "";
  p.steps          = steps;
  p.wall_s         = w1 - w0;
  p.load_imbalance = c->grid->load_imbalance;
  if (c->assessment) {
    PetscCall(SbAssessmentRun(c->assessment));
    PetscCall(SbAssessmentWrite(c->assessment, c->out));
  }
  PetscCall(SbOutputFinish(c->out, c->state, &b, &p));
  PetscCall(PetscLogStagePop());
  PetscCall(PetscPrintf(comm, "wrote %s: %" PetscInt_FMT " steps, rain %.6e m3, infiltration %.6e m3, outflow %.6e m3, storage change %.6e m3, relative error %.2e, %.2f s\n", result, steps, (double)b.rain_m3, (double)b.infiltration_m3, (double)b.outflow_m3, (double)(b.storage_final_m3 - b.storage_initial_m3), (double)b.relative_error, (double)(w1 - w0)));
  PetscCall(PetscPrintf(comm, "  evapotranspiration %.6e m3 (canopy %.6e, soil %.6e), percolation %.6e m3, baseflow %.6e m3, groundwater change %.6e m3\n", (double)(b.canopy_evaporation_m3 + b.soil_et_m3), (double)b.canopy_evaporation_m3, (double)b.soil_et_m3, (double)b.percolation_m3, (double)b.baseflow_m3, (double)(b.groundwater_final_m3 - b.groundwater_initial_m3)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRun(MPI_Comm comm, const SbRunOptions *opts)
{
  SbRunCtx       c = {0};
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  ierr = RunInner(comm, opts, &c);
  /* Never leave a half-written result behind. */
  if (ierr) PetscCall(SbOutputAbort(&c.out));
  else PetscCall(SbOutputDestroy(&c.out));
  PetscCall(PetscFree2(c.gauge_q, c.gauge_volume_m3));
  PetscCall(SbCheckpointDestroy(&c.ck));
  PetscCall(SbSedimentDestroy(&c.sediment));
  PetscCall(SbRoutingDestroy(&c.routing));
  PetscCall(SbInfiltrationDestroy(&c.infiltration));
  PetscCall(SbForcingDestroy(&c.forcing));
  PetscCall(SbInterceptionDestroy(&c.interception));
  PetscCall(SbSoilWaterDestroy(&c.soilwater));
  PetscCall(SbGroundwaterDestroy(&c.groundwater));
  PetscCall(SbAssessmentDestroy(&c.assessment));
  PetscCall(SbStateDestroy(&c.state));
  PetscCall(SbMeasuresDestroy(&c.measures));
  PetscCall(SbGridDestroy(&c.grid));
  PetscCall(SbScenarioDestroy(&c.sc));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
