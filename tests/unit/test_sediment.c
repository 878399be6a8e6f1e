/* Verification of erosion and sediment transport (engine/sediment.c, docs/sediment.md). Run at 1
   rank here and at 2 and 4 ranks by tests/regression/regression.cmake.

   1. Govers (1990) transport capacity as in LISEM/OpenLISEM (De Roo, Wesseling & Ritsema 1996):
      D50 = 30 um, V = 0.5 m/s, S = 0.1: c = (35/0.32)^-0.6, d = (35/300)^0.25, TC = 2650 c
      (100 S V - 0.4)^d = 386.6 kg/m³ (the value the issue states); within 0.5 %.
   2. Settling in still water, analytic: with no flow the capacity is zero and the concentration of
      a class decays as c(t) = c0 exp(-v_s t / h) (v_s Ferguson & Church 2004); within 0.5 % at
      every step, and a step 100 times the settling time leaves nothing negative (no overshoot).
   3. No rain, no flow: a dry plane with a loose bed stays as it is, bit for bit.
   4. Transport-limited plane at steady state (kinematic plane of Woolhiser & Liggett 1967 with
      rain 50 mm/h on 400 m at slope 0.05, an abundant loose bed of 100 um grains, no splash): the
      sediment leaving the outlet equals the capacity at the outlet times the unit discharge times
      the width, TC(V = q/h, S) q w, within 2 %.
   5. Detachment-limited plane at steady state (the plane at slope 0.2, so that the capacity exceeds
      the concentration from the top cell down, 30 um grains, soil so cohesive that
      flow detachment vanishes, splash only): the sediment leaving the outlet equals the splash
      detachment integrated over the plane, sum over cells of 1e-3 K P KE(I) exp(-b h) A (van Dijk
      et al. 2002 kinetic energy), computed here from the cells' depths, within 1 %.
   6. Steady reservoir (a 300 m plane at slope 0.05 under 50 mm/h with an abundant loose bed of one
      class, draining into a level pool of 10 cells that spills off the grid): at steady state the
      fraction of the inflowing sediment that settles in the pool is the trap efficiency of the
      overflow-rate theory of settling basins (Hazen 1904; Camp 1946; Chen 1975, reviewed by
      Verstraeten & Poesen 2000), TE = 1 - (1 + v_s A / (n Q))^-n, A the pool area, Q the release:
      - weir rule: the water over the crest is the pool's mixing volume, one completely mixed basin
        (n = 1), TE = v_s A / (v_s A + Q);
      - normal-level rule: no water is held over the pool's DEM surface (mixing depth 0), each
        step's release has settled over its own depth, plug flow (n -> infinity),
        TE = 1 - exp(-v_s A / Q);
      within 0.5 %, for clay (2 um) and silt (30 um) with the weir and for clay with the normal
      level (silt would settle completely, 1 - e^-14), from the pool's inflow and settled mass over
      the last 1000 s of 6000 s (a weir 5 m long: the pool's water and clay settle
      toward their steady state with time constants of about 400 and 600 s). A gauge on the pool's
      last cell reads the release: the water gauge the reservoir's last release (m3/s) and the
      sediment gauge every kilogram the pool released (no face inside a pool carries water; such
      gauges read zero before).
   7. The erodibility factor F (sediment.erodibility_factor) in one step of dt = 1 s from a state set
      by hand on the plane of case 4 (40 cells of 10 m, S = 0.05): depth h = 0.01 m and unit
      discharge q = 1.5e-3 m²/s through every east face, no suspended sediment, no loose bed, one
      class of 30 um (fraction 1), cohesion 3 kPa, bare ground. Cells 1-39 see u = q/h = 0.15 m/s
      (cell 0 half that: its west face is closed), omega = 100 S u = 0.75 cm/s, so by hand:
        Govers: c = (35/0.32)^-0.6 = 0.0597928, d = (35/300)^0.25 = 0.584436,
                TC = 2650 c (0.75 - 0.4)^d = 85.7891 kg/m³ (cell 0: omega 0.375 < 0.4, TC = 0);
        settling: v_s = 7.84113e-4 m/s (Ferguson & Church 2004), 1 - e^(-v_s dt/h) = 0.0754159;
        Y = 1/(0.89 + 0.56 x 3) = 0.389105 (Rauws & Govers 1988);
        flow detachment = 39 min(1, F Y) TC (h A) (1 - e^(-v_s dt/h)) = 98.1808 kg at F = 1,
        196.362 kg at F = 2 (F Y = 0.778: scales by F), 252.325 kg at F = 3 (F Y = 1.17: the cap
        binds, ratio 1/Y = 2.57 and not 3).
      With rain 50 mm/h and b = 0.1 /mm, K = 0.5 g/J, splash = 40 x 1e-3 F K P KE(50 mm/h)
      e^(-b h_mm) A = 40 x 1e-3 F 0.5 x 0.0138889 mm x 26.4979 J/m²/mm x e^-1 x 100 m² =
      0.270779 F kg (van Dijk et al. 2002): exactly proportional to F, also where Y is capped.
      Within 1e-10 (the references are evaluated here from the same formulas; the outlet cell's
      slope comes from the elevations, equal to S to round-off). The proportionality is checked
      more tightly, |D(F) - F D(1)| <= (1 + F) 40 2^-41 kg + 1e-14 D(F): the budget totals are
      exact sums of each cell's term rounded to 2^-40 kg (exactsum.h), so each total is off by at
      most half of that per cell (1.8e-13 of the flow detachment here), nothing more. */
#include "grid.h"
#include "state.h"
#include "forcing.h"
#include "routing.h"
#include "sediment.h"
#include "scenario.h"
#include "meshdata.h"
#include <math.h>

static int failures = 0;

static PetscErrorCode Expect(PetscBool ok, const char *what, double got, double ref)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s %s: %.8g (reference %.8g)\n", ok ? "ok  " : "FAIL", what, got, ref));
  if (!ok) failures++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define PL_DX 10.0
#define PL_NX 40
#define PL_S 0.05
#define PL_N 0.03

/* A plane of PL_NX x 1 cells of slope S draining east to an outlet (the gauge "outlet"), loam, sloping cropland (bare: the scenario removes its cover);
   flat (slope 0) when flat is true. Rank 0 writes. */
static PetscErrorCode WritePlane(const char *path, PetscBool flat, PetscReal S)
{
  SbMeshData *m;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(SbMeshDataCreate(PL_NX, 1, &m));
    m->cellsize = PL_DX;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt c = 0; c < PL_NX; c++) {
      m->elevation[c]         = flat ? 100.0 : 100.0 + S * (PL_NX - c - 0.5) * PL_DX;
      m->flow_direction[c]    = c == PL_NX - 1 ? 0 : SB_D8_E;
      m->channel[c]           = 0;
      m->slope[c]             = flat ? 0.0 : S;
      m->mask[c]              = 1;
      m->region[c]            = 1;
      m->landuse[c]           = SB_LU_SLOPING_CROPLAND;
      m->soil[c]              = SB_SOIL_LOAM;
      m->flow_accumulation[c] = PL_DX * PL_DX * (c + 1);
    }
    m->ngauges = 1;
    PetscCall(PetscCalloc1(1, &m->gauges));
    PetscCall(PetscStrncpy(m->gauges[0].name, "outlet", SB_MAX_NAME));
    m->gauges[0].row = 0;
    m->gauges[0].col = PL_NX - 1;
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#define PO_NPLANE 30
#define PO_NPOOL 10
#define PO_LEVEL 100.0

/* A plane of PO_NPLANE cells at slope PL_S draining east into a level pool of PO_NPOOL water cells
   at the normal level PO_LEVEL, at the east edge (the pool spills off the grid). Rank 0 writes. */
static PetscErrorCode WritePool(const char *path)
{
  const PetscInt nx = PO_NPLANE + PO_NPOOL;
  SbMeshData    *m;
  PetscMPIInt    rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(SbMeshDataCreate(nx, 1, &m));
    m->cellsize          = PL_DX;
    m->reservoir_level_m = PO_LEVEL;
    PetscCall(SbMeshDataComputeMetrics(m));
    for (PetscInt c = 0; c < nx; c++) {
      const PetscBool pool = c >= PO_NPLANE ? PETSC_TRUE : PETSC_FALSE;

      m->elevation[c]         = pool ? PO_LEVEL : PO_LEVEL + PL_S * (PO_NPLANE - c - 0.5) * PL_DX;
      m->flow_direction[c]    = c == nx - 1 ? 0 : SB_D8_E;
      m->channel[c]           = 0;
      m->slope[c]             = pool ? 0.0 : PL_S;
      m->mask[c]              = 1;
      m->region[c]            = 1;
      m->landuse[c]           = pool ? SB_LU_WATER : SB_LU_SLOPING_CROPLAND;
      m->soil[c]              = SB_SOIL_LOAM;
      m->flow_accumulation[c] = PL_DX * PL_DX * (c + 1);
    }
    /* A gauge on the pool's last cell, where no face carries water: it records the release. */
    m->ngauges = 1;
    PetscCall(PetscCalloc1(1, &m->gauges));
    PetscCall(PetscStrncpy(m->gauges[0].name, "dam", SB_MAX_NAME));
    m->gauges[0].row = 0;
    m->gauges[0].col = nx - 1;
    PetscCall(SbMeshDataWrite(m, path));
    PetscCall(SbMeshDataDestroy(&m));
  }
  PetscCallMPI(MPI_Barrier(PETSC_COMM_WORLD));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One class of diameter d_m (fraction 1), cohesion coh_kpa on every soil, splash detachability
   K (g/J), splash depth coefficient b (1/mm), loose bed bed_kg_m2. */
typedef struct {
  PetscReal d[1], frac[1], K[1], coh[11], zero[8];
} SedArrays;

static PetscErrorCode Scenario(SbScenario *sc, SedArrays *a, PetscReal d_m, PetscReal coh_kpa, PetscReal K, PetscReal b, PetscReal bed_kg_m2)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(sc, sizeof(*sc)));
  sc->routing_scheme     = SB_ROUTING_LOCAL_INERTIAL;
  sc->manning_n_overland = PL_N;
  sc->manning_n_channel  = PL_N;
  sc->cfl                = 0.7;
  sc->theta              = 0.9;
  sc->max_dt_s           = 2.0;
  sc->depth_threshold_m  = 1e-6;
  sc->channel_subgrid    = PETSC_FALSE;
  a->d[0]                = d_m;
  a->frac[0]             = 1.0;
  a->K[0]                = K;
  for (PetscInt i = 0; i < 11; i++) a->coh[i] = coh_kpa;
  /* Bare ground: no canopy, no cover, no roots. */
  for (PetscInt i = 0; i < 8; i++) a->zero[i] = 0;
  sc->sed_ncanopy_cover   = sc->sed_nground_cover = sc->sed_nroot_cohesion = 8;
  sc->sed_canopy_cover    = a->zero;
  sc->sed_ground_cover    = a->zero;
  sc->sed_root_cohesion_kpa = a->zero;
  sc->sed_enabled           = PETSC_TRUE;
  sc->sed_nclasses          = 1;
  sc->sed_diameter_m        = a->d;
  sc->sed_nfraction         = 1;
  sc->sed_fraction          = a->frac;
  sc->sed_ndetachability    = 1;
  sc->sed_detachability     = a->K;
  sc->sed_ncohesion         = 11;
  sc->sed_cohesion_kpa      = a->coh;
  sc->sed_density           = 2650;
  sc->sed_splash_b_per_mm   = b;
  sc->sed_max_conc          = 850;
  sc->sed_min_slope         = 1e-4;
  sc->sed_initial_bed_kg_m2 = bed_kg_m2;
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  SbGrid    *g;
  SbState   *s;
  SbRouting  ro;
  SbSediment sed;
} Model;

static PetscErrorCode ModelCreate(const char *mesh, const SbScenario *sc, Model *m)
{
  PetscFunctionBeginUser;
  PetscCall(SbGridCreate(PETSC_COMM_WORLD, mesh, &m->g));
  PetscCall(SbStateCreate(m->g, &m->s));
  PetscCall(SbRoutingCreate(m->s, sc, &m->ro));
  PetscCall(SbRoutingSetFromOptions(m->ro));
  PetscCall(SbRoutingSetUp(m->ro));
  PetscCall(SbSedimentCreate(m->s, m->ro, sc, &m->sed));
  PetscCall(SbSedimentStart(m->sed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ModelDestroy(Model *m)
{
  PetscFunctionBeginUser;
  PetscCall(SbSedimentDestroy(&m->sed));
  PetscCall(SbRoutingDestroy(&m->ro));
  PetscCall(SbStateDestroy(&m->s));
  PetscCall(SbGridDestroy(&m->g));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rain (m/s) until t_end with the routing and the sediment, as the time loop does. */
static PetscErrorCode Advance(Model *m, PetscReal rain, PetscReal t_end)
{
  PetscReal t = 0;

  PetscFunctionBeginUser;
  while (t < t_end * (1 - 1e-14)) {
    PetscReal dt;

    PetscCall(SbRoutingStableDt(m->ro, &dt));
    dt = PetscMin(dt, t_end - t);
    PetscCall(SbRainApply(m->s, rain, dt));
    PetscCall(SbSedimentBeginStep(m->sed));
    PetscCall(SbRoutingStep(m->ro, dt));
    PetscCall(SbSedimentStep(m->sed, rain, NULL, dt));
    t += dt;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Depth of the outlet cell and the outlet's water discharge (m³/s), on every rank. */
static PetscErrorCode Outlet(Model *m, PetscReal *h, PetscReal *Q)
{
  const SbCell *x;
  PetscReal     v[1];

  PetscFunctionBeginUser;
  *h = 0;
  PetscCall(VecGetArrayRead(m->s->X, (const PetscScalar **)&x));
  if (m->g->xs + m->g->xm == PL_NX) *h = x[m->g->xm - 1].h;
  PetscCall(VecRestoreArrayRead(m->s->X, (const PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, h, 1, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(SbRoutingGauges(m->ro, Q, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestGovers(void)
{
  const PetscReal tc = SbGoversCapacity(30.0, 0.5, 0.1, 2650.0);

  PetscFunctionBeginUser;
  PetscCall(Expect((PetscBool)(PetscAbsReal(tc / 386.6 - 1) <= 0.005), "Govers capacity, D50 30 um, V 0.5 m/s, S 0.1 (kg/m3)", tc, 386.6));
  PetscCall(Expect((PetscBool)(SbGoversCapacity(30.0, 0.03, 0.1, 2650.0) == 0.0), "Govers capacity below the critical unit stream power 0.4 cm/s", SbGoversCapacity(30.0, 0.03, 0.1, 2650.0), 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestSettling(void)
{
  const PetscReal h0 = 0.5, c0 = 2.0, dt = 1.0, d = 200e-6;
  SbScenario      sc;
  SedArrays       a;
  Model           m;
  PetscReal       vs, worst = 0, cmin = PETSC_MAX_REAL;
  Vec             M;
  SbCell         *x;
  PetscScalar    *mm;
  const PetscScalar *ar;

  PetscFunctionBeginUser;
  PetscCall(WritePlane("test_sed_flat.h5", PETSC_TRUE, 0));
  PetscCall(Scenario(&sc, &a, d, 0, 0, 1.48, 0));
  PetscCall(ModelCreate("test_sed_flat.h5", &sc, &m));
  vs = SbSettlingVelocity(d, 2650, 1e-6);
  PetscCall(SbSedimentGetFields(m.sed, &M, NULL));
  PetscCall(VecGetArray(m.s->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(M, &mm));
  PetscCall(VecGetArrayRead(m.g->cell_area, &ar));
  for (PetscInt k = 0; k < m.g->xm; k++) {
    x[k].h = h0;
    mm[k]  = c0 * h0 * ar[k];
  }
  PetscCall(VecRestoreArray(M, &mm));
  PetscCall(VecRestoreArray(m.s->X, (PetscScalar **)&x));
  for (PetscInt n = 1; n <= 60; n++) {
    PetscCall(SbSedimentBeginStep(m.sed));
    PetscCall(SbSedimentStep(m.sed, 0.0, NULL, dt));
    PetscCall(VecGetArray(M, &mm));
    for (PetscInt k = 0; k < m.g->xm; k++) worst = PetscMax(worst, PetscAbsReal(mm[k] / (h0 * ar[k]) / (c0 * PetscExpReal(-vs * n * dt / h0)) - 1));
    PetscCall(VecRestoreArray(M, &mm));
  }
  /* One step a hundred settling times long. */
  PetscCall(SbSedimentBeginStep(m.sed));
  PetscCall(SbSedimentStep(m.sed, 0.0, NULL, 100 * h0 / vs));
  PetscCall(VecGetArray(M, &mm));
  for (PetscInt k = 0; k < m.g->xm; k++) cmin = PetscMin(cmin, mm[k]);
  PetscCall(VecRestoreArray(M, &mm));
  PetscCall(VecRestoreArrayRead(m.g->cell_area, &ar));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPIU_REAL, MPI_MAX, PETSC_COMM_WORLD));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &cmin, 1, MPIU_REAL, MPI_MIN, PETSC_COMM_WORLD));
  PetscCall(Expect((PetscBool)(worst <= 0.005), "settling in still water, 200 um, h 0.5 m, 60 s: largest relative error of c(t) = c0 exp(-v_s t/h)", worst, 0));
  PetscCall(Expect((PetscBool)(cmin >= 0), "one step of 100 settling times: least suspended mass (kg)", cmin, 0));
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestNothingMoves(void)
{
  SbScenario sc;
  SedArrays  a;
  Model      m;
  Vec        M, B, B0;
  PetscReal  dm, db;
  PetscBool  same;
  SbSedimentTotals t;

  PetscFunctionBeginUser;
  PetscCall(WritePlane("test_sed_plane.h5", PETSC_FALSE, PL_S));
  PetscCall(Scenario(&sc, &a, 30e-6, 3, 0.5, 1.48, 5.0));
  PetscCall(ModelCreate("test_sed_plane.h5", &sc, &m));
  PetscCall(SbSedimentGetFields(m.sed, &M, &B));
  PetscCall(VecDuplicate(B, &B0));
  PetscCall(VecCopy(B, B0));
  PetscCall(Advance(&m, 0.0, 600.0));
  PetscCall(VecNorm(M, NORM_INFINITY, &dm));
  PetscCall(VecEqual(B, B0, &same));
  PetscCall(VecAXPY(B0, -1.0, B));
  PetscCall(VecNorm(B0, NORM_INFINITY, &db));
  PetscCall(SbSedimentBudget(m.sed, &t));
  PetscCall(Expect((PetscBool)(dm == 0 && same && db == 0 && t.detachment == 0 && t.outflow == 0 && t.deposition == 0 && t.relative_error == 0), "no rain, no flow: largest suspended mass and bed change (kg), bit for bit", dm + db, 0));
  PetscCall(VecDestroy(&B0));
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestTransportLimited(void)
{
  const PetscReal rain = 50e-3 / 3600, d = 100e-6;
  SbScenario      sc;
  SedArrays       a;
  Model           m;
  PetscReal       h, Q, rate, mass, q, tc, ref;
  SbSedimentTotals t;

  PetscFunctionBeginUser;
  PetscCall(WritePlane("test_sed_plane.h5", PETSC_FALSE, PL_S));
  PetscCall(Scenario(&sc, &a, d, 3, 0.0, 1.48, 1000.0));
  PetscCall(ModelCreate("test_sed_plane.h5", &sc, &m));
  PetscCall(Advance(&m, rain, 3000.0));
  PetscCall(Outlet(&m, &h, &Q));
  PetscCall(SbSedimentGauges(m.sed, &rate, &mass));
  q   = Q / PL_DX;
  tc  = SbGoversCapacity(1e6 * d, q / h, PL_S, 2650);
  ref = tc * q * PL_DX;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "     outlet depth %.5g m, unit discharge %.5g m2/s (rain x length %.5g), capacity %.5g kg/m3\n", (double)h, (double)q, (double)(rain * PL_NX * PL_DX), (double)tc));
  PetscCall(Expect((PetscBool)(PetscAbsReal(rate / ref - 1) <= 0.02), "transport-limited plane: outlet sediment discharge (kg/s) vs TC q w", rate, ref));
  PetscCall(SbSedimentBudget(m.sed, &t));
  PetscCall(Expect((PetscBool)(PetscAbsReal(t.relative_error) <= 1e-12), "transport-limited plane: budget relative error", t.relative_error, 0));
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestDetachmentLimited(void)
{
  const PetscReal rain = 50e-3 / 3600, d = 30e-6, K = 0.5, b = 0.1;
  SbScenario      sc;
  SedArrays       a;
  Model           m;
  PetscReal       rate, mass, ref = 0;
  const SbCell   *x;
  const PetscScalar *ar;
  SbSedimentTotals t;

  PetscFunctionBeginUser;
  PetscCall(WritePlane("test_sed_steep.h5", PETSC_FALSE, 0.2));
  PetscCall(Scenario(&sc, &a, d, 1e12, K, b, 0.0));
  PetscCall(ModelCreate("test_sed_steep.h5", &sc, &m));
  PetscCall(Advance(&m, rain, 3000.0));
  PetscCall(SbSedimentGauges(m.sed, &rate, &mass));
  /* Splash over the plane now (kg/s): bare ground, no canopy. */
  PetscCall(VecGetArrayRead(m.s->X, (const PetscScalar **)&x));
  PetscCall(VecGetArrayRead(m.g->cell_area, &ar));
  for (PetscInt k = 0; k < m.g->xm; k++)
    if (x[k].h > sc.depth_threshold_m) ref += 1e-3 * K * (1e3 * rain) * SbRainKineticEnergy(3.6e6 * rain) * PetscExpReal(-b * 1e3 * x[k].h) * ar[k];
  PetscCall(VecRestoreArrayRead(m.g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(m.s->X, (const PetscScalar **)&x));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &ref, 1, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  PetscCall(SbSedimentBudget(m.sed, &t));
  PetscCall(Expect((PetscBool)(PetscAbsReal(rate / ref - 1) <= 0.01), "detachment-limited plane: outlet sediment discharge (kg/s) vs integrated splash", rate, ref));
  /* The setting is detachment-limited: no flow detachment; deposition only while the plane wets up
     (splash onto cells still below the depth threshold settles there). */
  PetscCall(Expect((PetscBool)(t.flow_detachment <= 1e-6 * t.splash), "detachment-limited plane: flow detachment relative to splash", t.flow_detachment / t.splash, 0));
  PetscCall(Expect((PetscBool)(t.deposition <= 0.01 * t.splash), "detachment-limited plane: deposition relative to splash (wetting up)", t.deposition / t.splash, 0));
  PetscCall(Expect((PetscBool)(PetscAbsReal(t.relative_error) <= 1e-12), "detachment-limited plane: budget relative error", t.relative_error, 0));
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Case 7: one step from a state set by hand, erodibility factor F (see the header). */
static PetscErrorCode ErodibilityStep(PetscReal F, PetscReal rain, SbSedimentTotals *t)
{
  const PetscReal h0 = 0.01, q0 = 1.5e-3;
  SbScenario      sc;
  SedArrays       a;
  Model           m;
  SbCell         *x;

  PetscFunctionBeginUser;
  PetscCall(Scenario(&sc, &a, 30e-6, 3.0, 0.5, 0.1, 0.0));
  sc.sed_erodibility_factor = F;
  PetscCall(ModelCreate("test_sed_plane.h5", &sc, &m));
  PetscCall(VecGetArray(m.s->X, (PetscScalar **)&x));
  for (PetscInt k = 0; k < m.g->xm; k++) {
    x[k].h  = h0;
    x[k].qx = q0;
    x[k].qy = 0;
  }
  PetscCall(VecRestoreArray(m.s->X, (PetscScalar **)&x));
  PetscCall(SbSedimentBeginStep(m.sed));
  PetscCall(SbSedimentStep(m.sed, rain, NULL, 1.0));
  PetscCall(SbSedimentBudget(m.sed, t));
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* D(F) = f D(1) up to the budget's fixed-point rounding (see the header, case 7). */
static PetscBool Proportional(PetscReal dF, PetscReal d1, PetscReal f)
{
  return (PetscBool)(PetscAbsReal(dF - f * d1) <= (1 + f) * PL_NX * 0x1p-41 + 1e-14 * PetscAbsReal(dF));
}

static PetscErrorCode TestErodibility(void)
{
  const PetscReal h0 = 0.01, u0 = 0.15, dt = 1.0, A = PL_DX * PL_DX, coh = 3.0, K = 0.5, b = 0.1, rain = 50e-3 / 3600;
  const PetscReal F[3] = {1, 2, 3}, gc = PetscPowReal(35.0 / 0.32, -0.6), gd = PetscPowReal(35.0 / 300.0, 0.25);
  const PetscReal R = 1.65, D = 30e-6, vs = R * 9.80665 * D * D / (18e-6 + PetscSqrtReal(0.75 * R * 9.80665 * D * D * D));
  const PetscReal tc = 2650 * gc * PetscPowReal(100 * PL_S * u0 - 0.4, gd), settle = -expm1(-vs * dt / h0), Y = 1.0 / (0.89 + 0.56 * coh);
  const PetscReal splash1 = PL_NX * 1e-3 * K * (1e3 * rain * dt) * 28.3 * (1 - 0.52 * PetscExpReal(-0.042 * 3.6e6 * rain)) * PetscExpReal(-b * 1e3 * h0) * A;
  SbSedimentTotals t[3], r1, r3;
  char             what[256];

  PetscFunctionBeginUser;
  PetscCall(WritePlane("test_sed_plane.h5", PETSC_FALSE, PL_S));
  for (PetscInt i = 0; i < 3; i++) {
    const PetscReal ref = (PL_NX - 1) * PetscMin(1.0, F[i] * Y) * tc * h0 * A * settle;

    PetscCall(ErodibilityStep(F[i], 0.0, &t[i]));
    PetscCall(PetscSNPrintf(what, sizeof(what), "erodibility factor %.0f, one step, no rain: flow detachment (kg) vs 39 min(1, F Y) TC V (1 - e^(-v_s dt/h))", (double)F[i]));
    PetscCall(Expect((PetscBool)(PetscAbsReal(t[i].flow_detachment / ref - 1) <= 1e-10 && t[i].splash == 0), what, t[i].flow_detachment, ref));
  }
  PetscCall(Expect(Proportional(t[1].flow_detachment, t[0].flow_detachment, 2.0), "erodibility factor 2 (F Y < 1): flow detachment ratio to factor 1", t[1].flow_detachment / t[0].flow_detachment, 2));
  PetscCall(Expect(Proportional(t[2].flow_detachment, t[0].flow_detachment, 1.0 / Y), "erodibility factor 3 (F Y capped at 1): flow detachment ratio to factor 1 is 1/Y", t[2].flow_detachment / t[0].flow_detachment, 1 / Y));
  PetscCall(ErodibilityStep(1.0, rain, &r1));
  PetscCall(ErodibilityStep(3.0, rain, &r3));
  PetscCall(Expect((PetscBool)(PetscAbsReal(r1.splash / splash1 - 1) <= 1e-10), "erodibility factor 1, rain 50 mm/h: splash (kg) vs 40 x 1e-3 K P KE e^(-b h) A", r1.splash, splash1));
  PetscCall(Expect(Proportional(r3.splash, r1.splash, 3.0), "erodibility factor 3, rain 50 mm/h: splash ratio to factor 1 (exact, no cap)", r3.splash / r1.splash, 3));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Case 6: the pool's trap efficiency at steady state against the overflow-rate theory. */
static PetscErrorCode TestPool(SbReservoirRule rule, PetscReal d)
{
  const PetscReal rain = 50e-3 / 3600, t1 = 5000, t2 = 6000;
  SbScenario      sc;
  SedArrays       a;
  Model           m;
  SbSedimentTotals b1, b2;
  PetscReal       A = 0, vs, Q, stage, te, ref;
  PetscBool       has;
  const PetscScalar *ar;
  char            what[256];

  PetscFunctionBeginUser;
  PetscCall(WritePool("test_sed_pool.h5"));
  PetscCall(Scenario(&sc, &a, d, 3, 0.0, 1.48, 1000.0));
  sc.reservoir_enabled = PETSC_TRUE;
  sc.reservoir_rule    = rule;
  sc.weir_coef         = 1.7;
  sc.weir_length_m     = 5.0;
  PetscCall(ModelCreate("test_sed_pool.h5", &sc, &m));
  PetscCall(Advance(&m, rain, t1));
  PetscCall(SbSedimentBudget(m.sed, &b1));
  PetscCall(Advance(&m, rain, t2 - t1));
  PetscCall(SbSedimentBudget(m.sed, &b2));
  PetscCall(SbRoutingGetReservoir(m.ro, &has, &stage, &Q));
  PetscCall(VecGetArrayRead(m.g->cell_area, &ar));
  for (PetscInt k = 0; k < m.g->xm; k++)
    if (m.g->xs + k >= PO_NPLANE) A += ar[k];
  PetscCall(VecRestoreArrayRead(m.g->cell_area, &ar));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &A, 1, MPIU_REAL, MPI_SUM, PETSC_COMM_WORLD));
  vs  = SbSettlingVelocity(d, 2650, 1e-6);
  te  = (b2.reservoir_trapped - b1.reservoir_trapped) / (b2.reservoir_inflow - b1.reservoir_inflow);
  ref = rule == SB_RESERVOIR_WEIR ? vs * A / (vs * A + Q) : -expm1(-vs * A / Q);
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "     pool %g m2, stage %.6g m, release %.6g m3/s (rain x plane %.6g), v_s %.4g m/s, inflow %.6g kg/s\n", (double)A, (double)stage, (double)Q, (double)(rain * PO_NPLANE * PL_DX * PL_DX), (double)vs, (double)((b2.reservoir_inflow - b1.reservoir_inflow) / (t2 - t1))));
  PetscCall(PetscSNPrintf(what, sizeof(what), "steady pool, %s rule, %g um: trap efficiency vs %s", rule == SB_RESERVOIR_WEIR ? "weir" : "normal-level", (double)(1e6 * d), rule == SB_RESERVOIR_WEIR ? "v_s A / (v_s A + Q)" : "1 - exp(-v_s A / Q)"));
  PetscCall(Expect((PetscBool)(has && PetscAbsReal(te / ref - 1) <= 0.005), what, te, ref));
  PetscCall(Expect((PetscBool)(PetscAbsReal(b2.relative_error) <= 1e-12), "steady pool: budget relative error", b2.relative_error, 0));
  {
    PetscReal qg, vg, rate, mass;

    /* The gauge in the pool: the last release (water) and every kilogram released (sediment). */
    PetscCall(SbRoutingGauges(m.ro, &qg, &vg));
    PetscCall(SbSedimentGauges(m.sed, &rate, &mass));
    PetscCall(Expect((PetscBool)(PetscAbsReal(qg - Q) <= 1e-12 * Q), "steady pool: a gauge in the pool reads the release (m3/s)", qg, Q));
    PetscCall(Expect((PetscBool)(PetscAbsReal(mass - b2.reservoir_release) <= 1e-12 * b2.reservoir_release && b2.reservoir_release > 0), "steady pool: the gauge's sediment is the pool's release (kg)", mass, b2.reservoir_release));
  }
  PetscCall(ModelDestroy(&m));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestGovers());
  PetscCall(TestSettling());
  PetscCall(TestNothingMoves());
  PetscCall(TestTransportLimited());
  PetscCall(TestDetachmentLimited());
  PetscCall(TestPool(SB_RESERVOIR_WEIR, 2e-6));
  PetscCall(TestPool(SB_RESERVOIR_WEIR, 30e-6));
  PetscCall(TestPool(SB_RESERVOIR_NORMAL_LEVEL, 2e-6));
  PetscCall(TestErodibility());
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%d failure(s)\n", failures));
  PetscCall(PetscFinalize());
  return failures ? 1 : 0;
}
