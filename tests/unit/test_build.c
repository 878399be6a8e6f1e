/* Unit test of `shuibao mesh build` (mesh/build.c).
   1. The real upper Han River basin from the shared data folder (SB_SHARED_DATA_DIR): upstream
      areas at the outlet, Baihe and Ankang against the values derived in
      hanjiang/SOURCES.md (section 2). A missing data folder is a failure, not a skip.
   2. Small synthetic inputs: the outlet rules, gauge names, regions, and input errors that must
      name the file and the field. */
#include "build.h"
#include "sbtest.h"
#include "flow.h"
#include "raster.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SB_SHARED_DATA_DIR
  #error "SB_SHARED_DATA_DIR must be defined (CMake sets it to the shared data folder)"
#endif

static PetscErrorCode FindGauge(const SbMeshData *m, const char *name, const SbGauge **g)
{
  PetscFunctionBeginUser;
  *g = NULL;
  for (PetscInt k = 0; k < m->ngauges; k++)
    if (!strcmp(m->gauges[k].name, name)) *g = &m->gauges[k];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckArea(Test *t, const SbMeshData *m, const char *gauge, PetscReal ref_km2, PetscReal tol)
{
  const SbGauge *g;
  char           what[256];
  PetscReal      a;

  PetscFunctionBeginUser;
  PetscCall(FindGauge(m, gauge, &g));
  a = g ? g->upstream_area_m2 / 1e6 : 0;
  PetscCall(PetscSNPrintf(what, sizeof(what), "Han River: %s upstream area %.1f km2 (row %d, col %d), reference %.0f km2, difference %+.2f%% (tolerance %.0f%%)", gauge, (double)a, g ? (int)g->row : -1, g ? (int)g->col : -1, (double)ref_km2, (double)(100 * (a - ref_km2) / ref_km2), (double)(100 * tol)));
  PetscCall(Check(t, (PetscBool)(g && PetscAbsReal(a - ref_km2) <= tol * ref_km2), what));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestHanRiver(Test *t)
{
  const char        *files[3] = {"hanjiang/dem/hanjiang_srtm30plus_0p02deg.asc", "hanjiang/basin/hanjiang_basin_zones_0p02deg.asc", "hanjiang/basin/outlets.csv"};
  char               path[3][PETSC_MAX_PATH_LEN], what[PETSC_MAX_PATH_LEN + 128];
  SbMeshBuildOptions opts;
  SbMeshData        *m;
  const SbGauge     *outlet, *dam;
  PetscReal          area = 0;
  PetscInt           nregion[4] = {0, 0, 0, 0};
  PetscBool          defaults   = PETSC_TRUE, present;
  PetscLogDouble     t0, t1;

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < 3; k++) {
    PetscCall(PetscSNPrintf(path[k], sizeof(path[k]), "%s/%s", SB_SHARED_DATA_DIR, files[k]));
    PetscCall(PetscTestFile(path[k], 'r', &present));
    if (!present) {
      PetscCall(PetscSNPrintf(what, sizeof(what), "the shared data file %s is missing: the real-basin test needs the shared data folder (SB_SHARED_DATA_DIR = %s)", path[k], SB_SHARED_DATA_DIR));
      PetscCall(Check(t, PETSC_FALSE, what));
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  }
  PetscCall(PetscMemzero(&opts, sizeof(opts)));
  opts.dem     = path[0];
  opts.mask    = path[1];
  opts.regions = path[1];
  opts.gauges  = path[2];
  PetscCall(PetscTime(&t0));
  PetscCall(SbMeshBuild(&opts, &m));
  PetscCall(PetscTime(&t1));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "      Han River mesh built in %.2f s: %s\n", (double)(t1 - t0), m->source));

  PetscCall(Check(t, (PetscBool)(m->nx == 325 && m->ny == 200 && m->geographic), "Han River: 325 x 200 grid detected as WGS84 degrees"));
  PetscCall(Check(t, (PetscBool)(m->dx_m[0] < m->dx_m[m->ny - 1] && PetscAbsReal(m->dy_m - 2223.9) < 1), "Han River: dx_m grows southwards, dy_m = 0.02 degrees = 2224 m"));
  /* SOURCES.md: 94,106 km2 above the dam, 57,598 above Baihe, 39,287 above Ankang (derived with
     rivers burned in and cos(lat) cell areas), 39,301 published for Ankang. */
  PetscCall(CheckArea(t, m, "outlet", 94106, 0.02));
  PetscCall(CheckArea(t, m, "ankang", 39287, 0.02));
  PetscCall(CheckArea(t, m, "baihe", 57598, 0.03));
  PetscCall(FindGauge(m, "outlet", &outlet));
  PetscCall(FindGauge(m, "danjiangkou_dam_huangjiagang", &dam));
  PetscCall(Check(t, (PetscBool)(outlet && outlet->row == 116 && outlet->col == 303), "Han River: outlet (lowest cell on the mask boundary) is the dam cell of outlets.csv, row 116, col 303"));
  PetscCall(Check(t, (PetscBool)(dam && outlet && dam->row == outlet->row && dam->col == outlet->col), "Han River: gauge \"Danjiangkou_dam_Huangjiagang\" read as danjiangkou_dam_huangjiagang and snapped onto the outlet"));
  for (PetscInt i = 0; i < m->nx * m->ny; i++) {
    if (m->mask[i]) {
      area += m->cell_area[i];
      if (m->region[i] >= 1 && m->region[i] <= 3) nregion[m->region[i]]++;
      if (m->landuse[i] != SB_LU_FOREST || m->soil[i] != SB_SOIL_LOAM) defaults = PETSC_FALSE;
    } else if (m->region[i] || m->landuse[i] || m->soil[i]) defaults = PETSC_FALSE;
  }
  PetscCall(Check(t, (PetscBool)(outlet && PetscAbsReal(outlet->upstream_area_m2 - area) <= 1e-12 * area), "Han River: the outlet drains the whole active area (mass)"));
  PetscCall(Check(t, (PetscBool)(m->nregions == 3 && !strcmp(m->region_names[0], "region_1") && !strcmp(m->region_names[2], "region_3") && nregion[1] > 0 && nregion[2] > 0 && nregion[3] > 0), "Han River: regions 1-3 named region_1..region_3, each with cells"));
  PetscCall(Check(t, defaults, "Han River: default land use forest and soil loam inside, 0 outside"));
  PetscCall(Check(t, (PetscBool)(m->channel_threshold_m2 == 10e6), "Han River: default channel threshold 10 km2"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Synthetic inputs: 6 x 5 cells of 100 m. Valley along column 2, falling south to (4, 2) at
   80 m; column 5 is outside the basin (no data in the DEM, 0 in the mask). */

static PetscErrorCode WriteText(Test *t, const char *name, const char *text, char path[PETSC_MAX_PATH_LEN])
{
  FILE *fp;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(path, PETSC_MAX_PATH_LEN, "%s/%s", t->dir, name));
  fp = fopen(path, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create %s", path);
  PetscCheck(fputs(text, fp) >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot write %s", path);
  PetscCheck(!fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "cannot close %s", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define GRID_HEADER "ncols 6\nnrows 5\nxllcorner 0\nyllcorner 0\ncellsize 100\nNODATA_value -9999\n"

typedef struct {
  char dem[PETSC_MAX_PATH_LEN], mask[PETSC_MAX_PATH_LEN], regions[PETSC_MAX_PATH_LEN], gauges[PETSC_MAX_PATH_LEN];
} Inputs;

static PetscErrorCode WriteInputs(Test *t, Inputs *in)
{
  PetscFunctionBeginUser;
  PetscCall(WriteText(t, "dem.asc", GRID_HEADER "120 110 100 110 120 -9999\n115 105 95 105 115 -9999\n110 100 90 100 110 -9999\n105 95 85 95 105 -9999\n100 90 80 90 100 -9999\n", in->dem));
  PetscCall(WriteText(t, "mask.asc", GRID_HEADER "1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", in->mask));
  PetscCall(WriteText(t, "regions.asc", GRID_HEADER "1 1 1 2 2 0\n1 1 1 2 2 0\n1 1 1 2 2 0\n1 1 1 2 2 0\n1 1 1 2 2 -9999\n", in->regions));
  /* Quoted name with a comma, upper case and spaces; x/y columns after extra ones. */
  PetscCall(WriteText(t, "gauges.csv", "id,Name,notes,X,Y\n1,\"Upper, Left Gauge\",\"a \"\"quoted\"\" note\",150,350\n\n2,mid,,250,250\n", in->gauges));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ExpectBuildError(Test *t, const SbMeshBuildOptions *opts, const char *what, const char *e1, const char *e2, const char *e3)
{
  Capture        cap = {0, ""};
  SbMeshData    *m   = NULL;
  PetscErrorCode ierr;
  PetscBool      ok;
  char           msg[4096];

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbMeshBuild(opts, &m);
  PetscCall(PetscPopErrorHandler());
  ok = (ierr == PETSC_ERR_USER_INPUT && cap.code == PETSC_ERR_USER_INPUT && !m && !strchr(cap.msg, '\n')) ? PETSC_TRUE : PETSC_FALSE;
  if (e1 && !strstr(cap.msg, e1)) ok = PETSC_FALSE;
  if (e2 && !strstr(cap.msg, e2)) ok = PETSC_FALSE;
  if (e3 && !strstr(cap.msg, e3)) ok = PETSC_FALSE;
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s is rejected: [%d] %s", what, (int)ierr, cap.msg));
  PetscCall(Check(t, ok, msg));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestSynthetic(Test *t)
{
  Inputs             in;
  SbMeshBuildOptions opts;
  SbMeshData        *m;
  const SbGauge     *g, *o;
  char               path[PETSC_MAX_PATH_LEN];
  PetscInt           nactive = 0;

  PetscFunctionBeginUser;
  PetscCall(WriteInputs(t, &in));
  PetscCall(PetscMemzero(&opts, sizeof(opts)));
  opts.dem                   = in.dem;
  opts.mask                  = in.mask;
  opts.regions               = in.regions;
  opts.gauges                = in.gauges;
  opts.channel_threshold_km2 = 0.05;
  PetscCall(SbMeshBuild(&opts, &m));
  for (PetscInt i = 0; i < m->nx * m->ny; i++) nactive += m->mask[i];
  PetscCall(FindGauge(m, "outlet", &o));
  PetscCall(Check(t, (PetscBool)(!m->geographic && nactive == 25 && o && o->row == 4 && o->col == 2 && o->upstream_area_m2 == 25 * 1e4), "synthetic: projected, 25 active cells, outlet at the lowest boundary cell (4, 2) draining 250000 m2"));
  PetscCall(FindGauge(m, "upper__left_gauge", &g));
  PetscCall(Check(t, (PetscBool)(g && g->row == 4 && g->col == 2), "synthetic: gauge \"Upper, Left Gauge\" named upper__left_gauge, snapped to the valley outlet within 4 cells"));
  PetscCall(Check(t, (PetscBool)(m->nregions == 2 && !strcmp(m->region_names[1], "region_2") && m->region[3] == 2 && m->region[5] == 0), "synthetic: 2 regions, region 0 outside the mask"));
  PetscCall(Check(t, (PetscBool)(m->channel_threshold_m2 == 5e4 && m->channel[4 * 6 + 2] && !m->channel[0]), "synthetic: channel threshold 0.05 km2"));
  PetscCall(SbMeshDataDestroy(&m));

  /* Without a mask, a gauge "outlet" makes the basin its catchment. A second valley along column
     8 drains north to (0, 8); column 5 is too high to drain anywhere but west, into the first. */
  {
    char dem2[PETSC_MAX_PATH_LEN], csv2[PETSC_MAX_PATH_LEN];

    PetscCall(WriteText(t, "dem2.asc", "ncols 11\nnrows 5\nxllcorner 0\nyllcorner 0\ncellsize 100\n"
                               "120 110 100 110 120 230 220 210 200 210 220\n"
                               "115 105 95 105 115 235 225 215 205 215 225\n"
                               "110 100 90 100 110 240 230 220 210 220 230\n"
                               "105 95 85 95 105 245 235 225 215 225 235\n"
                               "100 90 80 90 100 250 240 230 220 230 240\n", dem2));
    PetscCall(WriteText(t, "outlet.csv", "name,x,y\nOutlet,260,40\n", csv2));
    PetscCall(PetscMemzero(&opts, sizeof(opts)));
    opts.dem    = dem2;
    opts.gauges = csv2;
    PetscCall(SbMeshBuild(&opts, &m));
    nactive = 0;
    for (PetscInt i = 0; i < m->nx * m->ny; i++) nactive += m->mask[i];
    PetscCall(FindGauge(m, "outlet", &o));
    PetscCall(Check(t, (PetscBool)(nactive == 30 && !m->mask[6] && !m->mask[4 * 11 + 10] && m->mask[4 * 11 + 5] && o && o->row == 4 && o->col == 2 && o->upstream_area_m2 == 30 * 1e4 && m->ngauges == 1), "no mask + gauge outlet: the basin is the 30-cell catchment of (4, 2), columns 0-5"));
    PetscCall(SbMeshDataDestroy(&m));
    opts.gauges = NULL;
    opts.mask   = NULL;
    PetscCall(SbMeshBuild(&opts, &m));
    nactive = 0;
    for (PetscInt i = 0; i < m->nx * m->ny; i++) nactive += m->mask[i];
    PetscCall(FindGauge(m, "outlet", &o));
    PetscCall(Check(t, (PetscBool)(nactive == 55 && o && o->row == 4 && o->col == 2 && m->nregions == 1), "no mask, no gauges: every DEM cell active, outlet = largest drainage (4, 2), one region"));
    PetscCall(SbMeshDataDestroy(&m));
    /* A mask and a gauge "outlet" at the mouth of the second valley (more than 4 cells from the
       first): the fill is seeded there, so the whole mask, the first valley too, drains through it. */
    PetscCall(WriteText(t, "outlet.csv", "name,x,y\noutlet,850,450\n", csv2));
    opts.mask   = dem2;
    opts.gauges = csv2;
    PetscCall(SbMeshBuild(&opts, &m));
    PetscCall(FindGauge(m, "outlet", &o));
    PetscCall(Check(t, (PetscBool)(o && o->row == 0 && o->col == 8 && o->upstream_area_m2 == 55 * 1e4 && strstr(m->source, "gauge \"outlet\"")), "mask + gauge outlet at (0, 8): the fill is seeded there and all 55 cells drain through it"));
    PetscCall(SbMeshDataDestroy(&m));
    (void)remove(dem2);
    (void)remove(csv2);
  }

  /* Input errors: each names the file and the field. */
  PetscCall(PetscMemzero(&opts, sizeof(opts)));
  opts.dem  = in.dem;
  opts.mask = in.mask;
  opts.landuse = path;
  PetscCall(WriteText(t, "landuse_bad.asc", GRID_HEADER "1 1 1 1 1 0\n1 1 1 9 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "land-use code 9", "landuse_bad.asc", "row 2, column 4", "land-use code 9"));
  PetscCall(WriteText(t, "landuse_frac.asc", GRID_HEADER "1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 2.5 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "land-use code 2.5", "landuse_frac.asc", "row 3, column 3", "2.5"));
  opts.landuse = NULL;
  opts.soil    = path;
  PetscCall(WriteText(t, "soil_zero.asc", GRID_HEADER "4 4 4 4 4 0\n4 4 4 4 4 0\n4 4 4 4 4 0\n4 4 4 4 4 0\n4 0 4 4 4 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "soil code 0 inside the basin", "soil_zero.asc", "row 5, column 2", "soil code 0"));
  PetscCall(WriteText(t, "soil_nodata.asc", GRID_HEADER "4 4 4 4 4 0\n4 4 4 4 4 0\n4 4 4 4 -9999 0\n4 4 4 4 4 0\n4 4 4 4 4 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "soil no data inside the basin", "soil_nodata.asc", "row 3, column 5", "no data"));
  opts.soil    = NULL;
  opts.regions = path;
  PetscCall(WriteText(t, "regions_zero.asc", GRID_HEADER "1 1 1 1 1 0\n1 0 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "region id 0 inside the basin", "regions_zero.asc", "row 2, column 2", "region id 0"));
  PetscCall(WriteText(t, "regions_17.asc", GRID_HEADER "1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 17 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "region id 17", "regions_17.asc", "row 3, column 5", "region id 17"));
  opts.regions = NULL;
  opts.mask    = path;
  PetscCall(WriteText(t, "mask_hole.asc", GRID_HEADER "1 1 1 1 1 0\n1 1 1 1 1 1\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "DEM no data inside the mask", "dem.asc", "row 2, column 6", "mask_hole.asc"));
  PetscCall(WriteText(t, "mask_shifted.asc", "ncols 6\nnrows 5\nxllcorner 50\nyllcorner 0\ncellsize 100\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n1 1 1 1 1 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a mask on another grid", "mask_shifted.asc", "dem.asc", "grid"));
  PetscCall(WriteText(t, "mask_empty.asc", GRID_HEADER "0 0 0 0 0 0\n0 0 0 0 0 0\n0 0 0 0 0 0\n0 0 0 0 0 0\n0 0 0 0 0 0\n", path));
  PetscCall(ExpectBuildError(t, &opts, "an empty mask", "mask_empty.asc", "no active cell", NULL));
  opts.mask   = in.mask;
  opts.gauges = path;
  PetscCall(WriteText(t, "g_outside_grid.csv", "name,x,y\na,150,350\nb,650,250\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a gauge off the grid", "g_outside_grid.csv", "line 3", "\"b\""));
  PetscCall(WriteText(t, "g_outside_mask.csv", "name,lon,lat\na,550,250\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a gauge outside the mask", "g_outside_mask.csv", "line 2", "outside the basin"));
  PetscCall(WriteText(t, "g_no_name.csv", "station,x,y\na,150,350\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a CSV without a name column", "g_no_name.csv", "line 1", "\"name\""));
  PetscCall(WriteText(t, "g_no_y.csv", "name,x,northing\na,150,350\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a CSV without a y column", "g_no_y.csv", "line 1", "approx_lat"));
  PetscCall(WriteText(t, "g_twice.csv", "name,x,y\nA b,150,350\na-b,250,250\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a repeated gauge name", "g_twice.csv", "line 3", "\"a_b\" already used on line 2"));
  PetscCall(WriteText(t, "g_bad_x.csv", "name,x,y\na,east,350\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a non-numeric coordinate", "g_bad_x.csv", "line 2", "\"east\""));
  PetscCall(WriteText(t, "g_short.csv", "name,x,y\na,150\n", path));
  PetscCall(ExpectBuildError(t, &opts, "a short CSV line", "g_short.csv", "line 2", "expected at least 3 fields"));
  PetscCall(WriteText(t, "g_quote.csv", "name,x,y\n\"a,150,350\n", path));
  PetscCall(ExpectBuildError(t, &opts, "an unterminated quote", "g_quote.csv", "line 2", "badly quoted"));
  opts.gauges = t->dir;
  PetscCall(ExpectBuildError(t, &opts, "a directory as the gauge CSV", t->dir, "is a directory", NULL));
  opts.gauges = NULL;
  opts.dem    = path;
  PetscCall(PetscSNPrintf(path, sizeof(path), "%s/no_such_dem.asc", t->dir));
  PetscCall(ExpectBuildError(t, &opts, "a missing DEM", "no_such_dem.asc", "cannot open", NULL));
  opts.dem                   = in.dem;
  opts.channel_threshold_km2 = -1;
  PetscCall(ExpectBuildError(t, &opts, "a negative channel threshold", "channel threshold", NULL, NULL));

  {
    static const char *const files[] = {"landuse_bad.asc", "landuse_frac.asc", "soil_zero.asc", "soil_nodata.asc", "regions_zero.asc", "regions_17.asc", "mask_hole.asc", "mask_shifted.asc", "mask_empty.asc", "g_outside_grid.csv", "g_outside_mask.csv", "g_no_name.csv", "g_no_y.csv", "g_twice.csv", "g_bad_x.csv", "g_short.csv", "g_quote.csv"};

    for (size_t k = 0; k < sizeof(files) / sizeof(files[0]); k++) {
      PetscCall(PetscSNPrintf(path, sizeof(path), "%s/%s", t->dir, files[k]));
      (void)remove(path);
    }
  }
  (void)remove(in.dem);
  (void)remove(in.mask);
  (void)remove(in.regions);
  (void)remove(in.gauges);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t;

  PetscCall(PetscInitialize(&argc, &argv, NULL, "Unit test of mesh/build.c"));
  PetscCall(PetscMemzero(&t, sizeof(t)));
  PetscCall(PetscStrncpy(t.dir, "/tmp/sb_test_build_XXXXXX", sizeof(t.dir)));
  PetscCheck(mkdtemp(t.dir), PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "cannot create a temporary directory");
  PetscCall(TestHanRiver(&t));
  PetscCall(TestSynthetic(&t));
  (void)rmdir(t.dir);
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "test_build: %" PetscInt_FMT " checks, %" PetscInt_FMT " failed\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
