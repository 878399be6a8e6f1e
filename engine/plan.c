/* Target-seeking plans (docs/measures.md, "Target-seeking plans").

   The CSLE soil loss of a cell is local (A = R K L S B E T), so placing a measure on one cell does
   not change another's: the rate gained by a cell is its area if the measure brings its soil loss
   below the tolerance, else nothing. Every untreated cell above the tolerance is a candidate with
   the cheapest measure of the library that brings it below; candidates are taken in order of cost
   per km² brought below, then of cost per tonne of soil loss avoided (among cells of equal unit
   cost, those that lose most soil first: what a spent budget leaves out matters least), then by
   the smaller global cell index (row-major); the plan is the shortest prefix whose area reaches the
   target, or the longest whose cost is within the budget. With equal cell areas this is the optimum of the covering
   knapsack (the n cheapest cells); with unequal areas (geographic grids) the last cell may
   overshoot by less than one cell. The prefix boundary is found by bisection on the bits of each
   key and then on the global index, each step one exact sum over the ranks (exactsum.h), as measures.c
   does: no cell list is gathered and the plan does not depend on the rank count. */
#include "plan.h"
#include "scenario.h"
#include "grid.h"
#include "assessment.h"
#include "measures.h"
#include "exactsum.h"
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A candidate brought below the tolerance must be so by this relative margin: the plan computes
   A·W'/W, the run R·K·L·S·W', which may differ in the last bits. */
#define SB_PLAN_MARGIN 1e-9
/* A target is met when the rate is at least target − SB_PLAN_RATE_TOL: the run's sums of areas
   (in another order) and the plan's differ in the last bits. */
#define SB_PLAN_RATE_TOL 1e-9

typedef struct {
  PetscInt   n;
  uint64_t  *key; /* [2n]: bits of the cost per km² brought below the tolerance, then of the cost per
                     tonne of soil loss avoided (non-negative doubles order as their bits) */
  PetscInt  *gidx, *local, *def;
  PetscReal *w;   /* [2n]: area km², cost yuan */
} SbPlanCands;

/* A position in the order of the candidates: (key[0], key[1], global index), each ascending. */
typedef struct {
  uint64_t k[2];
  PetscInt g;
} SbPlanPos;

static PetscBool AtOrBefore(const SbPlanCands *c, PetscInt q, const SbPlanPos *p)
{
  if (c->key[2 * q] != p->k[0]) return (PetscBool)(c->key[2 * q] < p->k[0]);
  if (c->key[2 * q + 1] != p->k[1]) return (PetscBool)(c->key[2 * q + 1] < p->k[1]);
  return (PetscBool)(c->gidx[q] <= p->g);
}

/* Exact totals (area km², cost yuan) of the candidates at or before p. */
static PetscErrorCode SumBefore(MPI_Comm comm, const SbPlanCands *c, const SbPlanPos *p, PetscReal tot[2])
{
  SbExactSum s[2] = {{0, 0}, {0, 0}};

  PetscFunctionBeginUser;
  for (PetscInt q = 0; q < c->n; q++)
    if (AtOrBefore(c, q, p)) {
      SbExactSumAdd(&s[0], c->w[2 * q]);
      SbExactSumAdd(&s[1], c->w[2 * q + 1]);
    }
  PetscCall(SbExactSumReduce(comm, 2, s, tot));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool Reaches(PetscReal v, PetscReal x, PetscBool strict)
{
  return (PetscBool)(strict ? v > x : v >= x);
}

/* The first position p at which the running total of quantity `which` (0 area, 1 cost) reaches x
   (exceeds it with strict); *found false if the total never does. Bisection on key[0], then on
   key[1] within it, then on the global index. */
static PetscErrorCode FirstPosition(MPI_Comm comm, const SbPlanCands *c, PetscInt which, PetscReal x, PetscBool strict, PetscInt nglobal, SbPlanPos *p, PetscBool *found)
{
  PetscReal tot[2];
  SbPlanPos t = {{UINT64_MAX, UINT64_MAX}, nglobal};

  PetscFunctionBeginUser;
  PetscCall(SumBefore(comm, c, &t, tot));
  *found = Reaches(tot[which], x, strict);
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt level = 0; level < 2; level++) {
    uint64_t lo = 0, hi = UINT64_MAX;

    t.k[level] = 0;
    PetscCall(SumBefore(comm, c, &t, tot));
    if (Reaches(tot[which], x, strict)) hi = 0;
    else
      while (hi - lo > 1) {
        t.k[level] = lo + (hi - lo) / 2;
        PetscCall(SumBefore(comm, c, &t, tot));
        if (Reaches(tot[which], x, strict)) hi = t.k[level];
        else lo = t.k[level];
      }
    t.k[level] = hi;
  }
  {
    PetscInt glo = -1, ghi = nglobal - 1;

    while (ghi - glo > 1) {
      t.g = glo + (ghi - glo) / 2;
      PetscCall(SumBefore(comm, c, &t, tot));
      if (Reaches(tot[which], x, strict)) ghi = t.g;
      else glo = t.g;
    }
    t.g = ghi;
  }
  *p = t;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 writes a 0/1 ESRI ASCII raster on the mesh's grid (row 0 north, as SbGridReadRaster reads). */
static PetscErrorCode WriteMask(SbGrid *g, Vec v, const char *path, char *err, size_t nerr)
{
  Vec                natural, seq;
  VecScatter         sc;
  PetscMPIInt        rank;
  const PetscScalar *x;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  PetscCall(DMDACreateNaturalVector(g->da, &natural));
  PetscCall(DMDAGlobalToNaturalBegin(g->da, v, INSERT_VALUES, natural));
  PetscCall(DMDAGlobalToNaturalEnd(g->da, v, INSERT_VALUES, natural));
  PetscCall(VecScatterCreateToZero(natural, &sc, &seq));
  PetscCall(VecScatterBegin(sc, natural, seq, INSERT_VALUES, SCATTER_FORWARD));
  PetscCall(VecScatterEnd(sc, natural, seq, INSERT_VALUES, SCATTER_FORWARD));
  if (rank == 0 && !err[0]) {
    FILE *fp = fopen(path, "w");

    if (!fp) snprintf(err, nerr, "%s: cannot write: %s", path, strerror(errno));
    else {
      PetscCall(VecGetArrayRead(seq, &x));
      fprintf(fp, "ncols %d\nnrows %d\nxllcorner %.17g\nyllcorner %.17g\ncellsize %.17g\nNODATA_value -9999\n", (int)g->nx, (int)g->ny, (double)g->xll, (double)g->yll, (double)g->cellsize);
      for (PetscInt j = 0; j < g->ny; j++)
        for (PetscInt i = 0; i < g->nx; i++) fprintf(fp, "%d%c", x[j * g->nx + i] != 0 ? 1 : 0, i == g->nx - 1 ? '\n' : ' ');
      PetscCall(VecRestoreArrayRead(seq, &x));
      if (fclose(fp)) snprintf(err, nerr, "%s: cannot write: %s", path, strerror(errno));
    }
  }
  PetscCall(VecScatterDestroy(&sc));
  PetscCall(VecDestroy(&seq));
  PetscCall(VecDestroy(&natural));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* dir of path ("." if none) and the file name without ".json" */
static void SplitPath(const char *path, char *dir, size_t ndir, char *stem, size_t nstem);

static void DirName0(const char *path, char *dir, size_t n)
{
  char stem[PETSC_MAX_PATH_LEN];

  SplitPath(path, dir, n, stem, sizeof(stem));
}


static void SplitPath(const char *path, char *dir, size_t ndir, char *stem, size_t nstem)
{
  const char *slash = strrchr(path, '/');
  size_t      len;

  if (slash) snprintf(dir, ndir, "%.*s", (int)(slash - path), path);
  else snprintf(dir, ndir, ".");
  if (!dir[0]) snprintf(dir, ndir, "/");
  snprintf(stem, nstem, "%s", slash ? slash + 1 : path);
  len = strlen(stem);
  if (len > 5 && !strcmp(stem + len - 5, ".json")) stem[len - 5] = 0;
}

/* Absolute form of path (relative to dir unless absolute); the canonical path if it exists. */
static void Absolute(const char *dir, const char *path, char *out, size_t n)
{
  char joined[PETSC_MAX_PATH_LEN], real[PATH_MAX];

  if (path[0] == '/') snprintf(joined, sizeof(joined), "%s", path);
  else snprintf(joined, sizeof(joined), "%s/%s", dir, path);
  if (realpath(joined, real)) snprintf(out, n, "%s", real);
  else snprintf(out, n, "%s", joined);
}

typedef struct {
  PetscInt   ndefs, nreg;
  PetscReal  area_total, slight, gained, cost, candidates_area, candidates_cost;
  PetscReal *sums; /* [ndefs][nreg + 1][2]: area km², cost yuan; [nreg + 1] gains per area follow */
  PetscReal *region_area, *region_slight; /* [nreg + 1] */
} SbPlanTotals;

/* Prints root (and deletes it) to path; a failed write goes to err. */
static PetscErrorCode WriteJSON(cJSON *root, const char *path, char *err, size_t nerr)
{
  char *json = cJSON_Print(root);
  FILE *fp;

  PetscFunctionBeginUser;
  cJSON_Delete(root);
  PetscCheck(json, PETSC_COMM_SELF, PETSC_ERR_MEM, "plan: cJSON could not print %s", path);
  if (!(fp = fopen(path, "w"))) snprintf(err, nerr, "%s: cannot write: %s", path, strerror(errno));
  else {
    fprintf(fp, "%s\n", json);
    if (fclose(fp)) snprintf(err, nerr, "%s: cannot write: %s", path, strerror(errno));
  }
  free(json);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The plan scenario: an extends of the base with the base's own measures (mask paths made
   absolute) and one measure per library entry used, on its mask. */
static PetscErrorCode WritePlanJSON(const SbPlanOptions *o, const SbScenario *sc, SbMeasures m, const SbPlanTotals *t, const char *path, const char *stem, const char *status, char *err, size_t nerr)
{
  cJSON *root = cJSON_CreateObject(), *list = NULL, *targets, *y, *out;
  char   dir[PETSC_MAX_PATH_LEN], abs[PETSC_MAX_PATH_LEN], text[2 * PETSC_MAX_PATH_LEN + 512];

  PetscFunctionBeginUser;
  DirName0(sc->path, dir, sizeof(dir));
  snprintf(text, sizeof(text), "Written by shuibao plan from %s: target %.4g (basin 水土保持率) in %d%s; status %s: rate %.6f, cost %.6g yuan. docs/measures.md.", sc->path, (double)o->target, (int)o->year, o->budget_yuan >= 0 ? " within the budget" : "", status, (double)((t->slight + t->gained) / t->area_total), (double)t->cost);
  cJSON_AddStringToObject(root, "//", text);
  Absolute(".", sc->path, abs, sizeof(abs));
  cJSON_AddStringToObject(root, "extends", abs);
  cJSON_AddStringToObject(root, "name", stem);
  snprintf(text, sizeof(text), "Target-seeking plan: basin conservation rate %.4g in %d", (double)o->target, (int)o->year);
  cJSON_AddStringToObject(root, "description", text);
  if (o->mesh) {
    Absolute(".", o->mesh, abs, sizeof(abs));
    cJSON_AddStringToObject(root, "mesh", abs);
  }
  cJSON_AddNumberToObject(root, "measures_year", (double)o->year);
  if (sc->measures_json) list = cJSON_Parse(sc->measures_json);
  if (!list) list = cJSON_CreateArray();
  {
    cJSON *it;
    char   odir[PETSC_MAX_PATH_LEN];

    DirName0(sc->measures_origin, odir, sizeof(odir));
    cJSON_ArrayForEach(it, list)
    {
      cJSON *where = cJSON_GetObjectItemCaseSensitive(it, "where"), *mask = where ? cJSON_GetObjectItemCaseSensitive(where, "mask") : NULL;

      if (mask && cJSON_IsString(mask)) {
        Absolute(odir, mask->valuestring, abs, sizeof(abs));
        cJSON_ReplaceItemInObjectCaseSensitive(where, "mask", cJSON_CreateString(abs));
      }
    }
  }
  for (PetscInt d = 0; d < t->ndefs; d++) {
    const char *name;
    cJSON      *it, *where, *amount;

    if (t->sums[2 * d * (t->nreg + 1)] <= 0) continue;
    PetscCall(SbMeasuresLibraryGetName(m, d, &name, NULL));
    it = cJSON_CreateObject();
    snprintf(text, sizeof(text), "plan_%s", name);
    cJSON_AddStringToObject(it, "name", text);
    cJSON_AddStringToObject(it, "measure", name);
    cJSON_AddNumberToObject(it, "year", (double)o->year);
    where = cJSON_AddObjectToObject(it, "where");
    snprintf(text, sizeof(text), "%s.%.64s.asc", stem, name);
    cJSON_AddStringToObject(where, "mask", text);
    amount = cJSON_AddObjectToObject(it, "amount");
    cJSON_AddNumberToObject(amount, "fraction", 1);
    cJSON_AddItemToArray(list, it);
  }
  cJSON_AddItemToObject(root, "measures", list);
  if (o->year == 2025 || o->year == 2035) {
    snprintf(text, sizeof(text), "%d", (int)o->year);
    targets = cJSON_AddObjectToObject(root, "targets");
    y       = cJSON_AddObjectToObject(targets, text);
    cJSON_AddNumberToObject(y, "basin", (double)o->target);
  }
  out = cJSON_AddObjectToObject(root, "output");
  snprintf(text, sizeof(text), "%s.h5", stem);
  cJSON_AddStringToObject(out, "file", text);
  PetscCall(WriteJSON(root, path, err, nerr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *AreaName(const SbGrid *g, PetscInt id)
{
  return id == 0 ? "basin" : g->region_names[id - 1];
}

/* The report: target, status, rates, cost, area and cost per measure and area (basin, regions). */
static PetscErrorCode WriteReport(const SbPlanOptions *o, SbGrid *g, SbMeasures m, const SbPlanTotals *t, const char *path, const char *plan, const char *status, char *err, size_t nerr)
{
  cJSON *root = cJSON_CreateObject(), *ms, *rates, *rate0;

  PetscFunctionBeginUser;
  cJSON_AddStringToObject(root, "plan", plan);
  cJSON_AddStringToObject(root, "status", status);
  cJSON_AddNumberToObject(root, "target", (double)o->target);
  cJSON_AddNumberToObject(root, "year", (double)o->year);
  if (o->budget_yuan >= 0) cJSON_AddNumberToObject(root, "budget_yuan", (double)o->budget_yuan);
  cJSON_AddNumberToObject(root, "rate_base", (double)(t->slight / t->area_total));
  cJSON_AddNumberToObject(root, "rate_reached", (double)((t->slight + t->gained) / t->area_total));
  cJSON_AddNumberToObject(root, "cost_yuan", (double)t->cost);
  cJSON_AddNumberToObject(root, "area_treated_km2", (double)t->gained);
  rates = cJSON_AddObjectToObject(root, "rate_reached_by_area");
  rate0 = cJSON_AddObjectToObject(root, "rate_base_by_area");
  for (PetscInt id = 0; id <= t->nreg; id++) {
    const PetscReal a = t->region_area[id] > 0 ? t->region_area[id] : 1;

    cJSON_AddNumberToObject(rate0, AreaName(g, id), (double)(t->region_slight[id] / a));
    cJSON_AddNumberToObject(rates, AreaName(g, id), (double)((t->region_slight[id] + t->sums[2 * t->ndefs * (t->nreg + 1) + id]) / a));
  }
  ms = cJSON_AddArrayToObject(root, "measures");
  for (PetscInt d = 0; d < t->ndefs; d++) {
    const PetscReal *s = &t->sums[2 * d * (t->nreg + 1)];
    const char      *name;
    cJSON           *it, *area, *cost;

    if (s[0] <= 0) continue;
    PetscCall(SbMeasuresLibraryGetName(m, d, &name, NULL));
    it = cJSON_CreateObject();
    cJSON_AddStringToObject(it, "measure", name);
    area = cJSON_AddObjectToObject(it, "area_km2");
    cost = cJSON_AddObjectToObject(it, "cost_yuan");
    for (PetscInt id = 0; id <= t->nreg; id++) {
      cJSON_AddNumberToObject(area, AreaName(g, id), (double)s[2 * id]);
      cJSON_AddNumberToObject(cost, AreaName(g, id), (double)s[2 * id + 1]);
    }
    cJSON_AddItemToArray(ms, it);
  }
  PetscCall(WriteJSON(root, path, err, nerr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The candidates: per untreated cell above the tolerance, the cheapest measure of the library that
   brings it below (ties: the first in the library). */
static PetscErrorCode Candidates(SbGrid *g, SbAssessment a, SbMeasures m, PetscInt ndefs, SbPlanCands *c)
{
  const PetscInt      n = g->xm * g->ym;
  Vec                 A, W, landuse, tan_slope, Wd, cost;
  const SbCsleTables *tab;
  PetscReal           tol, *best;
  const PetscScalar  *a0, *w0, *wd, *cy, *ar;

  PetscFunctionBeginUser;
  PetscCall(SbAssessmentGetMaps(a, &A, NULL, NULL, NULL, NULL, NULL, &W, &landuse));
  PetscCall(SbAssessmentGetCsle(a, &tan_slope, &tab, &tol));
  PetscCall(VecDuplicate(g->mask, &Wd));
  PetscCall(VecDuplicate(g->mask, &cost));
  PetscCall(PetscMalloc5(2 * n, &c->key, n, &c->gidx, n, &c->local, n, &c->def, 2 * n, &c->w));
  PetscCall(PetscMalloc1(3 * n, &best)); /* cost per km² brought below, cost per tonne avoided, cost */
  for (PetscInt k = 0; k < n; k++) {
    c->def[k] = -1;
    best[3 * k] = best[3 * k + 1] = PETSC_MAX_REAL;
  }
  PetscCall(VecGetArrayRead(A, &a0));
  PetscCall(VecGetArrayRead(W, &w0));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  for (PetscInt d = 0; d < ndefs; d++) {
    PetscBool on_land;

    PetscCall(SbMeasuresLibraryGetName(m, d, NULL, &on_land));
    if (!on_land) continue;
    PetscCall(SbMeasuresTry(m, d, tab, landuse, tan_slope, Wd, cost));
    PetscCall(VecGetArrayRead(Wd, &wd));
    PetscCall(VecGetArrayRead(cost, &cy));
    for (PetscInt k = 0; k < n; k++) {
      PetscReal A1, ratio, per_t;

      if (wd[k] < 0 || a0[k] < tol || w0[k] <= 0 || ar[k] <= 0) continue;
      A1 = a0[k] * (wd[k] / w0[k]); /* CSLE is linear in W (Liu, Zhang & Xie 2002) */
      if (A1 >= tol * (1 - SB_PLAN_MARGIN)) continue;
      ratio = cy[k] / (ar[k] * 1e-6);                /* yuan per km² brought below the tolerance */
      per_t = cy[k] / ((a0[k] - A1) * ar[k] * 1e-6); /* yuan per t/a of soil loss avoided */
      if (ratio < best[3 * k] || (ratio == best[3 * k] && per_t < best[3 * k + 1])) {
        best[3 * k]     = ratio;
        best[3 * k + 1] = per_t;
        best[3 * k + 2] = cy[k];
        c->def[k]       = d;
      }
    }
    PetscCall(VecRestoreArrayRead(cost, &cy));
    PetscCall(VecRestoreArrayRead(Wd, &wd));
  }
  c->n = 0;
  for (PetscInt k = 0; k < n; k++) {
    if (c->def[k] < 0) continue;
    for (PetscInt j = 0; j < 2; j++) {
      const double r = (double)best[3 * k + j];

      memcpy(&c->key[2 * c->n + j], &r, sizeof(r)); /* r >= 0: its bits order as r does */
    }
    c->gidx[c->n]      = (g->ys + k / g->xm) * g->nx + g->xs + k % g->xm;
    c->local[c->n]     = k;
    c->def[c->n]       = c->def[k];
    c->w[2 * c->n]     = ar[k] * 1e-6;
    c->w[2 * c->n + 1] = best[3 * k + 2];
    c->n++;
  }
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(W, &w0));
  PetscCall(VecRestoreArrayRead(A, &a0));
  PetscCall(PetscFree(best));
  PetscCall(VecDestroy(&Wd));
  PetscCall(VecDestroy(&cost));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  SbScenario  *sc;
  SbGrid      *grid;
  SbAssessment a;
  SbMeasures   m;
  SbPlanCands  c;
  SbPlanTotals t;
  Vec          mask;
} SbPlanCtx;

static PetscErrorCode PlanInner(MPI_Comm comm, const SbPlanOptions *o, SbPlanCtx *x, int *status)
{
  const char   *out = o->output ? o->output : "plan.json";
  char          dir[PETSC_MAX_PATH_LEN], stem[PETSC_MAX_PATH_LEN], path[2 * PETSC_MAX_PATH_LEN + 128], report[2 * PETSC_MAX_PATH_LEN + 128], err[2 * PETSC_MAX_PATH_LEN + 512] = "";
  const char   *state;
  PetscMPIInt   rank;
  PetscInt      nsel = 0, ndefs, nreg;
  PetscBool     found, *sel;
  SbPlanPos     pos, all;
  PetscReal     need, tot[2];
  SbExactSum   *s;
  SbPlanTotals *t = &x->t;
  SbAssessmentStats st;

  PetscFunctionBeginUser;
  *status = SB_PLAN_MET;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCheck(o->target > 0 && o->target <= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: --target: expected a conservation rate in (0, 1], got %g", (double)o->target);
  PetscCheck(o->year >= 1 && o->year <= 2100, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: --year: expected a year in 1..2100, got %" PetscInt_FMT, o->year);
  SplitPath(out, dir, sizeof(dir), stem, sizeof(stem));
  {
    const size_t len = strlen(out);
    int          ok  = 1;

    PetscCheck(len > 5 && !strcmp(out + len - 5, ".json") && stem[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: -o: expected a file name ending in .json, got \"%s\"", out);
    if (rank == 0) ok = access(dir, W_OK) == 0;
    PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm));
    PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: -o: cannot write in the directory \"%s\" of %s", dir, out);
  }
  PetscCall(SbScenarioLoad(comm, o->base, &x->sc));
  PetscCheck(x->sc->mode == SB_MODE_ASSESSMENT || x->sc->assessment_present, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: mode: a plan needs the assessment, expected \"mode\": \"assessment\" or an \"assessment\" object", o->base);
  x->sc->measures_year = o->year; /* the base's measures as they stand in the plan's year */
  PetscCall(SbGridCreate(comm, o->mesh ? o->mesh : x->sc->mesh_path, &x->grid));
  PetscCall(SbAssessmentCreate(x->grid, x->sc, &x->a));
  PetscCall(SbMeasuresCreate(x->grid, x->sc, &x->m));
  PetscCall(SbMeasuresReadLibrary(x->m, x->sc));
  PetscCall(SbAssessmentApplyMeasures(x->a, x->m));
  PetscCall(SbAssessmentRun(x->a));

  /* the base: land area and area below the tolerance, per area */
  nreg = x->grid->nregions;
  PetscCall(SbMeasuresLibraryGetCount(x->m, &ndefs));
  t->ndefs = ndefs;
  t->nreg  = nreg;
  PetscCall(PetscCalloc3(2 * ndefs * (nreg + 1) + nreg + 1, &t->sums, nreg + 1, &t->region_area, nreg + 1, &t->region_slight));
  for (PetscInt id = 0; id <= nreg; id++) {
    PetscCall(SbAssessmentGetStats(x->a, id, &st));
    t->region_area[id]   = st.area_km2;
    t->region_slight[id] = st.area_class_km2[0];
  }
  t->area_total = t->region_area[0];
  t->slight     = t->region_slight[0];
  PetscCheck(t->area_total > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "plan: %s: the basin has no land area", x->grid->path);

  PetscCall(Candidates(x->grid, x->a, x->m, ndefs, &x->c));
  all.k[0] = all.k[1] = UINT64_MAX;
  all.g = x->grid->nx * x->grid->ny;
  PetscCall(SumBefore(comm, &x->c, &all, tot));
  t->candidates_area = tot[0];
  t->candidates_cost = tot[1];
  /* area to bring below the tolerance */
  need = (o->target - SB_PLAN_RATE_TOL) * t->area_total - t->slight;
  PetscCall(PetscCalloc1(PetscMax(x->c.n, 1), &sel));
  if (need > 0) {
    PetscCall(FirstPosition(comm, &x->c, 0, need, PETSC_FALSE, all.g, &pos, &found));
    if (!found) {
      *status = SB_PLAN_UNREACHABLE;
      PetscCall(PetscFPrintf(comm, stderr, "shuibao: plan: target %.4g unreachable: the base's rate is %.4f; every measure of the library on every cell it can bring below the tolerance gives %.4f at %.6g yuan; no plan written\n", (double)o->target, (double)(t->slight / t->area_total), (double)((t->slight + t->candidates_area) / t->area_total), (double)t->candidates_cost));
      PetscCall(PetscFree(sel));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
    PetscCall(SumBefore(comm, &x->c, &pos, tot));
    if (o->budget_yuan >= 0 && tot[1] > o->budget_yuan) {
      /* the budget runs out first: everything strictly before the first position exceeding it */
      *status = SB_PLAN_BUDGET;
      PetscCall(FirstPosition(comm, &x->c, 1, o->budget_yuan, PETSC_TRUE, all.g, &pos, &found));
      pos.g--; /* strictly before: the order is (key[0], key[1], index), so index − 1 within the same keys */
    }
    for (PetscInt q = 0; q < x->c.n; q++) sel[q] = AtOrBefore(&x->c, q, &pos);
  }
  /* area and cost per measure and area, gains per area; the masks */
  PetscCall(PetscCalloc1(2 * ndefs * (nreg + 1) + nreg + 1, &s));
  {
    const PetscScalar *rg;

    PetscCall(VecGetArrayRead(x->grid->region, &rg));
    for (PetscInt q = 0; q < x->c.n; q++) {
      const PetscInt r = (PetscInt)rg[x->c.local[q]], id = (r >= 1 && r <= nreg) ? r : 0;

      if (!sel[q]) continue;
      nsel++;
      for (PetscInt z = 0; z < (id ? 2 : 1); z++) {
        const PetscInt at = z ? id : 0;

        SbExactSumAdd(&s[2 * (x->c.def[q] * (nreg + 1) + at)], x->c.w[2 * q]);
        SbExactSumAdd(&s[2 * (x->c.def[q] * (nreg + 1) + at) + 1], x->c.w[2 * q + 1]);
        SbExactSumAdd(&s[2 * ndefs * (nreg + 1) + at], x->c.w[2 * q]);
      }
    }
    PetscCall(VecRestoreArrayRead(x->grid->region, &rg));
  }
  PetscCall(SbExactSumReduce(comm, 2 * ndefs * (nreg + 1) + nreg + 1, s, t->sums));
  PetscCall(PetscFree(s));
  for (PetscInt d = 0; d < ndefs; d++) t->cost += t->sums[2 * d * (nreg + 1) + 1];
  t->gained = t->sums[2 * ndefs * (nreg + 1)];
  state     = *status == SB_PLAN_BUDGET ? "budget_spent" : "met";

  PetscCall(VecDuplicate(x->grid->mask, &x->mask));
  for (PetscInt d = 0; d < ndefs; d++) {
    const char *name;

    if (t->sums[2 * d * (nreg + 1)] <= 0) continue;
    PetscCall(SbMeasuresLibraryGetName(x->m, d, &name, NULL));
    {
      PetscScalar *mk;

      PetscCall(VecSet(x->mask, 0));
      PetscCall(VecGetArray(x->mask, &mk));
      for (PetscInt q = 0; q < x->c.n; q++)
        if (sel[q] && x->c.def[q] == d) mk[x->c.local[q]] = 1;
      PetscCall(VecRestoreArray(x->mask, &mk));
    }
    snprintf(path, sizeof(path), "%s/%s.%.64s.asc", dir, stem, name);
    PetscCall(WriteMask(x->grid, x->mask, path, err, sizeof(err)));
  }
  PetscCall(PetscFree(sel));
  snprintf(report, sizeof(report), "%s/%s.report.json", dir, stem);
  if (rank == 0 && !err[0]) PetscCall(WritePlanJSON(o, x->sc, x->m, t, out, stem, state, err, sizeof(err)));
  if (rank == 0 && !err[0]) PetscCall(WriteReport(o, x->grid, x->m, t, report, out, state, err, sizeof(err)));
  PetscCallMPI(MPI_Bcast(err, (int)sizeof(err), MPI_CHAR, 0, comm));
  PetscCheck(!err[0], PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "plan: %s", err);

  /* the report on the terminal */
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nsel, 1, MPIU_INT, MPI_SUM, comm));
  PetscCall(PetscPrintf(comm, "plan %s from %s: target %.4g in %" PetscInt_FMT "%s\n", out, o->base, (double)o->target, o->year, need <= 0 ? " (met by the base already)" : ""));
  PetscCall(PetscPrintf(comm, "  rate %.4f -> %.4f, %.4g km2 brought below the tolerance on %" PetscInt_FMT " cells, cost %.6g yuan\n", (double)(t->slight / t->area_total), (double)((t->slight + t->gained) / t->area_total), (double)t->gained, nsel, (double)t->cost));
  for (PetscInt d = 0; d < ndefs; d++) {
    const PetscReal *sd = &t->sums[2 * d * (nreg + 1)];
    const char      *name;

    if (sd[0] <= 0) continue;
    PetscCall(SbMeasuresLibraryGetName(x->m, d, &name, NULL));
    PetscCall(PetscPrintf(comm, "  %-28s", name));
    for (PetscInt id = 0; id <= nreg; id++) PetscCall(PetscPrintf(comm, " %s %.4g km2 %.4g yuan;", AreaName(x->grid, id), (double)sd[2 * id], (double)sd[2 * id + 1]));
    PetscCall(PetscPrintf(comm, "\n"));
  }
  PetscCall(PetscPrintf(comm, "  report %s\n", report));
  if (*status == SB_PLAN_BUDGET) PetscCall(PetscFPrintf(comm, stderr, "shuibao: plan: WARNING: budget %.6g yuan spent before the target: rate %.4f < target %.4g (the target needs %.6g yuan); the plan within the budget was written\n", (double)o->budget_yuan, (double)((t->slight + t->gained) / t->area_total), (double)o->target, (double)tot[1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbPlan(MPI_Comm comm, const SbPlanOptions *o, int *status)
{
  SbPlanCtx      x;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(&x, sizeof(x)));
  ierr = PlanInner(comm, o, &x, status);
  /* everything is released on the error paths too */
  PetscCall(VecDestroy(&x.mask));
  PetscCall(PetscFree5(x.c.key, x.c.gidx, x.c.local, x.c.def, x.c.w));
  PetscCall(PetscFree3(x.t.sums, x.t.region_area, x.t.region_slight));
  PetscCall(SbMeasuresDestroy(&x.m));
  PetscCall(SbAssessmentDestroy(&x.a));
  PetscCall(SbGridDestroy(&x.grid));
  PetscCall(SbScenarioDestroy(&x.sc));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
