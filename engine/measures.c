/* Treatment measures (docs/measures.md): the library, the scenario's list, per-cell placement by
   priority with a collective bisection (no cell list is gathered on one rank), and the report.

   Parsing follows scenario.c: every rank parses the same bytes and records the first error in a
   message, the cJSON trees are freed, then all ranks raise the same one-line PETSC_ERR_USER_INPUT. */
#include "measures.h"
#include "exactsum.h"
#include "h5io.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SB_MEASURES_MAX_LIBRARY 64
#define SB_MEASURES_MAX_ITEMS   256
#define SB_MEASURES_MSG_LEN     1024

/* The effects a library entry may give; each is {"value", "unit", "citation"} (CSLE factors also
   "mode": "set" or "multiply"). */
typedef enum { SB_MEF_B, SB_MEF_E, SB_MEF_T, SB_MEF_MANNING, SB_MEF_KS, SB_MEF_INTERCEPTION, SB_MEF_TRAP, SB_MEF_STORAGE, SB_MEF_COST, SB_MEF_COUNT } SbMeasureEffect;

static const struct {
  const char *key, *unit;
  double      lo, hi;
  PetscBool   open_lo; /* (lo, hi] instead of [lo, hi] */
} SbEffects[SB_MEF_COUNT] = {
  {"csle_b", "1", 0, 1, PETSC_FALSE},
  {"csle_e", "1", 0, 1, PETSC_FALSE},
  {"csle_t", "1", 0, 1, PETSC_FALSE},
  {"manning_n_factor", "1", 0, 10, PETSC_TRUE},
  {"ks_factor", "1", 0, 10, PETSC_TRUE},
  {"interception_factor", "1", 0, 10, PETSC_TRUE},
  {"trap_efficiency", "1", 0, 1, PETSC_FALSE},
  {"storage_m3", "m3", 0, 1e8, PETSC_TRUE},
  {"cost", "", 0, 1e9, PETSC_FALSE}, /* unit: yuan/hm2 for area measures, yuan/dam for structures */
};

typedef enum { SB_MK_AREA = 0, SB_MK_STRUCTURE = 1, SB_MK_COMPOSITE = 2 } SbMeasureKind;
static const char *const SbMeasureKinds[] = {"area", "structure", "composite"};

typedef enum { SB_PRIO_SOIL_LOSS = 0, SB_PRIO_SLOPE = 1, SB_PRIO_CHANNEL = 2, SB_PRIO_SEDIMENT = 3 } SbPriority;
static const char *const SbPriorities[] = {"soil_loss", "slope", "channel", "sediment"};

typedef enum { SB_AMOUNT_AREA = 0, SB_AMOUNT_FRACTION = 1, SB_AMOUNT_DAMS = 2 } SbAmount;
static const char *const SbAmounts[] = {"area_km2", "fraction", "dams"};

/* Land-use names in /landuse order (1..7). */
static const char *const SbLandUseNames[SB_LU_COUNT] = {"none", "forest", "shrub_grass", "sloping_cropland", "terraced_cropland", "paddy", "urban", "water"};

typedef struct {
  char      name[SB_MAX_NAME];
  int       kind;
  PetscBool has[SB_MEF_COUNT];
  PetscReal value[SB_MEF_COUNT];
  PetscBool multiply[3];        /* CSLE B, E, T: multiply the cell's factor instead of replacing it */
  PetscInt  landuse;            /* eligible land uses, bit u set for class u; 0: any */
  PetscReal slope_deg[2];       /* eligible slope range (degrees) */
  PetscReal upstream_km2[2];    /* eligible upstream area */
  PetscInt  component[SB_LU_COUNT]; /* composite: library index of the measure on each land use, -1 none */
} SbMeasureDef;

typedef struct {
  char      name[SB_MAX_NAME];
  PetscInt  def; /* library index */
  PetscInt  year;
  PetscBool applied; /* year <= measures_year */
  PetscInt  regions; /* bit r set for region r; 0: all */
  PetscInt  landuse; /* 0: the library's */
  PetscBool has_slope, has_upstream;
  PetscReal slope_deg[2], upstream_km2[2];
  Vec       mask; /* or NULL */
  int       amount_kind, priority;
  PetscReal amount;
  /* results */
  PetscReal  requested;   /* km² or dams */
  PetscReal  eligible;    /* km² or dams */
  PetscReal  treated;     /* km² or dams */
  PetscReal  treated_km2; /* area of the treated cells */
  PetscBool  exhausted;
  PetscReal *area_km2, *cost_yuan, *avoided_t_a, *trapped_t_a; /* [nregions + 1], 0 = basin */
  PetscReal  storage_m3;
} SbMeasureItem;

struct _p_SbMeasures {
  SbGrid       *grid;
  char          library[PETSC_MAX_PATH_LEN];
  char          scenario[PETSC_MAX_PATH_LEN];
  PetscInt      year;
  PetscInt      ndefs, nitems;
  SbMeasureDef  defs[SB_MEASURES_MAX_LIBRARY];
  SbMeasureItem *items;
  PetscBool     has_target[2][17];
  PetscReal     target[2][17]; /* [year][region id], 0 = basin */
  Vec           item, W, trap, nf, ksf, icf; /* item: index + 1 of the measure on the cell, 0 none */
};

/* ------------------------------------------------------------------------------------------------
   Checking JSON: the first error wins
   ------------------------------------------------------------------------------------------------ */
typedef struct {
  char msg[SB_MEASURES_MSG_LEN];
} SbMCheck;

static PetscBool Fail(SbMCheck *ck, const char *file, const char *jpath, const char *fmt, ...) PETSC_ATTRIBUTE_FORMAT(4, 5);
static PetscBool Fail(SbMCheck *ck, const char *file, const char *jpath, const char *fmt, ...)
{
  va_list ap;
  size_t  n;

  if (ck->msg[0]) return PETSC_FALSE;
  n = (size_t)snprintf(ck->msg, sizeof(ck->msg), "%s: %s: ", file, jpath);
  if (n < sizeof(ck->msg)) {
    va_start(ap, fmt);
    vsnprintf(ck->msg + n, sizeof(ck->msg) - n, fmt, ap);
    va_end(ap);
  }
  return PETSC_FALSE;
}

static void Got(const cJSON *v, char *buf, size_t n)
{
  if (!v) snprintf(buf, n, "nothing");
  else if (cJSON_IsNumber(v)) snprintf(buf, n, "%.15g", v->valuedouble);
  else if (cJSON_IsString(v)) snprintf(buf, n, "\"%.60s\"", v->valuestring);
  else if (cJSON_IsArray(v)) snprintf(buf, n, "an array of %d", cJSON_GetArraySize(v));
  else if (cJSON_IsObject(v)) snprintf(buf, n, "an object");
  else if (cJSON_IsBool(v)) snprintf(buf, n, "%s", cJSON_IsTrue(v) ? "true" : "false");
  else snprintf(buf, n, "null");
}

/* buf = a.b (cut short if need be) */
static void Join(char *buf, size_t n, const char *a, const char *b)
{
  if (snprintf(buf, n, "%s.%s", a, b) >= (int)n) buf[n - 1] = 0;
}

static PetscBool IsComment(const char *key)
{
  return (PetscBool)(key && !strncmp(key, "//", 2));
}

/* Every member of obj is a comment or one of the '|'-separated names in known. */
static PetscBool CheckKeys(SbMCheck *ck, const char *file, const char *jpath, const cJSON *obj, const char *known)
{
  const cJSON *c;

  cJSON_ArrayForEach(c, obj)
  {
    const char *s = known;
    PetscBool   found = PETSC_FALSE;

    if (IsComment(c->string)) continue;
    while (*s && !found) {
      size_t w = strcspn(s, "|");

      if (strlen(c->string) == w && !strncmp(s, c->string, w)) found = PETSC_TRUE;
      s += w + (s[w] == '|');
    }
    if (!found) {
      char expected[512], *e = expected;

      for (s = known; *s && e < expected + sizeof(expected) - 8;) {
        size_t w = strcspn(s, "|");

        e += snprintf(e, (size_t)(expected + sizeof(expected) - e), "%s\"%.*s\"", s == known ? "" : ", ", (int)w, s);
        s += w + (s[w] == '|');
      }
      return Fail(ck, file, jpath, "unknown key \"%s\", expected one of %s", c->string, expected);
    }
  }
  return PETSC_TRUE;
}

static PetscBool GetNumber(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, double lo, double hi, PetscBool open_lo, const char *unit, PetscReal *x)
{
  char got[96];

  if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || (open_lo ? !(v->valuedouble > lo) : !(v->valuedouble >= lo)) || !(v->valuedouble <= hi)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected a number in %c%g, %g]%s%s, got %s", open_lo ? '(' : '[', lo, hi, unit[0] ? " " : "", unit, got);
  }
  *x = (PetscReal)v->valuedouble;
  return PETSC_TRUE;
}

/* [lo, hi] with min <= lo <= hi <= max */
static PetscBool GetRange(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, double min, double max, const char *unit, PetscReal r[2])
{
  char got[96];

  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) != 2 || !cJSON_IsNumber(cJSON_GetArrayItem(v, 0)) || !cJSON_IsNumber(cJSON_GetArrayItem(v, 1)) || !(cJSON_GetArrayItem(v, 0)->valuedouble >= min) || !(cJSON_GetArrayItem(v, 1)->valuedouble <= max) || !(cJSON_GetArrayItem(v, 0)->valuedouble <= cJSON_GetArrayItem(v, 1)->valuedouble)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected [min, max] in %s, %g <= min <= max <= %g, got %s", unit, min, max, got);
  }
  r[0] = (PetscReal)cJSON_GetArrayItem(v, 0)->valuedouble;
  r[1] = (PetscReal)cJSON_GetArrayItem(v, 1)->valuedouble;
  return PETSC_TRUE;
}

static PetscBool GetString(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, const char **s)
{
  char got[96];

  if (!cJSON_IsString(v) || !v->valuestring[0]) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected a non-empty string, got %s", got);
  }
  *s = v->valuestring;
  return PETSC_TRUE;
}

/* Index of s in names[0..n) or -1. */
static PetscInt Lookup(const char *s, const char *const *names, PetscInt n)
{
  for (PetscInt i = 0; i < n; i++)
    if (!strcmp(s, names[i])) return i;
  return -1;
}

static PetscBool GetEnum(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, const char *const *names, PetscInt n, PetscInt first, int *x)
{
  char     got[96], expected[256] = "";
  PetscInt i;

  if (cJSON_IsString(v) && (i = Lookup(v->valuestring, names, n)) >= first) {
    *x = (int)i;
    return PETSC_TRUE;
  }
  for (i = first; i < n; i++) {
    size_t l = strlen(expected);

    snprintf(expected + l, sizeof(expected) - l, "%s\"%s\"", i > first ? ", " : "", names[i]);
  }
  Got(v, got, sizeof(got));
  return Fail(ck, file, jpath, "expected one of %s, got %s", expected, got);
}

/* A list of land-use names as a bit set. */
static PetscBool GetLandUses(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, PetscInt *bits)
{
  const cJSON *e;
  int          i = 0;
  char         epath[256], got[96];

  *bits = 0;
  if (!cJSON_IsArray(v) || cJSON_GetArraySize(v) < 1) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected an array of land-use names (forest, shrub_grass, sloping_cropland, terraced_cropland, paddy, urban, water), got %s", got);
  }
  cJSON_ArrayForEach(e, v)
  {
    int u;

    snprintf(epath, sizeof(epath), "%s[%d]", jpath, i++);
    if (!GetEnum(ck, file, epath, e, SbLandUseNames, SB_LU_COUNT, 1, &u)) return PETSC_FALSE;
    *bits |= (PetscInt)1 << u;
  }
  return PETSC_TRUE;
}

/* ------------------------------------------------------------------------------------------------
   The library
   ------------------------------------------------------------------------------------------------ */
static PetscBool ParseEffect(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, PetscInt e, int kind, SbMeasureDef *d)
{
  char        path[512], got[96];
  const char *unit = NULL, *cite = NULL, *want = SbEffects[e].unit;
  const cJSON *m;

  if (e == SB_MEF_COST) want = kind == SB_MK_STRUCTURE ? "yuan/dam" : "yuan/hm2";
  if (!cJSON_IsObject(v)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected {\"value\": ..., \"unit\": \"%s\", \"citation\": \"...\"}, got %s", want, got);
  }
  if (!CheckKeys(ck, file, jpath, v, e <= SB_MEF_T ? "value|unit|citation|mode" : "value|unit|citation")) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "value");
  if (!cJSON_GetObjectItemCaseSensitive(v, "value")) return Fail(ck, file, path, "missing, expected a number");
  if (!GetNumber(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "value"), SbEffects[e].lo, SbEffects[e].hi, SbEffects[e].open_lo, "", &d->value[e])) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "unit");
  if (!GetString(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "unit"), &unit)) return PETSC_FALSE;
  if (strcmp(unit, want)) return Fail(ck, file, path, "expected \"%s\", got \"%s\"", want, unit);
  Join(path, sizeof(path), jpath, "citation");
  if (!cJSON_GetObjectItemCaseSensitive(v, "citation")) return Fail(ck, file, path, "missing, expected the source of the value");
  if (!GetString(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "citation"), &cite)) return PETSC_FALSE;
  if ((m = cJSON_GetObjectItemCaseSensitive(v, "mode"))) {
    static const char *const modes[] = {"set", "multiply"};
    int                      mode;

    Join(path, sizeof(path), jpath, "mode");
    if (!GetEnum(ck, file, path, m, modes, 2, 0, &mode)) return PETSC_FALSE;
    d->multiply[e] = mode == 1 ? PETSC_TRUE : PETSC_FALSE;
  }
  d->has[e] = PETSC_TRUE;
  return PETSC_TRUE;
}

static PetscBool ParseEligible(SbMCheck *ck, const char *file, const char *jpath, const cJSON *v, SbMeasureDef *d)
{
  char         path[512], got[96];
  const cJSON *x;
  const char  *cite;

  if (!cJSON_IsObject(v)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected an object, got %s", got);
  }
  if (!CheckKeys(ck, file, jpath, v, "landuse|slope_deg|upstream_km2|citation")) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "citation");
  if (!cJSON_GetObjectItemCaseSensitive(v, "citation")) return Fail(ck, file, path, "missing, expected the source of the eligibility rule");
  if (!GetString(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "citation"), &cite)) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "landuse");
  if ((x = cJSON_GetObjectItemCaseSensitive(v, "landuse")) && !GetLandUses(ck, file, path, x, &d->landuse)) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "slope_deg");
  if ((x = cJSON_GetObjectItemCaseSensitive(v, "slope_deg")) && !GetRange(ck, file, path, x, 0, 90, "degrees", d->slope_deg)) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "upstream_km2");
  if ((x = cJSON_GetObjectItemCaseSensitive(v, "upstream_km2")) && !GetRange(ck, file, path, x, 0, 1e7, "km2", d->upstream_km2)) return PETSC_FALSE;
  return PETSC_TRUE;
}

static PetscBool ParseDef(SbMCheck *ck, const char *file, const char *name, const cJSON *v, SbMeasureDef *d)
{
  char         jpath[256], path[512], got[96];
  const cJSON *x;
  int          kind;

  snprintf(jpath, sizeof(jpath), "measures.%s", name);
  if (!cJSON_IsObject(v)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected an object, got %s", got);
  }
  if (strlen(name) >= SB_MAX_NAME || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name) || !name[0]) return Fail(ck, file, jpath, "expected a name of 1 to %d characters a-z, 0-9, _", SB_MAX_NAME - 1);
  if (!CheckKeys(ck, file, jpath, v, "name_zh|description|kind|eligible|components|csle_b|csle_e|csle_t|manning_n_factor|ks_factor|interception_factor|trap_efficiency|storage_m3|cost")) return PETSC_FALSE;
  snprintf(d->name, sizeof(d->name), "%s", name);
  d->slope_deg[0] = 0, d->slope_deg[1] = 90;
  d->upstream_km2[0] = 0, d->upstream_km2[1] = 1e7;
  for (PetscInt u = 0; u < SB_LU_COUNT; u++) d->component[u] = -1;
  Join(path, sizeof(path), jpath, "kind");
  if (!GetEnum(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "kind"), SbMeasureKinds, 3, 0, &kind)) return PETSC_FALSE;
  d->kind = kind;
  for (PetscInt e = 0; e < SB_MEF_COUNT; e++) {
    snprintf(path, sizeof(path), "%s.%s", jpath, SbEffects[e].key);
    if ((x = cJSON_GetObjectItemCaseSensitive(v, SbEffects[e].key))) {
      if (kind == SB_MK_COMPOSITE) return Fail(ck, file, path, "expected no effects on a composite (its components have them)");
      if (kind == SB_MK_AREA && (e == SB_MEF_TRAP || e == SB_MEF_STORAGE)) return Fail(ck, file, path, "expected only on a structure (\"kind\": \"structure\")");
      if (!ParseEffect(ck, file, path, x, e, kind, d)) return PETSC_FALSE;
    }
  }
  if (kind != SB_MK_COMPOSITE && !d->has[SB_MEF_COST]) return Fail(ck, file, jpath, "missing \"cost\", expected a unit cost in %s", kind == SB_MK_STRUCTURE ? "yuan/dam" : "yuan/hm2");
  if (kind == SB_MK_STRUCTURE && (!d->has[SB_MEF_TRAP] || !d->has[SB_MEF_STORAGE])) return Fail(ck, file, jpath, "missing \"trap_efficiency\" or \"storage_m3\", expected both on a structure");
  Join(path, sizeof(path), jpath, "eligible");
  if ((x = cJSON_GetObjectItemCaseSensitive(v, "eligible")) && !ParseEligible(ck, file, path, x, d)) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "components");
  x = cJSON_GetObjectItemCaseSensitive(v, "components");
  if ((kind == SB_MK_COMPOSITE) != (x != NULL)) return Fail(ck, file, path, kind == SB_MK_COMPOSITE ? "missing, expected {\"<land use>\": \"<measure>\", ..., \"citation\": \"...\"}" : "expected only on a composite");
  return PETSC_TRUE;
}

/* Components refer to other entries: resolved after all entries are read. */
static PetscBool ParseComponents(SbMCheck *ck, const char *file, SbMeasures m, PetscInt i, const cJSON *v)
{
  char         jpath[512], path[600], got[96];
  const cJSON *c;
  const char  *cite;

  snprintf(jpath, sizeof(jpath), "measures.%s.components", m->defs[i].name);
  if (!cJSON_IsObject(v)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected an object, got %s", got);
  }
  Join(path, sizeof(path), jpath, "citation");
  if (!cJSON_GetObjectItemCaseSensitive(v, "citation")) return Fail(ck, file, path, "missing, expected the source of the composite");
  if (!GetString(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "citation"), &cite)) return PETSC_FALSE;
  cJSON_ArrayForEach(c, v)
  {
    PetscInt u, j;

    if (IsComment(c->string) || !strcmp(c->string, "citation")) continue;
    snprintf(path, sizeof(path), "%s.%s", jpath, c->string);
    u = Lookup(c->string, SbLandUseNames, SB_LU_COUNT);
    if (u < 1) return Fail(ck, file, path, "unknown land use, expected forest, shrub_grass, sloping_cropland, terraced_cropland, paddy, urban or water");
    for (j = 0; j < m->ndefs; j++)
      if (cJSON_IsString(c) && !strcmp(c->valuestring, m->defs[j].name)) break;
    if (j == m->ndefs || m->defs[j].kind != SB_MK_AREA) {
      Got(c, got, sizeof(got));
      return Fail(ck, file, path, "expected the name of an area measure of the library, got %s", got);
    }
    m->defs[i].component[u] = j;
    m->defs[i].landuse |= (PetscInt)1 << u;
  }
  if (!m->defs[i].landuse) return Fail(ck, file, jpath, "expected at least one land use with its measure");
  return PETSC_TRUE;
}

static PetscErrorCode ParseLibrary(SbMCheck *ck, SbMeasures m, const char *text)
{
  cJSON       *root = cJSON_Parse(text), *defs, *c;
  const char  *file = m->library;
  char         got[96];

  PetscFunctionBeginUser;
  if (!root) {
    Fail(ck, file, "(root)", "expected valid JSON (a syntax error near byte %ld)", (long)(cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - text : 0));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (!cJSON_IsObject(root)) Fail(ck, file, "(root)", "expected an object");
  else if (CheckKeys(ck, file, "(root)", root, "library_version|measures")) {
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "library_version");

    if (!cJSON_IsNumber(ver) || ver->valuedouble != 1) {
      Got(ver, got, sizeof(got));
      Fail(ck, file, "library_version", "expected 1, got %s", got);
    }
    defs = cJSON_GetObjectItemCaseSensitive(root, "measures");
    if (!ck->msg[0] && !cJSON_IsObject(defs)) {
      Got(defs, got, sizeof(got));
      Fail(ck, file, "measures", "expected an object of measures by name, got %s", got);
    }
    if (!ck->msg[0]) cJSON_ArrayForEach(c, defs)
      {
        if (IsComment(c->string)) continue;
        if (m->ndefs == SB_MEASURES_MAX_LIBRARY) {
          Fail(ck, file, "measures", "expected at most %d measures", SB_MEASURES_MAX_LIBRARY);
          break;
        }
        if (!ParseDef(ck, file, c->string, c, &m->defs[m->ndefs])) break;
        m->ndefs++;
      }
    if (!ck->msg[0]) cJSON_ArrayForEach(c, defs)
      {
        PetscInt i;

        if (IsComment(c->string)) continue;
        for (i = 0; i < m->ndefs; i++)
          if (!strcmp(m->defs[i].name, c->string)) break;
        if (m->defs[i].kind == SB_MK_COMPOSITE && !ParseComponents(ck, file, m, i, cJSON_GetObjectItemCaseSensitive(c, "components"))) break;
      }
  }
  cJSON_Delete(root);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   The scenario's measures and targets
   ------------------------------------------------------------------------------------------------ */
static PetscInt RegionId(const SbGrid *g, const char *name)
{
  for (PetscInt r = 0; r < g->nregions; r++)
    if (!strcmp(g->region_names[r], name)) return r + 1;
  return 0;
}

static void DirName(const char *path, char *dir, size_t n)
{
  const char *slash = strrchr(path, '/');

  if (!slash) snprintf(dir, n, "%s", ".");
  else snprintf(dir, n, "%.*s", (int)(slash - path), path);
}

static PetscBool ParseItem(SbMCheck *ck, SbMeasures m, const SbScenario *sc, PetscInt i, const cJSON *v, char *mask_path, size_t nmask)
{
  const char    *file = sc->measures_origin, *s = NULL;
  char           jpath[64], path[128], got[96];
  const cJSON   *x, *w, *a;
  SbMeasureItem *it = &m->items[i];
  int            e, na = 0;

  mask_path[0] = 0;
  snprintf(jpath, sizeof(jpath), "measures[%d]", (int)i);
  if (!cJSON_IsObject(v)) {
    Got(v, got, sizeof(got));
    return Fail(ck, file, jpath, "expected an object {name, measure, where, amount, priority, year}, got %s", got);
  }
  if (!CheckKeys(ck, file, jpath, v, "name|measure|year|where|amount|priority")) return PETSC_FALSE;
  Join(path, sizeof(path), jpath, "name");
  if (!GetString(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "name"), &s)) return PETSC_FALSE;
  if (strlen(s) >= SB_MAX_NAME || strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(s)) return Fail(ck, file, path, "expected 1 to %d characters a-z, 0-9, _, -, got \"%.60s\"", SB_MAX_NAME - 1, s);
  for (PetscInt j = 0; j < i; j++)
    if (!strcmp(m->items[j].name, s)) return Fail(ck, file, path, "expected a name not used before, got \"%s\" again (measures[%d])", s, (int)j);
  snprintf(it->name, sizeof(it->name), "%s", s);
  Join(path, sizeof(path), jpath, "measure");
  if (!GetString(ck, file, path, cJSON_GetObjectItemCaseSensitive(v, "measure"), &s)) return PETSC_FALSE;
  for (it->def = 0; it->def < m->ndefs; it->def++)
    if (!strcmp(m->defs[it->def].name, s)) break;
  if (it->def == m->ndefs) return Fail(ck, file, path, "expected a measure of the library %s, got \"%.60s\"", m->library, s);
  it->year = 0;
  Join(path, sizeof(path), jpath, "year");
  if ((x = cJSON_GetObjectItemCaseSensitive(v, "year"))) {
    PetscReal y;

    if (!GetNumber(ck, file, path, x, 1949, 2100, PETSC_FALSE, "", &y)) return PETSC_FALSE;
    if (y != PetscFloorReal(y)) return Fail(ck, file, path, "expected a whole year, got %g", (double)y);
    it->year = (PetscInt)y;
  }
  it->applied = (PetscBool)(m->year == 0 || it->year <= m->year);
  /* where */
  Join(path, sizeof(path), jpath, "where");
  if ((w = cJSON_GetObjectItemCaseSensitive(v, "where"))) {
    const cJSON *e2;
    char         epath[160];
    int          k = 0;

    if (!cJSON_IsObject(w)) {
      Got(w, got, sizeof(got));
      return Fail(ck, file, path, "expected an object, got %s", got);
    }
    if (!CheckKeys(ck, file, path, w, "regions|landuse|slope_deg|upstream_km2|mask")) return PETSC_FALSE;
    if ((x = cJSON_GetObjectItemCaseSensitive(w, "regions"))) {
      Join(epath, sizeof(epath), path, "regions");
      if (!cJSON_IsArray(x) || cJSON_GetArraySize(x) < 1) {
        Got(x, got, sizeof(got));
        return Fail(ck, file, epath, "expected an array of region names of the mesh, got %s", got);
      }
      cJSON_ArrayForEach(e2, x)
      {
        PetscInt r = cJSON_IsString(e2) ? RegionId(m->grid, e2->valuestring) : 0;

        snprintf(epath, sizeof(epath), "%s.regions[%d]", path, k++);
        if (!r) {
          char names[512] = "";

          for (PetscInt q = 0; q < m->grid->nregions; q++) {
            size_t l = strlen(names);
            snprintf(names + l, sizeof(names) - l, "%s\"%s\"", q ? ", " : "", m->grid->region_names[q]);
          }
          Got(e2, got, sizeof(got));
          return Fail(ck, file, epath, "expected a region of the mesh (%s), got %s", names, got);
        }
        it->regions |= (PetscInt)1 << r;
      }
    }
    Join(epath, sizeof(epath), path, "landuse");
    if ((x = cJSON_GetObjectItemCaseSensitive(w, "landuse")) && !GetLandUses(ck, file, epath, x, &it->landuse)) return PETSC_FALSE;
    Join(epath, sizeof(epath), path, "slope_deg");
    if ((x = cJSON_GetObjectItemCaseSensitive(w, "slope_deg"))) {
      if (!GetRange(ck, file, epath, x, 0, 90, "degrees", it->slope_deg)) return PETSC_FALSE;
      it->has_slope = PETSC_TRUE;
    }
    Join(epath, sizeof(epath), path, "upstream_km2");
    if ((x = cJSON_GetObjectItemCaseSensitive(w, "upstream_km2"))) {
      if (!GetRange(ck, file, epath, x, 0, 1e7, "km2", it->upstream_km2)) return PETSC_FALSE;
      it->has_upstream = PETSC_TRUE;
    }
    Join(epath, sizeof(epath), path, "mask");
    if ((x = cJSON_GetObjectItemCaseSensitive(w, "mask"))) {
      char dir[PETSC_MAX_PATH_LEN];

      if (!GetString(ck, file, epath, x, &s)) return PETSC_FALSE;
      DirName(file, dir, sizeof(dir));
      if (s[0] == '/') snprintf(mask_path, nmask, "%s", s);
      else if ((size_t)snprintf(mask_path, nmask, "%s/%s", dir, s) >= nmask) return Fail(ck, file, epath, "expected a shorter path");
      {
        FILE *fp = fopen(mask_path, "r");

        if (!fp) return Fail(ck, file, epath, "cannot read \"%s\" (an ESRI ASCII raster on the mesh's grid expected)", mask_path);
        fclose(fp);
      }
    }
  }
  /* amount */
  Join(path, sizeof(path), jpath, "amount");
  a = cJSON_GetObjectItemCaseSensitive(v, "amount");
  if (!cJSON_IsObject(a)) {
    Got(a, got, sizeof(got));
    return Fail(ck, file, path, "expected {\"area_km2\": ...} or {\"fraction\": ...}%s, got %s", m->defs[it->def].kind == SB_MK_STRUCTURE ? " or {\"dams\": ...}" : "", got);
  }
  if (!CheckKeys(ck, file, path, a, "area_km2|fraction|dams")) return PETSC_FALSE;
  for (e = 0; e < 3; e++) {
    char epath[160];

    if (!(x = cJSON_GetObjectItemCaseSensitive(a, SbAmounts[e]))) continue;
    na++;
    it->amount_kind = e;
    snprintf(epath, sizeof(epath), "%s.%s", path, SbAmounts[e]);
    if (e == SB_AMOUNT_AREA && !GetNumber(ck, file, epath, x, 0, 1e7, PETSC_TRUE, "km2", &it->amount)) return PETSC_FALSE;
    if (e == SB_AMOUNT_FRACTION && !GetNumber(ck, file, epath, x, 0, 1, PETSC_TRUE, "(of the eligible area)", &it->amount)) return PETSC_FALSE;
    if (e == SB_AMOUNT_DAMS) {
      if (m->defs[it->def].kind != SB_MK_STRUCTURE) return Fail(ck, file, epath, "expected area_km2 or fraction for the area measure \"%s\" (dams count structures)", m->defs[it->def].name);
      if (!GetNumber(ck, file, epath, x, 1, 1e7, PETSC_FALSE, "dams", &it->amount)) return PETSC_FALSE;
      if (it->amount != PetscFloorReal(it->amount)) return Fail(ck, file, epath, "expected a whole number of dams, got %g", (double)it->amount);
    }
    if (e == SB_AMOUNT_AREA && m->defs[it->def].kind == SB_MK_STRUCTURE) return Fail(ck, file, epath, "expected dams or fraction for the structure \"%s\"", m->defs[it->def].name);
  }
  if (na != 1) return Fail(ck, file, path, "expected exactly one of area_km2, fraction, dams, got %d", na);
  /* priority */
  it->priority = m->defs[it->def].kind == SB_MK_STRUCTURE ? SB_PRIO_SEDIMENT : SB_PRIO_SOIL_LOSS;
  Join(path, sizeof(path), jpath, "priority");
  if ((x = cJSON_GetObjectItemCaseSensitive(v, "priority")) && !GetEnum(ck, file, path, x, SbPriorities, 4, 0, &it->priority)) return PETSC_FALSE;
  return PETSC_TRUE;
}

static PetscErrorCode ParseTargets(SbMCheck *ck, SbMeasures m, const SbScenario *sc)
{
  cJSON       *root = cJSON_Parse(sc->targets_json), *y;
  const char  *file = sc->targets_origin;
  static const char *const years[2] = {"2025", "2035"};

  PetscFunctionBeginUser;
  PetscCheck(root, PETSC_COMM_SELF, PETSC_ERR_PLIB, "targets: the scenario's text does not parse");
  if (CheckKeys(ck, file, "targets", root, "2025|2035"))
    for (PetscInt q = 0; q < 2 && !ck->msg[0]; q++) {
      const cJSON *c;
      char         path[128], got[96];

      if (!(y = cJSON_GetObjectItemCaseSensitive(root, years[q]))) continue;
      snprintf(path, sizeof(path), "targets.%s", years[q]);
      if (!cJSON_IsObject(y)) {
        Got(y, got, sizeof(got));
        Fail(ck, file, path, "expected {\"basin\": rate, \"<region>\": rate, ...}, got %s", got);
        break;
      }
      cJSON_ArrayForEach(c, y)
      {
        PetscInt  id;
        char      cpath[256];
        PetscReal v;

        if (IsComment(c->string)) continue;
        snprintf(cpath, sizeof(cpath), "%s.%s", path, c->string);
        id = strcmp(c->string, "basin") ? RegionId(m->grid, c->string) : 0;
        if (strcmp(c->string, "basin") && !id) {
          Fail(ck, file, cpath, "unknown area, expected \"basin\" or a region of the mesh");
          break;
        }
        if (!GetNumber(ck, file, cpath, c, 0, 1, PETSC_FALSE, "(conservation rate, fraction)", &v)) break;
        m->has_target[q][id] = PETSC_TRUE;
        m->target[q][id]     = v;
      }
    }
  cJSON_Delete(root);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The library: the scenario's measures_library, else measures.json beside the scenario file, else
   the repository's scenarios/measures.json. */
static PetscErrorCode FindLibrary(const SbScenario *sc, char *path, size_t n)
{
  char dir[PETSC_MAX_PATH_LEN];
  FILE *fp;

  PetscFunctionBeginUser;
  if (sc->measures_library[0]) {
    PetscCall(PetscStrncpy(path, sc->measures_library, n));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  DirName(sc->path, dir, sizeof(dir));
  if (snprintf(path, n, "%s/measures.json", dir) >= (int)n) path[0] = 0;
  if ((fp = fopen(path, "r"))) fclose(fp);
  else snprintf(path, n, "%s", SB_SCENARIOS_DIR "/measures.json");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 finds and reads the library, every rank parses it. */
static PetscErrorCode ReadLibrary(SbMCheck *ck, SbMeasures m, const SbScenario *sc)
{
  PetscMPIInt rank;
  char       *bytes = NULL, reason[256] = "";
  size_t      len;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(m->grid->comm, &rank));
  if (rank == 0) PetscCall(FindLibrary(sc, m->library, sizeof(m->library)));
  PetscCallMPI(MPI_Bcast(m->library, (int)sizeof(m->library), MPI_CHAR, 0, m->grid->comm));
  PetscCall(SbScenarioReadFile(m->grid->comm, m->library, &bytes, &len, reason, sizeof(reason)));
  if (reason[0]) Fail(ck, sc->measures_library[0] ? sc->path : (sc->measures_json ? sc->measures_origin : sc->path), sc->measures_library[0] ? "measures_library" : "measures", "cannot read the measures library \"%s\": %s", m->library, reason);
  else PetscCall(ParseLibrary(ck, m, bytes));
  PetscCall(PetscFree(bytes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresReadLibrary(SbMeasures m, const SbScenario *sc)
{
  SbMCheck ck = {{0}};

  PetscFunctionBeginUser;
  if (m->ndefs > 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(ReadLibrary(&ck, m, sc));
  PetscCheck(!ck.msg[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", ck.msg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresCreate(SbGrid *g, const SbScenario *sc, SbMeasures *out)
{
  SbMeasures m;
  SbMCheck   ck = {{0}};
  char     (*masks)[PETSC_MAX_PATH_LEN] = NULL;

  PetscFunctionBeginUser;
  *out = NULL;
  PetscCall(PetscNew(&m));
  m->grid = g;
  m->year = sc->measures_year;
  PetscCall(PetscStrncpy(m->scenario, sc->path, sizeof(m->scenario)));
  if (sc->targets_json) PetscCall(ParseTargets(&ck, m, sc));
  if (!ck.msg[0] && sc->measures_json) PetscCall(ReadLibrary(&ck, m, sc));
  if (!ck.msg[0] && sc->measures_json) {
    cJSON       *list = cJSON_Parse(sc->measures_json);
    const cJSON *c;

    PetscCheck(list, PETSC_COMM_SELF, PETSC_ERR_PLIB, "measures: the scenario's text does not parse");
    m->nitems = cJSON_GetArraySize(list);
    if (m->nitems > SB_MEASURES_MAX_ITEMS) Fail(&ck, sc->measures_origin, "measures", "expected at most %d measures, got %d", SB_MEASURES_MAX_ITEMS, (int)m->nitems);
    else {
      PetscInt i = 0;

      PetscCall(PetscCalloc1(PetscMax(m->nitems, 1), &m->items));
      PetscCall(PetscCalloc1(PetscMax(m->nitems, 1), &masks));
      cJSON_ArrayForEach(c, list)
      {
        if (!ParseItem(&ck, m, sc, i, c, masks[i], sizeof(masks[i]))) break;
        i++;
      }
    }
    cJSON_Delete(list);
  }
  if (!ck.msg[0] && m->nitems > 0 && g->nregions > 16) Fail(&ck, g->path, "region", "expected at most 16 regions with measures, got %d", (int)g->nregions);
  if (ck.msg[0]) {
    PetscCall(PetscFree(masks));
    PetscCall(SbMeasuresDestroy(&m));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", ck.msg);
  }
  for (PetscInt i = 0; i < m->nitems; i++) {
    SbMeasureItem *it = &m->items[i];

    PetscCall(PetscCalloc4(g->nregions + 1, &it->area_km2, g->nregions + 1, &it->cost_yuan, g->nregions + 1, &it->avoided_t_a, g->nregions + 1, &it->trapped_t_a));
    if (masks[i][0]) {
      char field[64];
      PetscErrorCode ierr;

      snprintf(field, sizeof(field), "measures[%d].where.mask", (int)i);
      ierr = SbGridReadRaster(g, masks[i], field, 0, 1, &it->mask);
      if (ierr) {
        PetscCall(PetscFree(masks));
        PetscCall(SbMeasuresDestroy(&m));
      }
      PetscCall(ierr);
    }
  }
  PetscCall(PetscFree(masks));
  *out = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresGetCount(SbMeasures m, PetscInt *n)
{
  PetscFunctionBeginUser;
  *n = m ? m->nitems : 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresGetTargets(SbMeasures m, PetscInt id, const PetscReal def[2], PetscReal target[2])
{
  PetscFunctionBeginUser;
  for (PetscInt q = 0; q < 2; q++) target[q] = (m && id >= 0 && id <= 16 && m->has_target[q][id]) ? m->target[q][id] : def[q];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Selection: the cells of a measure ordered by priority (larger key first, ties by the smaller
   global index), the longest prefix whose last cell's middle lies within the request. The boundary
   is found by bisection on the key's bits, then on the global index, each step one exact sum over
   the ranks (exactsum.h), so the cells chosen do not depend on the rank count.
   ------------------------------------------------------------------------------------------------ */

/* An unsigned integer that orders as the real x does. */
static uint64_t OrderKey(PetscReal x)
{
  double   d = x == 0 ? 0.0 : (double)x;
  uint64_t u;

  memcpy(&u, &d, sizeof(u));
  return (u >> 63) ? ~u : (u | ((uint64_t)1 << 63));
}

typedef struct {
  PetscInt  n;
  uint64_t *key;
  PetscInt *gidx, *local;
  PetscReal *w;
} SbCandidates;

/* Exact total weight of the candidates with key > kb, or key == kb and gidx <= gb (gb < 0: none of
   key kb); with strict, key >= kb only (gb ignored). */
static PetscErrorCode WeightAbove(MPI_Comm comm, const SbCandidates *c, uint64_t kb, PetscBool strict, PetscInt gb, PetscReal *total)
{
  SbExactSum s = {0, 0};

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < c->n; k++)
    if (strict ? c->key[k] >= kb : (c->key[k] > kb || (c->key[k] == kb && c->gidx[k] <= gb))) SbExactSumAdd(&s, c->w[k]);
  PetscCall(SbExactSumReduce(comm, 1, &s, total));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* sel[k] = 1 for the chosen candidates; *taken = their total weight. */
static PetscErrorCode Choose(MPI_Comm comm, const SbCandidates *c, PetscReal request, PetscInt nglobal, PetscReal *eligible, PetscReal *taken, PetscBool *exhausted, PetscBool *sel)
{
  PetscReal total, W, before, wb = 0, wmax = 0;
  uint64_t  lo = 0, hi = UINT64_MAX, kb;
  PetscInt  glo = -1, ghi = nglobal - 1, gb;

  PetscFunctionBeginUser;
  PetscCall(WeightAbove(comm, c, 0, PETSC_TRUE, 0, &total));
  *eligible  = total;
  *exhausted = PETSC_FALSE;
  for (PetscInt k = 0; k < c->n; k++) wmax = PetscMax(wmax, c->w[k]);
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &wmax, 1, MPIU_REAL, MPI_MAX, comm));
  if (total <= request) {
    for (PetscInt k = 0; k < c->n; k++) sel[k] = PETSC_TRUE;
    *taken = total;
    /* short of the request by more than half a cell: the eligible cells ran out */
    *exhausted = (PetscBool)(request - total > 0.5 * wmax);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  /* the largest key kb with W(key >= kb) >= request */
  PetscCall(WeightAbove(comm, c, hi, PETSC_TRUE, 0, &W));
  if (W >= request) lo = hi;
  else
    while (hi - lo > 1) {
      const uint64_t mid = lo + (hi - lo) / 2;

      PetscCall(WeightAbove(comm, c, mid, PETSC_TRUE, 0, &W));
      if (W >= request) lo = mid;
      else hi = mid;
    }
  kb = lo;
  /* within key kb, the smallest global index gb with W(before or at gb) >= request */
  while (ghi - glo > 1) {
    const PetscInt mid = glo + (ghi - glo) / 2;

    PetscCall(WeightAbove(comm, c, kb, PETSC_FALSE, mid, &W));
    if (W >= request) ghi = mid;
    else glo = mid;
  }
  gb = ghi;
  PetscCall(WeightAbove(comm, c, kb, PETSC_FALSE, gb - 1, &before));
  for (PetscInt k = 0; k < c->n; k++)
    if (c->key[k] == kb && c->gidx[k] == gb) wb = c->w[k];
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &wb, 1, MPIU_REAL, MPI_MAX, comm));
  /* the boundary cell is taken if its middle lies within the request: |taken - request| <= wb/2 */
  if (before + 0.5 * wb <= request) {
    gb++;
    *taken = before + wb;
  } else *taken = before;
  for (PetscInt k = 0; k < c->n; k++) sel[k] = (PetscBool)(c->key[k] > kb || (c->key[k] == kb && c->gidx[k] < gb));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The measure of the library that acts on a cell of land use u: the item's own, or a composite's
   component; -1 if none. */
static PetscInt DefOnCell(const SbMeasures m, const SbMeasureItem *it, PetscInt u)
{
  const SbMeasureDef *d = &m->defs[it->def];

  if (d->kind == SB_MK_COMPOSITE) return (u >= 0 && u < SB_LU_COUNT) ? d->component[u] : -1;
  return it->def;
}

/* W = B·E·T of a cell of land use u with measure e placed on it. */
static PetscReal TreatedW(const SbMeasureDef *e, const SbCsleTables *tab, PetscInt u)
{
  PetscReal f[3] = {tab->b[u], tab->e[u], tab->t[u]};

  for (PetscInt j = 0; j < 3; j++)
    if (e->has[j]) f[j] = e->multiply[j] ? f[j] * e->value[j] : (j == SB_MEF_B ? PetscMin(f[j], e->value[j]) : e->value[j]); /* B never rises: a measure does not strip cover */
  return f[0] * f[1] * f[2];
}

/* The cell of land use u, slope deg and upstream area upkm2 is eligible for library measure d by
   the library's own rules (water never). */
static PetscBool LibraryEligible(const SbMeasures m, PetscInt d, PetscInt u, PetscReal deg, PetscReal upkm2)
{
  const SbMeasureDef *def = &m->defs[d];

  if (u < 1 || u >= SB_LU_COUNT || u == SB_LU_WATER) return PETSC_FALSE;
  if (def->landuse && !(def->landuse & ((PetscInt)1 << u))) return PETSC_FALSE;
  if (deg < def->slope_deg[0] || deg > def->slope_deg[1] || upkm2 < def->upstream_km2[0] || upkm2 > def->upstream_km2[1]) return PETSC_FALSE;
  if (def->kind == SB_MK_COMPOSITE && def->component[u] < 0) return PETSC_FALSE;
  return PETSC_TRUE;
}

PetscErrorCode SbMeasuresLibraryGetCount(SbMeasures m, PetscInt *n)
{
  PetscFunctionBeginUser;
  *n = m->ndefs;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresLibraryGetName(SbMeasures m, PetscInt d, const char **name, PetscBool *on_land)
{
  PetscFunctionBeginUser;
  PetscCheck(d >= 0 && d < m->ndefs, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "library measure %" PetscInt_FMT " not in 0..%" PetscInt_FMT, d, m->ndefs - 1);
  if (name) *name = m->defs[d].name;
  if (on_land) *on_land = (PetscBool)(m->defs[d].kind != SB_MK_STRUCTURE);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresTry(SbMeasures m, PetscInt d, const SbCsleTables *tab, Vec landuse, Vec tan_slope, Vec W, Vec cost_yuan)
{
  SbGrid            *g = m->grid;
  const PetscInt     n = g->xm * g->ym;
  const PetscScalar *mk, *lu, *ts, *acc, *ar, *item = NULL;
  PetscScalar       *w, *cy;

  PetscFunctionBeginUser;
  PetscCheck(d >= 0 && d < m->ndefs, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "library measure %" PetscInt_FMT " not in 0..%" PetscInt_FMT, d, m->ndefs - 1);
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(landuse, &lu));
  PetscCall(VecGetArrayRead(tan_slope, &ts));
  PetscCall(VecGetArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  if (m->item) PetscCall(VecGetArrayRead(m->item, &item));
  PetscCall(VecGetArray(W, &w));
  PetscCall(VecGetArray(cost_yuan, &cy));
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt  u   = (PetscInt)lu[k];
    const PetscReal deg = PetscAtanReal(ts[k]) * 180.0 / PETSC_PI, upkm2 = acc[k] / 1e6;

    w[k] = cy[k] = -1;
    if (mk[k] == 0 || (item && item[k] != 0) || m->defs[d].kind == SB_MK_STRUCTURE || !LibraryEligible(m, d, u, deg, upkm2)) continue;
    {
      const SbMeasureDef *e = &m->defs[m->defs[d].kind == SB_MK_COMPOSITE ? m->defs[d].component[u] : d];

      w[k]  = TreatedW(e, tab, u);
      cy[k] = e->value[SB_MEF_COST] * ar[k] * 1e-4; /* yuan/hm² × hm² */
    }
  }
  PetscCall(VecRestoreArray(cost_yuan, &cy));
  PetscCall(VecRestoreArray(W, &w));
  if (m->item) PetscCall(VecRestoreArrayRead(m->item, &item));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecRestoreArrayRead(tan_slope, &ts));
  PetscCall(VecRestoreArrayRead(landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresSelect(SbMeasures m, SbD8 d8, const SbCsleTables *tab, Vec landuse, Vec tan_slope, Vec A0, Vec passing0)
{
  SbGrid            *g = m->grid;
  const PetscInt     n = g->xm * g->ym;
  const PetscScalar *mk, *lu, *ts, *a0, *ps, *rg, *ar, *acc, *dist, *msk;
  PetscScalar       *item, *W, *trap, *nf, *ksf, *icf;
  Vec                dist_v, wlen, pass;
  SbCandidates       c;
  PetscBool         *sel;

  PetscFunctionBeginUser;
  PetscCall(VecDuplicate(g->mask, &m->item));
  PetscCall(PetscObjectSetName((PetscObject)m->item, "measure"));
  PetscCall(VecDuplicate(g->mask, &m->W));
  PetscCall(VecDuplicate(g->mask, &m->trap));
  PetscCall(VecDuplicate(g->mask, &m->nf));
  PetscCall(VecDuplicate(g->mask, &m->ksf));
  PetscCall(VecDuplicate(g->mask, &m->icf));
  PetscCall(VecSet(m->item, 0));
  PetscCall(VecSet(m->trap, 0));
  PetscCall(VecSet(m->nf, 1));
  PetscCall(VecSet(m->ksf, 1));
  PetscCall(VecSet(m->icf, 1));
  /* Distance to the channel along the flow path (m): d = w + pass d_receiver, with w the link length
     and pass 1 off channels, both 0 on channel cells. */
  PetscCall(VecDuplicate(g->mask, &dist_v));
  PetscCall(VecDuplicate(g->mask, &pass));
  PetscCall(SbD8GetFlowLength(d8, &wlen));
  {
    Vec w;

    PetscCall(VecDuplicate(g->mask, &w));
    PetscCall(VecCopy(wlen, w));
    PetscCall(VecSet(pass, 1));
    PetscCall(VecAXPY(pass, -1, g->channel));
    PetscCall(VecPointwiseMult(w, w, pass));
    PetscCall(SbD8Downstream(d8, w, pass, dist_v));
    PetscCall(VecDestroy(&w));
  }
  /* W before the measures */
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(landuse, &lu));
  PetscCall(VecGetArray(m->W, &W));
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt u = (PetscInt)lu[k];

    W[k] = (mk[k] != 0 && u >= 0 && u < SB_LU_COUNT) ? tab->b[u] * tab->e[u] * tab->t[u] : 0.0;
  }
  PetscCall(PetscMalloc5(n, &c.key, n, &c.gidx, n, &c.local, n, &c.w, n, &sel));
  PetscCall(VecGetArrayRead(tan_slope, &ts));
  PetscCall(VecGetArrayRead(A0, &a0));
  PetscCall(VecGetArrayRead(passing0, &ps));
  PetscCall(VecGetArrayRead(g->region, &rg));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  PetscCall(VecGetArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecGetArrayRead(dist_v, &dist));
  PetscCall(VecGetArray(m->item, &item));
  PetscCall(VecGetArray(m->trap, &trap));
  PetscCall(VecGetArray(m->nf, &nf));
  PetscCall(VecGetArray(m->ksf, &ksf));
  PetscCall(VecGetArray(m->icf, &icf));
  for (PetscInt i = 0; i < m->nitems; i++) {
    SbMeasureItem      *it = &m->items[i];
    const SbMeasureDef *d  = &m->defs[it->def];
    const PetscBool     dams = (PetscBool)(it->amount_kind == SB_AMOUNT_DAMS || d->kind == SB_MK_STRUCTURE);
    const PetscInt      landuse_bits = it->landuse ? it->landuse : d->landuse;
    const PetscReal    *slope = it->has_slope ? it->slope_deg : d->slope_deg, *up = it->has_upstream ? it->upstream_km2 : d->upstream_km2;
    PetscReal           request, taken = 0;
    SbExactSum          s[4 * 17];
    PetscReal           sums[4 * 17];

    if (!it->applied) continue;
    msk = NULL;
    if (it->mask) PetscCall(VecGetArrayRead(it->mask, &msk));
    c.n = 0;
    for (PetscInt k = 0; k < n; k++) {
      const PetscInt  u = (PetscInt)lu[k], r = (PetscInt)rg[k];
      const PetscReal deg = PetscAtanReal(ts[k]) * 180.0 / PETSC_PI, upkm2 = acc[k] / 1e6;
      PetscReal       v = 0;

      if (mk[k] == 0 || item[k] != 0 || u < 1 || u >= SB_LU_COUNT || u == SB_LU_WATER) continue;
      if (landuse_bits && !(landuse_bits & ((PetscInt)1 << u))) continue;
      if (it->regions && !(r >= 1 && r <= 16 && (it->regions & ((PetscInt)1 << r)))) continue;
      if (deg < slope[0] || deg > slope[1] || upkm2 < up[0] || upkm2 > up[1]) continue;
      if (msk && msk[k] == 0) continue;
      if (DefOnCell(m, it, u) < 0) continue;
      switch (it->priority) {
      case SB_PRIO_SOIL_LOSS: v = a0[k]; break;
      case SB_PRIO_SLOPE: v = ts[k]; break;
      case SB_PRIO_CHANNEL: v = -dist[k]; break;
      case SB_PRIO_SEDIMENT: v = ps[k]; break;
      }
      c.key[c.n]   = OrderKey(v);
      c.gidx[c.n]  = (g->ys + k / g->xm) * g->nx + g->xs + k % g->xm;
      c.local[c.n] = k;
      c.w[c.n]     = dams ? 1.0 : ar[k] * 1e-6;
      c.n++;
    }
    if (msk) PetscCall(VecRestoreArrayRead(it->mask, &msk));
    if (it->amount_kind == SB_AMOUNT_FRACTION) {
      PetscReal total;

      PetscCall(WeightAbove(g->comm, &c, 0, PETSC_TRUE, 0, &total));
      request = it->amount * total;
    } else request = it->amount;
    it->requested = request;
    PetscCall(Choose(g->comm, &c, request, g->nx * g->ny, &it->eligible, &taken, &it->exhausted, sel));
    it->treated = taken;
    /* apply the effects; area and cost per region */
    PetscCall(PetscMemzero(s, sizeof(s)));
    for (PetscInt q = 0; q < c.n; q++) {
      const PetscInt      k = c.local[q], u = (PetscInt)lu[k], r = (PetscInt)rg[k], id = (r >= 1 && r <= g->nregions) ? r : 0;
      const SbMeasureDef *e = &m->defs[DefOnCell(m, it, u)];
      PetscReal           cost;

      if (!sel[q]) continue;
      item[k] = (PetscReal)(i + 1);
      W[k]    = TreatedW(e, tab, u);
      if (e->has[SB_MEF_MANNING]) nf[k] = e->value[SB_MEF_MANNING];
      if (e->has[SB_MEF_KS]) ksf[k] = e->value[SB_MEF_KS];
      if (e->has[SB_MEF_INTERCEPTION]) icf[k] = e->value[SB_MEF_INTERCEPTION];
      if (e->has[SB_MEF_TRAP]) trap[k] = e->value[SB_MEF_TRAP];
      cost = e->kind == SB_MK_STRUCTURE ? e->value[SB_MEF_COST] : e->value[SB_MEF_COST] * ar[k] * 1e-4;
      for (PetscInt z = 0; z < (id ? 2 : 1); z++) {
        const PetscInt at = z ? id : 0;

        SbExactSumAdd(&s[4 * at + 0], ar[k] * 1e-6);
        SbExactSumAdd(&s[4 * at + 1], cost);
        SbExactSumAdd(&s[4 * at + 2], e->has[SB_MEF_STORAGE] ? e->value[SB_MEF_STORAGE] : 0.0);
      }
    }
    PetscCall(SbExactSumReduce(g->comm, 4 * (g->nregions + 1), s, sums));
    for (PetscInt id = 0; id <= g->nregions; id++) {
      it->area_km2[id]  = sums[4 * id];
      it->cost_yuan[id] = sums[4 * id + 1];
    }
    it->treated_km2 = sums[0];
    it->storage_m3  = sums[2];
  }
  PetscCall(VecRestoreArray(m->icf, &icf));
  PetscCall(VecRestoreArray(m->ksf, &ksf));
  PetscCall(VecRestoreArray(m->nf, &nf));
  PetscCall(VecRestoreArray(m->trap, &trap));
  PetscCall(VecRestoreArray(m->item, &item));
  PetscCall(VecRestoreArrayRead(dist_v, &dist));
  PetscCall(VecRestoreArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(g->region, &rg));
  PetscCall(VecRestoreArrayRead(passing0, &ps));
  PetscCall(VecRestoreArrayRead(A0, &a0));
  PetscCall(VecRestoreArrayRead(tan_slope, &ts));
  PetscCall(VecRestoreArray(m->W, &W));
  PetscCall(VecRestoreArrayRead(landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(PetscFree5(c.key, c.gidx, c.local, c.w, sel));
  PetscCall(VecDestroy(&dist_v));
  PetscCall(VecDestroy(&pass));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresGetFields(SbMeasures m, Vec *W, Vec *trap, Vec *nf, Vec *ksf, Vec *icf)
{
  PetscFunctionBeginUser;
  if (W) *W = m ? m->W : NULL;
  if (trap) *trap = m ? m->trap : NULL;
  if (nf) *nf = m ? m->nf : NULL;
  if (ksf) *ksf = m ? m->ksf : NULL;
  if (icf) *icf = m ? m->icf : NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *Unit(const SbMeasureDef *d)
{
  return d->kind == SB_MK_STRUCTURE ? "dams" : "km2";
}

PetscErrorCode SbMeasuresReport(SbMeasures m, Vec A0, Vec A, Vec passing)
{
  SbGrid            *g = m->grid;
  const PetscInt     n = g->xm * g->ym, nr = g->nregions + 1;
  const PetscScalar *item, *a0, *a, *ar, *rg, *tr, *ps;
  SbExactSum        *s;
  PetscReal         *sums;

  PetscFunctionBeginUser;
  if (!m->item) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscCalloc1(2 * nr * m->nitems, &s));
  PetscCall(PetscMalloc1(2 * nr * m->nitems, &sums));
  PetscCall(VecGetArrayRead(m->item, &item));
  PetscCall(VecGetArrayRead(m->trap, &tr));
  PetscCall(VecGetArrayRead(passing, &ps));
  PetscCall(VecGetArrayRead(A0, &a0));
  PetscCall(VecGetArrayRead(A, &a));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  PetscCall(VecGetArrayRead(g->region, &rg));
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt i = (PetscInt)item[k] - 1, r = (PetscInt)rg[k], id = (r >= 1 && r <= g->nregions) ? r : 0;

    if (i < 0) continue;
    for (PetscInt z = 0; z < (id ? 2 : 1); z++) {
      const PetscInt at = z ? id : 0;

      SbExactSumAdd(&s[2 * (i * nr + at)], (a0[k] - a[k]) * ar[k] * 1e-6);
      /* what a structure holds back: trap times all that reaches it (SbConnectivityCompute) */
      if (tr[k] > 0) SbExactSumAdd(&s[2 * (i * nr + at) + 1], ps[k] * tr[k]);
    }
  }
  PetscCall(VecRestoreArrayRead(g->region, &rg));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(A, &a));
  PetscCall(VecRestoreArrayRead(A0, &a0));
  PetscCall(VecRestoreArrayRead(passing, &ps));
  PetscCall(VecRestoreArrayRead(m->trap, &tr));
  PetscCall(VecRestoreArrayRead(m->item, &item));
  PetscCall(SbExactSumReduce(g->comm, 2 * nr * m->nitems, s, sums));
  for (PetscInt i = 0; i < m->nitems; i++) {
    SbMeasureItem      *it = &m->items[i];
    const SbMeasureDef *d  = &m->defs[it->def];

    for (PetscInt id = 0; id < nr; id++) {
      it->avoided_t_a[id] = sums[2 * (i * nr + id)];
      it->trapped_t_a[id] = sums[2 * (i * nr + id) + 1];
    }
    if (!it->applied) {
      PetscCall(PetscPrintf(g->comm, "  measure %-24s %-22s from %4d: not applied (measures_year %d)\n", it->name, d->name, (int)it->year, (int)m->year));
      continue;
    }
    PetscCall(PetscPrintf(g->comm, "  measure %-24s %-22s requested %10.2f %s, treated %10.2f %s (%9.2f km2, eligible %10.2f %s), cost %.4g yuan, soil loss avoided %.4g t/a\n", it->name, d->name, (double)it->requested, Unit(d), (double)it->treated, Unit(d), (double)it->treated_km2, (double)it->eligible, Unit(d), (double)it->cost_yuan[0], (double)it->avoided_t_a[0]));
    if (it->exhausted) PetscCall(PetscPrintf(g->comm, "WARNING: measure %s (%s): the eligible area ran out: %.2f %s treated of %.2f %s requested (/measures/%s exhausted = 1)\n", it->name, d->name, (double)it->treated, Unit(d), (double)it->requested, Unit(d), it->name));
  }
  PetscCall(PetscFree(s));
  PetscCall(PetscFree(sums));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresWrite(SbMeasures m, SbOutput out)
{
  SbGrid *g = m->grid;
  hid_t   file, grp, sub;
  htri_t  exists;
  char    names[17 * (SB_MAX_NAME + 2)] = "basin";

  PetscFunctionBeginUser;
  if (!m->item) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbOutputWriteMap(out, "maps", "measure", m->item, "1", "treatment measure on the cell: its index in the scenario's measures list plus 1 (0: none)"));
  PetscCall(SbOutputWriteMap(out, "maps", "csle_w", m->W, "1", "CSLE B E T after the measures"));
  for (PetscInt r = 0; r < g->nregions; r++) {
    PetscCall(PetscStrlcat(names, ",", sizeof(names)));
    PetscCall(PetscStrlcat(names, g->region_names[r], sizeof(names)));
  }
  PetscCall(SbOutputGetFile(out, &file));
  SbCallHDF5(exists = H5Lexists(file, "measures", H5P_DEFAULT));
  if (exists > 0) SbCallHDF5(grp = H5Gopen2(file, "measures", H5P_DEFAULT));
  else SbCallHDF5(grp = H5Gcreate2(file, "measures", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(SbH5WriteAttrString(grp, "library", m->library));
  PetscCall(SbH5WriteAttrInt(grp, "measures_year", (long long)m->year));
  PetscCall(SbH5WriteAttrString(grp, "areas", names));
  for (PetscInt i = 0; i < m->nitems; i++) {
    const SbMeasureItem *it = &m->items[i];
    const SbMeasureDef  *d  = &m->defs[it->def];

    SbCallHDF5(sub = H5Gcreate2(grp, it->name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    PetscCall(SbH5WriteAttrString(sub, "measure", d->name));
    PetscCall(SbH5WriteAttrString(sub, "kind", SbMeasureKinds[d->kind]));
    PetscCall(SbH5WriteAttrInt(sub, "index", (long long)(i + 1)));
    PetscCall(SbH5WriteAttrInt(sub, "year", (long long)it->year));
    PetscCall(SbH5WriteAttrInt(sub, "applied", (long long)it->applied));
    PetscCall(SbH5WriteAttrString(sub, "priority", SbPriorities[it->priority]));
    PetscCall(SbH5WriteAttrString(sub, "amount_unit", Unit(d)));
    PetscCall(SbH5WriteAttrDouble(sub, "requested", it->requested));
    PetscCall(SbH5WriteAttrDouble(sub, "eligible", it->eligible));
    PetscCall(SbH5WriteAttrDouble(sub, "treated", it->treated));
    PetscCall(SbH5WriteAttrDouble(sub, "treated_km2", it->treated_km2));
    PetscCall(SbH5WriteAttrInt(sub, "exhausted", (long long)it->exhausted));
    PetscCall(SbH5WriteAttrDouble(sub, "cost_yuan_total", it->cost_yuan[0]));
    PetscCall(SbH5WriteAttrDouble(sub, "soil_loss_avoided_t_a_total", it->avoided_t_a[0]));
    if (d->kind == SB_MK_STRUCTURE) {
      PetscCall(SbH5WriteAttrDouble(sub, "storage_m3", it->storage_m3));
      PetscCall(SbH5WriteAttrDouble(sub, "sediment_trapped_t_a", it->trapped_t_a[0]));
    }
    PetscCall(SbH5WriteAttrString(sub, "units", "requested, eligible, treated: amount_unit (km2 or dams); treated_km2: km2; cost: yuan; soil loss avoided, sediment trapped: t a-1; storage: m3; datasets [basin, regions...] in the order of /measures@areas"));
    PetscCall(SbH5WriteVector(sub, "area_km2", it->area_km2, (hsize_t)(g->nregions + 1), "km2", "area treated: basin, then each region"));
    PetscCall(SbH5WriteVector(sub, "cost_yuan", it->cost_yuan, (hsize_t)(g->nregions + 1), "yuan", "cost of the measure: basin, then each region"));
    PetscCall(SbH5WriteVector(sub, "soil_loss_avoided_t_a", it->avoided_t_a, (hsize_t)(g->nregions + 1), "t a-1", "CSLE soil loss avoided on the treated cells: basin, then each region"));
    SbCallHDF5(H5Gclose(sub));
  }
  SbCallHDF5(H5Gclose(grp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeasuresDestroy(SbMeasures *pm)
{
  SbMeasures m = *pm;

  PetscFunctionBeginUser;
  if (!m) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt i = 0; m->items && i < m->nitems; i++) {
    PetscCall(VecDestroy(&m->items[i].mask));
    PetscCall(PetscFree4(m->items[i].area_km2, m->items[i].cost_yuan, m->items[i].avoided_t_a, m->items[i].trapped_t_a));
  }
  PetscCall(PetscFree(m->items));
  PetscCall(VecDestroy(&m->item));
  PetscCall(VecDestroy(&m->W));
  PetscCall(VecDestroy(&m->trap));
  PetscCall(VecDestroy(&m->nf));
  PetscCall(VecDestroy(&m->ksf));
  PetscCall(VecDestroy(&m->icf));
  PetscCall(PetscFree(*pm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
