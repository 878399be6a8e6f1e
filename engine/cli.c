/* Command-line front end.

   Our own arguments come first; the first single-dash option that is not ours (-log_view,
   -malloc_debug, ...) and everything after it go to PETSc. */
#include "cli.h"
#include "sbsys.h"
#include "run.h"
#include "scenario.h"
#include "forcing.h"
#include "meshdata.h"
#include "synth.h"
#include "build.h"
#include "compare.h"
#include "signals.h"
#include "checkpoint.h"
#include "calibrate.h"
#include "plan.h"
#include <errno.h>
#include <stdlib.h>

#define SB_MAX_ARGS 256

typedef struct {
  char           message[4096]; /* first error message of the failing call chain */
  PetscErrorCode code;
} SbErrorCapture;

typedef struct {
  int         argc;        /* our arguments after the command word(s) */
  char       *argv[SB_MAX_ARGS];
  char        command_line[4096];
  SbErrorCapture *err;
} SbArgs;

static const char *usage_main =
  "usage: shuibao <command> [options] [PETSc options]\n"
  "\n"
  "shuibao (水保) is a distributed hydrologic and sediment-transport engine for soil and water\n"
  "conservation scenarios. Commands:\n"
  "  mesh synth    write the built-in synthetic Danjiangkou-like basin to mesh.h5\n"
  "  mesh build    build mesh.h5 from ESRI ASCII rasters (DEM, mask, regions, land use, soil, gauges)\n"
  "  run           run a scenario (mpiexec -n N shuibao run scenario.json) and write result.h5\n"
  "  ensemble      run several scenarios at once, each on its share of the ranks\n"
  "  compare       list and compare result files\n"
  "  calibrate     fit parameter multipliers to observed runoff at gauges (PETSc TAO)\n"
  "  plan          place measures by cost-effectiveness until a conservation-rate target is met\n"
  "  scenario      check a scenario file, or print the scenario reference\n"
  "\n"
  "  shuibao <command> --help   explains the command's options\n"
  "  shuibao --version          prints the version\n"
  "\n"
  "PETSc options (-log_view, -malloc_debug, ...) go after the command's own arguments.\n";

static const char *usage_synth =
  "usage: shuibao mesh synth --cell-size METRES [--seed N] [-o mesh.h5]\n"
  "\n"
  "Writes the built-in synthetic basin, shaped like the Danjiangkou catchment (upper Han River):\n"
  "about 95,000 km2, a west-to-east main stem into a reservoir (pool 170 m) by the eastern outlet,\n"
  "a high northern range and a lower southern one, three regions, land use, soils and gauges\n"
  "ankang, baihe and outlet. The same seed gives the same basin. See docs/synthetic-basin.md.\n"
  "\n"
  "  --cell-size METRES   cell size, 90 to 5000 m (required)\n"
  "  --seed N             terrain seed, a non-negative integer (default 1)\n"
  "  -o, --output FILE    mesh file to write (default mesh.h5)\n";

static const char *usage_build =
  "usage: shuibao mesh build --dem DEM.asc [--mask M.asc] [--regions R.asc] [--landuse L.asc]\n"
  "                          [--soil S.asc] [--gauges G.csv] [--channel-threshold KM2] [--rivers R.geojson]\n"
  "                          [--river-levels L,L] [--river-burn M] [--slope-dimension D] [--slope-target-cell M]\n"
  "                          [--subgrid-slope dem|d8]\n"
  "                          [--classes-from-terrain RULES.json] [--reservoir-level M] [-o mesh.h5]\n"
  "\n"
  "Builds a mesh from ESRI ASCII grids in projected metres or geographic degrees: priority-flood\n"
  "depression filling, D8 flow directions and accumulation, slope, channels, gauge snapping and a\n"
  "gauge 'outlet' at the basin outlet. All rasters must share the DEM's grid. See docs/mesh-build.md.\n"
  "\n"
  "  --dem FILE               elevation in metres (required)\n"
  "  --mask FILE              active cells: non-zero and not no-data (default: every DEM cell with data)\n"
  "  --regions FILE           region ids 1, 2, ... (0 outside; default: one region)\n"
  "  --landuse FILE           land-use codes 1-7 (default: forest everywhere; a placeholder)\n"
  "  --soil FILE              soil texture codes 1-11, Rawls et al. 1983 (default: loam; a placeholder)\n"
  "  --gauges FILE            CSV with a header: name, x|lon, y|lat (snapped to the largest flow nearby)\n"
  "  --channel-threshold KM2  upstream area at which a channel starts (default 10)\n"
  "  --rivers FILE            GeoJSON river lines: the cells they cross become channel cells\n"
  "  --river-levels L,L,...   only features whose wdb2_level (or level) is listed (default: all)\n"
  "  --river-burn M           lower river cells by M metres before conditioning, so D8 follows them (default 0)\n"
  "  --slope-dimension D      fractal dimension of the sub-grid slope /slope_subgrid (default: from the DEM)\n"
  "  --slope-target-cell M    resolution the sub-grid slope stands for, metres (default 90)\n"
  "  --subgrid-slope dem|d8   the slope the sub-grid slope scales: the DEM's local gradient as read (dem,\n"
  "                           default) or the D8 slope of the conditioned DEM (d8, 0 on filled flats)\n"
  "  --classes-from-terrain FILE  land use and soil from elevation, slope and basin shares where no\n"
  "                           --landuse or --soil raster is given (rules: docs/mesh-build.md)\n"
  "  --reservoir-level M      normal pool level of a level-pool reservoir: the largest connected group of\n"
  "                           land-use water cells at or below it becomes the pool (docs/routing.md)\n"
  "  -o, --output FILE        mesh file to write (default mesh.h5)\n";

static const char *usage_run =
  "usage: mpiexec -n N shuibao run SCENARIO.json [-o result.h5] [--mesh mesh.h5] [--quiet]\n"
  "                                [--checkpoint-every TIME] [--checkpoint FILE] [--restart FILE] [PETSc options]\n"
  "\n"
  "Runs a scenario: reads the mesh in parallel, runs the time loop and writes the result\n"
  "collectively, first as result.h5.partial, renamed when complete. Every input is checked\n"
  "before the time loop starts. See scenarios/README.md for the scenario keys.\n"
  "\n"
  "  -o, --output FILE   result file (default: the scenario's output.file, else result.h5)\n"
  "  --mesh FILE         mesh file (default: the scenario's \"mesh\")\n"
  "  --quiet             no progress lines (otherwise rank 0 prints one every few seconds)\n"
  "  --checkpoint-every TIME  write a checkpoint every TIME of simulated time: 6h, 30min, 3600s, 2d\n"
  "  --checkpoint FILE   checkpoint file (default: the result's name with .ckpt.h5 for .h5); SIGINT\n"
  "                      and SIGTERM also write it, then stop the run; a NaN or negative depth\n"
  "                      writes the bad state to FILE with .bad.h5 for .h5, then stops the run\n"
  "  --restart FILE      continue from a checkpoint of the same mesh and scenario (the scenario may\n"
  "                      have a longer time.duration_h, another name or output.file)\n"
  "  -log_view           PETSc's profile of where time went (stages Setup, TimeLoop, Output)\n";

static const char *usage_ensemble =
  "usage: mpiexec -n N shuibao ensemble A.json B.json ... [-o DIR] [--mesh mesh.h5] [--quiet] [PETSc options]\n"
  "\n"
  "Runs the scenarios concurrently: the ranks are split into min(N, scenarios) groups as evenly as\n"
  "possible (MPI_Comm_split), group g runs scenarios g, g + groups, ... Each result is the one a\n"
  "separate `shuibao run` would write (results do not depend on the rank count). See docs/measures.md.\n"
  "\n"
  "  -o, --output DIR    write DIR/<scenario file name without .json>.h5 (default: each scenario's output.file)\n"
  "  --mesh FILE         mesh file for every scenario (default: each scenario's \"mesh\")\n"
  "  --quiet             no progress lines\n";

static const char *usage_compare =
  "usage: shuibao compare FILE.h5 [FILE.h5 ...] [--format md|csv|json] [--figures DIR]\n"
  "\n"
  "Lists the contents of result (and mesh) files: grid, gauges with peak discharge and volume,\n"
  "water budget, provenance; the first file is the reference for differences.\n"
  "\n"
  "  --format FORMAT   md (default), csv or json\n"
  "  --figures DIR     also write PNG figures to DIR: hydrographs at every gauge, maximum-depth\n"
  "                    maps side by side and their differences from the first file\n";

static const char *usage_calibrate =
  "usage: mpiexec -n N shuibao calibrate SCENARIO.json --targets TARGETS.json [-o CALIBRATED.json]\n"
  "                                      [--mesh mesh.h5] [--groups G] [PETSc options: -tao_type nm, -tao_max_funcs N]\n"
  "\n"
  "Adjusts multipliers of infiltration.ks_factor, of Manning's n (overland and channel) and of\n"
  "sediment.erodibility_factor with a derivative-free PETSc TAO method (POUNDERS by default) until\n"
  "the annual runoff (m3/a) or sediment (t/a) at the target gauges matches the observed values;\n"
  "every candidate is a full run on all ranks. Writes a scenario that extends SCENARIO.json with\n"
  "the calibrated values. See docs/calibration.md.\n"
  "\n"
  "  --targets FILE      parameters (initial, min, max multipliers) and targets (gauge and\n"
  "                      runoff_m3_a or sediment_t_a)\n"
  "  -o, --output FILE   calibrated scenario (default: SCENARIO-calibrated.json)\n"
  "  --mesh FILE         mesh file (default: the scenario's \"mesh\")\n"
  "  --groups G          run the method's first points (n + 1 for n parameters) side by side on G\n"
  "                      groups of ranks (at most the number of ranks; default 1)\n";

static const char *usage_plan =
  "usage: mpiexec -n N shuibao plan BASE.json --target RATE --year YEAR [--budget YUAN] [-o plan.json] [--mesh mesh.h5]\n"
  "\n"
  "Places measures of the library on the cells of the base scenario (which needs the assessment)\n"
  "by cost per km2 brought below the tolerable soil loss, until the basin's conservation rate\n"
  "(水土保持率) reaches RATE or the budget is spent. Writes plan.json (extends BASE.json; one mask\n"
  "raster plan.<measure>.asc per measure used, beside it) and plan.report.json (rate reached, cost,\n"
  "area and cost per measure and region). `shuibao run plan.json` reproduces the rate. See\n"
  "docs/measures.md.\n"
  "\n"
  "  --target RATE      basin conservation rate to reach, in (0, 1] (required)\n"
  "  --year YEAR        measures_year of the plan and year of its measures (required)\n"
  "  --budget YUAN      spend at most this much (default: no limit)\n"
  "  -o, --output FILE  plan scenario to write (default plan.json)\n"
  "  --mesh FILE        mesh file, overrides the base's (written into the plan)\n"
  "\n"
  "Exit status: 0 target met, 2 budget spent first (the plan within the budget is written, with\n"
  "a warning), 3 target unreachable with the library (nothing written), 1 an error.\n";

static const char *usage_scenario =
  "usage: shuibao scenario check FILE.json\n"
  "       shuibao scenario reference\n"
  "\n"
  "check      loads the scenario (with everything it extends) and reports the first error, if any\n"
  "reference  prints the scenario reference (every key, unit, default and range) as Markdown\n";

static PetscErrorCode CaptureHandler(MPI_Comm comm, int line, const char *fun, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  SbErrorCapture *e = (SbErrorCapture *)ctx;

  if (p == PETSC_ERROR_INITIAL || e->code == 0) {
    e->code = n;
    if (mess && mess[0]) snprintf(e->message, sizeof(e->message), "%s", mess);
    else {
      const char *text = NULL;

      PetscErrorMessage(n, &text, NULL);
      snprintf(e->message, sizeof(e->message), "%s (in %s at %s:%d)", text ? text : "error", fun, file, line);
    }
  }
  return n;
}

/* Parse helpers: a named option's value, with a one-line error when it is missing. */
static PetscErrorCode NextValue(SbArgs *a, int *i, const char *name, const char **value)
{
  PetscFunctionBeginUser;
  PetscCheck(*i + 1 < a->argc, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: missing value (see --help)", name);
  *value = a->argv[++(*i)];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseReal(const char *name, const char *text, const char *what, PetscReal *v)
{
  char  *end;
  double d;

  PetscFunctionBeginUser;
  errno = 0;
  d     = strtod(text, &end);
  PetscCheck(errno == 0 && end != text && *end == 0 && !PetscIsInfOrNanReal((PetscReal)d), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected %s, got \"%s\"", name, what, text);
  *v = (PetscReal)d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseInt(const char *name, const char *text, const char *what, PetscInt *v)
{
  char     *end;
  long long l;

  PetscFunctionBeginUser;
  errno = 0;
  l     = strtoll(text, &end, 10);
  PetscCheck(errno == 0 && end != text && *end == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected %s, got \"%s\"", name, what, text);
  *v = (PetscInt)l;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool IsHelp(const char *s)
{
  return (PetscBool)(!strcmp(s, "--help") || !strcmp(s, "-h"));
}

static PetscBool IsOutput(const char *s)
{
  return (PetscBool)(!strcmp(s, "-o") || !strcmp(s, "--output"));
}

/* The mesh tools are serial: rank 0 works, the others wait for its verdict, so a failure is
   reported once and no rank hangs. */
static PetscErrorCode WriteMeshOnRankZero(MPI_Comm comm, SbArgs *a, PetscBool synth, const char *out, PetscReal cell, PetscInt seed, const SbMeshBuildOptions *bo)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr = 0;
  char           msg[4096] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    SbMeshData    *m = NULL;
    PetscLogDouble t0, t1;

    PetscCall(PetscTime(&t0));
    ierr = synth ? SbMeshSynth(cell, seed, &m) : SbMeshBuild(bo, &m);
    if (!ierr) {
      if (!m->source[0] || synth) PetscCall(PetscStrncpy(m->source, a->command_line, sizeof(m->source)));
      ierr = SbMeshDataWrite(m, out);
    }
    if (!ierr) {
      PetscReal area = 0;
      PetscInt  nact = 0;

      for (PetscInt k = 0; k < m->nx * m->ny; k++)
        if (m->mask[k]) {
          nact++;
          area += m->cell_area[k];
        }
      PetscCall(PetscTime(&t1));
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "wrote %s: %" PetscInt_FMT " x %" PetscInt_FMT " cells, %" PetscInt_FMT " active, %.1f km2, %" PetscInt_FMT " gauges, %.2f s\n", out, m->nx, m->ny, nact, (double)(area / 1e6), m->ngauges, (double)(t1 - t0)));
      for (PetscInt g = 0; g < m->ngauges; g++) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  gauge %-12s row %5" PetscInt_FMT " col %5" PetscInt_FMT "  upstream area %10.1f km2\n", m->gauges[g].name, m->gauges[g].row, m->gauges[g].col, (double)(m->gauges[g].upstream_area_m2 / 1e6)));
    }
    if (ierr) snprintf(msg, sizeof(msg), "%s", a->err->message);
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CmdMesh(MPI_Comm comm, SbArgs *a)
{
  const char        *sub, *out = "mesh.h5";
  PetscReal          cell = -1, km2 = 10;
  PetscInt           seed = 1;
  SbMeshBuildOptions bo   = {0};
  PetscBool          synth;

  PetscFunctionBeginUser;
  PetscCheck(a->argc >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh: expected `mesh synth` or `mesh build` (see shuibao --help)");
  sub = a->argv[0];
  if (IsHelp(sub)) {
    PetscCall(PetscPrintf(comm, "%s\n%s", usage_synth, usage_build));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  synth = (PetscBool)!strcmp(sub, "synth");
  PetscCheck(synth || !strcmp(sub, "build"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh %s: unknown subcommand, expected synth or build", sub);
  for (int i = 1; i < a->argc; i++) {
    const char *o = a->argv[i], *v = NULL;

    if (IsHelp(o)) {
      PetscCall(PetscPrintf(comm, "%s", synth ? usage_synth : usage_build));
      PetscFunctionReturn(PETSC_SUCCESS);
    } else if (IsOutput(o)) PetscCall(NextValue(a, &i, o, &out));
    else if (synth && !strcmp(o, "--cell-size")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseReal(o, v, "a cell size in metres", &cell));
    } else if (synth && !strcmp(o, "--seed")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseInt(o, v, "a non-negative integer", &seed));
      PetscCheck(seed >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--seed: expected a non-negative integer, got %s", v);
    } else if (!synth && !strcmp(o, "--dem")) PetscCall(NextValue(a, &i, o, &bo.dem));
    else if (!synth && !strcmp(o, "--mask")) PetscCall(NextValue(a, &i, o, &bo.mask));
    else if (!synth && !strcmp(o, "--regions")) PetscCall(NextValue(a, &i, o, &bo.regions));
    else if (!synth && !strcmp(o, "--landuse")) PetscCall(NextValue(a, &i, o, &bo.landuse));
    else if (!synth && !strcmp(o, "--soil")) PetscCall(NextValue(a, &i, o, &bo.soil));
    else if (!synth && !strcmp(o, "--gauges")) PetscCall(NextValue(a, &i, o, &bo.gauges));
    else if (!synth && !strcmp(o, "--channel-threshold")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseReal(o, v, "an area in km2", &km2));
      PetscCheck(km2 > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--channel-threshold: expected an area > 0 in km2, got %s", v);
    } else if (!synth && !strcmp(o, "--rivers")) PetscCall(NextValue(a, &i, o, &bo.rivers));
    else if (!synth && !strcmp(o, "--river-levels")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(SbMeshBuildParseLevels(o, v, &bo));
    } else if (!synth && !strcmp(o, "--river-burn")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseReal(o, v, "a depth in metres", &bo.river_burn_m));
    } else if (!synth && !strcmp(o, "--slope-dimension")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseReal(o, v, "a fractal dimension in (1, 2)", &bo.slope_dimension));
      PetscCheck(bo.slope_dimension > 1 && bo.slope_dimension < 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--slope-dimension: expected a fractal dimension in (1, 2), got %s", v);
    } else if (!synth && !strcmp(o, "--slope-target-cell")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseReal(o, v, "a cell size in metres", &bo.slope_target_cell_m));
      PetscCheck(bo.slope_target_cell_m > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--slope-target-cell: expected a cell size > 0 in metres, got %s", v);
    } else if (!synth && !strcmp(o, "--subgrid-slope")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCheck(!strcmp(v, "dem") || !strcmp(v, "d8"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--subgrid-slope: expected dem or d8, got %s", v);
      bo.subgrid_slope_d8 = (PetscBool)!strcmp(v, "d8");
    } else if (!synth && !strcmp(o, "--classes-from-terrain")) PetscCall(NextValue(a, &i, o, &bo.classes));
    else if (!synth && !strcmp(o, "--reservoir-level")) {
      PetscCall(NextValue(a, &i, o, &v));
      PetscCall(ParseReal(o, v, "an elevation in metres", &bo.reservoir_level_m));
      PetscCheck(bo.reservoir_level_m > -500 && bo.reservoir_level_m < 9000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--reservoir-level: expected an elevation in metres in (-500, 9000), got %s", v);
      bo.reservoir = PETSC_TRUE;
    }
    else SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh %s: unknown option %s (see shuibao mesh %s --help)", sub, o, sub);
  }
  if (synth) PetscCheck(cell > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh synth: --cell-size: required (metres, 90 to 5000)");
  else PetscCheck(bo.dem, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh build: --dem: required");
  bo.channel_threshold_km2 = km2;
  PetscCall(WriteMeshOnRankZero(comm, a, synth, out, cell, seed, &bo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CmdRun(MPI_Comm comm, SbArgs *a)
{
  SbRunOptions o = {0};

  PetscFunctionBeginUser;
  o.command_line = a->command_line;
  for (int i = 0; i < a->argc; i++) {
    const char *s = a->argv[i];

    if (IsHelp(s)) {
      PetscCall(PetscPrintf(comm, "%s", usage_run));
      PetscFunctionReturn(PETSC_SUCCESS);
    } else if (IsOutput(s)) PetscCall(NextValue(a, &i, s, &o.output));
    else if (!strcmp(s, "--mesh")) PetscCall(NextValue(a, &i, s, &o.mesh));
    else if (!strcmp(s, "--quiet")) o.quiet = PETSC_TRUE;
    else if (!strcmp(s, "--checkpoint-every")) {
      const char *v = NULL;

      PetscCall(NextValue(a, &i, s, &v));
      PetscCall(SbCheckpointParseInterval(s, v, &o.checkpoint_every_s));
    } else if (!strcmp(s, "--checkpoint")) PetscCall(NextValue(a, &i, s, &o.checkpoint));
    else if (!strcmp(s, "--restart")) PetscCall(NextValue(a, &i, s, &o.restart));
    else if (s[0] == '-') SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "run: unknown option %s (see shuibao run --help)", s);
    else {
      PetscCheck(!o.scenario, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "run: one scenario per run, got %s and %s", o.scenario, s);
      o.scenario = s;
    }
  }
  PetscCheck(o.scenario, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "run: missing the scenario file (see shuibao run --help)");
  PetscCall(SbRun(comm, &o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Scenarios on sub-communicators: one group of ranks per scenario (or several scenarios, one after
   another, per group when there are fewer ranks than scenarios). A failing scenario does not stop
   the others; its group's first rank prints its error and the ensemble fails at the end. */
static PetscErrorCode CmdEnsemble(MPI_Comm comm, SbArgs *a)
{
  const char *files[SB_MAX_ARGS], *dir = NULL, *mesh = NULL;
  char        (*outs)[PETSC_MAX_PATH_LEN] = NULL;
  PetscBool   quiet = PETSC_FALSE;
  int         n = 0, failed = 0, total;
  PetscMPIInt rank, size, groups, color, srank;
  MPI_Comm    sub;

  PetscFunctionBeginUser;
  for (int i = 0; i < a->argc; i++) {
    const char *s = a->argv[i];

    if (IsHelp(s)) {
      PetscCall(PetscPrintf(comm, "%s", usage_ensemble));
      PetscFunctionReturn(PETSC_SUCCESS);
    } else if (IsOutput(s)) PetscCall(NextValue(a, &i, s, &dir));
    else if (!strcmp(s, "--mesh")) PetscCall(NextValue(a, &i, s, &mesh));
    else if (!strcmp(s, "--quiet")) quiet = PETSC_TRUE;
    else if (s[0] == '-') SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "ensemble: unknown option %s (see shuibao ensemble --help)", s);
    else files[n++] = s;
  }
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "ensemble: expected at least one scenario file (see shuibao ensemble --help)");
  PetscCall(PetscCalloc1(n, &outs));
  for (int i = 0; i < n && dir; i++) {
    const char *slash = strrchr(files[i], '/'), *stem = slash ? slash + 1 : files[i];
    size_t      len   = strlen(stem);

    if (len > 5 && !strcmp(stem + len - 5, ".json")) len -= 5;
    PetscCall(PetscSNPrintf(outs[i], sizeof(outs[i]), "%s/%.*s.h5", dir, (int)len, stem));
  }
  for (int i = 0; i < n && dir; i++)
    for (int j = 0; j < i; j++)
      if (!strcmp(outs[i], outs[j])) {
        PetscCall(PetscFree(outs));
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "ensemble: %s and %s would both write %s", files[j], files[i], dir);
      }
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  groups = PetscMin(size, (PetscMPIInt)n);
  color  = (PetscMPIInt)(((long long)rank * groups) / size); /* contiguous groups differing by at most one rank */
  PetscCallMPI(MPI_Comm_split(comm, color, rank, &sub));
  PetscCallMPI(MPI_Comm_rank(sub, &srank));
  for (int i = color; i < n; i += groups) {
    SbRunOptions   o = {0};
    PetscErrorCode ierr;

    o.scenario     = files[i];
    o.output       = dir ? outs[i] : NULL;
    o.mesh         = mesh;
    o.quiet        = quiet;
    o.command_line = a->command_line;
    a->err->code   = 0;
    ierr           = SbRun(sub, &o);
    if (ierr) {
      failed++;
      if (srank == 0) fprintf(stderr, "shuibao: error: ensemble: %s: %s\n", files[i], a->err->message);
      a->err->code = 0;
    }
  }
  PetscCallMPI(MPI_Comm_free(&sub));
  PetscCall(PetscFree(outs));
  PetscCallMPI(MPI_Allreduce(&failed, &total, 1, MPI_INT, MPI_SUM, comm));
  PetscCheck(total == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "ensemble: %d of %d scenarios failed (their errors above)", total, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CmdCompare(MPI_Comm comm, SbArgs *a)
{
  const char *files[SB_MAX_ARGS], *format = "md", *figures = NULL;
  int         n = 0;

  PetscFunctionBeginUser;
  for (int i = 0; i < a->argc; i++) {
    const char *s = a->argv[i];

    if (IsHelp(s)) {
      PetscCall(PetscPrintf(comm, "%s", usage_compare));
      PetscFunctionReturn(PETSC_SUCCESS);
    } else if (!strcmp(s, "--format")) {
      PetscCall(NextValue(a, &i, s, &format));
      PetscCheck(!strcmp(format, "md") || !strcmp(format, "csv") || !strcmp(format, "json"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--format: expected md, csv or json, got \"%s\"", format);
    } else if (!strcmp(s, "--figures")) PetscCall(NextValue(a, &i, s, &figures));
    else if (s[0] == '-') SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "compare: unknown option %s (see shuibao compare --help)", s);
    else files[n++] = s;
  }
  PetscCheck(n > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "compare: expected at least one result file");
  PetscCall(SbCompare(comm, n, files, format, figures));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CmdCalibrate(MPI_Comm comm, SbArgs *a)
{
  SbCalibrateOptions o = {0};

  PetscFunctionBeginUser;
  for (int i = 0; i < a->argc; i++) {
    const char *s = a->argv[i];

    if (IsHelp(s)) {
      PetscCall(PetscPrintf(comm, "%s", usage_calibrate));
      PetscFunctionReturn(PETSC_SUCCESS);
    } else if (IsOutput(s)) PetscCall(NextValue(a, &i, s, &o.output));
    else if (!strcmp(s, "--targets")) PetscCall(NextValue(a, &i, s, &o.targets));
    else if (!strcmp(s, "--groups")) {
      const char *v = NULL;

      PetscCall(NextValue(a, &i, s, &v));
      PetscCall(ParseInt(s, v, "a number of groups >= 1", &o.groups));
      PetscCheck(o.groups >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--groups: expected a number of groups >= 1, got %s", v);
    }
    else if (!strcmp(s, "--mesh")) PetscCall(NextValue(a, &i, s, &o.mesh));
    else if (s[0] == '-') SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "calibrate: unknown option %s (see shuibao calibrate --help)", s);
    else {
      PetscCheck(!o.scenario, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "calibrate: one scenario, got %s and %s", o.scenario, s);
      o.scenario = s;
    }
  }
  PetscCheck(o.scenario, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "calibrate: missing the scenario file (see shuibao calibrate --help)");
  PetscCheck(o.targets, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "calibrate: --targets: required (see shuibao calibrate --help)");
  PetscCall(SbCalibrate(comm, &o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CmdPlan(MPI_Comm comm, SbArgs *a, int *status)
{
  SbPlanOptions o = {0};
  PetscBool     has_target = PETSC_FALSE, has_year = PETSC_FALSE;

  PetscFunctionBeginUser;
  o.budget_yuan = -1;
  for (int i = 0; i < a->argc; i++) {
    const char *s = a->argv[i], *v = NULL;

    if (IsHelp(s)) {
      PetscCall(PetscPrintf(comm, "%s", usage_plan));
      PetscFunctionReturn(PETSC_SUCCESS);
    } else if (IsOutput(s)) PetscCall(NextValue(a, &i, s, &o.output));
    else if (!strcmp(s, "--mesh")) PetscCall(NextValue(a, &i, s, &o.mesh));
    else if (!strcmp(s, "--target")) {
      PetscCall(NextValue(a, &i, s, &v));
      PetscCall(ParseReal(s, v, "a conservation rate in (0, 1]", &o.target));
      has_target = PETSC_TRUE;
    } else if (!strcmp(s, "--year")) {
      PetscCall(NextValue(a, &i, s, &v));
      PetscCall(ParseInt(s, v, "a year", &o.year));
      has_year = PETSC_TRUE;
    } else if (!strcmp(s, "--budget")) {
      PetscCall(NextValue(a, &i, s, &v));
      PetscCall(ParseReal(s, v, "a budget in yuan, >= 0", &o.budget_yuan));
      PetscCheck(o.budget_yuan >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--budget: expected a budget in yuan, >= 0, got \"%s\"", v);
    } else if (s[0] == '-') SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: unknown option %s (see shuibao plan --help)", s);
    else {
      PetscCheck(!o.base, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: one base scenario, got %s and %s", o.base, s);
      o.base = s;
    }
  }
  PetscCheck(o.base, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: missing the base scenario file (see shuibao plan --help)");
  PetscCheck(has_target, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: missing --target (see shuibao plan --help)");
  PetscCheck(has_year, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: missing --year (see shuibao plan --help)");
  PetscCall(SbPlan(comm, &o, status));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CmdScenario(MPI_Comm comm, SbArgs *a)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (a->argc < 1 || IsHelp(a->argv[0])) {
    PetscCall(PetscPrintf(comm, "%s", usage_scenario));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!strcmp(a->argv[0], "reference")) {
    if (rank == 0) PetscCall(SbScenarioPrintReference(stdout));
  } else if (!strcmp(a->argv[0], "check")) {
    SbScenario *sc;

    PetscCheck(a->argc == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "scenario check: expected one scenario file");
    PetscCall(SbScenarioLoad(comm, a->argv[1], &sc));
    { /* the forcing's files (rain and temperature CSV) are part of the scenario */
      SbForcing      f;
      PetscErrorCode ierr = SbForcingCreate(NULL, sc, &f);

      if (ierr) PetscCall(SbScenarioDestroy(&sc));
      PetscCall(ierr);
      PetscCall(SbForcingDestroy(&f));
    }
    PetscCall(PetscPrintf(comm, "%s: ok (scenario \"%s\", mesh %s, %.6g h)\n", a->argv[1], sc->name, sc->mesh_path, (double)(sc->duration_s / 3600.0)));
    PetscCall(SbScenarioDestroy(&sc));
  } else SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "scenario %s: unknown subcommand, expected check or reference", a->argv[0]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int SbMain(int argc, char **argv)
{
  char          *pargv[SB_MAX_ARGS + 2];
  int            pargc = 0, first = 1;
  char         **pp;
  SbArgs         a = {0};
  SbErrorCapture err = {{0}, 0};
  const char    *cmd;
  PetscErrorCode ierr;
  PetscMPIInt    rank = 0, size = 1;
  int            status = 0; /* exit status of a command that has its own (plan) */
  size_t         len = 0;

  if (argc > SB_MAX_ARGS) {
    fprintf(stderr, "shuibao: error: too many arguments (%d)\n", argc);
    return 2;
  }
  for (int i = 0; i < argc; i++) {
    int w = snprintf(a.command_line + len, sizeof(a.command_line) - len, "%s%s", i ? " " : "", argv[i]);
    if (w > 0 && len + (size_t)w < sizeof(a.command_line)) len += (size_t)w;
  }
  /* Split: our arguments, then (from the first foreign single-dash option) PETSc's. */
  pargv[pargc++] = argv[0];
  for (int i = 1; i < argc; i++) {
    const char *s    = argv[i];
    PetscBool   ours = (PetscBool)(s[0] != '-' || s[1] == '-' || !strcmp(s, "-o") || !strcmp(s, "-h") || s[1] == 0);

    if (!ours || pargc > 1) pargv[pargc++] = argv[i];
    else a.argv[a.argc++] = argv[i];
  }
  pargv[pargc] = NULL;
  pp           = pargv;
  ierr         = PetscInitialize(&pargc, &pp, NULL, NULL);
  if (ierr) {
    fprintf(stderr, "shuibao: error: could not initialise PETSc/MPI\n");
    return 1;
  }
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  a.err = &err;
  PetscPushErrorHandler(CaptureHandler, &err);

  if (a.argc == 0 || IsHelp(a.argv[0])) {
    PetscPrintf(PETSC_COMM_WORLD, "%s", usage_main);
    PetscPopErrorHandler();
    PetscFinalize();
    return a.argc == 0 ? 2 : 0;
  }
  cmd = a.argv[0];
  if (!strcmp(cmd, "--version")) {
    PetscPrintf(PETSC_COMM_WORLD, "shuibao %s (%s)\n", SB_VERSION, SB_GIT_DESCRIBE);
    PetscPopErrorHandler();
    PetscFinalize();
    return 0;
  }
  /* Shift the command word away. */
  for (int i = first; i < a.argc; i++) a.argv[i - first] = a.argv[i];
  a.argc -= first;
  if (!strcmp(cmd, "mesh")) ierr = CmdMesh(PETSC_COMM_WORLD, &a);
  else if (!strcmp(cmd, "run")) {
    ierr = SbSignalsInstall();
    if (!ierr) ierr = CmdRun(PETSC_COMM_WORLD, &a);
  }
  else if (!strcmp(cmd, "ensemble")) {
    ierr = SbSignalsInstall();
    if (!ierr) ierr = CmdEnsemble(PETSC_COMM_WORLD, &a);
  } else if (!strcmp(cmd, "compare")) ierr = CmdCompare(PETSC_COMM_WORLD, &a);
  else if (!strcmp(cmd, "calibrate")) ierr = CmdCalibrate(PETSC_COMM_WORLD, &a);
  else if (!strcmp(cmd, "scenario")) ierr = CmdScenario(PETSC_COMM_WORLD, &a);
  else if (!strcmp(cmd, "plan")) ierr = CmdPlan(PETSC_COMM_WORLD, &a, &status);
  else {
    if (rank == 0) fprintf(stderr, "shuibao: error: unknown command \"%s\" (see shuibao --help)\n", cmd);
    PetscPopErrorHandler();
    PetscFinalize();
    return 2;
  }
  PetscPopErrorHandler();
  if (ierr) {
    /* Input errors, and failed writes of the result (output.c checks them on every rank), are
       found by every rank together: report once. Other errors may be on one rank only: report
       with the rank and abort, so that no rank hangs. */
    if (err.code == PETSC_ERR_USER_INPUT || err.code == PETSC_ERR_FILE_OPEN || err.code == PETSC_ERR_FILE_WRITE || err.code == PETSC_ERR_SIG || err.code == PETSC_ERR_FP) {
      if (rank == 0) fprintf(stderr, "shuibao: error: %s\n", err.message);
      PetscFinalize();
      return 1;
    }
    fprintf(stderr, "shuibao: error%s: %s\n", size > 1 ? " on one rank" : "", err.message);
    if (size > 1) MPI_Abort(PETSC_COMM_WORLD, 1);
    PetscFinalize();
    return 1;
  }
  ierr = PetscFinalize();
  return ierr ? 1 : status;
}
