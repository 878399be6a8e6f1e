/* The synthetic Danjiangkou-like basin (SbMeshSynth) against the properties it promises:
   docs/synthetic-basin.md lists them with the real figures they imitate.

   At 2 km and 1 km cells (fast) and at 90 m (about half a minute): active area 95,000 km² ± 5%,
   Qinling-like peaks above 3,000 m north of the main stem and Daba-like peaks of 2,000-2,500 m
   south of it, a flat reservoir at 170 m in the east, the outlet at the east tip draining every
   active cell, Ankang and Baihe on the main stem at about the real shares of the basin, the
   three regions, and land-use shares. At 90 m also the mean slope, atan of the D8
   steepest-descent tangent stored in mesh->slope, averaged over active cells: 15-25°.
   Then: a dendritic channel network (Strahler order), the same landscape at 3 km and 1 km,
   determinism, and cell sizes out of range. */
#include "synth.h"
#include "flow.h"
#include "sbtest.h"
#include <petsctime.h>
#include <math.h>
#include <string.h>

/* A check whose line also shows the value found and what was expected. */
static PetscErrorCode CheckValue(Test *t, PetscBool ok, const char *what, double got, const char *want)
{
  char msg[512];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: got %.10g, expected %s", what, got, want));
  PetscCall(Check(t, ok, msg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool InRange(double v, double lo, double hi)
{
  return (v >= lo && v <= hi) ? PETSC_TRUE : PETSC_FALSE;
}

static PetscErrorCode FindGauge(const SbMeshData *m, const char *name, const SbGauge **g)
{
  PetscFunctionBeginUser;
  *g = NULL;
  for (PetscInt k = 0; k < m->ngauges; k++) {
    PetscBool same;

    PetscCall(PetscStrcmp(m->gauges[k].name, name, &same));
    if (same) *g = &m->gauges[k];
  }
  PetscCheck(*g, PETSC_COMM_SELF, PETSC_ERR_PLIB, "gauge %s missing", name);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static inline PetscInt Receiver(const SbMeshData *m, PetscInt i)
{
  const uint8_t code = m->flow_direction[i];
  PetscInt      r = i / m->nx, c = i % m->nx;

  if (code == SB_D8_NONE) return -1;
  if (code == SB_D8_E || code == SB_D8_SE || code == SB_D8_NE) c++;
  if (code == SB_D8_W || code == SB_D8_SW || code == SB_D8_NW) c--;
  if (code == SB_D8_S || code == SB_D8_SE || code == SB_D8_SW) r++;
  if (code == SB_D8_N || code == SB_D8_NE || code == SB_D8_NW) r--;
  return r * m->nx + c;
}

typedef struct {
  PetscInt  i;
  PetscReal a;
} ByArea;

static int CompareByArea(const void *x, const void *y)
{
  const ByArea *p = (const ByArea *)x, *q = (const ByArea *)y;

  if (p->a != q->a) return p->a < q->a ? -1 : 1;
  return p->i < q->i ? -1 : (p->i > q->i);
}

/* Strahler (1957) order of the channel network at the outlet: donors before receivers by
   increasing upstream area; a channel cell takes the largest order among its channel donors,
   plus one where two or more donors share it. Parallel lines into the main stem give order 2. */
static PetscErrorCode StrahlerAtOutlet(const SbMeshData *m, PetscInt outlet, PetscInt *order_out)
{
  const PetscInt n = m->nx * m->ny;
  ByArea        *cells;
  PetscInt      *order, *nmax, nc = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n, &cells));
  PetscCall(PetscCalloc2(n, &order, n, &nmax));
  for (PetscInt i = 0; i < n; i++)
    if (m->mask[i] && m->channel[i]) {
      cells[nc].i   = i;
      cells[nc++].a = m->flow_accumulation[i];
    }
  qsort(cells, (size_t)nc, sizeof(*cells), CompareByArea);
  for (PetscInt k = 0; k < nc; k++) {
    const PetscInt i = cells[k].i, j = Receiver(m, i);

    if (!order[i]) order[i] = 1;
    else if (nmax[i] >= 2) order[i]++;
    if (j < 0 || !m->channel[j]) continue;
    if (order[i] > order[j]) {
      order[j] = order[i];
      nmax[j]  = 1;
    } else if (order[i] == order[j]) nmax[j]++;
  }
  *order_out = order[outlet];
  PetscCall(PetscFree2(order, nmax));
  PetscCall(PetscFree(cells));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every property that must hold at any tested cell size. */
static PetscErrorCode CheckBasin(Test *t, const SbMeshData *m, PetscBool slope_criterion)
{
  const PetscReal h = m->cellsize;
  const SbGauge *ga, *gb, *go;
  PetscInt      *stemrow, outlet, nres = 0, strahler = 0, nactive = 0, badcode = 0;
  PetscReal      area = 0, lu[SB_LU_COUNT] = {0}, reg[4] = {0}, res_area = 0, zn = 0, zs = 0, slope = 0, resmaxdev = 0;
  PetscInt       rescolmin = PETSC_MAX_INT;
  char           tag[64];
  PetscBool      boundary;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(tag, sizeof(tag), "%g m", (double)h));
  PetscCall(FindGauge(m, "ankang", &ga));
  PetscCall(FindGauge(m, "baihe", &gb));
  PetscCall(FindGauge(m, "outlet", &go));
  outlet = go->row * m->nx + go->col;

  /* North and south of the main stem: in each column whose largest accumulation is on the
     main stem (more than 2% of the basin), the rows above and below that cell. */
  PetscCall(PetscMalloc1(m->nx, &stemrow));
  for (PetscInt c = 0; c < m->nx; c++) {
    PetscReal best = 0;

    stemrow[c] = -1;
    for (PetscInt r = 0; r < m->ny; r++)
      if (m->mask[r * m->nx + c] && m->flow_accumulation[r * m->nx + c] > best) {
        best       = m->flow_accumulation[r * m->nx + c];
        stemrow[c] = r;
      }
    if (best < 0.02 * m->flow_accumulation[outlet]) stemrow[c] = -1;
  }
  for (PetscInt r = 0; r < m->ny; r++)
    for (PetscInt c = 0; c < m->nx; c++) {
      const PetscInt i = r * m->nx + c;

      if (!m->mask[i]) continue;
      nactive++;
      area += m->cell_area[i];
      slope += atan(m->slope[i]);
      if (m->landuse[i] < 1 || m->landuse[i] > 7 || m->soil[i] < 1 || m->soil[i] > 11 || m->region[i] < 1 || m->region[i] > 3) badcode++;
      else {
        lu[m->landuse[i]] += m->cell_area[i];
        reg[m->region[i]] += m->cell_area[i];
      }
      if (stemrow[c] >= 0 && r < stemrow[c]) zn = PetscMax(zn, m->elevation[i]);
      if (stemrow[c] >= 0 && r > stemrow[c]) zs = PetscMax(zs, m->elevation[i]);
      /* Reservoir: water at the pool level (the conditioning adds at most ulps). */
      if (m->landuse[i] == SB_LU_WATER && PetscAbsReal(m->elevation[i] - 170.0) < 1e-6) {
        nres++;
        res_area += m->cell_area[i];
        resmaxdev = PetscMax(resmaxdev, PetscAbsReal(m->elevation[i] - 170.0));
        rescolmin = PetscMin(rescolmin, c);
      }
    }
  slope = slope / nactive * 180.0 / PETSC_PI;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "     %s: mean D8 slope %.2f deg, peaks north %.0f m / south %.0f m, reservoir %.0f km2, regions %.1f / %.1f / %.1f %%\n", tag, (double)slope, (double)zn, (double)zs, (double)(res_area / 1e6), (double)(100 * reg[1] / area), (double)(100 * reg[2] / area), (double)(100 * reg[3] / area)));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "     %s: land use %% forest %.1f shrub/grass %.1f sloping crop %.1f terraces %.1f paddy %.1f urban %.1f water %.1f\n", tag, (double)(100 * lu[1] / area), (double)(100 * lu[2] / area), (double)(100 * lu[3] / area), (double)(100 * lu[4] / area), (double)(100 * lu[5] / area), (double)(100 * lu[6] / area), (double)(100 * lu[7] / area)));

  PetscCall(CheckValue(t, (PetscBool)(!m->geographic && m->cellsize == h), "projected grid at the requested cell size", m->cellsize, "the cell size, geographic false"));
  PetscCall(CheckValue(t, InRange(area / 1e6, 0.95 * 95000, 1.05 * 95000), "active area (km2)", area / 1e6, "95,000 +- 5%"));
  PetscCall(CheckValue(t, (PetscBool)(m->nx * h >= 555000 && m->nx * h <= 565000 && m->ny * h >= 275000 && m->ny * h <= 285000), "footprint W-E (km)", m->nx * h / 1000, "about 560 x 280 km"));
  PetscCall(CheckValue(t, (PetscBool)(badcode == 0), "active cells with land use 1-7, soil 1-11, region 1-3", (double)badcode, "0 bad cells"));
  PetscCall(CheckValue(t, (PetscBool)(zn > 3000), "highest peak north of the main stem (m)", zn, "> 3000 (Qinling)"));
  PetscCall(CheckValue(t, InRange(zs, 2000, 2500), "highest peak south of the main stem (m)", zs, "[2000, 2500] (Daba Shan)"));
  PetscCall(CheckValue(t, (PetscBool)(m->reservoir_level_m == 170.0), "reservoir_level_m", m->reservoir_level_m, "170"));
  PetscCall(CheckValue(t, (PetscBool)(res_area > 300e6), "reservoir area at 170 m (km2)", res_area / 1e6, "> 300"));
  PetscCall(CheckValue(t, (PetscBool)(nres > 0 && rescolmin > 0.7 * m->nx), "westernmost reservoir cell (fraction of the width)", nres ? (double)rescolmin / m->nx : -1, "> 0.7 (in the east)"));
  PetscCall(CheckValue(t, (PetscBool)(m->elevation[outlet] < 170.0), "outlet elevation below the dam (m)", m->elevation[outlet], "< 170"));
  PetscCall(SbFlowIsBoundary(m, outlet, &boundary));
  PetscCall(CheckValue(t, (PetscBool)(boundary && go->col > 0.95 * m->nx && m->flow_direction[outlet] == SB_D8_NONE), "outlet column (fraction of the width), on the mask boundary, no D8 receiver", (double)go->col / m->nx, "> 0.95"));
  PetscCall(CheckValue(t, (PetscBool)(PetscAbsReal(go->upstream_area_m2 - area) <= 1e-9 * area), "outlet upstream area / active area", go->upstream_area_m2 / area, "1 to 1e-9"));
  PetscCall(CheckValue(t, InRange(ga->upstream_area_m2 / area, 0.35, 0.50), "ankang upstream share", ga->upstream_area_m2 / area, "[0.35, 0.50] (real 0.42)"));
  PetscCall(CheckValue(t, InRange(gb->upstream_area_m2 / area, 0.55, 0.70), "baihe upstream share", gb->upstream_area_m2 / area, "[0.55, 0.70] (real 0.61)"));
  PetscCall(CheckValue(t, (PetscBool)(ga->col < gb->col && m->region[ga->row * m->nx + ga->col] == 1 && m->region[gb->row * m->nx + gb->col] == 2), "ankang west of baihe, in regions 1 and 2", (double)(gb->col - ga->col), "> 0 columns"));
  PetscCall(CheckValue(t, (PetscBool)(m->nregions == 3 && !strcmp(m->region_names[0], "upper") && !strcmp(m->region_names[1], "middle") && !strcmp(m->region_names[2], "lower")), "regions upper, middle, lower", (double)m->nregions, "3"));
  PetscCall(CheckValue(t, (PetscBool)(PetscAbsReal(reg[1] - ga->upstream_area_m2) <= 1e-9 * area && PetscAbsReal(reg[1] + reg[2] - gb->upstream_area_m2) <= 1e-9 * area), "region 1 = catchment of ankang, 1+2 = of baihe (relative difference)", PetscAbsReal(reg[1] - ga->upstream_area_m2) / area, "<= 1e-9"));
  PetscCall(CheckValue(t, InRange(reg[1] / area, 0.35, 0.50) && InRange(reg[2] / area, 0.10, 0.30) && InRange(reg[3] / area, 0.25, 0.50), "region shares (upper)", reg[1] / area, "upper [.35,.5], middle [.1,.3], lower [.25,.5] (real .42/.19/.39)"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_FOREST] / area, 50, 60), "forest (%)", 100 * lu[SB_LU_FOREST] / area, "[50, 60]"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_SHRUB_GRASS] / area, 15, 20), "shrub and grass (%)", 100 * lu[SB_LU_SHRUB_GRASS] / area, "[15, 20]"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_SLOPING_CROPLAND] / area, 12, 15), "sloping cropland (%)", 100 * lu[SB_LU_SLOPING_CROPLAND] / area, "[12, 15]"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_TERRACED_CROPLAND] / area, 4, 6), "terraced cropland (%)", 100 * lu[SB_LU_TERRACED_CROPLAND] / area, "[4, 6]"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_PADDY] / area, 3, 5), "paddy (%)", 100 * lu[SB_LU_PADDY] / area, "[3, 5]"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_URBAN] / area, 1, 2), "urban (%)", 100 * lu[SB_LU_URBAN] / area, "[1, 2]"));
  PetscCall(CheckValue(t, InRange(100 * lu[SB_LU_WATER] / area, 1, 2), "water (%)", 100 * lu[SB_LU_WATER] / area, "[1, 2]"));
  PetscCall(CheckValue(t, (PetscBool)(m->channel_threshold_m2 == 10e6), "channel threshold (m2)", m->channel_threshold_m2, "1e7 (10 km2)"));
  if (slope_criterion) PetscCall(CheckValue(t, InRange(slope, 15, 25), "mean slope of active cells, atan(D8 slope) (deg)", slope, "[15, 25]"));
  if (h >= 1000) {
    PetscCall(StrahlerAtOutlet(m, outlet, &strahler));
    PetscCall(CheckValue(t, (PetscBool)(strahler >= 4), "Strahler order of the channel network at the outlet", (double)strahler, ">= 4 (dendritic)"));
  }
  PetscCall(PetscFree(stemrow));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Synth(PetscReal h, PetscInt seed, SbMeshData **m)
{
  PetscLogDouble t0, t1;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&t0));
  PetscCall(SbMeshSynth(h, seed, m));
  PetscCall(PetscTime(&t1));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "---- %g m: %" PetscInt_FMT " x %" PetscInt_FMT " cells, SbMeshSynth %.2f s\n", (double)h, (*m)->nx, (*m)->ny, (double)(t1 - t0)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Coarser grids sample the same landscape: with the frame origin at the grid corner, every
   270 m cell centre is a 90 m cell centre (row 3r + 1 - 3 ny270 + ny90... see below). Cells
   changed by raster work (depression filling, stem burning, reservoir) may differ; all others
   must be equal bit for bit. */
static PetscErrorCode CheckSameLandscape(Test *t, const SbMeshData *fine)
{
  SbMeshData *a;
  PetscInt    n = 0, zeq = 0, zup = 0, lueq = 0;

  PetscFunctionBeginUser;
  PetscCall(Synth(3 * fine->cellsize, 1, &a));
  for (PetscInt r = 0; r < a->ny; r++)
    for (PetscInt c = 0; c < a->nx; c++) {
      /* Centre y = (ny - r - 1/2) h: equal when ny_f - rf = 3 (ny_a - r) - 1, x when cf = 3 c + 1. */
      const PetscInt rf = fine->ny - 3 * (a->ny - r) + 1, cf = 3 * c + 1, i = r * a->nx + c;
      PetscInt       j;

      if (rf < 0 || rf >= fine->ny || cf >= fine->nx) continue;
      j = rf * fine->nx + cf;
      if (!a->mask[i] || !fine->mask[j]) continue;
      n++;
      if (a->elevation[i] == fine->elevation[j]) zeq++;
      else if (a->elevation[i] > fine->elevation[j]) zup++;
      if (a->landuse[i] == fine->landuse[j]) lueq++;
    }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "     %g m vs %g m: %" PetscInt_FMT " common centres, %" PetscInt_FMT " equal elevations, %" PetscInt_FMT " higher on the coarse grid (filled)\n", (double)a->cellsize, (double)fine->cellsize, n, zeq, zup));
  PetscCall(CheckValue(t, (PetscBool)(n > 100000 && zeq > 0.9 * n), "share of common cell centres with equal elevation", (double)zeq / PetscMax(n, 1), "> 0.9"));
  PetscCall(CheckValue(t, (PetscBool)(lueq > 0.97 * n), "share of common cell centres with equal land use", (double)lueq / PetscMax(n, 1), "> 0.97"));
  PetscCall(SbMeshDataDestroy(&a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckDeterminism(Test *t)
{
  SbMeshData *a, *b, *c;
  size_t      n;
  PetscBool   same;

  PetscFunctionBeginUser;
  PetscCall(SbMeshSynth(2000, 7, &a));
  PetscCall(SbMeshSynth(2000, 7, &b));
  PetscCall(SbMeshSynth(2000, 8, &c));
  n    = (size_t)a->nx * (size_t)a->ny;
  same = (PetscBool)(a->nx == b->nx && a->ny == b->ny && a->ngauges == b->ngauges && !memcmp(a->elevation, b->elevation, n * sizeof(PetscReal)) && !memcmp(a->mask, b->mask, n) && !memcmp(a->flow_direction, b->flow_direction, n) &&
                     !memcmp(a->flow_accumulation, b->flow_accumulation, n * sizeof(PetscReal)) && !memcmp(a->slope, b->slope, n * sizeof(PetscReal)) && !memcmp(a->channel, b->channel, n) && !memcmp(a->region, b->region, n * sizeof(int32_t)) &&
                     !memcmp(a->landuse, b->landuse, n * sizeof(int32_t)) && !memcmp(a->soil, b->soil, n * sizeof(int32_t)) && !memcmp(a->gauges, b->gauges, (size_t)a->ngauges * sizeof(SbGauge)));
  PetscCall(CheckValue(t, same, "same seed twice: identical arrays and gauges", (double)same, "1"));
  same = (PetscBool)(a->nx == c->nx && a->ny == c->ny && !memcmp(a->elevation, c->elevation, n * sizeof(PetscReal)));
  PetscCall(CheckValue(t, (PetscBool)!same, "another seed: different elevation", (double)same, "0"));
  PetscCall(SbMeshDataDestroy(&a));
  PetscCall(SbMeshDataDestroy(&b));
  PetscCall(SbMeshDataDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckCellSizeRange(Test *t)
{
  const PetscReal bad[3] = {89.9, 5000.1, NAN};

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < 3; k++) {
    SbMeshData    *m   = NULL;
    Capture        cap = {0, ""};
    PetscErrorCode ierr;
    char           what[256];

    PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
    ierr = SbMeshSynth(bad[k], 1, &m);
    PetscCall(PetscPopErrorHandler());
    PetscCall(PetscSNPrintf(what, sizeof(what), "cell size %g m: PETSC_ERR_USER_INPUT naming the cell size (\"%s\")", (double)bad[k], cap.msg));
    PetscCall(Check(t, (PetscBool)(ierr == PETSC_ERR_USER_INPUT && cap.code == PETSC_ERR_USER_INPUT && strstr(cap.msg, "cell size") && !m), what));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  SbMeshData *m;
  Test        t;

  memset(&t, 0, sizeof(t));
  PetscCall(PetscInitialize(&argc, &argv, NULL, "Unit test of mesh/synth.c"));
  PetscCall(CheckCellSizeRange(&t));
  PetscCall(CheckDeterminism(&t));
  PetscCall(Synth(2000, 1, &m));
  PetscCall(CheckBasin(&t, m, PETSC_FALSE));
  PetscCall(SbMeshDataDestroy(&m));
  PetscCall(Synth(1000, 1, &m));
  PetscCall(CheckBasin(&t, m, PETSC_FALSE));
  PetscCall(SbMeshDataDestroy(&m));
  PetscCall(Synth(90, 1, &m));
  PetscCall(CheckBasin(&t, m, PETSC_TRUE));
  PetscCall(CheckSameLandscape(&t, m));
  PetscCall(SbMeshDataDestroy(&m));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "test_synth: %" PetscInt_FMT " checks, %" PetscInt_FMT " failed\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
