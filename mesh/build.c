/* `shuibao mesh build`: a mesh from real rasters (ESRI ASCII grids) and a gauge list (CSV).

   Steps: read and check every input before any computation; choose the basin outlet; condition
   the DEM with SbFlowCondition (priority-flood fill seeded at the outlet, D8, accumulation,
   channels, gauge snapping); fill regions, land use and soil. docs/mesh-build.md describes the
   rules; errors are PETSC_ERR_USER_INPUT and name the file, and the row and column (1-based) or
   the CSV line. */
#include "build.h"
#include "flow.h"
#include "raster.h"
#include "rivers.h"
#include "terrain.h"
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <stdlib.h>

#define SB_BUILD_DEFAULT_CHANNEL_KM2 10.0
#define SB_BUILD_MAX_REGIONS         16 /* size of SbMeshData.region_names */
#define SB_BUILD_DEFAULT_TARGET_M    90.0 /* as assessment.slope_target_cell_m */

typedef struct {
  char      name[SB_MAX_NAME];
  PetscReal x, y;
  PetscInt  line; /* 1-based line of the CSV file */
  PetscInt  row, col;
} GaugeInput;

/* Everything SbMeshBuild allocates, so that it can all be freed when an input error stops it. */
typedef struct {
  SbRaster   *dem, *mask, *regions, *landuse, *soil;
  GaugeInput *gauges;
  PetscInt    ngauges;
  char       *csv;
  PetscReal  *saved_elevation;
  uint8_t    *catchment;
  uint8_t    *river;
  SbMeshData *mesh;
} BuildWork;

/* ------------------------------------------------------------------------------------------ */
/* Gauge CSV                                                                                   */

/* Split one CSV line in place (RFC 4180: comma separated, fields may be double-quoted with ""
   for a quote). Fields are trimmed of surrounding blanks. */
static PetscErrorCode SplitCSVLine(char *line, char **fields, PetscInt maxfields, PetscInt *nfields, PetscBool *ok)
{
  char *p = line;

  PetscFunctionBeginUser;
  *nfields = 0;
  *ok      = PETSC_TRUE;
  for (;;) {
    char *out, *start;

    while (*p == ' ' || *p == '\t') p++;
    start = out = p;
    if (*p == '"') {
      p++;
      for (;;) {
        if (!*p) {
          *ok = PETSC_FALSE; /* unterminated quote */
          PetscFunctionReturn(PETSC_SUCCESS);
        }
        if (*p == '"' && p[1] == '"') {
          *out++ = '"';
          p += 2;
        } else if (*p == '"') {
          p++;
          break;
        } else *out++ = *p++;
      }
      while (*p == ' ' || *p == '\t') p++;
      if (*p && *p != ',') {
        *ok = PETSC_FALSE; /* text after a closing quote */
        PetscFunctionReturn(PETSC_SUCCESS);
      }
    } else {
      while (*p && *p != ',') *out++ = *p++;
      while (out > start && (out[-1] == ' ' || out[-1] == '\t')) out--;
    }
    if (*nfields < maxfields) fields[*nfields] = start;
    (*nfields)++;
    if (!*p) {
      *out = '\0';
      break;
    }
    p++;
    *out = '\0';
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FindColumn(char **fields, PetscInt nfields, const char *const *names, PetscInt nnames, PetscInt *col)
{
  PetscFunctionBeginUser;
  *col = -1;
  /* The first name in the list that is present wins (x before lon before approx_lon). */
  for (PetscInt a = 0; a < nnames && *col < 0; a++)
    for (PetscInt f = 0; f < nfields; f++)
      if (!strcasecmp(fields[f], names[a])) {
        *col = f;
        break;
      }
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define SB_CSV_MAX_FIELDS 64

/* Parse the gauge CSV: header row with columns name, x|lon|approx_lon and y|lat|approx_lat (any
   case, any order, other columns ignored); names lower-cased with characters outside [a-z0-9_]
   replaced by '_'. */
static PetscErrorCode ParseGauges(const char *path, char *text, BuildWork *w)
{
  static const char *const xnames[] = {"x", "lon", "approx_lon"}, *const ynames[] = {"y", "lat", "approx_lat"}, *const nnames[] = {"name"};
  char                    *fields[SB_CSV_MAX_FIELDS];
  char                    *p = text;
  PetscInt                 line = 0, cname = -1, cx = -1, cy = -1, need = 0, nlines = 1;
  PetscBool                header = PETSC_TRUE;

  PetscFunctionBeginUser;
  for (const char *q = text; *q; q++)
    if (*q == '\n') nlines++;
  PetscCall(PetscCalloc1(nlines, &w->gauges));
  while (*p) {
    char     *l = p, *e;
    PetscInt  nf;
    PetscBool ok, blank = PETSC_TRUE;

    line++;
    while (*p && *p != '\n') p++;
    e = p;
    if (*p) p++;
    *e = '\0';
    if (e > l && e[-1] == '\r') e[-1] = '\0';
    for (const char *q = l; *q; q++)
      if (*q != ' ' && *q != '\t' && *q != ',') blank = PETSC_FALSE;
    if (blank) continue;
    PetscCall(SplitCSVLine(l, fields, SB_CSV_MAX_FIELDS, &nf, &ok));
    PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": badly quoted field", path, line);
    if (header) {
      PetscCheck(nf <= SB_CSV_MAX_FIELDS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": more than %d columns", path, line, SB_CSV_MAX_FIELDS);
      PetscCall(FindColumn(fields, nf, nnames, 1, &cname));
      PetscCall(FindColumn(fields, nf, xnames, 3, &cx));
      PetscCall(FindColumn(fields, nf, ynames, 3, &cy));
      PetscCheck(cname >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": header has no column \"name\"", path, line);
      PetscCheck(cx >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": header has no column \"x\", \"lon\" or \"approx_lon\"", path, line);
      PetscCheck(cy >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": header has no column \"y\", \"lat\" or \"approx_lat\"", path, line);
      need   = PetscMax(cname, PetscMax(cx, cy)) + 1;
      header = PETSC_FALSE;
      continue;
    }
    {
      GaugeInput *g = &w->gauges[w->ngauges];
      const char *xs, *ys;
      char       *end;
      size_t      len;

      PetscCheck(nf >= need, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": expected at least %" PetscInt_FMT " fields, found %" PetscInt_FMT, path, line, need, nf);
      xs = fields[cx];
      ys = fields[cy];
      PetscCall(PetscStrlen(fields[cname], &len));
      PetscCheck(len > 0 && len < SB_MAX_NAME, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": gauge name must have 1 to %d characters, got \"%s\"", path, line, SB_MAX_NAME - 1, fields[cname]);
      for (size_t k = 0; k < len; k++) {
        char ch = fields[cname][k];

        if (ch >= 'A' && ch <= 'Z') ch = (char)(ch - 'A' + 'a');
        g->name[k] = ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_') ? ch : '_';
      }
      g->name[len] = '\0';
      g->x         = strtod(xs, &end);
      PetscCheck(*xs && !*end && isfinite(g->x), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": gauge \"%s\": x coordinate: expected a number, got \"%s\"", path, line, g->name, xs);
      g->y = strtod(ys, &end);
      PetscCheck(*ys && !*end && isfinite(g->y), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": gauge \"%s\": y coordinate: expected a number, got \"%s\"", path, line, g->name, ys);
      for (PetscInt h = 0; h < w->ngauges; h++) {
        PetscBool same;

        PetscCall(PetscStrcmp(w->gauges[h].name, g->name, &same));
        PetscCheck(!same, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": gauge name \"%s\" already used on line %" PetscInt_FMT, path, line, g->name, w->gauges[h].line);
      }
      g->line = line;
      w->ngauges++;
    }
  }
  PetscCheck(!header, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: empty file, expected a header row with columns name, x|lon|approx_lon, y|lat|approx_lat", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cell of each gauge; a point off the grid is an error. */
static PetscErrorCode LocateGauges(const char *csv, const char *dem, const SbMeshData *m, BuildWork *w)
{
  const PetscReal xmax = m->xll + m->nx * m->cellsize, ymax = m->yll + m->ny * m->cellsize;

  PetscFunctionBeginUser;
  for (PetscInt g = 0; g < w->ngauges; g++) {
    GaugeInput *gi = &w->gauges[g];

    PetscCheck(gi->x >= m->xll && gi->x < xmax && gi->y > m->yll && gi->y <= ymax, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": gauge \"%s\" at (%.10g, %.10g) is outside the grid of %s (x %.10g to %.10g, y %.10g to %.10g)", csv, gi->line, gi->name, (double)gi->x, (double)gi->y, dem,
               (double)m->xll, (double)xmax, (double)m->yll, (double)ymax);
    gi->col = PetscMin((PetscInt)PetscFloorReal((gi->x - m->xll) / m->cellsize), m->nx - 1);
    gi->row = PetscMin((PetscInt)PetscFloorReal((ymax - gi->y) / m->cellsize), m->ny - 1);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckGaugesInMask(const char *csv, const char *maskname, const SbMeshData *m, const BuildWork *w, PetscBool skip_outlet)
{
  PetscFunctionBeginUser;
  for (PetscInt g = 0; g < w->ngauges; g++) {
    const GaugeInput *gi = &w->gauges[g];
    PetscBool         is_outlet;

    PetscCall(PetscStrcmp(gi->name, "outlet", &is_outlet));
    if (is_outlet && skip_outlet) continue;
    PetscCheck(m->mask[gi->row * m->nx + gi->col], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: line %" PetscInt_FMT ": gauge \"%s\" at (%.10g, %.10g) falls in row %" PetscInt_FMT ", column %" PetscInt_FMT ", outside the basin (%s)", csv, gi->line, gi->name, (double)gi->x, (double)gi->y, gi->row + 1, gi->col + 1,
               maskname);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Rasters                                                                                     */

static PetscErrorCode ReadOnGrid(const char *path, const SbRaster *dem, const char *dem_path, SbRaster **r)
{
  PetscFunctionBeginUser;
  *r = NULL;
  if (!path) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbRasterRead(path, r));
  PetscCall(SbRasterCheckSameGrid(dem, dem_path, *r, path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every active cell of r must hold an integer in [lo, hi]; what names the field in messages. */
static PetscErrorCode CheckCodes(const char *path, const SbRaster *r, const uint8_t *mask, const char *what, PetscInt lo, PetscInt hi, PetscInt *maxcode)
{
  const PetscInt n = r->nx * r->ny;

  PetscFunctionBeginUser;
  *maxcode = lo;
  for (PetscInt i = 0; i < n; i++) {
    const PetscReal v = r->v[i];

    if (!mask[i]) continue;
    PetscCheck(!isnan(v), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT ": no data inside the basin, expected a %s in %" PetscInt_FMT "..%" PetscInt_FMT, path, i / r->nx + 1, i % r->nx + 1, what, lo, hi);
    PetscCheck(v >= lo && v <= hi && v == PetscFloorReal(v), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT ": %s %.10g is not an integer in %" PetscInt_FMT "..%" PetscInt_FMT, path, i / r->nx + 1, i % r->nx + 1, what, (double)v, lo, hi);
    *maxcode = PetscMax(*maxcode, (PetscInt)v);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The lowest active cell on the boundary of the mask (next to an inactive cell or the grid
   edge); ties go to the first in row-major order. */
static PetscErrorCode LowestBoundaryCell(const SbMeshData *m, PetscInt *index)
{
  const PetscInt n = m->nx * m->ny;

  PetscFunctionBeginUser;
  *index = -1;
  for (PetscInt i = 0; i < n; i++) {
    PetscBool boundary;

    if (!m->mask[i] || (*index >= 0 && m->elevation[i] >= m->elevation[*index])) continue;
    PetscCall(SbFlowIsBoundary(m, i, &boundary));
    if (boundary) *index = i;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Outlet from a gauge "outlet" of the CSV: condition a copy of the DEM with every boundary cell
   as a seed, snap the point to the highest accumulation within SB_FLOW_SNAP_RADIUS cells. */
static PetscErrorCode SnapOutletGauge(const GaugeInput *gi, BuildWork *w, PetscInt *index)
{
  SbMeshData *m = w->mesh;
  const size_t n = (size_t)m->nx * (size_t)m->ny;
  SbGauge     g;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n, &w->saved_elevation));
  PetscCall(PetscArraycpy(w->saved_elevation, m->elevation, n));
  PetscCall(SbFlowFill(m, -1));
  PetscCall(SbFlowDirections(m));
  PetscCall(SbFlowAccumulate(m));
  PetscCall(PetscMemzero(&g, sizeof(g)));
  PetscCall(PetscStrncpy(g.name, gi->name, sizeof(g.name)));
  g.row = gi->row;
  g.col = gi->col;
  PetscCall(SbFlowSnapGauge(m, SB_FLOW_SNAP_RADIUS, &g));
  *index = g.row * m->nx + g.col;
  PetscCall(PetscArraycpy(m->elevation, w->saved_elevation, n));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CountActive(const SbMeshData *m, PetscInt *nactive)
{
  PetscFunctionBeginUser;
  *nactive = 0;
  for (PetscInt i = 0; i < m->nx * m->ny; i++) *nactive += m->mask[i] ? 1 : 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The pool of a reservoir at level_m must hold every active cell that lies below the level on
   the conditioned DEM and touches the water: a land cell below the pool surface beside it (a
   river cell lowered by --river-burn, a filled flat) could only fill up to the level from its own
   inflow (the pool lets water in, not out), standing metres deep and setting the routing's step.
   Such cells, 8-connected through cells at most 0.5 m above the level to a land-use water cell,
   become water. */
static PetscErrorCode ReservoirCells(SbMeshData *m, PetscReal level_m, PetscInt *seeds, PetscInt *added)
{
  const PetscInt nx = m->nx, ny = m->ny, n = nx * ny;
  PetscInt      *stack, top = 0, nnew = 0;
  char          *seen;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n, &stack, n, &seen));
  for (PetscInt i = 0; i < n; i++) {
    seen[i] = m->mask[i] && m->landuse[i] == SB_LU_WATER && m->elevation[i] <= level_m + SB_POOL_TOLERANCE_M;
    if (seen[i]) stack[top++] = i;
  }
  *seeds = top;
  while (top > 0) {
    const PetscInt k = stack[--top], r = k / nx, c = k % nx;

    for (PetscInt dr = -1; dr <= 1; dr++)
      for (PetscInt dc = -1; dc <= 1; dc++) {
        const PetscInt rr = r + dr, cc = c + dc, kk = rr * nx + cc;

        if (rr < 0 || rr >= ny || cc < 0 || cc >= nx || seen[kk] || !m->mask[kk] || !(m->elevation[kk] <= level_m + SB_POOL_TOLERANCE_M)) continue;
        seen[kk]       = 1;
        m->landuse[kk] = SB_LU_WATER;
        nnew++;
        stack[top++] = kk;
      }
  }
  PetscCall(PetscFree2(stack, seen));
  *added = nnew;
  PetscCall(PetscInfo(NULL, "mesh build: %" PetscInt_FMT " cells below the reservoir level %g m beside the water became water\n", nnew, (double)level_m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode BuildMesh(const SbMeshBuildOptions *opts, BuildWork *w)
{
  SbMeshData *m;
  PetscInt    n, outlet = -1, outlet_gauge = -1, maxregion = 1, maxcode, nbefore, nafter, nriver = 0, nriver_channel = 0;
  PetscReal   D = opts->slope_dimension, target_m = opts->slope_target_cell_m > 0 ? opts->slope_target_cell_m : SB_BUILD_DEFAULT_TARGET_M;
  PetscReal   threshold_km2 = opts->channel_threshold_km2;
  const char *maskname      = opts->mask ? opts->mask : opts->dem;
  char        outlet_desc[160];

  PetscFunctionBeginUser;
  PetscCheck(opts->dem && opts->dem[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh build: a DEM is required");
  PetscCheck(!isnan(threshold_km2) && threshold_km2 >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh build: channel threshold: expected an area >= 0 km2 (0 = default %.10g), got %.10g", SB_BUILD_DEFAULT_CHANNEL_KM2, (double)threshold_km2);
  if (threshold_km2 == 0) threshold_km2 = SB_BUILD_DEFAULT_CHANNEL_KM2;

  /* Read and check every input before any computation. */
  PetscCall(SbRasterRead(opts->dem, &w->dem));
  PetscCall(ReadOnGrid(opts->mask, w->dem, opts->dem, &w->mask));
  PetscCall(ReadOnGrid(opts->regions, w->dem, opts->dem, &w->regions));
  PetscCall(ReadOnGrid(opts->landuse, w->dem, opts->dem, &w->landuse));
  PetscCall(ReadOnGrid(opts->soil, w->dem, opts->dem, &w->soil));
  if (opts->gauges) {
    PetscCall(SbRasterReadText(opts->gauges, &w->csv));
    PetscCall(ParseGauges(opts->gauges, w->csv, w));
  }
  if (opts->classes) PetscCall(SbTerrainClassesCheck(opts->classes));
  PetscCheck(opts->river_burn_m >= 0 && opts->river_burn_m <= 1000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh build: river burn depth: expected 0 to 1000 m, got %g", (double)opts->river_burn_m);
  PetscCheck(D == 0 || (D > 1 && D < 2), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh build: slope fractal dimension: expected a number in (1, 2), got %g", (double)D);

  PetscCall(SbMeshDataCreate(w->dem->nx, w->dem->ny, &w->mesh));
  m           = w->mesh;
  n           = m->nx * m->ny;
  m->xll      = w->dem->xll;
  m->yll      = w->dem->yll;
  m->cellsize = w->dem->cellsize;
  PetscCall(SbRasterIsGeographic(w->dem, &m->geographic));
  PetscCall(SbMeshDataComputeMetrics(m));

  for (PetscInt i = 0; i < n; i++) {
    const PetscReal z = w->dem->v[i];

    m->mask[i] = w->mask ? (uint8_t)(!isnan(w->mask->v[i]) && w->mask->v[i] != 0) : (uint8_t)!isnan(z);
    PetscCheck(!m->mask[i] || !isnan(z), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: row %" PetscInt_FMT ", column %" PetscInt_FMT ": no data inside the basin mask (%s)", opts->dem, i / m->nx + 1, i % m->nx + 1, maskname);
    /* Outside the basin any finite value will do (meshdata.h); keep the DEM where it has data. */
    m->elevation[i] = isnan(z) ? 0 : z;
  }
  if (opts->rivers) {
    PetscCall(PetscMalloc1(n, &w->river));
    PetscCall(SbRiversRasterize(opts->rivers, m, opts->river_levels, opts->nriver_levels, w->river, &nriver));
    PetscCall(PetscInfo(NULL, "mesh build: %" PetscInt_FMT " cells of the grid lie on the rivers of %s\n", nriver, opts->rivers));
  }
  PetscCall(CountActive(m, &nbefore));
  PetscCheck(nbefore > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: no active cell (every cell is 0 or no data)", maskname);
  if (w->regions) PetscCall(CheckCodes(opts->regions, w->regions, m->mask, "region id", 1, SB_BUILD_MAX_REGIONS, &maxregion));
  if (w->landuse) PetscCall(CheckCodes(opts->landuse, w->landuse, m->mask, "land-use code", SB_LU_FOREST, SB_LU_COUNT - 1, &maxcode));
  if (w->soil) PetscCall(CheckCodes(opts->soil, w->soil, m->mask, "soil code", SB_SOIL_SAND, SB_SOIL_COUNT - 1, &maxcode));
  if (opts->gauges) {
    PetscCall(LocateGauges(opts->gauges, opts->dem, m, w));
    /* Without a mask a gauge "outlet" makes the basin its catchment, so it may lie anywhere. */
    PetscCall(CheckGaugesInMask(opts->gauges, maskname, m, w, w->mask ? PETSC_FALSE : PETSC_TRUE));
    for (PetscInt g = 0; g < w->ngauges; g++) {
      PetscBool same;

      PetscCall(PetscStrcmp(w->gauges[g].name, "outlet", &same));
      if (same) outlet_gauge = g;
    }
  }

  /* The fractal dimension of the sub-grid slope from the DEM as read (before burning and filling). */
  if (D == 0) PetscCall(SbTerrainFractalDimension(m, m->elevation, &D));
  if (w->river && opts->river_burn_m > 0)
    for (PetscInt i = 0; i < n; i++)
      if (w->river[i] && m->mask[i]) m->elevation[i] -= opts->river_burn_m;

  /* The outlet: a CSV gauge "outlet" (snapped), else the lowest cell on the mask boundary, else
     (no mask) every cell on the border of the data drains off the grid. */
  if (outlet_gauge >= 0) {
    PetscCall(SnapOutletGauge(&w->gauges[outlet_gauge], w, &outlet));
    if (!w->mask) {
      PetscCall(PetscMalloc1(n, &w->catchment));
      PetscCall(SbFlowCatchment(m, outlet, w->catchment));
      PetscCall(PetscArraycpy(m->mask, w->catchment, n));
      PetscCall(CountActive(m, &nbefore));
      PetscCall(CheckGaugesInMask(opts->gauges, "the catchment of gauge \"outlet\"", m, w, PETSC_TRUE));
    }
    (void)snprintf(outlet_desc, sizeof(outlet_desc), "gauge \"outlet\" of the CSV snapped to row %" PetscInt_FMT ", col %" PetscInt_FMT, outlet / m->nx, outlet % m->nx);
  } else if (w->mask) {
    PetscCall(LowestBoundaryCell(m, &outlet));
    (void)snprintf(outlet_desc, sizeof(outlet_desc), "lowest cell on the mask boundary, row %" PetscInt_FMT ", col %" PetscInt_FMT, outlet / m->nx, outlet % m->nx);
  } else (void)snprintf(outlet_desc, sizeof(outlet_desc), "grid border (no mask, no gauge \"outlet\")");

  PetscCall(PetscCalloc1(w->ngauges, &m->gauges));
  for (PetscInt g = 0; g < w->ngauges; g++) {
    if (g == outlet_gauge) continue;
    PetscCall(PetscStrncpy(m->gauges[m->ngauges].name, w->gauges[g].name, sizeof(m->gauges[0].name)));
    m->gauges[m->ngauges].row = w->gauges[g].row;
    m->gauges[m->ngauges].col = w->gauges[g].col;
    m->ngauges++;
  }
  PetscCall(SbFlowCondition(m, outlet, threshold_km2 * 1e6));
  PetscCall(CountActive(m, &nafter));
  if (w->river)
    for (PetscInt i = 0; i < n; i++)
      if (w->river[i] && m->mask[i]) {
        nriver_channel++;
        m->channel[i] = 1;
      }
  if (opts->subgrid_slope_d8) PetscCall(SbTerrainSlopeSubgrid(m, m->slope, "D8 steepest-descent slope of the conditioned DEM (/slope)", D, target_m));
  else {
    /* The local gradient of the DEM as read, the surface D was estimated from: the D8 slope of
       the conditioned DEM is 0 on the flats that filling makes of depressions (docs/mesh-build.md). */
    PetscReal *local;

    PetscCall(PetscMalloc1(n, &local));
    PetscCall(SbTerrainLocalSlope(m, w->dem->v, local));
    PetscCall(SbTerrainSlopeSubgrid(m, local, "local gradient of the DEM as read, 3x3 finite differences of Horn (1981)", D, target_m));
    PetscCall(PetscFree(local));
  }
  if (nafter < nbefore) PetscCall(PetscInfo(NULL, "mesh build: %" PetscInt_FMT " cells of %s are not 8-connected to the outlet and were left out of the basin\n", nbefore - nafter, maskname));

  /* Regions, land use and soil on the final mask. The defaults are placeholders until real land
     use and soil maps of the basin are available (none was found: shared data SOURCES.md, s. 4). */
  for (PetscInt i = 0; i < n; i++) {
    if (!m->mask[i]) {
      m->region[i] = m->landuse[i] = m->soil[i] = 0;
      continue;
    }
    m->region[i]  = w->regions ? (int32_t)w->regions->v[i] : 1;
    m->landuse[i] = w->landuse ? (int32_t)w->landuse->v[i] : SB_LU_FOREST;
    m->soil[i]    = w->soil ? (int32_t)w->soil->v[i] : SB_SOIL_LOAM;
  }
  if (opts->classes) PetscCall(SbTerrainClasses(m, w->dem->v, opts->classes, w->landuse ? PETSC_TRUE : PETSC_FALSE, w->soil ? PETSC_TRUE : PETSC_FALSE));
  if (opts->reservoir) {
    PetscInt nwater = 0, nnew = 0;

    PetscCall(ReservoirCells(m, opts->reservoir_level_m, &nwater, &nnew));
    /* The published shares are of the land that is left: assign the classes again around the pool. */
    if (nnew > 0 && opts->classes) PetscCall(SbTerrainClasses(m, w->dem->v, opts->classes, w->landuse ? PETSC_TRUE : PETSC_FALSE, w->soil ? PETSC_TRUE : PETSC_FALSE));
    PetscCheck(nwater > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "--reservoir-level: no active cell of land use water (7) lies at or below %.2f m: the pool would be empty (water comes from --landuse or from water_below_m of --classes-from-terrain)", (double)opts->reservoir_level_m);
    m->reservoir_level_m = opts->reservoir_level_m;
  }
  if (w->regions) {
    m->nregions = maxregion;
    for (PetscInt r = 0; r < maxregion; r++) (void)snprintf(m->region_names[r], sizeof(m->region_names[r]), "region_%" PetscInt_FMT, r + 1);
  }
  {
    char extra[400];

    (void)snprintf(m->source, sizeof(m->source), "shuibao mesh build: dem %s (%s); mask %s; regions %s; landuse %s; soil %s; gauges %s; outlet %s; channel threshold %.10g km2; %" PetscInt_FMT " active cells%s", opts->dem,
                   m->geographic ? "WGS84 degrees" : "projected metres", opts->mask ? opts->mask : "none (every DEM data cell)", opts->regions ? opts->regions : "none (one region)", opts->landuse ? opts->landuse : opts->classes ? "from terrain rules" : "default forest (placeholder)",
                   opts->soil ? opts->soil : opts->classes ? "from terrain rules" : "default loam (placeholder)", opts->gauges ? opts->gauges : "none", outlet_desc, (double)threshold_km2, nafter, nafter < nbefore ? " (cells not connected to the outlet left out)" : "");
    (void)snprintf(extra, sizeof(extra), "; rivers %s (%" PetscInt_FMT " channel cells from it, burnt %.10g m); sub-grid slope: %s, fractal dimension %.4f%s, target cell %.10g m; classes %s; reservoir level %.10g m", opts->rivers ? opts->rivers : "none", nriver_channel, (double)opts->river_burn_m,
                   opts->subgrid_slope_d8 ? "D8 slope" : "local gradient of the DEM", (double)D, opts->slope_dimension > 0 ? "" : " (estimated from the DEM)", (double)target_m, opts->classes ? opts->classes : "none", (double)m->reservoir_level_m);
    PetscCall(PetscStrlcat(m->source, extra, sizeof(m->source)));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeshBuildParseLevels(const char *option, const char *text, SbMeshBuildOptions *opts)
{
  const char *p = text;

  PetscFunctionBeginUser;
  opts->nriver_levels = 0;
  for (;;) {
    char *end;
    long  v = strtol(p, &end, 10);

    PetscCheck(end != p && (*end == ',' || *end == 0) && opts->nriver_levels < 8, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected a comma-separated list of up to 8 integer levels, got \"%s\"", option, text);
    opts->river_levels[opts->nriver_levels++] = (PetscInt)v;
    if (!*end) break;
    p = end + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeshBuild(const SbMeshBuildOptions *opts, SbMeshData **mesh)
{
  BuildWork      w;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *mesh = NULL;
  PetscCall(PetscMemzero(&w, sizeof(w)));
  ierr = BuildMesh(opts, &w);
  /* Free the work space whether or not the build succeeded, then pass any error on. */
  PetscCall(SbRasterDestroy(&w.dem));
  PetscCall(SbRasterDestroy(&w.mask));
  PetscCall(SbRasterDestroy(&w.regions));
  PetscCall(SbRasterDestroy(&w.landuse));
  PetscCall(SbRasterDestroy(&w.soil));
  PetscCall(PetscFree(w.gauges));
  PetscCall(PetscFree(w.csv));
  PetscCall(PetscFree(w.saved_elevation));
  PetscCall(PetscFree(w.catchment));
  PetscCall(PetscFree(w.river));
  if (ierr) PetscCall(SbMeshDataDestroy(&w.mesh));
  PetscCall(ierr);
  *mesh = w.mesh;
  PetscFunctionReturn(PETSC_SUCCESS);
}
