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

typedef struct {
  SbScenario *sc;
  SbGrid     *grid;
  SbState       *state;
  SbInfiltration infiltration;
  SbInterception interception;
  SbSoilWater    soilwater;
  SbGroundwater  groundwater;
  SbRouting      routing;
  SbOutput    out;
  SbAssessment assessment; /* NULL unless "mode": "assessment" or an "assessment" object */
} SbRunCtx;

static PetscErrorCode Report(MPI_Comm comm, PetscBool quiet, PetscReal t, PetscReal T, PetscReal dt, PetscReal wall0, PetscReal q_outlet)
{
  PetscLogDouble now;
  PetscReal      frac = T > 0 ? t / T : 1.0, left;

  PetscFunctionBeginUser;
  if (quiet) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscTime(&now));
  left = frac > 0 ? (now - wall0) * (1.0 - frac) / frac : 0.0;
  PetscCall(PetscPrintf(comm, "  t = %9.3f h  %5.1f%%  dt = %8.3f s  outlet %10.3f m3/s  about %.0f s left\n", (double)(t / 3600.0), (double)(100.0 * frac), (double)dt, (double)q_outlet, (double)left));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TimeLoop(SbRunCtx *c, const SbRunOptions *opts, PetscInt *nsteps, SbWaterBudget *b)
{
  SbGrid        *g  = c->grid;
  const PetscReal T = c->sc->duration_s, interval = c->sc->output_interval_s;
  PetscReal      t = 0.0, next_out = PetscMin(interval, T), *q, rain, change, storage, pet;
  PetscInt       steps = 0, outlet;
  PetscLogDouble wall0;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&wall0));
  PetscCall(PetscCalloc1(g->ngauges + 1, &q));
  PetscCall(SbGridFindGauge(g, "outlet", &outlet));
  PetscCall(SbStateStorage(c->state, &b->storage_initial_m3));
  PetscCall(SbStateStorageVertical(c->state, &b->canopy_initial_m3, &b->soil_initial_m3, &b->groundwater_initial_m3));
  PetscCall(SbRainAt(c->sc, 0.0, &rain, &change));
  PetscCall(SbOutputRecord(c->out, 0.0, q, rain * 3.6e6, b->storage_initial_m3));
  PetscCall(SbOutputWriteSlice(c->out, c->state, 0.0));
  while (t < T) {
    PetscReal dt, t_new;

    /* Every 16 steps (one small reduction) look for SIGINT/SIGTERM on any rank. */
    if (steps % 16 == 0) {
      int signo;

      PetscCall(SbSignalsReceived(g->comm, &signo));
      PetscCheck(!signo, PETSC_COMM_SELF, PETSC_ERR_SIG, "interrupted by signal %d at t = %.3f h of %.3f h; no result written", signo, (double)(t / 3600.0), (double)(T / 3600.0));
    }
    PetscCall(SbRoutingStableDt(c->routing, &dt));
    /* A NaN or negative depth anywhere makes the step zero on every rank: name the cell. */
    if (!(dt > 0)) PetscCall(SbStateCheck(c->state, t));
    PetscCheck(dt > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "time step %g s at t = %g s", (double)dt, (double)t);
    PetscCall(SbRainAt(c->sc, t, &rain, &change));
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
    PetscCall(SbRainApply(c->state, rain, dt));
    PetscCall(SbPotentialEvapotranspirationAt(c->sc, t, &pet));
    PetscCall(SbInterceptionStep(c->interception, t, rain, pet, dt));
    PetscCall(SbInfiltrationStep(c->infiltration, dt));
    PetscCall(SbSoilWaterStep(c->soilwater, dt));
    PetscCall(SbGroundwaterStep(c->groundwater, dt));
    PetscCall(SbRoutingStep(c->routing, dt));
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
      PetscCall(SbOutputWriteSlice(c->out, c->state, t));
      PetscCall(Report(g->comm, opts->quiet, t, T, dt, wall0, outlet >= 0 ? q[outlet] : 0.0));
      next_out = PetscMin(next_out + interval, T);
    }
  }
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
  PetscCall(PetscFree(q));
  *nsteps = steps;
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
  PetscCall(PetscLogStageRegister("Setup", &st_setup));
  PetscCall(PetscLogStageRegister("TimeLoop", &st_loop));
  PetscCall(PetscLogStageRegister("Output", &st_out));

  PetscCall(PetscLogStagePush(st_setup));
  PetscCall(SbScenarioLoad(comm, opts->scenario, &c->sc));
  mesh   = opts->mesh ? opts->mesh : c->sc->mesh_path;
  result = opts->output ? opts->output : c->sc->output_file;
  PetscCall(SbGridCreate(comm, mesh, &c->grid));
  PetscCall(SbStateCreate(c->grid, &c->state));
  PetscCall(SbInfiltrationCreate(c->state, c->sc, &c->infiltration));
  PetscCall(SbInterceptionCreate(c->state, c->sc, &c->interception));
  PetscCall(SbSoilWaterCreate(c->state, c->sc, &c->soilwater));
  PetscCall(SbGroundwaterCreate(c->state, c->sc, &c->groundwater));
  PetscCall(SbRoutingCreate(c->state, c->sc, &c->routing));
  PetscCall(SbRoutingSetFromOptions(c->routing)); /* -sb_routing_scheme, and the TS/SNES/KSP/PC options of the diffusive wave */
  PetscCall(SbRoutingSetUp(c->routing));
  if (c->sc->mode == SB_MODE_ASSESSMENT || c->sc->assessment_present) PetscCall(SbAssessmentCreate(c->grid, c->sc, &c->assessment));
  PetscCall(SbOutputCreate(c->grid, result, c->sc->start, &c->out));
  PetscCall(PetscPrintf(comm, "shuibao run %s: mesh %s, %" PetscInt_FMT " x %" PetscInt_FMT " cells, %" PetscInt_FMT " active (%.1f km2), %d ranks, load imbalance %.1f%%\n", opts->scenario, mesh, c->grid->nx, c->grid->ny, c->grid->nactive, (double)(c->grid->active_area_m2 / 1e6), size, (double)(100 * c->grid->load_imbalance)));
  PetscCall(PetscLogStagePop());

  PetscCall(PetscLogStagePush(st_loop));
  PetscCall(PetscCalloc1(c->grid->ngauges + 1, &b.gauge_volume_m3));
  /* "mode": "assessment" runs the annual assessment alone. When runs span years, the assessment of
     each simulated year goes here (SbAssessmentRun per year); today it runs once, after the loop. */
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
  PetscCall(PetscFree(b.gauge_volume_m3));
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
  PetscCall(SbRoutingDestroy(&c.routing));
  PetscCall(SbInfiltrationDestroy(&c.infiltration));
  PetscCall(SbInterceptionDestroy(&c.interception));
  PetscCall(SbSoilWaterDestroy(&c.soilwater));
  PetscCall(SbGroundwaterDestroy(&c.groundwater));
  PetscCall(SbAssessmentDestroy(&c.assessment));
  PetscCall(SbStateDestroy(&c.state));
  PetscCall(SbGridDestroy(&c.grid));
  PetscCall(SbScenarioDestroy(&c.sc));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
