/* `shuibao compare`: what planners read off a set of runs, per region and for the basin, each
   file against the first (docs/output.md, "shuibao compare"):

   - the soil and water conservation rate (水土保持率) against the 2025 and 2035 targets the
     scenario set (met or not, and the margin in percentage points), mean and total soil loss;
   - sediment exported to each gauge and into the reservoir (the annual assessment, t/a);
   - sediment of the time loop (sediment.enabled): yield at each gauge and its peak sediment
     discharge, the reservoir's inflow, trapped mass, release and trap efficiency, the basin's
     detachment, deposition and outflow, all from /budget/sediment and /series (t over the run);
   - the water budget (every term the run wrote), peak discharge and runoff volume at each gauge.

   Every quantity comes with its relative change against the first file ("n/a" where the first
   file has no such quantity or it is zero). Formats: a Markdown report, a long CSV table (one
   quantity per line), JSON (cJSON). Mesh files are listed with their size only. */
#include "compare.h"
#include "h5io.h"
#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <errno.h>
#include <math.h>

#define SB_CMP_MAX 64 /* gauges, budget terms, regions per file */

typedef struct {
  char      name[SB_MAX_NAME];
  PetscReal peak_m3_s, volume_m3, sediment_t_a;
  PetscReal yield_t, peak_sediment_kg_s; /* the time loop's sediment (/budget/sediment, /series) */
  PetscBool has_flow, has_sediment, has_yield;
} GaugeSummary;

typedef struct {
  char      name[SB_MAX_NAME]; /* "basin" or the region's name */
  PetscReal rate, target[2], soil_loss_t_a, mean_t_km2_a, area_km2;
} AreaSummary;

typedef struct {
  char      name[64];
  PetscReal value;
} Term;

typedef struct { /* /measures/<name> (docs/measures.md) */
  char      name[SB_MAX_NAME], unit[8];
  PetscReal requested, treated, treated_km2, cost_yuan, avoided_t_a;
  long long exhausted, applied;
} MeasureSummary;

/* What compare reports of /budget/sediment (kg in the file, t in the report; the trap efficiency
   and relative error as fractions), docs/output.md. */
static const struct {
  const char *item, *quantity, *attr;
  PetscBool   mass;
} SedTerms[] = {
  {"reservoir", "inflow", "reservoir_inflow", PETSC_TRUE},
  {"reservoir", "trapped", "reservoir_trapped", PETSC_TRUE},
  {"reservoir", "release", "reservoir_release", PETSC_TRUE},
  {"reservoir", "trap_efficiency", "reservoir_trap_efficiency", PETSC_FALSE},
  {"basin", "detachment", "detachment", PETSC_TRUE},
  {"basin", "deposition", "deposition", PETSC_TRUE},
  {"basin", "outflow", "outflow", PETSC_TRUE},
  {"basin", "relative_error", "relative_error", PETSC_FALSE},
};
#define SB_CMP_NSED ((PetscInt)(sizeof(SedTerms) / sizeof(SedTerms[0])))

typedef struct {
  const char  *path;
  char         kind[16]; /* "result" or "mesh" */
  char         scenario[SB_MAX_NAME];
  PetscReal    duration_h;
  long long    nx, ny, active, ranks;
  PetscInt     nterms;
  Term         terms[SB_CMP_MAX]; /* /budget/water, in the file's order */
  PetscInt     ngauges;
  GaugeSummary g[SB_CMP_MAX];
  PetscInt     nareas; /* 0 without an assessment; else areas[0] is the basin */
  AreaSummary  areas[SB_CMP_MAX];
  PetscBool    has_reservoir;
  PetscReal    reservoir_t_a;
  PetscInt     nmeasures;
  MeasureSummary measures[SB_CMP_MAX];
  PetscInt     nsed; /* /budget/sediment of a time-loop run (0 without sediment), SedTerms order */
  PetscReal    sed[SB_CMP_NSED];
} FileSummary;

static const char *TargetYear[2] = {"2025", "2035"};

/* ---- reading ---- */

static herr_t CollectLink(hid_t loc, const char *name, const H5L_info_t *info, void *ctx)
{
  char (*names)[SB_MAX_NAME] = ((char (**)[SB_MAX_NAME])ctx)[0];
  PetscInt *n                = ((PetscInt **)ctx)[1];

  if (*n >= SB_CMP_MAX) return 1;
  snprintf(names[(*n)++], SB_MAX_NAME, "%s", name);
  return 0;
}

/* Whether path (a/b/c) exists: H5Lexists needs every parent to exist. */
static PetscBool PathExists(hid_t file, const char *path)
{
  char part[PETSC_MAX_PATH_LEN];

  for (const char *slash = path;; slash++) {
    slash = strchr(slash, '/');
    snprintf(part, sizeof(part), "%.*s", slash ? (int)(slash - path) : (int)strlen(path), path);
    if (H5Lexists(file, part, H5P_DEFAULT) <= 0) return PETSC_FALSE;
    if (!slash) return PETSC_TRUE;
  }
}

/* Names of the links in group path of file (at most SB_CMP_MAX), groups only if groups_only. */
static PetscErrorCode ListGroup(hid_t file, const char *path, PetscBool groups_only, char (*names)[SB_MAX_NAME], PetscInt *n)
{
  hid_t grp;
  void *ctx[2] = {names, n};

  PetscFunctionBeginUser;
  *n = 0;
  if (!PathExists(file, path)) PetscFunctionReturn(PETSC_SUCCESS);
  SbCallHDF5(grp = H5Gopen2(file, path, H5P_DEFAULT));
  SbCallHDF5(H5Literate(grp, H5_INDEX_NAME, H5_ITER_INC, NULL, CollectLink, ctx));
  if (groups_only) {
    PetscInt m = 0;

    for (PetscInt k = 0; k < *n; k++) {
      H5O_info_t oi;

      SbCallHDF5(H5Oget_info_by_name(grp, names[k], &oi, H5P_DEFAULT));
      if (oi.type == H5O_TYPE_GROUP) memmove(names[m++], names[k], SB_MAX_NAME);
    }
    *n = m;
  }
  SbCallHDF5(H5Gclose(grp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadSeriesMax(hid_t grp, const char *name, PetscReal *peak)
{
  hid_t    dset, space;
  hssize_t n;
  double  *v;

  PetscFunctionBeginUser;
  *peak = 0;
  SbCallHDF5(dset = H5Dopen2(grp, name, H5P_DEFAULT));
  SbCallHDF5(space = H5Dget_space(dset));
  SbCallHDF5(n = H5Sget_simple_extent_npoints(space));
  PetscCall(PetscMalloc1(n + 1, &v));
  SbCallHDF5(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v));
  for (hssize_t i = 0; i < n; i++) *peak = PetscMax(*peak, v[i]);
  PetscCall(PetscFree(v));
  SbCallHDF5(H5Sclose(space));
  SbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static herr_t CollectTerm(hid_t loc, const char *name, const H5A_info_t *info, void *ctx)
{
  FileSummary *f = (FileSummary *)ctx;
  hid_t        a, t, s;
  double       v;
  herr_t       ok = 0;

  /* per-gauge outflows are reported with the gauges */
  if (!strncmp(name, "outflow_", 8) || f->nterms >= SB_CMP_MAX) return 0;
  if ((a = H5Aopen(loc, name, H5P_DEFAULT)) < 0) return -1;
  t = H5Aget_type(a);
  s = H5Aget_space(a);
  if (H5Tget_class(t) == H5T_FLOAT && H5Sget_simple_extent_npoints(s) == 1 && H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) {
    snprintf(f->terms[f->nterms].name, sizeof(f->terms[0].name), "%s", name);
    f->terms[f->nterms++].value = v;
  }
  if (H5Sclose(s) < 0 || H5Tclose(t) < 0 || H5Aclose(a) < 0) ok = -1;
  return ok;
}

/* Budget terms in the order of the water's path, then any others by name. */
static int TermRank(const char *name)
{
  static const char *order[] = {"rain", "interception", "infiltration", "evapotranspiration", "percolation", "baseflow", "outflow", "storage_change", "relative_error"};

  for (int k = 0; k < (int)(sizeof(order) / sizeof(order[0])); k++)
    if (!strcmp(name, order[k])) return k;
  return 100;
}

static int CompareTerms(const void *a, const void *b)
{
  const Term *x = (const Term *)a, *y = (const Term *)b;
  int         rx = TermRank(x->name), ry = TermRank(y->name);

  return rx != ry ? rx - ry : strcmp(x->name, y->name);
}

static PetscErrorCode ReadScenarioName(hid_t file, const char *path, FileSummary *f)
{
  hid_t  grp;
  char  *text;
  cJSON *json, *name;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(f->scenario, "?", sizeof(f->scenario)));
  PetscCall(PetscMalloc1(1 << 20, &text));
  SbCallHDF5(grp = H5Gopen2(file, "provenance", H5P_DEFAULT));
  PetscCall(SbH5ReadAttrString(grp, path, "scenario", text, 1 << 20));
  PetscCall(SbH5ReadAttrInt(grp, path, "ranks", &f->ranks));
  SbCallHDF5(H5Gclose(grp));
  json = cJSON_Parse(text);
  name = cJSON_GetObjectItemCaseSensitive(json, "name");
  if (cJSON_IsString(name)) PetscCall(PetscStrncpy(f->scenario, name->valuestring, sizeof(f->scenario)));
  cJSON_Delete(json);
  PetscCall(PetscFree(text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadArea(hid_t file, const char *path, const char *group, const char *name, AreaSummary *a)
{
  hid_t  grp;
  double v;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(a->name, name, sizeof(a->name)));
  SbCallHDF5(grp = H5Gopen2(file, group, H5P_DEFAULT));
  PetscCall(SbH5ReadAttrDouble(grp, path, "conservation_rate", &v));
  a->rate = v;
  PetscCall(SbH5ReadAttrDouble(grp, path, "soil_loss", &v));
  a->soil_loss_t_a = v;
  PetscCall(SbH5ReadAttrDouble(grp, path, "mean_soil_loss_t_km2_a", &v));
  a->mean_t_km2_a = v;
  PetscCall(SbH5ReadAttrDouble(grp, path, "area_km2", &v));
  a->area_km2 = v;
  for (int y = 0; y < 2; y++) {
    char att[32];

    PetscCall(PetscSNPrintf(att, sizeof(att), "target_%s", TargetYear[y]));
    a->target[y] = NAN; /* results written before targets existed */
    if (H5Aexists(grp, att) > 0) {
      PetscCall(SbH5ReadAttrDouble(grp, path, att, &v));
      a->target[y] = v;
    }
  }
  SbCallHDF5(H5Gclose(grp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Summarise(const char *path, FileSummary *f)
{
  hid_t       file, grp;
  struct stat st;
  htri_t      is;
  char        names[SB_CMP_MAX][SB_MAX_NAME];
  PetscInt    n;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(f, sizeof(*f)));
  f->path = path;
  PetscCheck(stat(path, &st) == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open: %s", path, strerror(errno));
  PetscCheck(!S_ISDIR(st.st_mode), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: cannot open: is a directory", path);
  H5E_BEGIN_TRY { is = H5Fis_hdf5(path); } H5E_END_TRY;
  PetscCheck(is > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: not an HDF5 file", path);
  SbCallHDF5(file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
  if (H5Lexists(file, "provenance", H5P_DEFAULT) > 0) {
    PetscCall(PetscStrncpy(f->kind, "result", sizeof(f->kind)));
    PetscCall(ReadScenarioName(file, path, f));
    SbCallHDF5(grp = H5Gopen2(file, "budget/water", H5P_DEFAULT));
    SbCallHDF5(H5Aiterate2(grp, H5_INDEX_NAME, H5_ITER_INC, NULL, CollectTerm, f));
    SbCallHDF5(H5Gclose(grp));
    qsort(f->terms, (size_t)f->nterms, sizeof(Term), CompareTerms);
    SbCallHDF5(grp = H5Gopen2(file, "series", H5P_DEFAULT));
    PetscCall(ReadSeriesMax(grp, "time", &f->duration_h));
    f->duration_h /= 3600.0;
    SbCallHDF5(H5Gclose(grp));

    /* Gauges: the groups of /series (discharge series) and of /summary/gauges (sediment). */
    PetscCall(ListGroup(file, "series", PETSC_TRUE, names, &n));
    for (PetscInt k = 0; k < n; k++) {
      GaugeSummary *g = &f->g[f->ngauges++];
      hid_t         gg, bw;
      char          att[SB_MAX_NAME + 16];
      double        v = 0;

      PetscCall(PetscStrncpy(g->name, names[k], sizeof(g->name)));
      g->has_flow = f->duration_h > 0 ? PETSC_TRUE : PETSC_FALSE; /* an assessment alone has no flow */
      /* The time loop's sediment (sediment.enabled): the series' peak, and the mass through the
         gauge from the budget (exact; the series holds rates at the output times only). */
      g->has_yield = g->has_flow && PathExists(file, "budget/sediment") ? PETSC_TRUE : PETSC_FALSE;
      SbCallHDF5(gg = H5Gopen2(file, "series", H5P_DEFAULT));
      SbCallHDF5(bw = H5Gopen2(gg, names[k], H5P_DEFAULT));
      PetscCall(ReadSeriesMax(bw, "discharge", &g->peak_m3_s));
      if (g->has_yield) PetscCall(ReadSeriesMax(bw, "sediment", &g->peak_sediment_kg_s));
      SbCallHDF5(H5Gclose(bw));
      SbCallHDF5(H5Gclose(gg));
      SbCallHDF5(bw = H5Gopen2(file, "budget/water", H5P_DEFAULT));
      PetscCall(PetscSNPrintf(att, sizeof(att), "outflow_%s", names[k]));
      PetscCall(SbH5ReadAttrDouble(bw, path, att, &v));
      SbCallHDF5(H5Gclose(bw));
      g->volume_m3 = v;
      if (g->has_yield) {
        SbCallHDF5(bw = H5Gopen2(file, "budget/sediment", H5P_DEFAULT));
        PetscCall(SbH5ReadAttrDouble(bw, path, att, &v));
        SbCallHDF5(H5Gclose(bw));
        g->yield_t = v / 1000.0;
      }
    }
    if (f->duration_h > 0 && PathExists(file, "budget/sediment")) {
      SbCallHDF5(grp = H5Gopen2(file, "budget/sediment", H5P_DEFAULT));
      for (PetscInt k = 0; k < SB_CMP_NSED; k++) {
        double v;

        PetscCall(SbH5ReadAttrDouble(grp, path, SedTerms[k].attr, &v));
        f->sed[k] = SedTerms[k].mass ? v / 1000.0 : v;
      }
      SbCallHDF5(H5Gclose(grp));
      f->nsed = SB_CMP_NSED;
    }
    PetscCall(ListGroup(file, "summary/gauges", PETSC_TRUE, names, &n));
    for (PetscInt k = 0; k < n; k++) {
      GaugeSummary *g = NULL;
      char          group[2 * SB_MAX_NAME];
      hid_t         gg;
      double        v;

      for (PetscInt j = 0; j < f->ngauges; j++)
        if (!strcmp(f->g[j].name, names[k])) g = &f->g[j];
      if (!g) {
        if (f->ngauges >= SB_CMP_MAX) continue;
        g = &f->g[f->ngauges++];
        PetscCall(PetscStrncpy(g->name, names[k], sizeof(g->name)));
      }
      PetscCall(PetscSNPrintf(group, sizeof(group), "summary/gauges/%s", names[k]));
      SbCallHDF5(gg = H5Gopen2(file, group, H5P_DEFAULT));
      PetscCall(SbH5ReadAttrDouble(gg, path, "sediment_export_t_a", &v));
      SbCallHDF5(H5Gclose(gg));
      g->sediment_t_a = v;
      g->has_sediment = PETSC_TRUE;
    }

    /* The assessment: basin, then regions. */
    if (PathExists(file, "summary/basin")) {
      double v;

      PetscCall(ReadArea(file, path, "summary/basin", "basin", &f->areas[0]));
      f->nareas = 1;
      SbCallHDF5(grp = H5Gopen2(file, "summary/basin", H5P_DEFAULT));
      if (H5Aexists(grp, "sediment_to_reservoir_t_a") > 0) {
        PetscCall(SbH5ReadAttrDouble(grp, path, "sediment_to_reservoir_t_a", &v));
        f->reservoir_t_a = v;
        f->has_reservoir = PETSC_TRUE;
      }
      SbCallHDF5(H5Gclose(grp));
      PetscCall(ListGroup(file, "summary/regions", PETSC_TRUE, names, &n));
      for (PetscInt k = 0; k < n && f->nareas < SB_CMP_MAX; k++) {
        char group[2 * SB_MAX_NAME];

        PetscCall(PetscSNPrintf(group, sizeof(group), "summary/regions/%s", names[k]));
        PetscCall(ReadArea(file, path, group, names[k], &f->areas[f->nareas++]));
      }
    }
    if (H5Lexists(file, "measures", H5P_DEFAULT) > 0) {
      char (*names)[SB_MAX_NAME];
      PetscInt n = 0;

      PetscCall(PetscMalloc1(SB_CMP_MAX, &names));
      PetscCall(ListGroup(file, "measures", PETSC_TRUE, names, &n));
      for (PetscInt k = 0; k < n && f->nmeasures < SB_CMP_MAX; k++) {
        MeasureSummary *m = &f->measures[f->nmeasures++];
        hid_t           g;

        PetscCall(PetscStrncpy(m->name, names[k], sizeof(m->name)));
        SbCallHDF5(g = H5Gopen2(file, "measures", H5P_DEFAULT));
        {
          hid_t grp;

          SbCallHDF5(grp = H5Gopen2(g, names[k], H5P_DEFAULT));
          PetscCall(SbH5ReadAttrString(grp, path, "amount_unit", m->unit, sizeof(m->unit)));
          PetscCall(SbH5ReadAttrDouble(grp, path, "requested", &m->requested));
          PetscCall(SbH5ReadAttrDouble(grp, path, "treated", &m->treated));
          PetscCall(SbH5ReadAttrDouble(grp, path, "treated_km2", &m->treated_km2));
          PetscCall(SbH5ReadAttrDouble(grp, path, "cost_yuan_total", &m->cost_yuan));
          PetscCall(SbH5ReadAttrDouble(grp, path, "soil_loss_avoided_t_a_total", &m->avoided_t_a));
          PetscCall(SbH5ReadAttrInt(grp, path, "exhausted", &m->exhausted));
          PetscCall(SbH5ReadAttrInt(grp, path, "applied", &m->applied));
          SbCallHDF5(H5Gclose(grp));
        }
        SbCallHDF5(H5Gclose(g));
      }
      PetscCall(PetscFree(names));
    }
  } else if (H5Lexists(file, "elevation", H5P_DEFAULT) > 0) {
    PetscCall(PetscStrncpy(f->kind, "mesh", sizeof(f->kind)));
    PetscCall(SbH5ReadAttrInt(file, path, "nx", &f->nx));
    PetscCall(SbH5ReadAttrInt(file, path, "ny", &f->ny));
    PetscCall(SbH5ReadAttrInt(file, path, "active_cells", &f->active));
  } else SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: neither a shuibao result (no /provenance) nor a mesh (no /elevation)", path);
  SbCallHDF5(H5Fclose(file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---- what is compared ---- */

/* One reported quantity: the value and the first file's value of the same quantity. */
typedef struct {
  const char *section, *item, *quantity, *unit;
  PetscReal   value, base;
  PetscBool   has_base; /* the first file has this quantity */
  PetscBool   comparable; /* a change against the first file is reported (n/a without has_base) */
} Row;

/* Relative change against the first file, or PETSC_FALSE when there is nothing to compare to. */
static PetscBool Change(const Row *r, PetscReal *pct)
{
  if (!r->has_base || r->base == 0 || !isfinite(r->base) || !isfinite(r->value)) return PETSC_FALSE;
  *pct = 100.0 * (r->value - r->base) / fabs(r->base);
  return PETSC_TRUE;
}

static const AreaSummary *FindArea(const FileSummary *f, const char *name)
{
  for (PetscInt k = 0; k < f->nareas; k++)
    if (!strcmp(f->areas[k].name, name)) return &f->areas[k];
  return NULL;
}

static const GaugeSummary *FindGauge(const FileSummary *f, const char *name)
{
  for (PetscInt k = 0; k < f->ngauges; k++)
    if (!strcmp(f->g[k].name, name)) return &f->g[k];
  return NULL;
}

static const Term *FindTerm(const FileSummary *f, const char *name)
{
  for (PetscInt k = 0; k < f->nterms; k++)
    if (!strcmp(f->terms[k].name, name)) return &f->terms[k];
  return NULL;
}

/* Every quantity of f as rows, with the first file's values; at most cap rows. Targets are
   reported as three rows each: the target, whether it is met (1/0) and the margin in
   percentage points (rate − target). */
static PetscInt Rows(const FileSummary *f, const FileSummary *ref, Row *rows, PetscInt cap)
{
  PetscInt n = 0;

#define ADD(sec, it, q, u, v, hb, b) \
  do { \
    if (n < cap) rows[n++] = (Row){sec, it, q, u, v, b, hb, PETSC_TRUE}; \
  } while (0)
#define ADD_PLAIN(sec, it, q, u, v) \
  do { \
    if (n < cap) rows[n++] = (Row){sec, it, q, u, v, 0, PETSC_FALSE, PETSC_FALSE}; \
  } while (0)
  for (PetscInt k = 0; k < f->nareas; k++) {
    const AreaSummary *a = &f->areas[k], *b = FindArea(ref, a->name);
    static const char *tq[2][3] = {{"target_2025", "met_2025", "margin_2025_points"}, {"target_2035", "met_2035", "margin_2035_points"}};

    ADD("conservation", a->name, "conservation_rate", "1", a->rate, b != NULL, b ? b->rate : 0);
    /* a rate's change is read in percentage points */
    if (b) ADD_PLAIN("conservation", a->name, "conservation_rate_change_points", "percentage points", 100 * (a->rate - b->rate));
    for (int y = 0; y < 2; y++) {
      if (!isfinite(a->target[y])) continue;
      ADD_PLAIN("conservation", a->name, tq[y][0], "1", a->target[y]);
      ADD_PLAIN("conservation", a->name, tq[y][1], "bool", a->rate >= a->target[y] ? 1.0 : 0.0);
      ADD_PLAIN("conservation", a->name, tq[y][2], "percentage points", 100 * (a->rate - a->target[y]));
    }
    ADD("conservation", a->name, "mean_soil_loss", "t km-2 a-1", a->mean_t_km2_a, b != NULL, b ? b->mean_t_km2_a : 0);
    ADD("conservation", a->name, "soil_loss", "t a-1", a->soil_loss_t_a, b != NULL, b ? b->soil_loss_t_a : 0);
    ADD("conservation", a->name, "area", "km2", a->area_km2, b != NULL, b ? b->area_km2 : 0);
  }
  for (PetscInt k = 0; k < f->ngauges; k++) {
    const GaugeSummary *g = &f->g[k], *b = FindGauge(ref, g->name);

    if (g->has_sediment) ADD("sediment", g->name, "sediment_export", "t a-1", g->sediment_t_a, b && b->has_sediment, b ? b->sediment_t_a : 0);
  }
  if (f->has_reservoir) ADD("sediment", "reservoir", "sediment_export", "t a-1", f->reservoir_t_a, ref->has_reservoir, ref->reservoir_t_a);
  for (PetscInt k = 0; k < f->ngauges; k++) {
    const GaugeSummary *g = &f->g[k], *b = FindGauge(ref, g->name);

    if (!g->has_yield) continue;
    ADD("sediment_run", g->name, "sediment_yield", "t", g->yield_t, b && b->has_yield, b ? b->yield_t : 0);
    ADD("sediment_run", g->name, "peak_sediment_discharge", "kg s-1", g->peak_sediment_kg_s, b && b->has_yield, b ? b->peak_sediment_kg_s : 0);
  }
  for (PetscInt k = 0; k < f->nsed; k++) {
    if (!strcmp(SedTerms[k].quantity, "relative_error")) ADD_PLAIN("sediment_run", SedTerms[k].item, SedTerms[k].quantity, "1", f->sed[k]);
    else ADD("sediment_run", SedTerms[k].item, SedTerms[k].quantity, SedTerms[k].mass ? "t" : "1", f->sed[k], ref->nsed > 0, ref->sed[k]);
  }
  for (PetscInt k = 0; k < f->ngauges; k++) {
    const GaugeSummary *g = &f->g[k], *b = FindGauge(ref, g->name);

    if (!g->has_flow) continue;
    ADD("gauges", g->name, "peak_discharge", "m3 s-1", g->peak_m3_s, b && b->has_flow, b ? b->peak_m3_s : 0);
    ADD("gauges", g->name, "runoff_volume", "m3", g->volume_m3, b && b->has_flow, b ? b->volume_m3 : 0);
  }
  for (PetscInt k = 0; k < f->nmeasures; k++) {
    const MeasureSummary *m = &f->measures[k];

    ADD_PLAIN("measures", m->name, "requested", m->unit, m->requested);
    ADD_PLAIN("measures", m->name, "treated", m->unit, m->treated);
    ADD_PLAIN("measures", m->name, "treated_area", "km2", m->treated_km2);
    ADD_PLAIN("measures", m->name, "exhausted", "bool", (PetscReal)m->exhausted);
    ADD_PLAIN("measures", m->name, "cost", "yuan", m->cost_yuan);
    ADD_PLAIN("measures", m->name, "soil_loss_avoided", "t a-1", m->avoided_t_a);
  }
  if (f->duration_h > 0)
    for (PetscInt k = 0; k < f->nterms; k++) {
      const Term *t = &f->terms[k], *b = FindTerm(ref, t->name);

      if (!strcmp(t->name, "relative_error")) ADD_PLAIN("water_budget", "basin", t->name, "1", t->value);
      else ADD("water_budget", "basin", t->name, "m3", t->value, b != NULL, b ? b->value : 0);
    }
#undef ADD
#undef ADD_PLAIN
  return n;
}

/* ---- printing ---- */

static void ChangeText(const Row *r, char *buf, size_t len)
{
  PetscReal pct;

  if (Change(r, &pct)) snprintf(buf, len, "%+.2f%%", (double)pct);
  else snprintf(buf, len, "n/a");
}

static const Row *FindRow(const Row *rows, PetscInt n, const char *section, const char *item, const char *quantity)
{
  for (PetscInt k = 0; k < n; k++)
    if (!strcmp(rows[k].section, section) && !strcmp(rows[k].item, item) && !strcmp(rows[k].quantity, quantity)) return &rows[k];
  return NULL;
}

static void PrintMarkdown(const FileSummary *f, const FileSummary *ref, const Row *rows, PetscInt n)
{
  char c1[32], c2[32];

  if (!strcmp(f->kind, "mesh")) {
    printf("## %s (mesh)\n\n%lld x %lld cells, %lld active\n\n", f->path, f->nx, f->ny, f->active);
    return;
  }
  printf("## %s (scenario \"%s\", %.6g h, %lld ranks)\n\n", f->path, f->scenario, (double)f->duration_h, f->ranks);
  if (f->nareas) {
    printf("Soil and water conservation rate (水土保持率), changes against %s:\n\n", ref->path);
    printf("| area | rate | vs first | 2025 target | 2025 | 2035 target | 2035 | mean soil loss (t/km²/a) | soil loss (t/a) | soil loss vs first |\n|---|---:|---:|---:|---|---:|---|---:|---:|---:|\n");
    for (PetscInt k = 0; k < f->nareas; k++) {
      const AreaSummary *a = &f->areas[k];
      const Row         *sl = FindRow(rows, n, "conservation", a->name, "soil_loss"), *dr = FindRow(rows, n, "conservation", a->name, "conservation_rate_change_points");

      if (dr) snprintf(c2, sizeof(c2), "%+.1f points", (double)dr->value);
      else snprintf(c2, sizeof(c2), "n/a");
      printf("| %s | %.1f%% | %s |", a->name, (double)(100 * a->rate), c2);
      for (int y = 0; y < 2; y++) {
        if (isfinite(a->target[y])) printf(" %.1f%% | %s (%+.1f points) |", (double)(100 * a->target[y]), a->rate >= a->target[y] ? "met" : "not met", (double)(100 * (a->rate - a->target[y])));
        else printf(" n/a | n/a |");
      }
      ChangeText(sl, c1, sizeof(c1));
      printf(" %.1f | %.4e | %s |\n", (double)a->mean_t_km2_a, (double)a->soil_loss_t_a, c1);
    }
    printf("\n");
  }
  if (FindRow(rows, n, "sediment", f->has_reservoir ? "reservoir" : (f->ngauges ? f->g[0].name : ""), "sediment_export")) {
    printf("| sediment exported to | t/a | vs first |\n|---|---:|---:|\n");
    for (PetscInt k = 0; k < n; k++)
      if (!strcmp(rows[k].section, "sediment")) {
        ChangeText(&rows[k], c1, sizeof(c1));
        printf("| %s%s | %.4e | %s |\n", strcmp(rows[k].item, "reservoir") ? "gauge " : "", rows[k].item, (double)rows[k].value, c1);
      }
    printf("\n");
  }
  if (f->nsed > 0) {
    printf("Sediment of the run (time loop, /budget/sediment):\n\n| where | quantity | value | unit | vs first |\n|---|---|---:|---|---:|\n");
    for (PetscInt k = 0; k < n; k++)
      if (!strcmp(rows[k].section, "sediment_run")) {
        const PetscBool gauge = FindGauge(f, rows[k].item) != NULL;

        if (!strcmp(rows[k].quantity, "relative_error")) {
          printf("| %s | relative error | %.2e | 1 | |\n", rows[k].item, (double)rows[k].value);
          continue;
        }
        ChangeText(&rows[k], c1, sizeof(c1));
        printf("| %s%s | %s | %.6e | %s | %s |\n", gauge ? "gauge " : "", rows[k].item, rows[k].quantity, (double)rows[k].value, rows[k].unit, c1);
      }
    printf("\n");
  }
  if (f->nmeasures > 0) {
    printf("| measure | requested | treated | treated (km²) | eligible area ran out | cost (yuan) | soil loss avoided (t/a) |\n|---|---:|---:|---:|---|---:|---:|\n");
    for (PetscInt k = 0; k < f->nmeasures; k++) {
      const MeasureSummary *m = &f->measures[k];

      if (!m->applied) printf("| %s | not applied (later year) | | | | | |\n", m->name);
      else printf("| %s | %.2f %s | %.2f %s | %.2f | %s | %.4e | %.4e |\n", m->name, (double)m->requested, m->unit, (double)m->treated, m->unit, (double)m->treated_km2, m->exhausted ? "yes" : "no", (double)m->cost_yuan, (double)m->avoided_t_a);
    }
    printf("\n");
  }
  if (f->duration_h > 0) {
    printf("| water budget term | volume (m3) | vs first |\n|---|---:|---:|\n");
    for (PetscInt k = 0; k < n; k++)
      if (!strcmp(rows[k].section, "water_budget")) {
        ChangeText(&rows[k], c1, sizeof(c1));
        if (!strcmp(rows[k].quantity, "relative_error")) printf("| relative error | %.2e | |\n", (double)rows[k].value);
        else printf("| %s | %.6e | %s |\n", rows[k].quantity, (double)rows[k].value, c1);
      }
    printf("\n| gauge | peak discharge (m3/s) | vs first | runoff volume (m3) | vs first |\n|---|---:|---:|---:|---:|\n");
    for (PetscInt k = 0; k < f->ngauges; k++) {
      const Row *p = FindRow(rows, n, "gauges", f->g[k].name, "peak_discharge"), *v = FindRow(rows, n, "gauges", f->g[k].name, "runoff_volume");

      if (!p || !v) continue;
      ChangeText(p, c1, sizeof(c1));
      ChangeText(v, c2, sizeof(c2));
      printf("| %s | %.4f | %s | %.6e | %s |\n", f->g[k].name, (double)p->value, c1, (double)v->value, c2);
    }
    printf("\n");
  }
}

/* CSV text field: quoted when it holds a comma, a quote or a line break. */
static void CsvField(const char *s)
{
  if (strpbrk(s, ",\"\n\r")) {
    putchar('"');
    for (; *s; s++) {
      if (*s == '"') putchar('"');
      putchar(*s);
    }
    putchar('"');
  } else fputs(s, stdout);
}

static void PrintCsv(const FileSummary *f, const Row *rows, PetscInt n)
{
  if (!strcmp(f->kind, "mesh")) {
    CsvField(f->path);
    printf(",,mesh,grid,active_cells,%lld,1,\n", f->active);
    return;
  }
  for (PetscInt k = 0; k < n; k++) {
    PetscReal pct;

    CsvField(f->path);
    putchar(',');
    CsvField(f->scenario);
    printf(",%s,", rows[k].section);
    CsvField(rows[k].item);
    printf(",%s,%.17g,%s,", rows[k].quantity, (double)rows[k].value, rows[k].unit);
    if (Change(&rows[k], &pct)) printf("%.6g", (double)pct);
    putchar('\n');
  }
}

/* JSON: per file {file, kind, scenario, duration_h, ranks, sections: {section: {item: {quantity:
   value, quantity_change_pct: value|null}}}}. */
static cJSON *Json(const FileSummary *f, const Row *rows, PetscInt n)
{
  cJSON *o = cJSON_CreateObject(), *secs;

  cJSON_AddStringToObject(o, "file", f->path);
  cJSON_AddStringToObject(o, "kind", f->kind);
  if (!strcmp(f->kind, "mesh")) {
    cJSON_AddNumberToObject(o, "nx", (double)f->nx);
    cJSON_AddNumberToObject(o, "ny", (double)f->ny);
    cJSON_AddNumberToObject(o, "active_cells", (double)f->active);
    return o;
  }
  cJSON_AddStringToObject(o, "scenario", f->scenario);
  cJSON_AddNumberToObject(o, "duration_h", (double)f->duration_h);
  cJSON_AddNumberToObject(o, "ranks", (double)f->ranks);
  secs = cJSON_AddObjectToObject(o, "sections");
  for (PetscInt k = 0; k < n; k++) {
    cJSON    *sec = cJSON_GetObjectItemCaseSensitive(secs, rows[k].section), *item;
    char      key[96];
    PetscReal pct;

    if (!sec) sec = cJSON_AddObjectToObject(secs, rows[k].section);
    item = cJSON_GetObjectItemCaseSensitive(sec, rows[k].item);
    if (!item) item = cJSON_AddObjectToObject(sec, rows[k].item);
    if (!strcmp(rows[k].unit, "bool")) cJSON_AddBoolToObject(item, rows[k].quantity, rows[k].value != 0);
    else cJSON_AddNumberToObject(item, rows[k].quantity, (double)rows[k].value);
    if (rows[k].comparable) {
      snprintf(key, sizeof(key), "%s_change_pct", rows[k].quantity);
      if (Change(&rows[k], &pct)) cJSON_AddNumberToObject(item, key, (double)pct);
      else cJSON_AddNullToObject(item, key);
    }
  }
  return o;
}

/* Run postproc/shuibao_figures.py with Debian's /usr/bin/python3 (fork and exec: no shell, so
   no quoting of file names). SB_POSTPROC_DIR in the environment overrides where it is. */
static PetscErrorCode Figures(int n, const char *const *files, const char *dir)
{
  char        script[PETSC_MAX_PATH_LEN];
  const char *where = getenv("SB_POSTPROC_DIR");
  char      **argv;
  pid_t       pid;
  int         status = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(script, sizeof(script), "%s/shuibao_figures.py", where ? where : SB_POSTPROC_DIR));
  PetscCheck(access(script, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot find the figure script (set SB_POSTPROC_DIR)", script);
  PetscCall(PetscCalloc1(n + 4, &argv));
  argv[0] = (char *)"/usr/bin/python3";
  argv[1] = script;
  argv[2] = (char *)dir;
  for (int i = 0; i < n; i++) argv[3 + i] = (char *)files[i];
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    _exit(127);
  }
  PetscCall(PetscFree(argv));
  PetscCheck(pid > 0 && waitpid(pid, &status, 0) == pid, PETSC_COMM_SELF, PETSC_ERR_SYS, "--figures: cannot run /usr/bin/python3");
  PetscCheck(WIFEXITED(status) && WEXITSTATUS(status) == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--figures %s: the figure script failed (python3-matplotlib and python3-h5py installed?)", dir);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Print(int n, const FileSummary *s, const char *format)
{
  const PetscInt cap = 8 * SB_CMP_MAX * 4;
  Row           *rows;
  cJSON         *all = NULL;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(cap, &rows));
  if (!strcmp(format, "csv")) printf("file,scenario,section,item,quantity,value,unit,change_vs_first_pct\n");
  if (!strcmp(format, "md")) printf("# shuibao compare\n\nFirst file (the reference for changes): %s\n\n", s[0].path);
  if (!strcmp(format, "json")) all = cJSON_CreateArray();
  for (int i = 0; i < n; i++) {
    const PetscInt m = strcmp(s[i].kind, "result") ? 0 : Rows(&s[i], &s[0], rows, cap);

    if (!strcmp(format, "md")) PrintMarkdown(&s[i], &s[0], rows, m);
    else if (!strcmp(format, "csv")) PrintCsv(&s[i], rows, m);
    else cJSON_AddItemToArray(all, Json(&s[i], rows, m));
  }
  if (all) {
    char *text = cJSON_Print(all);

    PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_MEM, "compare: cannot format the JSON output");
    printf("%s\n", text);
    cJSON_free(text);
    cJSON_Delete(all);
  }
  PetscCall(PetscFree(rows));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCompare(MPI_Comm comm, int n, const char *const *files, const char *format, const char *figures)
{
  PetscMPIInt    rank;
  PetscErrorCode ierr = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FileSummary *s;

    PetscCall(PetscMalloc1(n, &s));
    /* Read every file before printing anything, so a bad file gives only its error. */
    for (int i = 0; i < n && !ierr; i++) ierr = Summarise(files[i], &s[i]);
    for (int i = 0; i < n && figures && !ierr; i++)
      if (strcmp(s[i].kind, "result")) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "%s: --figures needs result files, this is a %s", files[i], s[i].kind);
    if (!ierr) ierr = Print(n, s, format);
    fflush(stdout);
    if (!ierr && figures) ierr = Figures(n, files, figures);
    PetscCall(PetscFree(s));
  }
  /* Rank 0 raises its own error (with its message); the others fail with it. */
  PetscCallMPI(MPI_Bcast(&ierr, 1, MPI_INT, 0, comm));
  if (rank == 0) PetscCall(ierr);
  PetscCheck(!ierr, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "compare failed on rank 0");
  PetscFunctionReturn(PETSC_SUCCESS);
}
