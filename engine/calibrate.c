/* `shuibao calibrate`: multipliers of model parameters fitted to observed annual runoff and sediment
   at gauges with a derivative-free PETSc TAO method (POUNDERS, Wild 2017 / Moré & Wild 2009; or
   Nelder-Mead).

   Every candidate is an ordinary run: a scenario file that `extends` the one being calibrated and
   sets the multiplied keys, run by SbRun on all ranks, its result read back (the budget attributes
   outflow_<gauge> of /budget/water, m³, and of /budget/sediment, kg, through each gauge over the
   run). So every candidate is a file a user can open and rerun. TAO works on u = ln(multiplier)
   within ln(bounds), identically on every rank: the residuals are broadcast from rank 0, so all
   ranks take the same steps. docs/calibration.md. */
#include "calibrate.h"
#include "run.h"
#include "scenario.h"
#include "h5io.h"
#include <petsctao.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SB_CAL_MAX_PARAMS  4
#define SB_CAL_MAX_TARGETS 16
#define SB_CAL_YEAR_S      (365.25 * 86400.0) /* Julian year: annual runoff = volume / (duration / year) */

/* The parameters a calibration may adjust, the scenario keys each multiplies, and their ranges in
   the scenario schema (keys_water.inc, keys_routing.inc, keys_sediment.inc). */
typedef enum { SB_CAL_KS = 0, SB_CAL_MANNING = 1, SB_CAL_ERODIBILITY = 2, SB_CAL_PET = 3 } SbCalParam;
static const char *const CalParamNames[] = {"ks_factor", "manning_n", "erodibility", "pet_factor"};

/* What a target observes: mean annual runoff (m³/a, /budget/water) or mean annual sediment (t/a,
   /budget/sediment, kg / 1000) through its gauge. */
typedef enum { SB_CAL_RUNOFF = 0, SB_CAL_SEDIMENT = 1 } SbCalQuantity;
static const char *const CalQuantityKeys[] = {"runoff_m3_a", "sediment_t_a"};
static const char *const CalQuantityNames[] = {"runoff", "sediment"};
static const char *const CalQuantityUnits[] = {"m3/a", "t/a"};

typedef struct {
  MPI_Comm    comm;
  const char *scenario, *targets_path, *mesh;
  char        scenario_abs[PETSC_MAX_PATH_LEN], output[PETSC_MAX_PATH_LEN], cand_json[PETSC_MAX_PATH_LEN + 32], cand_h5[PETSC_MAX_PATH_LEN + 32], cand_xmf[PETSC_MAX_PATH_LEN + 32];
  SbScenario *sc;
  /* parameters */
  PetscInt  np;
  int       param[SB_CAL_MAX_PARAMS];
  PetscReal init[SB_CAL_MAX_PARAMS], lo[SB_CAL_MAX_PARAMS], hi[SB_CAL_MAX_PARAMS];
  /* targets */
  PetscInt  nt;
  char      gauge[SB_CAL_MAX_TARGETS][SB_MAX_NAME];
  int       quantity[SB_CAL_MAX_TARGETS]; /* SbCalQuantity */
  PetscBool any_sediment;                 /* a target observes sediment: the candidates read /budget/sediment */
  PetscReal observed[SB_CAL_MAX_TARGETS], weight[SB_CAL_MAX_TARGETS];
  PetscReal tolerance; /* stop when every |relative error| is below this */
  /* candidates side by side: ngroups sub-communicators of comm run the first points of the
     method together; their results are kept in a cache that the method's calls then hit */
  PetscInt  ngroups, ncache;
  PetscReal cache_u[SB_CAL_MAX_PARAMS + 1][SB_CAL_MAX_PARAMS], cache_sim[SB_CAL_MAX_PARAMS + 1][SB_CAL_MAX_TARGETS];
  /* progress */
  PetscInt  nevals;
  PetscReal best_f, best_mult[SB_CAL_MAX_PARAMS], best_sim[SB_CAL_MAX_TARGETS];
} CalCtx;

/* ------------------------------------------------------------------------------------------ */
/* The targets file                                                                            */

static PetscErrorCode ReadText(MPI_Comm comm, const char *path, char **text)
{
  PetscMPIInt rank;
  long long   n   = -1;
  char       *buf = NULL, reason[256] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE       *fp = fopen(path, "rb");
    struct stat st;

    if (!fp || stat(path, &st) || !S_ISREG(st.st_mode)) (void)snprintf(reason, sizeof(reason), "%s", fp ? "not a regular file" : strerror(errno));
    else {
      PetscCall(PetscMalloc1((size_t)st.st_size + 1, &buf));
      n = (long long)fread(buf, 1, (size_t)st.st_size, fp);
      if (n != (long long)st.st_size) {
        (void)snprintf(reason, sizeof(reason), "read error");
        PetscCall(PetscFree(buf));
        n = -1;
      } else buf[n] = 0;
    }
    if (fp) fclose(fp);
  }
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm));
  PetscCallMPI(MPI_Bcast(reason, (int)sizeof(reason), MPI_CHAR, 0, comm));
  PetscCheck(n >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot read the file: %s", path, reason);
  if (rank != 0) PetscCall(PetscMalloc1((size_t)n + 1, &buf));
  PetscCallMPI(MPI_Bcast(buf, (int)n + 1, MPI_CHAR, 0, comm));
  *text = buf;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckKeys(const char *path, const char *where, const cJSON *obj, const char *const *names, int nnames)
{
  PetscFunctionBeginUser;
  PetscCheck(cJSON_IsObject(obj), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected an object", path, where[0] ? where : "(top level)");
  for (const cJSON *e = obj->child; e; e = e->next) {
    PetscBool known = (PetscBool)!strncmp(e->string, "//", 2);

    for (int k = 0; k < nnames && !known; k++) known = (PetscBool)!strcmp(e->string, names[k]);
    PetscCheck(known, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s%s%s: unknown key", path, where, where[0] ? "." : "", e->string);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Number(const char *path, const char *where, const cJSON *obj, const char *key, PetscReal lo, PetscReal hi, PetscBool required, PetscReal *v)
{
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, key);

  PetscFunctionBeginUser;
  if (!e) {
    PetscCheck(!required, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s: required", path, where, key);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(cJSON_IsNumber(e) && e->valuedouble > lo && e->valuedouble <= hi, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s: expected a number in (%g, %g]", path, where, key, (double)lo, (double)hi);
  *v = e->valuedouble;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* {"parameters": {"ks_factor": {"initial": 1, "min": 0.2, "max": 5}, ...},
    "targets": [{"gauge": "outlet", "runoff_m3_a": 2.866e10, "weight": 1},
                {"gauge": "outlet", "sediment_t_a": 5.0e6}, ...],
    "tolerance": 1e-3} */
static PetscErrorCode ParseTargets(CalCtx *c, const cJSON *root)
{
  static const char *const top[] = {"parameters", "targets", "tolerance"}, *const pk[] = {"initial", "min", "max"}, *const tk[] = {"gauge", "runoff_m3_a", "sediment_t_a", "weight"};
  const char              *path = c->targets_path;
  const cJSON             *ps, *ts;

  PetscFunctionBeginUser;
  PetscCall(CheckKeys(path, "", root, top, (int)PETSC_STATIC_ARRAY_LENGTH(top)));
  ps = cJSON_GetObjectItemCaseSensitive(root, "parameters");
  ts = cJSON_GetObjectItemCaseSensitive(root, "targets");
  PetscCheck(ps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameters: required (an object of ks_factor, manning_n, erodibility, pet_factor)", path);
  PetscCheck(ts, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: targets: required (an array of {gauge, runoff_m3_a or sediment_t_a})", path);
  PetscCall(CheckKeys(path, "parameters", ps, CalParamNames, (int)PETSC_STATIC_ARRAY_LENGTH(CalParamNames)));
  c->tolerance = 1e-3;
  PetscCall(Number(path, "(top level)", root, "tolerance", 0, 1, PETSC_FALSE, &c->tolerance));
  for (const cJSON *p = ps->child; p; p = p->next) {
    char      where[96];
    PetscInt  k = c->np;
    PetscReal kmax;

    if (!strncmp(p->string, "//", 2)) continue;
    (void)snprintf(where, sizeof(where), "parameters.%s", p->string);
    PetscCall(CheckKeys(path, where, p, pk, (int)PETSC_STATIC_ARRAY_LENGTH(pk)));
    c->param[k] = !strcmp(p->string, "ks_factor") ? SB_CAL_KS : !strcmp(p->string, "manning_n") ? SB_CAL_MANNING : !strcmp(p->string, "erodibility") ? SB_CAL_ERODIBILITY : SB_CAL_PET;
    PetscCheck(c->param[k] != SB_CAL_PET || c->sc->pet_present, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: the scenario %s has no forcing.pet, so pet_factor acts on nothing", path, where, c->scenario);
    for (PetscInt j = 0; j < k; j++) PetscCheck(c->param[j] != c->param[k], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: given twice", path, where);
    PetscCheck(c->param[k] != SB_CAL_ERODIBILITY || c->sc->sed_enabled, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: the scenario %s has sediment.enabled false, so erodibility acts on nothing", path, where, c->scenario);
    c->init[k]  = 1;
    c->lo[k]    = 0.1;
    c->hi[k]    = 10;
    PetscCall(Number(path, where, p, "initial", 0, 1e6, PETSC_FALSE, &c->init[k]));
    PetscCall(Number(path, where, p, "min", 0, 1e6, PETSC_FALSE, &c->lo[k]));
    PetscCall(Number(path, where, p, "max", 0, 1e6, PETSC_FALSE, &c->hi[k]));
    PetscCheck(c->lo[k] < c->hi[k] && c->init[k] >= c->lo[k] && c->init[k] <= c->hi[k], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected min < max and initial within [min, max], got %g, %g, %g", path, where, (double)c->lo[k], (double)c->hi[k], (double)c->init[k]);
    /* The multiplied values must stay in the ranges of the scenario keys: ks_factor (0, 100],
       Manning's n (0, 1], erodibility_factor (0, 100], forcing.pet.factor (0, 2]. */
    {
      static const char *const beyond[] = {"infiltration.ks_factor beyond 100", "Manning's n beyond 1", "sediment.erodibility_factor beyond 100", "forcing.pet.factor beyond 2"};
      const PetscReal          limit[] = {100.0 / c->sc->ks_factor, 1.0 / PetscMax(c->sc->manning_n_overland, c->sc->manning_n_channel), 100.0 / c->sc->sed_erodibility_factor, 2.0 / c->sc->pet_factor};

      kmax = limit[c->param[k]];
      PetscCheck(c->hi[k] <= kmax, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.max: %g would take %s in %s (at most %g here)", path, where, (double)c->hi[k], beyond[c->param[k]], c->scenario, (double)kmax);
    }
    c->np++;
  }
  PetscCheck(c->np >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: parameters: expected at least one of ks_factor, manning_n, erodibility, pet_factor", path);
  PetscCheck(cJSON_IsArray(ts) && cJSON_GetArraySize(ts) >= 1 && cJSON_GetArraySize(ts) <= SB_CAL_MAX_TARGETS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: targets: expected an array of 1 to %d targets", path, SB_CAL_MAX_TARGETS);
  for (const cJSON *t = ts->child; t; t = t->next) {
    char         where[64];
    const cJSON *g;
    PetscInt     k = c->nt;

    (void)snprintf(where, sizeof(where), "targets[%" PetscInt_FMT "]", k);
    PetscCall(CheckKeys(path, where, t, tk, (int)PETSC_STATIC_ARRAY_LENGTH(tk)));
    g = cJSON_GetObjectItemCaseSensitive(t, "gauge");
    PetscCheck(cJSON_IsString(g) && g->valuestring[0] && strlen(g->valuestring) < SB_MAX_NAME, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.gauge: expected a gauge name of the mesh", path, where);
    PetscCall(PetscStrncpy(c->gauge[k], g->valuestring, SB_MAX_NAME));
    {
      const PetscBool runoff = (PetscBool)!!cJSON_GetObjectItemCaseSensitive(t, "runoff_m3_a"), sediment = (PetscBool)!!cJSON_GetObjectItemCaseSensitive(t, "sediment_t_a");

      PetscCheck(runoff != sediment, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected exactly one of runoff_m3_a (m3/a) and sediment_t_a (t/a), got %s", path, where, runoff ? "both" : "neither");
      c->quantity[k] = sediment ? SB_CAL_SEDIMENT : SB_CAL_RUNOFF;
    }
    PetscCheck(c->quantity[k] != SB_CAL_SEDIMENT || c->sc->sed_enabled, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.sediment_t_a: the scenario %s has sediment.enabled false", path, where, c->scenario);
    PetscCall(Number(path, where, t, CalQuantityKeys[c->quantity[k]], 0, 1e15, PETSC_TRUE, &c->observed[k]));
    if (c->quantity[k] == SB_CAL_SEDIMENT) c->any_sediment = PETSC_TRUE;
    c->weight[k] = 1;
    PetscCall(Number(path, where, t, "weight", 0, 1e6, PETSC_FALSE, &c->weight[k]));
    c->nt++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every target gauge must be a gauge of the mesh (before the first run). */
static PetscErrorCode CheckGauges(CalCtx *c)
{
  const char *mesh = c->mesh ? c->mesh : c->sc->mesh_path;
  PetscMPIInt rank;
  int         missing = -1;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(c->comm, &rank));
  if (rank == 0) {
    hid_t f;

    H5E_BEGIN_TRY { f = H5Fopen(mesh, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
    if (f >= 0) {
      for (PetscInt k = 0; k < c->nt && missing < 0; k++) {
        char   link[SB_MAX_NAME + 16];
        htri_t ok;

        (void)snprintf(link, sizeof(link), "gauges/%s", c->gauge[k]);
        H5E_BEGIN_TRY { ok = H5Lexists(f, "gauges", H5P_DEFAULT) > 0 ? H5Lexists(f, link, H5P_DEFAULT) : 0; } H5E_END_TRY;
        if (ok <= 0) missing = (int)k;
      }
      H5Fclose(f);
    }
  }
  PetscCallMPI(MPI_Bcast(&missing, 1, MPI_INT, 0, c->comm));
  /* An unreadable mesh is reported by the first run, with the run's own message. */
  PetscCheck(missing < 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: targets[%d].gauge: \"%s\" is not a gauge of the mesh %s", c->targets_path, missing, missing >= 0 ? c->gauge[missing] : "", mesh);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Candidates                                                                                  */

/* The scenario of multipliers mult[]: extends the calibrated scenario, sets only the calibrated
   keys (and the name); written on rank 0. */
static PetscErrorCode WriteScenario(const CalCtx *c, const PetscReal *mult, const char *path, const char *name, const char *description)
{
  cJSON *root = cJSON_CreateObject(), *inf = NULL, *rt = NULL, *sed = NULL, *pet = NULL;
  char  *text;
  FILE  *fp;
  char   partial[PETSC_MAX_PATH_LEN + 16];
  int    bad;

  PetscFunctionBeginUser;
  (void)cJSON_AddStringToObject(root, "extends", c->scenario_abs);
  (void)cJSON_AddStringToObject(root, "name", name);
  (void)cJSON_AddStringToObject(root, "description", description);
  for (PetscInt k = 0; k < c->np; k++) {
    if (c->param[k] == SB_CAL_KS) {
      if (!inf) inf = cJSON_AddObjectToObject(root, "infiltration");
      (void)cJSON_AddNumberToObject(inf, "ks_factor", c->sc->ks_factor * mult[k]);
    } else if (c->param[k] == SB_CAL_MANNING) {
      if (!rt) rt = cJSON_AddObjectToObject(root, "routing");
      (void)cJSON_AddNumberToObject(rt, "manning_n_overland", c->sc->manning_n_overland * mult[k]);
      (void)cJSON_AddNumberToObject(rt, "manning_n_channel", c->sc->manning_n_channel * mult[k]);
    } else if (c->param[k] == SB_CAL_ERODIBILITY) {
      if (!sed) sed = cJSON_AddObjectToObject(root, "sediment");
      (void)cJSON_AddNumberToObject(sed, "erodibility_factor", c->sc->sed_erodibility_factor * mult[k]);
    } else {
      if (!pet) pet = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root, "forcing"), "pet");
      (void)cJSON_AddNumberToObject(pet, "factor", c->sc->pet_factor * mult[k]);
    }
  }
  text = cJSON_Print(root);
  cJSON_Delete(root);
  PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_MEM, "calibrate: cannot format the scenario %s", path);
  (void)snprintf(partial, sizeof(partial), "%s.partial", path);
  fp = fopen(partial, "w");
  if (!fp) free(text);
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot write: %s", path, strerror(errno));
  bad = fprintf(fp, "%s\n", text) < 0;
  bad |= fclose(fp) != 0;
  free(text);
  if (!bad) bad = rename(partial, path) != 0;
  if (bad) (void)remove(partial);
  PetscCheck(!bad, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write: %s", path, strerror(errno));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on comm. Run the candidate of multipliers mult[] (scenario file json, result h5 and
   its sidecar xmf, removed after reading) and return what each target observes on every rank of
   comm: the annual runoff (m³/a) or the annual sediment (t/a) through its gauge. */
static PetscErrorCode SimulateOn(CalCtx *c, MPI_Comm comm, const char *json, const char *h5, const char *xmf, const PetscReal *mult, PetscReal *sim)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr = 0;
  SbRunOptions   o    = {0};
  char           name[SB_MAX_NAME + 16];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  (void)snprintf(name, sizeof(name), "%.40s-candidate", c->sc->name);
  if (rank == 0) ierr = WriteScenario(c, mult, json, name, "a candidate of shuibao calibrate");
  PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, comm));
  PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write the candidate scenario", json);
  o.scenario     = json;
  o.output       = h5;
  o.mesh         = c->mesh;
  o.quiet        = PETSC_TRUE;
  o.command_line = "shuibao calibrate (candidate)";
  PetscCall(SbRun(comm, &o));
  if (rank == 0) {
    hid_t f, g[2] = {-1, -1};

    SbCallHDF5(f = H5Fopen(h5, H5F_ACC_RDONLY, H5P_DEFAULT));
    SbCallHDF5(g[SB_CAL_RUNOFF] = H5Gopen2(f, "budget/water", H5P_DEFAULT));
    if (c->any_sediment) SbCallHDF5(g[SB_CAL_SEDIMENT] = H5Gopen2(f, "budget/sediment", H5P_DEFAULT));
    for (PetscInt k = 0; k < c->nt; k++) {
      char   attr[SB_MAX_NAME + 16];
      double v;

      (void)snprintf(attr, sizeof(attr), "outflow_%s", c->gauge[k]);
      PetscCall(SbH5ReadAttrDouble(g[c->quantity[k]], h5, attr, &v));
      if (c->quantity[k] == SB_CAL_SEDIMENT) v *= 1e-3; /* kg -> t */
      sim[k] = v / (c->sc->duration_s / SB_CAL_YEAR_S);
    }
    if (c->any_sediment) SbCallHDF5(H5Gclose(g[SB_CAL_SEDIMENT]));
    SbCallHDF5(H5Gclose(g[SB_CAL_RUNOFF]));
    SbCallHDF5(H5Fclose(f));
    (void)remove(h5);
    (void)remove(xmf); /* the result's XDMF sidecar (output.c) */
    (void)remove(json);
  }
  PetscCallMPI(MPI_Bcast(sim, (int)c->nt, MPIU_REAL, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective on c->comm: a point the side-by-side batch has already run, or a run on all ranks. */
static PetscErrorCode Simulate(CalCtx *c, const PetscReal *u, const PetscReal *mult, PetscReal *sim, PetscBool *cached)
{
  PetscFunctionBeginUser;
  *cached = PETSC_FALSE;
  for (PetscInt j = 0; j < c->ncache && !*cached; j++) {
    PetscBool same = PETSC_TRUE;

    for (PetscInt k = 0; k < c->np; k++) same = (PetscBool)(same && PetscAbsReal(u[k] - c->cache_u[j][k]) <= 1e-12 * (1 + PetscAbsReal(u[k])));
    if (same) {
      for (PetscInt k = 0; k < c->nt; k++) sim[k] = c->cache_sim[j][k];
      *cached = PETSC_TRUE;
    }
  }
  if (!*cached) PetscCall(SimulateOn(c, c->comm, c->cand_json, c->cand_h5, c->cand_xmf, mult, sim));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The first points the method will ask for, run side by side on ngroups sub-communicators:
   POUNDERS' interpolation set u0 and u0 + Δ e_i (Δ = -tao_pounders_delta, 0.1 by default; Wild
   2017), or the initial simplex of Nelder-Mead, u0 and u0 + λ e_i (λ = -tao_nm_lambda, 1). Each
   group runs every ngroups-th point; the results are summed over comm from each group's rank 0. */
static PetscErrorCode RunSideBySide(CalCtx *c, TaoType type, const PetscReal *u0)
{
  PetscReal   step = 0.1, *sim, *all;
  PetscBool   nm;
  PetscMPIInt rank, size, srank;
  MPI_Comm    sub;
  PetscInt    group, npts = c->np + 1;
  int         ierr = 0, anyerr = 0;
  char        json[PETSC_MAX_PATH_LEN + 48], h5[PETSC_MAX_PATH_LEN + 48], xmf[PETSC_MAX_PATH_LEN + 48];

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(type, TAONM, &nm));
  if (nm) {
    step = 1.0;
    PetscCall(PetscOptionsGetReal(NULL, NULL, "-tao_nm_lambda", &step, NULL));
  } else PetscCall(PetscOptionsGetReal(NULL, NULL, "-tao_pounders_delta", &step, NULL));
  PetscCallMPI(MPI_Comm_rank(c->comm, &rank));
  PetscCallMPI(MPI_Comm_size(c->comm, &size));
  group = (PetscInt)(((long long)rank * c->ngroups) / size); /* contiguous blocks of ranks */
  PetscCallMPI(MPI_Comm_split(c->comm, (int)group, rank, &sub));
  PetscCallMPI(MPI_Comm_rank(sub, &srank));
  PetscCall(PetscCalloc2(npts * c->nt, &sim, npts * c->nt, &all));
  for (PetscInt j = 0; j < npts; j++) {
    for (PetscInt k = 0; k < c->np; k++) c->cache_u[j][k] = u0[k] + (j == k + 1 ? step : 0.0);
  }
  (void)snprintf(json, sizeof(json), "%s.candidate%" PetscInt_FMT ".json", c->output, group);
  (void)snprintf(h5, sizeof(h5), "%s.candidate%" PetscInt_FMT ".h5", c->output, group);
  (void)snprintf(xmf, sizeof(xmf), "%s.candidate%" PetscInt_FMT ".xmf", c->output, group);
  PetscCall(PetscPrintf(c->comm, "calibrate: the first %" PetscInt_FMT " runs side by side on %" PetscInt_FMT " groups of ranks\n", npts, c->ngroups));
  for (PetscInt j = group; j < npts && !ierr; j += c->ngroups) {
    PetscReal mult[SB_CAL_MAX_PARAMS];

    for (PetscInt k = 0; k < c->np; k++) mult[k] = PetscExpReal(c->cache_u[j][k]);
    ierr = SimulateOn(c, sub, json, h5, xmf, mult, sim + j * c->nt);
    if (srank != 0)
      for (PetscInt k = 0; k < c->nt; k++) sim[j * c->nt + k] = 0;
  }
  /* Every group learns whether another failed before the results are summed, so none waits for
     a group that stopped. */
  PetscCallMPI(MPI_Allreduce(&ierr, &anyerr, 1, MPI_INT, MPI_MAX, c->comm));
  if (!anyerr) {
    PetscCallMPI(MPI_Allreduce(sim, all, (int)(npts * c->nt), MPIU_REAL, MPI_SUM, c->comm));
    for (PetscInt j = 0; j < npts; j++)
      for (PetscInt k = 0; k < c->nt; k++) c->cache_sim[j][k] = all[j * c->nt + k];
    c->ncache = npts;
  }
  PetscCall(PetscFree2(sim, all));
  PetscCallMPI(MPI_Comm_free(&sub));
  PetscCall(ierr);
  PetscCheck(!anyerr, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "calibrate: a candidate run side by side failed in another group of ranks (its message is above)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* TAO residuals r_k = w_k (simulated - observed) / observed at u = ln(multipliers). */
static PetscErrorCode Residuals(Tao tao, Vec u, Vec r, void *ctx)
{
  CalCtx            *c = (CalCtx *)ctx;
  const PetscScalar *uu;
  PetscScalar       *rr;
  PetscReal          mult[SB_CAL_MAX_PARAMS], ul[SB_CAL_MAX_PARAMS], sim[SB_CAL_MAX_TARGETS], f = 0;
  PetscBool          cached;

  PetscFunctionBeginUser;
  (void)tao;
  PetscCall(VecGetArrayRead(u, &uu));
  for (PetscInt k = 0; k < c->np; k++) {
    ul[k]   = PetscRealPart(uu[k]);
    mult[k] = PetscExpReal(ul[k]);
  }
  PetscCall(VecRestoreArrayRead(u, &uu));
  PetscCall(Simulate(c, ul, mult, sim, &cached));
  PetscCall(VecGetArray(r, &rr));
  for (PetscInt k = 0; k < c->nt; k++) {
    rr[k] = c->weight[k] * (sim[k] - c->observed[k]) / c->observed[k];
    f += PetscSqr(PetscRealPart(rr[k]));
  }
  PetscCall(VecRestoreArray(r, &rr));
  c->nevals++;
  PetscCall(PetscPrintf(c->comm, "calibrate: run %3" PetscInt_FMT ":", c->nevals));
  for (PetscInt k = 0; k < c->np; k++) PetscCall(PetscPrintf(c->comm, " %s x %.6f", CalParamNames[c->param[k]], (double)mult[k]));
  PetscCall(PetscPrintf(c->comm, "  sum of squared relative errors %.3e%s\n", (double)f, cached ? " (run side by side)" : ""));
  if (f < c->best_f) {
    c->best_f = f;
    for (PetscInt k = 0; k < c->np; k++) c->best_mult[k] = mult[k];
    for (PetscInt k = 0; k < c->nt; k++) c->best_sim[k] = sim[k];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Objective(Tao tao, Vec u, PetscReal *f, void *ctx)
{
  CalCtx *c = (CalCtx *)ctx;
  Vec     r;

  PetscFunctionBeginUser;
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, c->nt, &r));
  PetscCall(Residuals(tao, u, r, ctx));
  PetscCall(VecDot(r, r, f));
  PetscCall(VecDestroy(&r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Stop once every target is met within the tolerance (the best run so far). */
static PetscErrorCode Converged(Tao tao, void *ctx)
{
  CalCtx *c = (CalCtx *)ctx;

  PetscFunctionBeginUser;
  if (c->best_f <= PetscSqr(c->tolerance)) PetscCall(TaoSetConvergedReason(tao, TAO_CONVERGED_USER));
  else PetscCall(TaoDefaultConvergenceTest(tao, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The scenario's description holds at most n - 1 characters (keys_core.inc): a longer one (many
   targets, a long path) is cut after the last whole item that fits, and says where the rest is. */
static void FitDescription(const char *full, char *out, size_t n)
{
  static const char more[] = " ... (the rest in the output of shuibao calibrate)";
  const size_t      len    = strlen(full);
  size_t            cut    = n - sizeof(more);

  if (len < n) {
    memcpy(out, full, len + 1);
    return;
  }
  while (cut > 0 && full[cut - 1] != ';' && full[cut - 1] != ':') cut--;
  if (cut == 0) cut = n - sizeof(more);
  memcpy(out, full, cut);
  memcpy(out + cut, more, sizeof(more));
}

/* The best run as Markdown tables, every quantity with its unit. */
static PetscErrorCode PrintTables(const CalCtx *c)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(c->comm, "\n| parameter | scenario key | multiplier (-) | calibrated value |\n|---|---|---|---|\n"));
  for (PetscInt k = 0; k < c->np; k++) {
    const PetscReal m = c->best_mult[k];

    if (c->param[k] == SB_CAL_KS) PetscCall(PetscPrintf(c->comm, "| ks_factor | infiltration.ks_factor | %.8g | %.8g (-) |\n", (double)m, (double)(c->sc->ks_factor * m)));
    else if (c->param[k] == SB_CAL_MANNING) PetscCall(PetscPrintf(c->comm, "| manning_n | routing.manning_n_overland, routing.manning_n_channel | %.8g | %.8g, %.8g (s m-1/3) |\n", (double)m, (double)(c->sc->manning_n_overland * m), (double)(c->sc->manning_n_channel * m)));
    else if (c->param[k] == SB_CAL_ERODIBILITY) PetscCall(PetscPrintf(c->comm, "| erodibility | sediment.erodibility_factor | %.8g | %.8g (-) |\n", (double)m, (double)(c->sc->sed_erodibility_factor * m)));
    else PetscCall(PetscPrintf(c->comm, "| pet_factor | forcing.pet.factor | %.8g | %.8g (-) |\n", (double)m, (double)(c->sc->pet_factor * m)));
  }
  PetscCall(PetscPrintf(c->comm, "\n| target | gauge | quantity | unit | observed | simulated | relative error (%%) |\n|---|---|---|---|---|---|---|\n"));
  for (PetscInt k = 0; k < c->nt; k++) PetscCall(PetscPrintf(c->comm, "| %" PetscInt_FMT " | %s | %s | %s | %.8g | %.8g | %+.3g |\n", k, c->gauge[k], CalQuantityNames[c->quantity[k]], CalQuantityUnits[c->quantity[k]], (double)c->observed[k], (double)c->best_sim[k], (double)(100 * (c->best_sim[k] - c->observed[k]) / c->observed[k])));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */

static PetscErrorCode CalibrateInner(CalCtx *c, const SbCalibrateOptions *opts)
{
  char              *text = NULL;
  cJSON             *root;
  PetscErrorCode     ierr;
  Tao                tao;
  Vec                u, lo, hi, r;
  PetscScalar       *a;
  PetscMPIInt        rank;
  TaoConvergedReason reason;
  char               desc[1024];
  size_t             len;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(c->comm, &rank));
  PetscCall(SbScenarioLoad(c->comm, opts->scenario, &c->sc));
  PetscCall(ReadText(c->comm, opts->targets, &text));
  root = cJSON_Parse(text);
  PetscCall(PetscFree(text));
  PetscCheck(root, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: not valid JSON", opts->targets);
  ierr = ParseTargets(c, root);
  cJSON_Delete(root);
  PetscCall(ierr);
  PetscCall(CheckGauges(c));
  {
    PetscMPIInt size;

    PetscCallMPI(MPI_Comm_size(c->comm, &size));
    PetscCheck(c->ngroups <= size, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "calibrate: --groups %" PetscInt_FMT ": expected at most the number of ranks (%d)", c->ngroups, size);
  }
  PetscCheck(realpath(opts->scenario, c->scenario_abs), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot resolve the path: %s", opts->scenario, strerror(errno));
  if (opts->output) PetscCall(PetscStrncpy(c->output, opts->output, sizeof(c->output)));
  else {
    PetscCall(PetscStrncpy(c->output, opts->scenario, sizeof(c->output)));
    PetscCall(PetscStrlen(c->output, &len));
    if (len > 5 && !strcmp(c->output + len - 5, ".json")) c->output[len - 5] = 0;
    PetscCall(PetscStrlcat(c->output, "-calibrated.json", sizeof(c->output)));
  }
  /* Candidates beside the output: <output>.candidate.json / .h5 */
  (void)snprintf(c->cand_json, sizeof(c->cand_json), "%s.candidate.json", c->output);
  (void)snprintf(c->cand_h5, sizeof(c->cand_h5), "%s.candidate.h5", c->output);
  (void)snprintf(c->cand_xmf, sizeof(c->cand_xmf), "%s.candidate.xmf", c->output);
  c->best_f = PETSC_MAX_REAL;

  PetscCall(VecCreateSeq(PETSC_COMM_SELF, c->np, &u));
  PetscCall(VecDuplicate(u, &lo));
  PetscCall(VecDuplicate(u, &hi));
  PetscCall(VecCreateSeq(PETSC_COMM_SELF, c->nt, &r));
  PetscCall(VecGetArray(u, &a));
  for (PetscInt k = 0; k < c->np; k++) a[k] = PetscLogReal(c->init[k]);
  PetscCall(VecRestoreArray(u, &a));
  PetscCall(VecGetArray(lo, &a));
  for (PetscInt k = 0; k < c->np; k++) a[k] = PetscLogReal(c->lo[k]);
  PetscCall(VecRestoreArray(lo, &a));
  PetscCall(VecGetArray(hi, &a));
  for (PetscInt k = 0; k < c->np; k++) a[k] = PetscLogReal(c->hi[k]);
  PetscCall(VecRestoreArray(hi, &a));

  /* Each rank runs its own TAO on PETSC_COMM_SELF; the objective is collective on c->comm and
     identical everywhere, so every rank takes the same steps. */
  PetscCall(TaoCreate(PETSC_COMM_SELF, &tao));
  PetscCall(TaoSetType(tao, TAOPOUNDERS));
  PetscCall(TaoSetSolution(tao, u));
  PetscCall(TaoSetVariableBounds(tao, lo, hi));
  PetscCall(TaoSetResidualRoutine(tao, r, Residuals, c));
  PetscCall(TaoSetObjective(tao, Objective, c));
  PetscCall(TaoSetConvergenceTest(tao, Converged, c));
  PetscCall(TaoSetMaximumFunctionEvaluations(tao, 40));
  PetscCall(TaoSetFromOptions(tao));
  {
    TaoType   type;
    PetscReal u0[SB_CAL_MAX_PARAMS];

    PetscCall(TaoGetType(tao, &type));
    PetscCall(PetscPrintf(c->comm, "calibrate %s against %s: %" PetscInt_FMT " parameter(s), %" PetscInt_FMT " target(s), TAO %s\n", opts->scenario, opts->targets, c->np, c->nt, type));
    for (PetscInt k = 0; k < c->np; k++) u0[k] = PetscLogReal(c->init[k]);
    if (c->ngroups > 1) {
      ierr = RunSideBySide(c, type, u0);
      if (ierr) PetscCall(TaoDestroy(&tao));
      PetscCall(ierr);
    }
  }
  ierr = TaoSolve(tao);
  if (!ierr) ierr = TaoGetConvergedReason(tao, &reason);
  PetscCall(TaoDestroy(&tao));
  PetscCall(VecDestroy(&u));
  PetscCall(VecDestroy(&lo));
  PetscCall(VecDestroy(&hi));
  PetscCall(VecDestroy(&r));
  if (rank == 0) (void)remove(c->cand_json);
  PetscCall(ierr);
  PetscCheck(c->nevals > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "calibrate: TAO ran no simulation");

  /* The calibrated scenario: the best run. */
  len = (size_t)snprintf(desc, sizeof(desc), "%s calibrated by shuibao calibrate against %s after %" PetscInt_FMT " runs (TAO %s):", c->sc->name, opts->targets, c->nevals, TaoConvergedReasons[reason]);
  for (PetscInt k = 0; k < c->np && len < sizeof(desc); k++) len += (size_t)snprintf(desc + len, sizeof(desc) - len, " %s x %.8g;", CalParamNames[c->param[k]], (double)c->best_mult[k]);
  for (PetscInt k = 0; k < c->nt && len < sizeof(desc); k++) len += (size_t)snprintf(desc + len, sizeof(desc) - len, " %s %s %.8g %s (observed %.8g, %+.3g%%);", c->gauge[k], CalQuantityNames[c->quantity[k]], (double)c->best_sim[k], CalQuantityUnits[c->quantity[k]], (double)c->observed[k], (double)(100 * (c->best_sim[k] - c->observed[k]) / c->observed[k]));
  {
    char name[SB_MAX_NAME + 16], fit[sizeof(c->sc->description)];

    (void)snprintf(name, sizeof(name), "%.48s-calibrated", c->sc->name);
    FitDescription(desc, fit, sizeof(fit));
    ierr = 0;
    if (rank == 0) ierr = WriteScenario(c, c->best_mult, c->output, name, fit);
    PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, c->comm));
    PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write the calibrated scenario", c->output);
  }
  PetscCall(PetscPrintf(c->comm, "wrote %s: %s\n", c->output, desc));
  PetscCall(PrintTables(c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCalibrate(MPI_Comm comm, const SbCalibrateOptions *opts)
{
  CalCtx        *c;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&c));
  c->comm         = comm;
  c->scenario     = opts->scenario;
  c->targets_path = opts->targets;
  c->mesh         = opts->mesh;
  c->ngroups      = opts->groups > 0 ? opts->groups : 1;
  ierr            = CalibrateInner(c, opts);
  PetscCall(SbScenarioDestroy(&c->sc));
  PetscCall(PetscFree(c));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
