/* River lines from GeoJSON (RFC 7946), rasterised onto the mesh grid.

   Only what river extracts need: LineString and MultiLineString geometries, in a
   FeatureCollection, a Feature or bare; other geometry types are skipped (a river file may carry
   lake polygons). Coordinates are taken in the grid's units (degrees on a geographic grid, as
   RFC 7946 requires WGS84 longitude, latitude); a third coordinate (height) is ignored.
   A segment marks every cell it passes through: it is walked in steps of at most 1/8 of a cell,
   so a cell is missed only where the line clips its corner by less than that. */
#include "rivers.h"
#include "raster.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char      *path;
  const SbMeshData *m;
  uint8_t         *river;
  PetscInt         nmarked;
} RiverCtx;

static void Mark(RiverCtx *c, double x, double y)
{
  const SbMeshData *m    = c->m;
  const double      ymax = m->yll + m->ny * m->cellsize;
  const double      fc = (x - m->xll) / m->cellsize, fr = (ymax - y) / m->cellsize;
  PetscInt          col, row;

  if (!(fc >= 0 && fc < m->nx && fr >= 0 && fr < m->ny)) return;
  col = (PetscInt)fc;
  row = (PetscInt)fr;
  if (!c->river[row * m->nx + col]) {
    c->river[row * m->nx + col] = 1;
    c->nmarked++;
  }
}

static PetscErrorCode Point(const RiverCtx *c, const cJSON *p, const char *where, PetscInt k, double *x, double *y)
{
  const cJSON *a, *b;

  PetscFunctionBeginUser;
  a = cJSON_IsArray(p) ? cJSON_GetArrayItem(p, 0) : NULL;
  b = cJSON_IsArray(p) ? cJSON_GetArrayItem(p, 1) : NULL;
  PetscCheck(a && b && cJSON_IsNumber(a) && cJSON_IsNumber(b) && isfinite(a->valuedouble) && isfinite(b->valuedouble), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s[%" PetscInt_FMT "]: expected [x, y] numbers", c->path, where, k);
  *x = a->valuedouble;
  *y = b->valuedouble;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One LineString's coordinate array; where is its JSON path for messages. */
static PetscErrorCode Line(RiverCtx *c, const cJSON *coords, const char *where)
{
  const double step = c->m->cellsize / 8.0;
  double       x0 = 0, y0 = 0;
  PetscInt     k  = 0;

  PetscFunctionBeginUser;
  PetscCheck(cJSON_IsArray(coords), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected an array of positions", c->path, where);
  for (const cJSON *p = coords->child; p; p = p->next, k++) {
    double x, y;

    PetscCall(Point(c, p, where, k, &x, &y));
    if (k == 0) Mark(c, x, y);
    else {
      const double   len = hypot(x - x0, y - y0);
      const PetscInt n   = (PetscInt)ceil(len / step);

      for (PetscInt s = 1; s <= n; s++) Mark(c, x0 + (x - x0) * (double)s / (double)n, y0 + (y - y0) * (double)s / (double)n);
    }
    x0 = x;
    y0 = y;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Geometry(RiverCtx *c, const cJSON *g, const char *where)
{
  const cJSON *type, *coords;
  char         w[256];

  PetscFunctionBeginUser;
  PetscCheck(cJSON_IsObject(g), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected a geometry object", c->path, where);
  type = cJSON_GetObjectItemCaseSensitive(g, "type");
  PetscCheck(cJSON_IsString(type), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.type: expected a string", c->path, where);
  coords = cJSON_GetObjectItemCaseSensitive(g, "coordinates");
  (void)snprintf(w, sizeof(w), "%s.coordinates", where);
  if (!strcmp(type->valuestring, "LineString")) PetscCall(Line(c, coords, w));
  else if (!strcmp(type->valuestring, "MultiLineString")) {
    PetscInt k = 0;

    PetscCheck(cJSON_IsArray(coords), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected an array of lines", c->path, w);
    for (const cJSON *l = coords->child; l; l = l->next, k++) {
      char wl[300];

      (void)snprintf(wl, sizeof(wl), "%s[%" PetscInt_FMT "]", w, k);
      PetscCall(Line(c, l, wl));
    }
  } else if (!strcmp(type->valuestring, "GeometryCollection")) {
    const cJSON *gs = cJSON_GetObjectItemCaseSensitive(g, "geometries");
    PetscInt     k  = 0;

    PetscCheck(cJSON_IsArray(gs), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.geometries: expected an array", c->path, where);
    for (const cJSON *e = gs->child; e; e = e->next, k++) {
      char we[300];

      (void)snprintf(we, sizeof(we), "%s.geometries[%" PetscInt_FMT "]", where, k);
      PetscCall(Geometry(c, e, we));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Does a feature pass the level filter? */
static PetscErrorCode Selected(const RiverCtx *c, const cJSON *props, const char *where, const PetscInt *levels, PetscInt nlevels, PetscBool *yes)
{
  const cJSON *lv = NULL;

  PetscFunctionBeginUser;
  *yes = PETSC_TRUE;
  if (nlevels == 0) PetscFunctionReturn(PETSC_SUCCESS);
  *yes = PETSC_FALSE;
  if (cJSON_IsObject(props)) {
    lv = cJSON_GetObjectItemCaseSensitive(props, "wdb2_level");
    if (!lv) lv = cJSON_GetObjectItemCaseSensitive(props, "level");
  }
  PetscCheck(lv, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.properties: no \"wdb2_level\" or \"level\" to select river levels by", c->path, where);
  PetscCheck(cJSON_IsNumber(lv) && lv->valuedouble == floor(lv->valuedouble), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.properties.%s: expected an integer level", c->path, where, lv->string);
  for (PetscInt k = 0; k < nlevels; k++)
    if ((PetscInt)lv->valuedouble == levels[k]) *yes = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Feature(RiverCtx *c, const cJSON *f, const char *where, const PetscInt *levels, PetscInt nlevels)
{
  PetscBool yes;
  char      w[256];

  PetscFunctionBeginUser;
  PetscCheck(cJSON_IsObject(f), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected a Feature object", c->path, where);
  PetscCall(Selected(c, cJSON_GetObjectItemCaseSensitive(f, "properties"), where, levels, nlevels, &yes));
  if (!yes) PetscFunctionReturn(PETSC_SUCCESS);
  (void)snprintf(w, sizeof(w), "%s.geometry", where);
  if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(f, "geometry"))) PetscFunctionReturn(PETSC_SUCCESS); /* RFC 7946 3.2: an unlocated feature */
  PetscCall(Geometry(c, cJSON_GetObjectItemCaseSensitive(f, "geometry"), w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Walk(RiverCtx *c, const cJSON *root, const PetscInt *levels, PetscInt nlevels)
{
  const cJSON *type;

  PetscFunctionBeginUser;
  PetscCheck(cJSON_IsObject(root), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected a GeoJSON object", c->path);
  type = cJSON_GetObjectItemCaseSensitive(root, "type");
  PetscCheck(cJSON_IsString(type), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: type: expected a string (FeatureCollection, Feature or a geometry)", c->path);
  if (!strcmp(type->valuestring, "FeatureCollection")) {
    const cJSON *fs = cJSON_GetObjectItemCaseSensitive(root, "features");
    PetscInt     k  = 0;

    PetscCheck(cJSON_IsArray(fs), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: features: expected an array", c->path);
    for (const cJSON *f = fs->child; f; f = f->next, k++) {
      char w[64];

      (void)snprintf(w, sizeof(w), "features[%" PetscInt_FMT "]", k);
      PetscCall(Feature(c, f, w, levels, nlevels));
    }
  } else if (!strcmp(type->valuestring, "Feature")) PetscCall(Feature(c, root, "feature", levels, nlevels));
  else {
    PetscCheck(nlevels == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: a bare geometry has no properties to select river levels by", c->path);
    PetscCall(Geometry(c, root, "geometry"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRiversRasterize(const char *path, const SbMeshData *m, const PetscInt *levels, PetscInt nlevels, uint8_t *river, PetscInt *nmarked)
{
  char          *text = NULL;
  cJSON         *root;
  RiverCtx       c;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscArrayzero(river, (size_t)m->nx * (size_t)m->ny));
  PetscCall(SbRasterReadText(path, &text));
  root = cJSON_Parse(text);
  PetscCall(PetscFree(text));
  PetscCheck(root, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: not valid JSON (GeoJSON expected)", path);
  c.path    = path;
  c.m       = m;
  c.river   = river;
  c.nmarked = 0;
  ierr      = Walk(&c, root, levels, nlevels);
  cJSON_Delete(root);
  PetscCall(ierr);
  *nmarked = c.nmarked;
  PetscFunctionReturn(PETSC_SUCCESS);
}
