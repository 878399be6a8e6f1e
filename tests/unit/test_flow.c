/* Unit test of hydrological conditioning (mesh/flow.c): small grids whose filled elevations,
   D8 codes and accumulations are worked out by hand below, and mass checks (the outlet drains
   exactly the area of the active cells) on random grids with pits. Unless stated, cells are
   1 m x 1 m, so an accumulation in m² is a number of cells. */
#include "flow.h"
#include "sbtest.h"
#include <math.h>
#include <string.h>

/* A projected grid of 1 m cells; mask NULL = all active. */
static PetscErrorCode MeshFrom(PetscInt nx, PetscInt ny, const PetscReal *z, const uint8_t *mask, SbMeshData **mesh)
{
  SbMeshData *m;

  PetscFunctionBeginUser;
  PetscCall(SbMeshDataCreate(nx, ny, &m));
  m->cellsize   = 1;
  m->geographic = PETSC_FALSE;
  PetscCall(SbMeshDataComputeMetrics(m));
  for (PetscInt i = 0; i < nx * ny; i++) {
    m->elevation[i] = z[i];
    m->mask[i]      = mask ? mask[i] : 1;
  }
  *mesh = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckD8(Test *t, const SbMeshData *m, const uint8_t *d8, const char *what)
{
  PetscBool ok = PETSC_TRUE;
  char      msg[256];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < m->nx * m->ny; i++)
    if (m->flow_direction[i] != d8[i]) {
      if (ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "      first difference: row %" PetscInt_FMT ", col %" PetscInt_FMT ": D8 %d, expected %d\n", i / m->nx, i % m->nx, (int)m->flow_direction[i], (int)d8[i]));
      ok = PETSC_FALSE;
    }
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: D8 codes as worked out by hand", what));
  PetscCall(Check(t, ok, msg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckAcc(Test *t, const SbMeshData *m, const PetscReal *acc, const char *what)
{
  PetscBool ok = PETSC_TRUE;
  char      msg[256];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < m->nx * m->ny; i++)
    if (m->flow_accumulation[i] != acc[i]) {
      if (ok) PetscCall(PetscPrintf(PETSC_COMM_SELF, "      first difference: row %" PetscInt_FMT ", col %" PetscInt_FMT ": accumulation %g, expected %g\n", i / m->nx, i % m->nx, (double)m->flow_accumulation[i], (double)acc[i]));
      ok = PETSC_FALSE;
    }
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: accumulations as worked out by hand", what));
  PetscCall(Check(t, ok, msg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Mass: summed accumulation over outlets equals the summed area of active cells; also no active
   cell drains into an inactive one and every receiver is strictly lower. */
static PetscErrorCode CheckMass(Test *t, const SbMeshData *m, const char *what)
{
  static const PetscInt dr[8] = {0, 1, 1, 1, 0, -1, -1, -1}, dc[8] = {1, 1, 0, -1, -1, -1, 0, 1};
  PetscReal             area = 0, out = 0;
  PetscBool             walls = PETSC_TRUE;
  char                  msg[256];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < m->nx * m->ny; i++) {
    if (!m->mask[i]) {
      if (m->flow_direction[i] || m->flow_accumulation[i] != 0) walls = PETSC_FALSE;
      continue;
    }
    area += m->cell_area[i];
    if (!m->flow_direction[i]) out += m->flow_accumulation[i];
    for (PetscInt k = 0; k < 8; k++)
      if (m->flow_direction[i] == (1 << k)) {
        const PetscInt r = i / m->nx + dr[k], c = i % m->nx + dc[k];

        if (r < 0 || r >= m->ny || c < 0 || c >= m->nx || !m->mask[r * m->nx + c] || !(m->elevation[r * m->nx + c] < m->elevation[i])) walls = PETSC_FALSE;
      }
  }
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: outlets drain %.12g m2 = active area %.12g m2", what, (double)out, (double)area));
  PetscCall(Check(t, (PetscBool)(PetscAbsReal(out - area) <= 1e-12 * area), msg));
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: every active cell drains to a strictly lower active cell or is an outlet", what));
  PetscCall(Check(t, walls, msg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(SbMeshData *m, PetscInt outlet)
{
  PetscFunctionBeginUser;
  PetscCall(SbFlowFill(m, outlet));
  PetscCall(SbFlowDirections(m));
  PetscCall(SbFlowAccumulate(m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A plane z = 20 - 2c - r: E drops 2, S drops 1, SE drops 3 over sqrt(2) (2.12), so inner cells
   drain SE, the south row E, the east column S, to the SE corner. Nothing is filled. */
static PetscErrorCode TestPlane(Test *t)
{
  SbMeshData     *m;
  PetscReal       z[25];
  PetscBool       same = PETSC_TRUE;
  const uint8_t   d8[25]  = {2, 2, 2, 2, 4, 2, 2, 2, 2, 4, 2, 2, 2, 2, 4, 2, 2, 2, 2, 4, 1, 1, 1, 1, 0};
  const PetscReal acc[25] = {1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 1, 2, 3, 3, 6, 1, 2, 3, 4, 10, 1, 3, 6, 10, 25};
  PetscInt        outlet;

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < 5; r++)
    for (PetscInt c = 0; c < 5; c++) z[r * 5 + c] = 20 - 2 * c - r;
  PetscCall(MeshFrom(5, 5, z, NULL, &m));
  PetscCall(Run(m, -1));
  for (PetscInt i = 0; i < 25; i++)
    if (m->elevation[i] != z[i]) same = PETSC_FALSE;
  PetscCall(Check(t, same, "tilted plane: filling changes nothing"));
  PetscCall(CheckD8(t, m, d8, "tilted plane"));
  PetscCall(CheckAcc(t, m, acc, "tilted plane"));
  PetscCall(SbFlowFindOutlet(m, &outlet));
  PetscCall(Check(t, (PetscBool)(outlet == 24), "tilted plane: outlet is the SE corner"));
  PetscCall(Check(t, (PetscBool)(PetscAbsReal(m->slope[0] - 3 / PetscSqrtReal(2)) < 1e-14 && PetscAbsReal(m->slope[20] - 2) < 1e-14), "tilted plane: slope = drop / distance (3/sqrt 2 diagonally, 2 east)"));
  PetscCall(CheckMass(t, m, "tilted plane"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A V-valley, 5 wide and 6 long: z = 2|c - 2| + 0.5 (5 - r). Side cells drain sideways to the
   valley (2 > 2.5 / sqrt 2), the valley south; the valley accumulates 5 cells per row. */
static PetscErrorCode TestValley(Test *t)
{
  SbMeshData     *m;
  PetscReal       z[30], acc[30];
  uint8_t         d8[30];

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < 6; r++)
    for (PetscInt c = 0; c < 5; c++) {
      const PetscInt i = r * 5 + c;

      z[i]   = 2 * PetscAbsInt(c - 2) + 0.5 * (5 - r);
      d8[i]  = c < 2 ? SB_D8_E : c > 2 ? SB_D8_W : r < 5 ? SB_D8_S : SB_D8_NONE;
      acc[i] = (c == 0 || c == 4) ? 1 : (c == 1 || c == 3) ? 2 : 5 * (r + 1);
    }
  PetscCall(MeshFrom(5, 6, z, NULL, &m));
  PetscCall(Run(m, -1));
  PetscCall(CheckD8(t, m, d8, "V-valley"));
  PetscCall(CheckAcc(t, m, acc, "V-valley"));
  PetscCall(CheckMass(t, m, "V-valley"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A plane falling east, z = 10 - c, with a pit of 0 at (2, 2). Priority-flood reaches the pit
   from (1, 3) at 7 and raises it to nextafter(7) (= 7 + e); it then drains east to (2, 3).
   (1, 1) and (3, 1) at 9 now drain diagonally into it ((2 - e)/sqrt 2 > 1 eastwards), (2, 1)
   east into it; every row ends at its own outlet in the east column.
     D8 by hand        accumulation
     1 1 1 1 0         1 2 3 4 5
     1 2 1 1 0         1 2 1 2 3
     1 1 1 1 0         1 2 7 8 9
     1 128 1 1 0       1 2 1 2 3
     1 1 1 1 0         1 2 3 4 5 */
static PetscErrorCode TestPit(Test *t)
{
  const uint8_t   d8[25]  = {1, 1, 1, 1, 0, 1, 2, 1, 1, 0, 1, 1, 1, 1, 0, 1, 128, 1, 1, 0, 1, 1, 1, 1, 0};
  const PetscReal acc[25] = {1, 2, 3, 4, 5, 1, 2, 1, 2, 3, 1, 2, 7, 8, 9, 1, 2, 1, 2, 3, 1, 2, 3, 4, 5};
  SbMeshData     *m;
  PetscReal       z[25];
  PetscBool       same = PETSC_TRUE;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < 25; i++) z[i] = 10 - i % 5;
  z[12] = 0;
  PetscCall(MeshFrom(5, 5, z, NULL, &m));
  PetscCall(Run(m, -1));
  PetscCall(Check(t, (PetscBool)(m->elevation[12] == nextafter(7.0, INFINITY)), "pit: raised to exactly nextafter(7) (epsilon fill)"));
  for (PetscInt i = 0; i < 25; i++)
    if (i != 12 && m->elevation[i] != z[i]) same = PETSC_FALSE;
  PetscCall(Check(t, same, "pit: no other cell changed"));
  PetscCall(CheckD8(t, m, d8, "pit"));
  PetscCall(CheckAcc(t, m, acc, "pit"));
  PetscCall(CheckMass(t, m, "pit"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A flat of 5 m (rows 1-3, columns 1-3, and the cell (2, 4)) in a rim of 10 m, with one gap of
   4 m at (2, 5) on the east edge; the corners (0, 5) and (4, 5) are inactive. Priority-flood
   takes the gap, then (2, 4) at 5, then raises the flat by one ulp e per step away from it:
   z = 5 + (4 - c) e in columns 1-3. So the flat drains east to (2, 4) ((1, 3) and (3, 3)
   diagonally: e/sqrt 2 beats 0), and the rim drains into the flat or the gap.
     D8 by hand           accumulation
     2 4 4 4 8 0          1 1 1 1 1 0
     1 1 1 2 4 4          1 4 6 9 1 1
     1 1 1 1 1 0          1 2 3 4 25 28
     1 1 1 128 64 64      1 4 6 9 1 1
     128 64 64 64 32 0    1 1 1 1 1 0 */
static PetscErrorCode TestFlat(Test *t)
{
  const uint8_t   d8[30]  = {2, 4, 4, 4, 8, 0, 1, 1, 1, 2, 4, 4, 1, 1, 1, 1, 1, 0, 1, 1, 1, 128, 64, 64, 128, 64, 64, 64, 32, 0};
  const PetscReal acc[30] = {1, 1, 1, 1, 1, 0, 1, 4, 6, 9, 1, 1, 1, 2, 3, 4, 25, 28, 1, 4, 6, 9, 1, 1, 1, 1, 1, 1, 1, 0};
  const PetscReal ulp     = nextafter(5.0, INFINITY) - 5.0;
  SbMeshData     *m;
  PetscReal       z[30];
  uint8_t         mask[30];
  PetscBool       ramp = PETSC_TRUE;

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < 5; r++)
    for (PetscInt c = 0; c < 6; c++) {
      z[r * 6 + c]    = (r == 0 || r == 4 || c == 0 || c >= 4) ? 10 : 5;
      mask[r * 6 + c] = ((r == 0 || r == 4) && c == 5) ? 0 : 1;
    }
  z[2 * 6 + 4] = 5;
  z[2 * 6 + 5] = 4;
  PetscCall(MeshFrom(6, 5, z, mask, &m));
  PetscCall(Run(m, -1));
  for (PetscInt r = 1; r <= 3; r++)
    for (PetscInt c = 1; c <= 3; c++)
      if (m->elevation[r * 6 + c] != 5 + (4 - c) * ulp) ramp = PETSC_FALSE;
  PetscCall(Check(t, (PetscBool)(ramp && m->elevation[2 * 6 + 4] == 5), "flat: raised into an ulp-sized ramp towards the exit"));
  PetscCall(CheckD8(t, m, d8, "flat"));
  PetscCall(CheckAcc(t, m, acc, "flat"));
  PetscCall(CheckMass(t, m, "flat"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* D8 distances and tie-breaking. (a) z = 10 - c - r: with dx = dy = 1 the diagonal wins
   (2/sqrt 2 > 1); with dx = 2 m, dy = 1 m south wins (1 > 2/sqrt 5 > 1/2). (b) a ridge
   z = 10 - |c - 2|: E and W drop equally, E comes first in the documented order. */
static PetscErrorCode TestDistancesAndTies(Test *t)
{
  SbMeshData *m;
  PetscReal   z[15];

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < 3; r++)
    for (PetscInt c = 0; c < 3; c++) z[r * 3 + c] = 10 - c - r;
  PetscCall(MeshFrom(3, 3, z, NULL, &m));
  PetscCall(SbFlowDirections(m));
  PetscCall(Check(t, (PetscBool)(m->flow_direction[4] == SB_D8_SE), "square cells: the centre of z = 10 - c - r drains SE"));
  for (PetscInt r = 0; r < 3; r++) m->dx_m[r] = 2;
  PetscCall(SbFlowDirections(m));
  PetscCall(Check(t, (PetscBool)(m->flow_direction[4] == SB_D8_S && m->slope[4] == 1), "dx_m = 2 m, dy_m = 1 m: the same centre drains S with slope 1"));
  PetscCall(SbMeshDataDestroy(&m));

  for (PetscInt r = 0; r < 3; r++)
    for (PetscInt c = 0; c < 5; c++) z[r * 5 + c] = 10 - PetscAbsInt(c - 2);
  PetscCall(MeshFrom(5, 3, z, NULL, &m));
  PetscCall(SbFlowDirections(m));
  PetscCall(Check(t, (PetscBool)(m->flow_direction[7] == SB_D8_E && m->flow_direction[2] == SB_D8_E && m->flow_direction[12] == SB_D8_E), "ridge: equal E and W drops go E"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A masked basin drained through one outlet at (4, 2); inactive cells are at 0 m, below every
   active cell, and must act as walls. (0, 4) is active but touches no other active cell, so it
   cannot drain through the outlet and leaves the mask. The pit at (1, 1) is reached from (2, 2)
   at 6 and raised to nextafter(6).
     mask            z (active)         D8 by hand         accumulation
     0 1 1 0 1       . 9 9 . 1          0 4 8 0 0          0 1 1 0 0
     1 1 1 0 0       9 1 8 . .          1 2 2 0 0          1 4 1 0 0
     1 1 1 1 0       8 7 6 5 .          2 2 4 8 0          1 1 5 2 0
     0 1 1 0 0       . 5.5 4 . .        0 2 4 0 0          0 2 9 0 0
     0 0 1 0 0       . . 2 . .          0 0 0 0 0          0 0 12 0 0 */
static PetscErrorCode TestMaskedBasin(Test *t)
{
  const uint8_t   mask[25] = {0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 1, 0, 0};
  const PetscReal za[25]   = {0, 9, 9, 0, 1, 9, 1, 8, 0, 0, 8, 7, 6, 5, 0, 0, 5.5, 4, 0, 0, 0, 0, 2, 0, 0};
  const uint8_t   d8[25]   = {0, 4, 8, 0, 0, 1, 2, 2, 0, 0, 2, 2, 4, 8, 0, 0, 2, 4, 0, 0, 0, 0, 0, 0, 0};
  const PetscReal acc[25]  = {0, 1, 1, 0, 0, 1, 4, 1, 0, 0, 1, 1, 5, 2, 0, 0, 2, 9, 0, 0, 0, 0, 12, 0, 0};
  SbMeshData     *m;
  SbGauge         g;
  PetscInt        nchannel = 0, io = -1;
  Capture         cap      = {0, ""};
  PetscErrorCode  ierr;

  PetscFunctionBeginUser;
  PetscCall(MeshFrom(5, 5, za, mask, &m));
  PetscCall(PetscCalloc1(1, &m->gauges));
  m->ngauges = 1;
  PetscCall(PetscStrncpy(m->gauges[0].name, "mid", sizeof(m->gauges[0].name)));
  m->gauges[0].row = 2;
  m->gauges[0].col = 1;
  PetscCall(SbFlowCondition(m, 22, 5));
  PetscCall(Check(t, (PetscBool)(m->mask[4] == 0), "masked basin: the unconnected cell (0, 4) left the mask"));
  PetscCall(Check(t, (PetscBool)(m->elevation[6] == nextafter(6.0, INFINITY)), "masked basin: pit raised to nextafter(6)"));
  PetscCall(CheckD8(t, m, d8, "masked basin"));
  PetscCall(CheckAcc(t, m, acc, "masked basin"));
  PetscCall(CheckMass(t, m, "masked basin"));
  for (PetscInt i = 0; i < 25; i++) nchannel += m->channel[i];
  PetscCall(Check(t, (PetscBool)(nchannel == 3 && m->channel[12] && m->channel[17] && m->channel[22] && m->channel_threshold_m2 == 5), "masked basin: channels where accumulation >= 5 m2"));
  for (PetscInt k = 0; k < m->ngauges; k++)
    if (!strcmp(m->gauges[k].name, "outlet")) io = k;
  PetscCall(Check(t, (PetscBool)(m->ngauges == 2 && io >= 0 && m->gauges[io].row == 4 && m->gauges[io].col == 2 && m->gauges[io].upstream_area_m2 == 12), "masked basin: gauge outlet added at (4, 2) with 12 m2"));
  PetscCall(Check(t, (PetscBool)(m->gauges[0].row == 4 && m->gauges[0].col == 2 && m->gauges[0].upstream_area_m2 == 12), "masked basin: gauge at (2, 1) snapped to (4, 2), the largest accumulation within 4 cells"));
  g     = m->gauges[0];
  g.row = 2;
  g.col = 1;
  PetscCall(SbFlowSnapGauge(m, 1, &g));
  PetscCall(Check(t, (PetscBool)(g.row == 3 && g.col == 2 && g.upstream_area_m2 == 9), "snap radius 1 from (2, 1) picks (3, 2) with 9 m2"));
  g.row = 2;
  g.col = 1;
  PetscCall(SbFlowSnapGauge(m, 0, &g));
  PetscCall(Check(t, (PetscBool)(g.row == 2 && g.col == 1 && g.upstream_area_m2 == 1), "snap radius 0 keeps the cell"));
  g.row = 0;
  g.col = 4;
  PetscCall(PetscPushErrorHandler(CaptureHandler, &cap));
  ierr = SbFlowSnapGauge(m, 1, &g);
  PetscCall(PetscPopErrorHandler());
  PetscCall(Check(t, (PetscBool)(ierr == PETSC_ERR_USER_INPUT && strstr(cap.msg, "mid")), "snapping with no active cell in reach is an error naming the gauge"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Deterministic pseudo-random numbers in [0, 1) (a 32-bit xorshift, Marsaglia 2003, J. Stat.
   Softw. 8(14)), so the test does not depend on the C library. */
static PetscReal Random(uint32_t *s)
{
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return (PetscReal)(*s) / 4294967296.0;
}

/* Rough random terrain full of pits and flats (values rounded to 1 m), on a geographic grid so
   that cell areas differ by row: (a) no mask, every border cell a seed; (b) a disc-shaped mask
   drained through its lowest boundary cell only. */
static PetscErrorCode TestRandom(Test *t)
{
  const PetscInt nx = 120, ny = 90;
  SbMeshData    *m;
  PetscReal     *z0;
  uint32_t       seed = 2463534242u;
  PetscBool      above = PETSC_TRUE;
  PetscInt       outlet = -1, io;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(nx * ny, &z0));
  for (PetscInt i = 0; i < nx * ny; i++) z0[i] = PetscFloorReal(100 + 5 * Random(&seed) + 0.02 * (i % nx));
  PetscCall(SbMeshDataCreate(nx, ny, &m));
  m->geographic = PETSC_TRUE;
  m->xll        = 105.5;
  m->yll        = 30.8;
  m->cellsize   = 0.02;
  PetscCall(SbMeshDataComputeMetrics(m));
  for (PetscInt i = 0; i < nx * ny; i++) {
    m->elevation[i] = z0[i];
    m->mask[i]      = 1;
  }
  PetscCall(Run(m, -1));
  for (PetscInt i = 0; i < nx * ny; i++)
    if (m->elevation[i] < z0[i]) above = PETSC_FALSE;
  PetscCall(Check(t, above, "random terrain: filling only raises"));
  PetscCall(CheckMass(t, m, "random terrain, border seeds"));

  for (PetscInt r = 0; r < ny; r++)
    for (PetscInt c = 0; c < nx; c++) {
      const PetscInt i = r * nx + c;

      m->elevation[i] = z0[i];
      m->mask[i]      = (PetscSqr((PetscReal)(r - ny / 2)) + PetscSqr((PetscReal)(c - nx / 2)) < 40.0 * 40.0) ? 1 : 0;
    }
  for (PetscInt i = 0; i < nx * ny; i++) {
    PetscBool b;

    PetscCall(SbFlowIsBoundary(m, i, &b));
    if (b && (outlet < 0 || m->elevation[i] < m->elevation[outlet])) outlet = i;
  }
  PetscCall(SbFlowCondition(m, outlet, 1e8));
  PetscCall(SbFlowFindOutlet(m, &io));
  PetscCall(Check(t, (PetscBool)(io == outlet), "random disc: the seeded cell is the outlet"));
  PetscCall(CheckMass(t, m, "random disc, one outlet"));
  PetscCall(SbMeshDataDestroy(&m));
  PetscCall(PetscFree(z0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t;

  memset(&t, 0, sizeof(t));
  PetscCall(PetscInitialize(&argc, &argv, NULL, "Unit test of mesh/flow.c"));
  PetscCall(TestPlane(&t));
  PetscCall(TestValley(&t));
  PetscCall(TestPit(&t));
  PetscCall(TestFlat(&t));
  PetscCall(TestDistancesAndTies(&t));
  PetscCall(TestMaskedBasin(&t));
  PetscCall(TestRandom(&t));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "test_flow: %" PetscInt_FMT " checks, %" PetscInt_FMT " failed\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
