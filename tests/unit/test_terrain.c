/* The local gradient of a DEM (mesh/terrain.c SbTerrainLocalSlope, Horn 1981) and the sub-grid slope
   made from it (SbTerrainSlopeSubgrid).

   1. A plane z = 100 + 0.2 x − 0.1 y on a projected grid of 30 m cells: the gradient is
      √(0.2² + 0.1²) = 0.223606797750 at every cell, the grid's edges and the cells beside no-data
      holes included (a missing neighbour is extrapolated, 2 z_c − z_opposite, exact on a plane).
   2. A cell with no data gets 0; a data cell whose neighbours all lack data takes its own value
      for them, and gets 0.
   3. A cone z = −0.5 r (r the distance from the apex at the centre of cell (0, 0)): at the cell 3
      rows and 4 columns from the apex, Horn's formula written out term by term on the cone's exact
      values (not through the code's loop), and within 0.01 of the cone's true gradient 0.5.
   4. The sub-grid slope of the plane with D = 1.3 and a 10 m target: tan × (10/30)^(1 − 1.3)
      (Zhang et al. 1999), at every active cell; 0 outside the mask. */
#include "terrain.h"
#include "sbtest.h"
#include <math.h>

#define NX 9
#define NY 7

static PetscErrorCode TestPlane(Test *t)
{
  const PetscReal cell = 30, want = PetscSqrtReal(0.2 * 0.2 + 0.1 * 0.1);
  SbMeshData     *m;
  PetscReal       z[NX * NY], s[NX * NY], maxerr = 0, sub_err = 0;
  char            what[160];

  PetscFunctionBeginUser;
  PetscCall(SbMeshDataCreate(NX, NY, &m));
  m->cellsize = cell;
  PetscCall(SbMeshDataComputeMetrics(m));
  for (PetscInt r = 0; r < NY; r++)
    for (PetscInt c = 0; c < NX; c++) {
      const PetscReal x = (c + 0.5) * cell, y = (NY - r - 0.5) * cell; /* row 0 is the northern edge */

      z[r * NX + c]       = 100 + 0.2 * x - 0.1 * y;
      m->mask[r * NX + c] = 1;
    }
  z[3 * NX + 4] = NAN; /* holes: inside, and on the edge */
  z[0 * NX + 6] = NAN;
  m->mask[3 * NX + 4] = m->mask[0 * NX + 6] = 0;
  PetscCall(SbTerrainLocalSlope(m, z, s));
  for (PetscInt i = 0; i < NX * NY; i++)
    if (!PetscIsNanReal(z[i])) maxerr = PetscMax(maxerr, PetscAbsReal(s[i] - want));
  PetscCall(PetscSNPrintf(what, sizeof(what), "plane: Horn gradient %.12g at every cell with data, edges and holes' neighbours included (largest error %.1e)", (double)want, (double)maxerr));
  PetscCall(Check(t, maxerr <= 1e-13 ? PETSC_TRUE : PETSC_FALSE, what));
  PetscCall(Check(t, s[3 * NX + 4] == 0 && s[6] == 0 ? PETSC_TRUE : PETSC_FALSE, "cells without data get 0"));
  /* 4. the sub-grid slope of the plane */
  PetscCall(SbTerrainSlopeSubgrid(m, s, "test plane", 1.3, 10.0));
  for (PetscInt i = 0; i < NX * NY; i++) {
    const PetscReal w = m->mask[i] ? want * PetscPowReal(10.0 / 30.0, 1 - 1.3) : 0;

    sub_err = PetscMax(sub_err, PetscAbsReal(m->slope_subgrid[i] - w));
  }
  PetscCall(PetscSNPrintf(what, sizeof(what), "sub-grid slope of the plane: tan x (10/30)^(1-1.3) = %.12g at active cells, 0 elsewhere (largest error %.1e)", (double)(want * PetscPowReal(1.0 / 3.0, -0.3)), (double)sub_err));
  PetscCall(Check(t, sub_err <= 1e-13 ? PETSC_TRUE : PETSC_FALSE, what));
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestIsolatedAndCone(Test *t)
{
  const PetscReal cell = 10;
  SbMeshData     *m;
  PetscReal       z[NX * NY], s[NX * NY];
  char            what[200];

  PetscFunctionBeginUser;
  PetscCall(SbMeshDataCreate(NX, NY, &m));
  m->cellsize = cell;
  PetscCall(SbMeshDataComputeMetrics(m));
  /* 2. one data cell in a sea of no data */
  for (PetscInt i = 0; i < NX * NY; i++) z[i] = NAN;
  z[2 * NX + 2] = 50;
  PetscCall(SbTerrainLocalSlope(m, z, s));
  PetscCall(Check(t, s[2 * NX + 2] == 0 ? PETSC_TRUE : PETSC_FALSE, "an isolated data cell gets gradient 0"));
  /* 3. a cone with its apex at the centre of cell (0, 0); the cell 4 east and 3 south of it */
  for (PetscInt r = 0; r < NY; r++)
    for (PetscInt c = 0; c < NX; c++) z[r * NX + c] = -0.5 * cell * PetscSqrtReal((PetscReal)(r * r + c * c));
  PetscCall(SbTerrainLocalSlope(m, z, s));
  {
    /* Horn (1981): dz/dx = ((z_NE + 2 z_E + z_SE) − (z_NW + 2 z_W + z_SW)) / (8 dx), dz/dy likewise
       with north minus south rows; with the cone's z(r, c) = −5 √(r² + c²) at r = 3, c = 4. */
#define CZ(rr, cc) (-5.0 * PetscSqrtReal((PetscReal)((rr) * (rr) + (cc) * (cc))))
    const PetscReal gx = ((CZ(2, 5) + 2 * CZ(3, 5) + CZ(4, 5)) - (CZ(2, 3) + 2 * CZ(3, 3) + CZ(4, 3))) / (8 * cell);
    const PetscReal gy = ((CZ(4, 3) + 2 * CZ(4, 4) + CZ(4, 5)) - (CZ(2, 3) + 2 * CZ(2, 4) + CZ(2, 5))) / (8 * cell);
#undef CZ
    const PetscReal want = PetscSqrtReal(gx * gx + gy * gy);

    PetscCall(PetscSNPrintf(what, sizeof(what), "cone z = -0.5 r, cell (3, 4) from the apex: Horn gradient %.12g (got %.12g; the true gradient 0.5)", (double)want, (double)s[3 * NX + 4]));
    PetscCall(Check(t, PetscAbsReal(s[3 * NX + 4] - want) <= 1e-14 && PetscAbsReal(want - 0.5) < 0.01 ? PETSC_TRUE : PETSC_FALSE, what));
  }
  PetscCall(SbMeshDataDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t = {{0}, 0, 0};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestPlane(&t));
  PetscCall(TestIsolatedAndCone(&t));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " checks, %" PetscInt_FMT " failures\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
