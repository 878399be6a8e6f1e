/* CSLE factors, classes and the assessment statistics.

   1. S and L at 3°, 8°, 15°, 30° (λ = 100 m), hand-computed from Liu et al. (1994, 2000):
        S(3°)  = 10.8 sin 3° + 0.03   = 0.595228327424,  L = (100/22.13)^0.3 = 1.5721919774
        S(8°)  = 16.8 sin 8° − 0.50   = 1.83810809613,   L = (100/22.13)^0.5 = 2.12573583124
        S(15°) = 21.91 sin 15° − 0.96 = 4.7107252782
        S(30°) = 21.91 · 0.5 − 0.96   = 9.995
   2. R of a given daily series by Zhang, Xie & Liu (2002): days 5, 12, 20, 35.5, 60, 0, 11.9 mm in
      one year; erosive (≥ 12 mm) 12, 20, 35.5, 60: Pd12 = 31.875, Py12 = 127.5,
      β = 0.8363 + 18.144/31.875 + 24.455/127.5 = 1.59732745098, α = 21.586 β^−7.1891 = 0.744650848,
      R = α Σ P^β = 867.02400101. A single 130 mm storm: R = 2092.514172 (docs/assessment.md).
   3. Table look-ups: E of terraced cropland 0.084, B of forest 0.004, K of loam 0.30 · 0.1317.
   4. A uniform planar slope (15°, 30 m cells, flow east, no channel): λ_i = 30 (i + 1) m up to the
      cap, and A = 100 R K L S B E T in closed form at every cell.
   5. Terraced cropland on otherwise identical cells: A lower by exactly E = 0.084.
   6. Classes (SL 190-2007) at their bounds; area per class, soil loss and 水土保持率 equal a
      brute-force count over the cells, water counted as land without soil loss.
   7. B from vegetation cover by Cai et al. (2000), B = 0.6508 − 0.3436 lg(100 c) for 0 < c < 0.783,
      hand-computed: c = 0.01 → 0.6508 (lg 1 = 0); c = 0.60 → 0.6508 − 0.3436 lg 60 = 0.0398272303682;
      c = 0.72 → 0.0126205542262; c = 0.78 → 0.000676294515551; 1 at c = 0 and where the formula
      exceeds 1 (c = 0.0005: 0.6508 + 0.3436 lg 20 = 1.098 → 1); 0 at and above 0.783; an error
      outside [0, 1]. */
#include "assessment.h"
#include "sbtest.h"
#include <math.h>

#define DEG (PETSC_PI / 180.0)

static PetscBool Near(PetscReal a, PetscReal b, PetscReal rtol)
{
  return PetscAbsReal(a - b) <= rtol * PetscMax(PetscAbsReal(b), 1e-300) ? PETSC_TRUE : PETSC_FALSE;
}

static PetscErrorCode CheckNear(Test *t, const char *what, PetscReal got, PetscReal want, PetscReal rtol)
{
  char msg[256];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: got %.12g, expected %.12g", what, (double)got, (double)want));
  PetscCall(Check(t, Near(got, want, rtol), msg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestFactors(Test *t)
{
  const PetscReal deg[4] = {3, 8, 15, 30}, S_hand[4] = {0.595228327424, 1.83810809613, 4.7107252782, 9.995}, L_hand[4] = {1.5721919774, 2.12573583124, 2.12573583124, 2.12573583124};
  const PetscReal P[7]   = {5, 12, 20, 35.5, 60, 0, 11.9}, storm = 130;
  PetscReal       S, L, R, alpha, beta;
  SbCsleTables    tab;
  char            what[64];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < 4; i++) {
    PetscCall(SbCsleSteepness(deg[i] * DEG, &S));
    PetscCall(SbCsleLength(100.0, deg[i] * DEG, &L));
    PetscCall(PetscSNPrintf(what, sizeof(what), "S at %g deg", (double)deg[i]));
    PetscCall(CheckNear(t, what, S, S_hand[i], 1e-10));
    PetscCall(PetscSNPrintf(what, sizeof(what), "L at %g deg, 100 m", (double)deg[i]));
    PetscCall(CheckNear(t, what, L, L_hand[i], 1e-10));
  }
  PetscCall(SbCsleErosivityDaily(7, P, 12.0, 1.0, &R, &alpha, &beta));
  PetscCall(CheckNear(t, "beta of the daily series", beta, 1.597327450980392, 1e-12));
  PetscCall(CheckNear(t, "alpha of the daily series", alpha, 0.7446508481816829, 1e-10));
  PetscCall(CheckNear(t, "R of the daily series (MJ mm hm-2 h-1 a-1)", R, 867.02400101, 1e-10));
  PetscCall(SbCsleErosivityDaily(1, &storm, 12.0, 1.0, &R, NULL, NULL));
  PetscCall(CheckNear(t, "R of a single 130 mm storm", R, 2092.514172418874, 1e-10));
  PetscCall(SbCsleDefaultTables(&tab));
  PetscCall(CheckNear(t, "E of terraced cropland (level terrace)", tab.e[SB_LU_TERRACED_CROPLAND], 0.084, 0));
  PetscCall(CheckNear(t, "E of sloping cropland", tab.e[SB_LU_SLOPING_CROPLAND], 1.0, 0));
  PetscCall(CheckNear(t, "B of forest", tab.b[SB_LU_FOREST], 0.004, 0));
  PetscCall(CheckNear(t, "B of water", tab.b[SB_LU_WATER] + 1.0, 1.0, 0));
  PetscCall(CheckNear(t, "K of loam (SI)", tab.k[SB_SOIL_LOAM], 0.30 * 0.1317, 1e-15));
  {
    const PetscReal c[8] = {0, 0.0005, 0.01, 0.60, 0.72, 0.78, 0.783, 1}, want[8] = {1, 1, 0.6508, 0.0398272303682, 0.0126205542262, 0.000676294515551, 0, 0};
    PetscReal       B;
    PetscErrorCode  ierr;

    for (PetscInt i = 0; i < 8; i++) {
      PetscCall(SbCsleVegetationB(c[i], &B));
      PetscCall(PetscSNPrintf(what, sizeof(what), "B at vegetation cover %g (Cai et al. 2000)", (double)c[i]));
      if (want[i] == 0) PetscCall(Check(t, B == 0 ? PETSC_TRUE : PETSC_FALSE, what));
      else PetscCall(CheckNear(t, what, B, want[i], 1e-11));
    }
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = SbCsleVegetationB(1.2, &B);
    PetscCall(PetscPopErrorHandler());
    PetscCall(Check(t, ierr == PETSC_ERR_ARG_OUTOFRANGE ? PETSC_TRUE : PETSC_FALSE, "a vegetation cover of 1.2 is an error"));
  }
  {
    const PetscReal A[7] = {499.9, 500, 2499.9, 2500, 5000, 8000, 15000};
    const PetscInt  want[7] = {1, 2, 2, 3, 4, 5, 6};
    PetscInt        c, ok = 0;

    for (PetscInt i = 0; i < 7; i++) {
      PetscCall(SbAssessmentClass(A[i], 500, &c));
      ok += c == want[i];
    }
    PetscCall(Check(t, ok == 7 ? PETSC_TRUE : PETSC_FALSE, "SL 190-2007 classes at 499.9, 500, 2499.9, 2500, 5000, 8000, 15000 (tolerance 500)"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define NX 40
#define NY 3

static PetscErrorCode TestPlane(Test *t)
{
  const PetscReal   cell = 30, theta = 15 * DEG, R = 400, lmax = 600;
  const char       *path = "test_csle_plane.h5";
  SbMeshData       *m;
  SbGrid           *g;
  SbScenario        sc;
  SbAssessment      a;
  SbAssessmentStats st;
  SbCsleTables      tab;
  Vec               vA, vc, va, vlu;
  PetscScalar      *A, *area, *cls, *lu;
  VecScatter        tozero;
  Vec               zA, zc, za, zlu;
  PetscMPIInt       rank;
  PetscReal         maxerr = 0, maxterr = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(SbMeshDataCreate(NX, NY, &m));
    m->cellsize = cell;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt r = 0; r < NY; r++)
      for (PetscInt c = 0; c < NX; c++) {
        const PetscInt k = r * NX + c;

        m->mask[k]           = 1;
        m->elevation[k]      = (NX - c) * cell * PetscTanReal(theta);
        m->slope[k]          = PetscTanReal(theta);
        m->flow_direction[k] = c == NX - 1 ? 0 : SB_D8_E;
        m->region[k]         = c < NX / 2 ? 1 : 2;
        m->soil[k]           = SB_SOIL_LOAM;
        m->landuse[k]        = r == 1 ? SB_LU_TERRACED_CROPLAND : SB_LU_SLOPING_CROPLAND;
      }
    m->landuse[2 * NX + 7] = SB_LU_WATER; /* a pond: land without soil loss, ends the slope */
    m->nregions = 2;
    PetscCall(PetscStrncpy(m->region_names[0], "west", SB_MAX_NAME));
    PetscCall(PetscStrncpy(m->region_names[1], "east", SB_MAX_NAME));
    m->ngauges = 1;
    PetscCall(PetscCalloc1(1, &m->gauges));
    PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", SB_MAX_NAME));
    m->gauges[0].row = 0;
    m->gauges[0].col = NX - 1;
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, path, &g));
  PetscCall(PetscMemzero(&sc, sizeof(sc)));
  PetscCall(PetscStrncpy(sc.path, "test_csle", sizeof(sc.path)));
  sc.mode                  = SB_MODE_ASSESSMENT;
  sc.assessment_present    = PETSC_TRUE;
  sc.as_tolerance_t_km2_a  = 500; /* with R = 400 the rows spread over every class */
  sc.as_r                  = R;
  sc.as_erosive_mm         = 12;
  sc.as_slope_correction   = SB_SLOPE_CORRECTION_NONE;
  sc.as_target_cell_m      = 90;
  sc.as_fractal_dimension  = 1.36;
  sc.as_slope_length_max_m = lmax;
  sc.as_sdr_max            = 0.8;
  sc.as_ic0                = 0.5;
  sc.as_k                  = 2;
  PetscCall(SbAssessmentCreate(g, &sc, &a));
  PetscCall(SbAssessmentRun(a));
  PetscCall(SbAssessmentGetMaps(a, &vA, &vc, NULL, NULL, NULL, NULL, NULL, &vlu));
  va = g->cell_area;
  /* everything on rank 0 in natural order */
  PetscCall(DMDACreateNaturalVector(g->da, &zA));
  PetscCall(VecDuplicate(zA, &zc));
  PetscCall(VecDuplicate(zA, &za));
  PetscCall(VecDuplicate(zA, &zlu));
  PetscCall(DMDAGlobalToNaturalBegin(g->da, vA, INSERT_VALUES, zA));
  PetscCall(DMDAGlobalToNaturalEnd(g->da, vA, INSERT_VALUES, zA));
  PetscCall(DMDAGlobalToNaturalBegin(g->da, vc, INSERT_VALUES, zc));
  PetscCall(DMDAGlobalToNaturalEnd(g->da, vc, INSERT_VALUES, zc));
  PetscCall(DMDAGlobalToNaturalBegin(g->da, va, INSERT_VALUES, za));
  PetscCall(DMDAGlobalToNaturalEnd(g->da, va, INSERT_VALUES, za));
  PetscCall(DMDAGlobalToNaturalBegin(g->da, vlu, INSERT_VALUES, zlu));
  PetscCall(DMDAGlobalToNaturalEnd(g->da, vlu, INSERT_VALUES, zlu));
  {
    Vec seqA, seqc, seqa, seqlu;

    PetscCall(VecScatterCreateToZero(zA, &tozero, &seqA));
    PetscCall(VecDuplicate(seqA, &seqc));
    PetscCall(VecDuplicate(seqA, &seqa));
    PetscCall(VecDuplicate(seqA, &seqlu));
    PetscCall(VecScatterBegin(tozero, zA, seqA, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(tozero, zA, seqA, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterBegin(tozero, zc, seqc, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(tozero, zc, seqc, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterBegin(tozero, za, seqa, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(tozero, za, seqa, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterBegin(tozero, zlu, seqlu, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(tozero, zlu, seqlu, INSERT_VALUES, SCATTER_FORWARD));
    PetscCall(SbCsleDefaultTables(&tab));
    if (rank == 0) {
      PetscReal area_c[3][SB_EROSION_CLASSES] = {{0}}, tot[3] = {0}, loss[3] = {0};
      PetscInt  bad_class = 0, ncls[SB_EROSION_CLASSES] = {0}, nonempty = 0;

      PetscCall(VecGetArray(seqA, &A));
      PetscCall(VecGetArray(seqc, &cls));
      PetscCall(VecGetArray(seqa, &area));
      PetscCall(VecGetArray(seqlu, &lu));
      for (PetscInt c = 0; c < NX; c++) {
        /* 4. closed form on row 0 */
        const PetscReal lam = PetscMin((c + 1) * cell, lmax), L = PetscPowReal(lam / 22.13, 0.5), S = 21.91 * PetscSinReal(theta) - 0.96;
        const PetscReal want = 100 * R * (0.30 * 0.1317) * L * S * 1.0 * 1.0 * 0.4;

        maxerr  = PetscMax(maxerr, PetscAbsReal(A[c] - want) / want);
        /* 5. terraced row 1 against sloping row 0 */
        maxterr = PetscMax(maxterr, PetscAbsReal(A[NX + c] / A[c] - tab.e[SB_LU_TERRACED_CROPLAND]));
      }
      /* 6. brute force: class of every cell from its A, sums per region and basin */
      for (PetscInt k = 0; k < NX * NY; k++) {
        const PetscInt  r   = (k % NX) < NX / 2 ? 1 : 2;
        const PetscReal km2 = area[k] * 1e-6, x = A[k];
        PetscInt        c;

        c = x < 500 ? 1 : x < 2500 ? 2 : x < 5000 ? 3 : x < 8000 ? 4 : x < 15000 ? 5 : 6;
        ncls[c - 1]++;
        if ((PetscInt)lu[k] == SB_LU_WATER && x != 0) bad_class++;
        if ((PetscInt)cls[k] != c) bad_class++;
        for (PetscInt q = 0; q < 2; q++) {
          const PetscInt id = q ? r : 0;

          area_c[id][c - 1] += km2;
          tot[id] += km2;
          loss[id] += x * km2;
        }
      }
      PetscCall(Check(t, bad_class == 0 ? PETSC_TRUE : PETSC_FALSE, "erosion class of every cell; water has A = 0"));
      for (PetscInt c = 0; c < SB_EROSION_CLASSES; c++) nonempty += ncls[c] > 0;
      PetscCall(Check(t, nonempty == SB_EROSION_CLASSES ? PETSC_TRUE : PETSC_FALSE, "the plane has cells of every class"));
      for (PetscInt id = 0; id < 3; id++) {
        char what[96];

        PetscCall(SbAssessmentGetStats(a, id, &st));
        PetscCall(PetscSNPrintf(what, sizeof(what), "region %" PetscInt_FMT ": conservation rate", id));
        PetscCall(CheckNear(t, what, st.conservation_rate, area_c[id][0] / tot[id], 1e-12));
        PetscCall(PetscSNPrintf(what, sizeof(what), "region %" PetscInt_FMT ": soil loss (t/a)", id));
        PetscCall(CheckNear(t, what, st.soil_loss_t_a, loss[id], 1e-12));
        for (PetscInt c = 0; c < SB_EROSION_CLASSES; c++) {
          PetscCall(PetscSNPrintf(what, sizeof(what), "region %" PetscInt_FMT ": area of class %s (km2)", id, SbErosionClassNames[c]));
          PetscCall(Check(t, PetscAbsReal(st.area_class_km2[c] - area_c[id][c]) <= 1e-12 * tot[id] ? PETSC_TRUE : PETSC_FALSE, what));
        }
        PetscCall(PetscSNPrintf(what, sizeof(what), "region %" PetscInt_FMT ": area (km2)", id));
        PetscCall(CheckNear(t, what, st.area_km2, tot[id], 1e-12));
      }
      PetscCall(VecRestoreArray(seqA, &A));
      PetscCall(VecRestoreArray(seqc, &cls));
      PetscCall(VecRestoreArray(seqa, &area));
      PetscCall(VecRestoreArray(seqlu, &lu));
      {
        char what[128];

        PetscCall(PetscSNPrintf(what, sizeof(what), "uniform plane: A in closed form, max relative difference %.3g", (double)maxerr));
        PetscCall(Check(t, maxerr <= 1e-13 ? PETSC_TRUE : PETSC_FALSE, what));
        PetscCall(PetscSNPrintf(what, sizeof(what), "terraced / sloping cropland = E, max difference %.3g", (double)maxterr));
        PetscCall(Check(t, maxterr <= 1e-14 ? PETSC_TRUE : PETSC_FALSE, what));
      }
    }
    PetscCall(VecDestroy(&seqA));
    PetscCall(VecDestroy(&seqc));
    PetscCall(VecDestroy(&seqa));
    PetscCall(VecDestroy(&seqlu));
    PetscCall(VecScatterDestroy(&tozero));
  }
  PetscCall(VecDestroy(&zA));
  PetscCall(VecDestroy(&zc));
  PetscCall(VecDestroy(&za));
  PetscCall(VecDestroy(&zlu));
  PetscCall(SbAssessmentDestroy(&a));
  PetscCall(SbGridDestroy(&g));
  if (rank == 0) (void)remove(path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  Test t = {{0}, 0, 0};

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestFactors(&t));
  PetscCall(TestPlane(&t));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%" PetscInt_FMT " checks, %" PetscInt_FMT " failures\n", t.checks, t.failures));
  PetscCall(PetscFinalize());
  return t.failures ? 1 : 0;
}
