/* Terrain-derived mesh fields: sub-grid slope and classes from terrain (terrain.h). */
#include "terrain.h"
#include "csle.h"
#include "raster.h"
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define SB_DEG (PETSC_PI / 180.0)
#define SB_TERRAIN_MAX_LAG 4
#define SB_TERRAIN_MAX_RULES 32

PetscErrorCode SbTerrainFractalDimension(const SbMeshData *m, const PetscReal *z, PetscReal *D)
{
  PetscReal sx = 0, sy = 0, sxx = 0, sxy = 0, b;
  PetscInt  nl = 0;

  PetscFunctionBeginUser;
  for (PetscInt L = 1; L <= SB_TERRAIN_MAX_LAG; L++) {
    PetscReal sum = 0, x, y;
    PetscInt  n   = 0;

    for (PetscInt r = 0; r < m->ny; r++)
      for (PetscInt c = 0; c < m->nx; c++) {
        const PetscInt i = r * m->nx + c;

        if (!m->mask[i]) continue;
        if (c + L < m->nx && m->mask[i + L]) {
          sum += PetscAbsReal(z[i + L] - z[i]) / (L * m->dx_m[r]);
          n++;
        }
        if (r + L < m->ny && m->mask[i + L * m->nx]) {
          sum += PetscAbsReal(z[i + L * m->nx] - z[i]) / (L * m->dy_m);
          n++;
        }
      }
    if (n == 0 || sum <= 0) continue;
    x = PetscLogReal((PetscReal)L);
    y = PetscLogReal(sum / n);
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
    nl++;
  }
  if (nl < 2) { /* no relief to measure: no correction */
    *D = 1.0;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  b = (nl * sxy - sx * sy) / (nl * sxx - sx * sx);
  /* A surface smoother than a fractal (a plane: D = 1, slope independent of scale; convex
     profiles: D < 1) gets no correction; D is kept below 2 (a surface filling the plane). */
  *D = PetscMin(PetscMax(1.0 - b, 1.0), 1.99);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* z of the cell (r0 + dr, c0 + dc), or NaN when it is off the grid or has no data. */
static PetscReal NeighbourZ(const SbMeshData *m, const PetscReal *z, PetscInt r0, PetscInt c0, PetscInt dr, PetscInt dc)
{
  const PetscInt r = r0 + dr, c = c0 + dc;

  return (r >= 0 && r < m->ny && c >= 0 && c < m->nx) ? z[r * m->nx + c] : (PetscReal)NAN;
}

PetscErrorCode SbTerrainLocalSlope(const SbMeshData *m, const PetscReal *z, PetscReal *tan_slope)
{
  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < m->ny; r++)
    for (PetscInt c = 0; c < m->nx; c++) {
      const PetscReal zc = z[r * m->nx + c];
      PetscReal       zz[3][3], gx, gy;

      tan_slope[r * m->nx + c] = 0;
      if (PetscIsNanReal(zc)) continue;
      /* Missing neighbours (header): the four beside the cell first, from the opposite one; then the
         corners, from the opposite corner or else from the two beside it (z_N + z_E − z_c for NE),
         which is exact on a plane too. */
      zz[1][1] = zc;
      for (PetscInt pass = 0; pass < 2; pass++)
        for (PetscInt i = -1; i <= 1; i++)
          for (PetscInt j = -1; j <= 1; j++) {
            PetscReal v, o;

            if ((i == 0 && j == 0) || (pass == 0) != (i == 0 || j == 0)) continue;
            v = NeighbourZ(m, z, r, c, i, j);
            if (PetscIsNanReal(v)) {
              o = NeighbourZ(m, z, r, c, -i, -j);
              if (!PetscIsNanReal(o)) v = 2 * zc - o;
              else v = pass == 0 ? zc : zz[1 + i][1] + zz[1][1 + j] - zc;
            }
            zz[1 + i][1 + j] = v;
          }
      /* Horn (1981): weights 1, 2, 1 across the direction; rows run north to south (row 0 is the
         northern edge), the sign does not matter for the magnitude. */
      gx = ((zz[0][2] + 2 * zz[1][2] + zz[2][2]) - (zz[0][0] + 2 * zz[1][0] + zz[2][0])) / (8 * m->dx_m[r]);
      gy = ((zz[2][0] + 2 * zz[2][1] + zz[2][2]) - (zz[0][0] + 2 * zz[0][1] + zz[0][2])) / (8 * m->dy_m);
      tan_slope[r * m->nx + c] = PetscSqrtReal(gx * gx + gy * gy);
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbTerrainSlopeSubgrid(SbMeshData *m, const PetscReal *tan_cell, const char *source, PetscReal D, PetscReal target_m)
{
  const size_t n = (size_t)m->nx * (size_t)m->ny;

  PetscFunctionBeginUser;
  PetscCheck(D >= 1 && D < 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "slope correction: fractal dimension: expected a number in [1, 2), got %g", (double)D);
  PetscCheck(target_m > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "slope correction: target cell size: expected > 0 m, got %g", (double)target_m);
  if (!m->slope_subgrid) PetscCall(PetscMalloc1(n, &m->slope_subgrid));
  for (size_t i = 0; i < n; i++) {
    m->slope_subgrid[i] = 0;
    if (m->mask[i]) PetscCall(SbCsleSlopeCorrect(PetscMax(tan_cell[i], 0.0), PetscSqrtReal(m->cell_area[i]), target_m, D, &m->slope_subgrid[i]));
  }
  PetscCall(PetscStrncpy(m->slope_subgrid_source, source, sizeof(m->slope_subgrid_source)));
  m->slope_fractal_dimension = D;
  m->slope_target_cell_m     = target_m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Classes from terrain                                                                        */

static const char *const LanduseNames[SB_LU_COUNT] = {"none", "forest", "shrub_grass", "sloping_cropland", "terraced_cropland", "paddy", "urban", "water"};

typedef struct {
  PetscInt  landuse; /* 0: any */
  PetscReal zmin, zmax, smin_deg, smax_deg;
  PetscInt  texture;
} SoilRule;

typedef struct {
  PetscReal water_below_m; /* NaN: no water */
  PetscReal share_urban, share_crop, share_forest;
  PetscReal split_paddy, split_terraced; /* fractions of the cropland */
  PetscInt  nrules;
  SoilRule  rules[SB_TERRAIN_MAX_RULES];
} ClassRules;

/* Keys beginning with "//" are comments; any other key must be one of names[]. */
static PetscErrorCode CheckKeys(const char *path, const char *where, const cJSON *obj, const char *const *names, PetscInt nnames)
{
  PetscFunctionBeginUser;
  PetscCheck(cJSON_IsObject(obj), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: expected an object", path, where);
  for (const cJSON *e = obj->child; e; e = e->next) {
    PetscBool known = (PetscBool)!strncmp(e->string, "//", 2);

    for (PetscInt k = 0; k < nnames && !known; k++) known = (PetscBool)!strcmp(e->string, names[k]);
    PetscCheck(known, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s%s%s: unknown key", path, where, where[0] ? "." : "", e->string);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* obj.key as a number in [lo, hi]; absent: *v = def (NaN def = required). */
static PetscErrorCode GetNumber(const char *path, const char *where, const cJSON *obj, const char *key, PetscReal lo, PetscReal hi, PetscReal def, PetscReal *v)
{
  const cJSON *e = cJSON_GetObjectItemCaseSensitive(obj, key);

  PetscFunctionBeginUser;
  if (!e) {
    PetscCheck(!isnan(def), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s: required", path, where, key);
    *v = def;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCheck(cJSON_IsNumber(e) && e->valuedouble >= lo && e->valuedouble <= hi, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.%s: expected a number in [%g, %g]", path, where, key, (double)lo, (double)hi);
  *v = e->valuedouble;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ParseRules(const char *path, const cJSON *root, ClassRules *cr)
{
  static const char *const top[] = {"landuse", "soil"}, *const lu[] = {"water_below_m", "shares", "cropland_split"}, *const cs[] = {"paddy", "terraced"}, *const sh[] = {"urban", "cropland", "forest"};
  static const char *const rk[] = {"landuse", "min_elevation_m", "max_elevation_m", "min_slope_deg", "max_slope_deg", "texture"};
  const cJSON             *l, *s, *shares;
  PetscInt                 k = 0;

  PetscFunctionBeginUser;
  PetscCall(CheckKeys(path, "", root, top, 2));
  l = cJSON_GetObjectItemCaseSensitive(root, "landuse");
  s = cJSON_GetObjectItemCaseSensitive(root, "soil");
  PetscCheck(l, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: landuse: required", path);
  PetscCheck(s, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: soil: required", path);
  PetscCall(CheckKeys(path, "landuse", l, lu, 3));
  cr->water_below_m = NAN; /* no open water unless asked for */
  if (cJSON_GetObjectItemCaseSensitive(l, "water_below_m")) PetscCall(GetNumber(path, "landuse", l, "water_below_m", -500, 9000, NAN, &cr->water_below_m));
  shares = cJSON_GetObjectItemCaseSensitive(l, "shares");
  PetscCheck(shares, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: landuse.shares: required", path);
  PetscCall(CheckKeys(path, "landuse.shares", shares, sh, 3));
  PetscCall(GetNumber(path, "landuse.shares", shares, "urban", 0, 1, 0, &cr->share_urban));
  PetscCall(GetNumber(path, "landuse.shares", shares, "cropland", 0, 1, 0, &cr->share_crop));
  PetscCall(GetNumber(path, "landuse.shares", shares, "forest", 0, 1, 0, &cr->share_forest));
  PetscCheck(cr->share_urban + cr->share_crop + cr->share_forest <= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: landuse.shares: urban + cropland + forest is %g, more than 1", path, (double)(cr->share_urban + cr->share_crop + cr->share_forest));
  {
    const cJSON *split = cJSON_GetObjectItemCaseSensitive(l, "cropland_split");

    cr->split_paddy = cr->split_terraced = 0;
    if (split) {
      PetscCall(CheckKeys(path, "landuse.cropland_split", split, cs, 2));
      PetscCall(GetNumber(path, "landuse.cropland_split", split, "paddy", 0, 1, 0, &cr->split_paddy));
      PetscCall(GetNumber(path, "landuse.cropland_split", split, "terraced", 0, 1, 0, &cr->split_terraced));
      PetscCheck(cr->split_paddy + cr->split_terraced <= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: landuse.cropland_split: paddy + terraced is %g, more than 1", path, (double)(cr->split_paddy + cr->split_terraced));
    }
  }
  PetscCheck(cJSON_IsArray(s) && cJSON_GetArraySize(s) >= 1 && cJSON_GetArraySize(s) <= SB_TERRAIN_MAX_RULES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: soil: expected an array of 1 to %d rules", path, SB_TERRAIN_MAX_RULES);
  for (const cJSON *r = s->child; r; r = r->next, k++) {
    SoilRule   *sr = &cr->rules[k];
    char        w[64];
    const cJSON *lue;
    PetscReal   tex;

    (void)snprintf(w, sizeof(w), "soil[%" PetscInt_FMT "]", k);
    PetscCall(CheckKeys(path, w, r, rk, 6));
    PetscCall(GetNumber(path, w, r, "min_elevation_m", -1e4, 1e4, -1e4, &sr->zmin));
    PetscCall(GetNumber(path, w, r, "max_elevation_m", -1e4, 1e4, 1e4, &sr->zmax));
    PetscCall(GetNumber(path, w, r, "min_slope_deg", 0, 90, 0, &sr->smin_deg));
    PetscCall(GetNumber(path, w, r, "max_slope_deg", 0, 90, 90, &sr->smax_deg));
    PetscCall(GetNumber(path, w, r, "texture", SB_SOIL_SAND, SB_SOIL_COUNT - 1, NAN, &tex));
    PetscCheck(tex == PetscFloorReal(tex), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.texture: expected an integer 1..%d (Rawls et al. 1983 classes)", path, w, SB_SOIL_COUNT - 1);
    sr->texture = (PetscInt)tex;
    sr->landuse = 0;
    lue         = cJSON_GetObjectItemCaseSensitive(r, "landuse");
    if (lue) {
      PetscCheck(cJSON_IsString(lue), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.landuse: expected a land-use name (forest, shrub_grass, sloping_cropland, terraced_cropland, paddy, urban, water)", path, w);
      for (PetscInt u = 1; u < SB_LU_COUNT; u++)
        if (!strcmp(lue->valuestring, LanduseNames[u])) sr->landuse = u;
      PetscCheck(sr->landuse > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s.landuse: expected forest, shrub_grass, sloping_cropland, terraced_cropland, paddy, urban or water, got \"%s\"", path, w, lue->valuestring);
    }
  }
  cr->nrules = k;
  {
    const SoilRule *last = &cr->rules[k - 1];

    PetscCheck(!last->landuse && last->zmin <= -1e4 && last->zmax >= 1e4 && last->smin_deg <= 0 && last->smax_deg >= 90, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: soil[%" PetscInt_FMT "]: the last rule must have no conditions (only \"texture\"), so that every cell gets a soil", path, k - 1);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Area-weighted assignment by a terrain score (docs/mesh-build.md): candidates sorted by
   score = percentile of elevation + percentile of sub-grid slope; urban, then cropland, from the
   lowest score up; forest from the highest down; shrub and grass in between. */
static PetscErrorCode AssignLanduse(SbMeshData *m, const PetscReal *z, const ClassRules *cr)
{
  const PetscInt n = m->nx * m->ny;
  PetscInt       nc = 0, ncrop, *idx, *ord, *score_idx;
  PetscReal     *key, *score, total = 0, acc, crop_area = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(n, &idx, n, &ord, n, &key, n, &score, n, &score_idx));
  for (PetscInt i = 0; i < n; i++) {
    if (!m->mask[i]) continue;
    total += m->cell_area[i];
    /* Water already there (a reservoir's pool, mesh/build.c) stays water. */
    if ((!isnan(cr->water_below_m) && z[i] <= cr->water_below_m) || m->landuse[i] == SB_LU_WATER) m->landuse[i] = SB_LU_WATER;
    else idx[nc++] = i;
  }
  PetscCall(PetscArraycpy(score_idx, idx, nc));
  for (PetscInt k = 0; k < nc; k++) score[k] = 0;
  for (int f = 0; f < 2; f++) {
    for (PetscInt k = 0; k < nc; k++) {
      key[k] = f == 0 ? z[idx[k]] : m->slope_subgrid[idx[k]];
      ord[k] = k;
    }
    PetscCall(PetscSortRealWithArrayInt(nc, key, ord));
    /* Percentile rank; equal values share the rank of the first of them. */
    for (PetscInt k = 0, first = 0; k < nc; k++) {
      if (k > 0 && key[k] != key[k - 1]) first = k;
      score[ord[k]] += nc > 1 ? (PetscReal)first / (PetscReal)(nc - 1) : 0;
    }
  }
  for (PetscInt k = 0; k < nc; k++) {
    /* Ties in the score go to the lower cell index. */
    key[k] = score[k] + 1e-12 * (PetscReal)k / (PetscReal)nc;
    ord[k] = idx[k];
  }
  PetscCall(PetscSortRealWithArrayInt(nc, key, ord));
  acc = 0;
  ncrop = 0;
  for (PetscInt k = 0; k < nc; k++) {
    const PetscInt i = ord[k];

    if (acc < cr->share_urban * total) m->landuse[i] = SB_LU_URBAN;
    else if (acc < (cr->share_urban + cr->share_crop) * total) {
      m->landuse[i] = SB_LU_SLOPING_CROPLAND;
      idx[ncrop++]  = i;
    } else m->landuse[i] = SB_LU_SHRUB_GRASS;
    acc += m->cell_area[i];
  }
  /* Cropland by sub-grid slope: the flattest share is paddy, the steepest terraced. */
  for (PetscInt k = 0; k < ncrop; k++) {
    key[k] = m->slope_subgrid[idx[k]] + 1e-12 * (PetscReal)k / (PetscReal)ncrop;
    ord[k] = idx[k];
    crop_area += m->cell_area[idx[k]];
  }
  PetscCall(PetscSortRealWithArrayInt(ncrop, key, ord));
  acc = 0;
  for (PetscInt k = 0; k < ncrop; k++) {
    const PetscInt i = ord[k];

    if (acc < cr->split_paddy * crop_area) m->landuse[i] = SB_LU_PADDY;
    else if (acc >= (1.0 - cr->split_terraced) * crop_area) m->landuse[i] = SB_LU_TERRACED_CROPLAND;
    acc += m->cell_area[i];
  }
  /* Forest from the highest score down (ord is re-sorted by score). */
  for (PetscInt k = 0; k < nc; k++) {
    key[k] = score[k] + 1e-12 * (PetscReal)k / (PetscReal)nc;
    ord[k] = score_idx[k];
  }
  PetscCall(PetscSortRealWithArrayInt(nc, key, ord));
  acc = 0;
  for (PetscInt k = nc - 1; k >= 0; k--) {
    const PetscInt i = ord[k];

    if (acc >= cr->share_forest * total || m->landuse[i] != SB_LU_SHRUB_GRASS) break;
    m->landuse[i] = SB_LU_FOREST;
    acc += m->cell_area[i];
  }
  PetscCall(PetscFree5(idx, ord, key, score, score_idx));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode AssignSoil(SbMeshData *m, const PetscReal *zr, const ClassRules *cr)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < m->nx * m->ny; i++) {
    const PetscReal z = zr[i], deg = PetscAtanReal(m->slope_subgrid[i]) / SB_DEG;

    if (!m->mask[i]) continue;
    for (PetscInt k = 0; k < cr->nrules; k++) {
      const SoilRule *r = &cr->rules[k];

      if ((r->landuse && r->landuse != m->landuse[i]) || z < r->zmin || z >= r->zmax || deg < r->smin_deg || deg >= r->smax_deg) continue;
      m->soil[i] = (int32_t)r->texture;
      break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadRules(const char *path, ClassRules *cr)
{
  char          *text = NULL;
  cJSON         *root;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(cr, sizeof(*cr)));
  PetscCall(SbRasterReadText(path, &text));
  root = cJSON_Parse(text);
  PetscCall(PetscFree(text));
  PetscCheck(root, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: not valid JSON", path);
  ierr = ParseRules(path, root, cr);
  cJSON_Delete(root);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbTerrainClassesCheck(const char *path)
{
  ClassRules cr;

  PetscFunctionBeginUser;
  PetscCall(ReadRules(path, &cr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbTerrainClasses(SbMeshData *m, const PetscReal *z, const char *path, PetscBool keep_landuse, PetscBool keep_soil)
{
  ClassRules cr;

  PetscFunctionBeginUser;
  PetscCheck(m->slope_subgrid, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "classes from terrain need the sub-grid slope (SbTerrainSlopeSubgrid first)");
  PetscCall(ReadRules(path, &cr));
  if (!keep_landuse) PetscCall(AssignLanduse(m, z, &cr));
  if (!keep_soil) PetscCall(AssignSoil(m, z, &cr));
  PetscFunctionReturn(PETSC_SUCCESS);
}
