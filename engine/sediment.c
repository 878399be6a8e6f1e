/* Erosion and sediment transport per size class (docs/sediment.md).

   Each step, after the routing has moved the water (SbRoutingStep):

   1. Transport. The suspended mass M (kg per cell and class) is advected with the volumes the
      routing moved through each face over dt (the time-averaged face discharges of the state) and
      out of outlet cells (their volume follows from the cell's water balance). Upwind: what leaves
      a cell through a face carries the cell's concentration c = M / V, V the cell's water volume
      interpolated between the depths before and after the routing step. Positivity: a cell's
      outflow concentration is M / max(V, outflow volume), so no cell sends more than it holds;
      the step is cut into n sub-steps (the same on every rank) so that the outflow of a sub-step
      stays below the volume held (n = 1 for the local-inertial scheme, whose limiter already
      bounds a step's outflow by the water at its start). Mass is conserved exactly: both sides of
      a face use the same product, across ranks from the halo of outflow concentrations.
   2. Reservoir (level pool): what enters the pool cells joins one well-mixed store per class; it
      settles over the step by exp(-v_s dt / H), H the pool's mean depth (volume / wet area), and
      the release carries the pool's concentration below the dam (or off the grid). Sums over the
      pool are exact (exactsum.h), so the pool is the same on every rank count.
   3. Check dams trap the suspended mass in their cell until their storage is full.
   4. Exchange with the ground, per cell with the new depth h (no exchange where h is below the
      routing's depth threshold: the suspended mass settles onto the loose bed):
      - splash: D_s = K f (1 - GC) e^(-b h_mm) P [(1 - CC) KE(I) + CC KE_ld] (kg/m² per step),
        P the rain (mm) of the step, KE(I) van Dijk et al. (2002), KE_ld Brandt (1990), K the
        class's detachability (Morgan & Duzant 2008), f its fraction in the soil, b of Torri et al.
        (1987), added to the suspension where water stands;
      - transport capacity TC per class: f TC(d) with Govers (1990) overland and Engelund & Hansen
        (1967) on channel cells, at most max_concentration;
      - deposition where c > TC: (c - TC) V (1 - e^(-v_s dt / h)) onto the loose bed, so c never
        falls below TC in a step (LISEM, De Roo et al. 1996, with the exact settling factor);
      - detachment where c < TC: the demand (TC - c) V (1 - e^(-v_s dt / h)) is taken first from
        the loose bed of the class, the rest from the parent soil with the efficiency
        Y = 1/(0.89 + 0.56 COH) (Rauws & Govers 1988), COH soil plus root cohesion (kPa).
   sediment.erodibility_factor F (calibration) multiplies K and Y, the product F Y capped at 1 (an
   efficiency); the capacities do not change.

   Budget terms are kept per cell (cumulative fields) and summed exactly at the end, so the budget
   is the same on every rank count. */
#include "sediment.h"
#include "routing_impl.h"
#include "hydro_tables.h"
#include "exactsum.h"
#include "h5io.h"
#include "halo.h"
#include "meshdata.h"

#define SB_SED_MAX_CLASSES 8
#define SB_SED_MAX_SUBSTEPS 64
#define SB_WATER_DENSITY 1000.0
#define SB_WATER_VISCOSITY 1.0e-6 /* m²/s, water at 20 °C */

/* Cumulative per-cell budget fields (kg), components of acc. */
enum { ACC_SPLASH, ACC_FLOW, ACC_DEPOSITION, ACC_BED_EROSION, ACC_OUTFLOW, ACC_DAM, ACC_N };

/* A check dam's cell, in the sediment's copy of the cell classes (a bit SB_CELL_* leaves free). */
#define SB_SED_DAM 128

/* The exchange parameters of a soil texture under a land use (SetCells): every cell of the pair
   shares them, so cells keep the pair's index in a table instead of their own copies. */
typedef struct {
  PetscReal Y;       /* flow-detachment efficiency, Rauws & Govers (1988), times the pervious fraction */
  PetscReal ksplash; /* splash: pervious fraction times the uncovered ground (1 - ground cover) */
  PetscReal cc;      /* canopy cover */
  PetscReal ke_ld;   /* kinetic energy of leaf drainage, J m-2 mm-1 */
  PetscReal frac[SB_SED_MAX_CLASSES]; /* mass fraction of each class in the soil */
} SbSedimentPair;

/* Textures 0 (none) .. SB_SOIL_COUNT - 1 times land uses 0 .. SB_LU_COUNT - 1 and one slot for a
   land use outside the table: below 256, so a byte per cell holds the index. */
#define SB_SED_NPAIRS (SB_SOIL_COUNT * (SB_LU_COUNT + 1))

struct _p_SbSediment {
  SbState  *state;   /* not owned */
  SbGrid   *grid;    /* not owned */
  SbRouting routing; /* not owned */
  char      scenario[PETSC_MAX_PATH_LEN];

  PetscInt  nc;
  PetscReal d[SB_SED_MAX_CLASSES], vs[SB_SED_MAX_CLASSES], K[SB_SED_MAX_CLASSES];
  PetscReal gov_c[SB_SED_MAX_CLASSES], gov_d[SB_SED_MAX_CLASSES]; /* Govers' c and d of each class */
  PetscReal rho_s, b_splash, max_conc, min_slope, h_min;
  PetscReal erodibility; /* sediment.erodibility_factor: multiplies K and Y (Y capped at 1) */

  DM  da;         /* dof nc (star stencil, width 1), ownership of grid->da */
  Vec M, B, acc;  /* suspended (kg), loose bed (kg), cumulative budget fields (kg) */
  Vec cl;         /* local on da: outflow concentrations of the sub-step, with ghosts */
  /* The halos of the step (halo.h): the water state into state->Xl (its inactive cells set to
     zero) and the concentrations of cl, at the active cells of the block ghosted one cell deep
     without its corners (the step reads a cell's face neighbours only). */
  SbHalo halo_x, halo_c;

  /* Per owned cell (index k in the owned block): the routing's cell classes (SB_CELL_*) and
     SB_SED_DAM, the index of the cell's soil texture and land use in pairs, the slope of the
     transport capacity, and work arrays of the step: the water volume before the routing step and
     the volume leaving the cell over the step (m³). Cell areas are the grid's and the sub-grid
     channel's geometry the routing's (r->local): no copies. */
  uint8_t       *flags, *pair;
  PetscReal     *slope;
  PetscReal     *vol_pre, *vol_out;
  SbSedimentPair pairs[SB_SED_NPAIRS];
  /* Check dams and outlets among the owned cells, by increasing k: capacity (kg); the volume that
     left the grid through the outlet over the step (m³). */
  PetscInt   ndams, *dam_k, nout, *out_k;
  PetscReal *dam_cap, *out_vol;
  PetscBool  has_dams;

  /* The reservoir: one store per class, the same on every rank. */
  PetscBool pool;
  PetscInt  target_k;
  PetscBool off_grid;
  PetscReal pool_area, pool_dead_m3; /* pool area (m²); stored water below the DEM surface that mixes (m³) */
  PetscReal pool_M[SB_SED_MAX_CLASSES];
  PetscReal pool_tot[4]; /* cumulative inflow, release, settled, released off the grid (kg) */

  /* Gauges: this step's mass out of the gauge cells owned here, the last rate, the cumulative mass. */
  PetscReal *gauge_step, *gauge_rate, *gauge_mass;
  PetscInt  *gauge_k;
  PetscBool *gauge_pool; /* routing's: the gauge cell is in the pool */
  /* Recorded series, the same on every rank: rows (t, rate of each gauge). */
  PetscInt   nrec, cap;
  PetscReal *rec;
  PetscReal  initial[2]; /* bed, suspended at the start (kg) */

  PetscLogEvent ev_transport, ev_exchange;
};

/* ---------------------------------------------------------------------------------------------- */
/* Formulas                                                                                       */

PetscReal SbSettlingVelocity(PetscReal d, PetscReal rho_s, PetscReal nu)
{
  const PetscReal R = rho_s / SB_WATER_DENSITY - 1.0, C1 = 18.0, C2 = 1.0;

  /* Ferguson & Church (2004), eq. 4, natural grains (C1 = 18, C2 = 1.0). */
  return R * SB_GRAVITY * d * d / (C1 * nu + PetscSqrtReal(0.75 * C2 * R * SB_GRAVITY * d * d * d));
}

PetscReal SbGoversCapacity(PetscReal d50_um, PetscReal v, PetscReal s, PetscReal rho_s)
{
  /* Govers (1990), as in LISEM: unit stream power in cm/s, critical 0.4 cm/s. */
  const PetscReal c = PetscPowReal((d50_um + 5.0) / 0.32, -0.6), d = PetscPowReal((d50_um + 5.0) / 300.0, 0.25);
  const PetscReal omega = 100.0 * s * v;

  return omega > 0.4 ? rho_s * c * PetscPowReal(omega - 0.4, d) : 0.0;
}

PetscReal SbEngelundHansenCapacity(PetscReal d, PetscReal v, PetscReal R, PetscReal S, PetscReal rho_s)
{
  const PetscReal s1 = rho_s / SB_WATER_DENSITY - 1.0;
  PetscReal       theta, fp, phi, qs;

  if (v <= 0 || R <= 0 || S <= 0) return 0.0;
  /* Engelund & Hansen (1967): f' phi = 0.1 theta^(5/2) with f' = 2 g R S / V². */
  theta = R * S / (s1 * d);
  fp    = 2.0 * SB_GRAVITY * R * S / (v * v);
  phi   = 0.1 * theta * theta * PetscSqrtReal(theta) / fp;
  qs    = phi * PetscSqrtReal(s1 * SB_GRAVITY * d * d * d); /* m²/s of grains */
  return rho_s * qs / (v * R);
}

PetscReal SbRainKineticEnergy(PetscReal i_mm_h)
{
  return 28.3 * (1.0 - 0.52 * PetscExpReal(-0.042 * i_mm_h)); /* van Dijk et al. (2002), eq. 6 */
}

PetscReal SbLeafDripKineticEnergy(PetscReal h_m)
{
  return h_m > 0 ? PetscMax(15.8 * PetscSqrtReal(h_m) - 5.87, 0.0) : 0.0; /* Brandt (1990) */
}

/* ---------------------------------------------------------------------------------------------- */
/* Set-up                                                                                         */

static PetscErrorCode SetClasses(SbSediment s, const SbScenario *sc)
{
  PetscFunctionBeginUser;
  if (sc->sed_nclasses > 0) {
    PetscCheck(sc->sed_nclasses <= SB_SED_MAX_CLASSES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.classes.diameter_um: expected at most %d classes, got %" PetscInt_FMT, s->scenario, SB_SED_MAX_CLASSES, sc->sed_nclasses);
    s->nc = sc->sed_nclasses;
    for (PetscInt c = 0; c < s->nc; c++) s->d[c] = sc->sed_diameter_m[c];
  } else {
    s->nc   = 3;
    s->d[0] = 2e-6;
    s->d[1] = 30e-6;
    s->d[2] = 200e-6;
  }
  if (sc->sed_nfraction > 0) {
    PetscReal sum = 0;

    PetscCheck(sc->sed_nfraction == s->nc, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.classes.fraction: expected %" PetscInt_FMT " values (one per class), got %" PetscInt_FMT, s->scenario, s->nc, sc->sed_nfraction);
    for (PetscInt c = 0; c < s->nc; c++) sum += sc->sed_fraction[c];
    PetscCheck(PetscAbsReal(sum - 1.0) <= 1e-6, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.classes.fraction: expected fractions that sum to 1, got a sum of %g", s->scenario, (double)sum);
  } else {
    PetscCheck(s->nc == 3 && s->d[0] <= 2e-6 && s->d[1] > 2e-6 && s->d[1] <= 50e-6 && s->d[2] > 50e-6, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.classes.fraction: required unless the classes are three, in the clay (<= 2 um), silt (2-50 um) and sand (> 50 um) ranges in this order", s->scenario);
  }
  if (sc->sed_ndetachability > 0) PetscCheck(sc->sed_ndetachability == s->nc, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.classes.detachability_g_j: expected %" PetscInt_FMT " values (one per class), got %" PetscInt_FMT, s->scenario, s->nc, sc->sed_ndetachability);
  for (PetscInt c = 0; c < s->nc; c++) {
    const PetscReal um = 1e6 * s->d[c];

    s->vs[c]    = SbSettlingVelocity(s->d[c], s->rho_s, SB_WATER_VISCOSITY);
    s->K[c]     = s->erodibility * (sc->sed_ndetachability > 0 ? sc->sed_detachability[c] : SbSplashDetachability(s->d[c]));
    s->gov_c[c] = PetscPowReal((um + 5.0) / 0.32, -0.6);
    s->gov_d[c] = PetscPowReal((um + 5.0) / 300.0, 0.25);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckTable(const SbSediment s, const char *key, PetscInt n, PetscInt want)
{
  PetscFunctionBeginUser;
  PetscCheck(n == 0 || n == want, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.%s: expected %" PetscInt_FMT " values, got %" PetscInt_FMT, s->scenario, key, want, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The exchange parameters of soil texture `texture` under land use `landuse` from the soil and
   land-use tables (or the scenario's overrides); a texture or land use outside the tables has
   none of its properties. */
static PetscErrorCode SetPair(SbSediment s, const SbScenario *sc, PetscInt texture, PetscInt landuse, SbSedimentPair *p)
{
  const PetscInt      nc   = s->nc;
  SbSedimentSoil      soil = {0, 0, 0, 0};
  SbSedimentLandUse   use  = {0, 0, 0, 0};
  SbLandUseProperties lp   = {0, 0, 0};
  PetscReal           coh, open;

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < nc; c++) p->frac[c] = 0;
  if (texture >= 1 && texture < SB_SOIL_COUNT) PetscCall(SbSedimentSoilGet(texture, &soil));
  if (landuse >= 0 && landuse < SB_LU_COUNT) {
    PetscCall(SbSedimentLandUseGet(landuse, &use));
    PetscCall(SbLandUsePropertiesGet(landuse, &lp));
    if (sc->sed_nroot_cohesion) use.root_cohesion_kpa = sc->sed_root_cohesion_kpa[landuse];
    if (sc->sed_ncanopy_cover) use.canopy_cover = sc->sed_canopy_cover[landuse];
    if (sc->sed_nplant_height) use.plant_height_m = sc->sed_plant_height_m[landuse];
    if (sc->sed_nground_cover) use.ground_cover = sc->sed_ground_cover[landuse];
  }
  if (sc->sed_ncohesion && texture >= 1 && texture < SB_SOIL_COUNT) soil.cohesion_kpa = sc->sed_cohesion_kpa[texture - 1];
  if (sc->sed_nfraction) {
    for (PetscInt c = 0; c < nc; c++) p->frac[c] = sc->sed_fraction[c];
  } else {
    const PetscReal sum = soil.clay + soil.silt + soil.sand;

    if (sum > 0) {
      p->frac[0] = soil.clay / sum;
      p->frac[1] = soil.silt / sum;
      p->frac[2] = soil.sand / sum;
    }
  }
  /* Sealed ground and open water have no soil to detach: the pervious fraction scales both. */
  open       = landuse == SB_LU_WATER ? 0.0 : 1.0 - lp.impervious;
  coh        = soil.cohesion_kpa + use.root_cohesion_kpa;
  p->Y       = open * PetscMin(1.0, s->erodibility / (0.89 + 0.56 * coh)); /* Rauws & Govers (1988), times the erodibility factor */
  p->ksplash = open * (1.0 - use.ground_cover);
  p->cc      = use.canopy_cover;
  p->ke_ld   = SbLeafDripKineticEnergy(use.plant_height_m);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Per-cell classes, pairs of soil texture and land use, slopes and outlets. */
static PetscErrorCode SetCells(SbSediment s, const SbScenario *sc)
{
  SbGrid               *g = s->grid;
  const SbRoutingLocal *L = s->routing->local;
  const PetscInt        n = g->xm * g->ym;
  const PetscScalar    *sl, *so, *lu;

  PetscFunctionBeginUser;
  PetscCall(CheckTable(s, "cohesion_kpa_by_soil", sc->sed_ncohesion, SB_SOIL_COUNT - 1));
  PetscCall(CheckTable(s, "root_cohesion_kpa_by_landuse", sc->sed_nroot_cohesion, SB_LU_COUNT));
  PetscCall(CheckTable(s, "canopy_cover_by_landuse", sc->sed_ncanopy_cover, SB_LU_COUNT));
  PetscCall(CheckTable(s, "plant_height_m_by_landuse", sc->sed_nplant_height, SB_LU_COUNT));
  PetscCall(CheckTable(s, "ground_cover_by_landuse", sc->sed_nground_cover, SB_LU_COUNT));
  for (PetscInt t = 0; t < SB_SOIL_COUNT; t++)
    for (PetscInt l = 0; l <= SB_LU_COUNT; l++) PetscCall(SetPair(s, sc, t, l < SB_LU_COUNT ? l : -1, &s->pairs[t * (SB_LU_COUNT + 1) + l]));
  PetscCall(PetscMalloc2(n + 1, &s->flags, n + 1, &s->pair));
  PetscCall(PetscMalloc3(n + 1, &s->slope, n + 1, &s->vol_pre, n + 1, &s->vol_out));
  PetscCall(VecGetArrayRead(g->slope, &sl));
  PetscCall(VecGetArrayRead(g->soil, &so));
  PetscCall(VecGetArrayRead(g->landuse, &lu));
  s->nout = 0;
  for (PetscInt k = 0; k < n; k++) {
    const PetscInt texture = (PetscInt)so[k], landuse = (PetscInt)lu[k];
    const PetscInt t = (texture >= 1 && texture < SB_SOIL_COUNT) ? texture : 0, l = (landuse >= 0 && landuse < SB_LU_COUNT) ? landuse : SB_LU_COUNT;

    s->flags[k]   = L->flags[(g->ys + k / g->xm - L->gys) * L->gxm + (g->xs + k % g->xm - L->gxs)];
    s->pair[k]    = (uint8_t)(t * (SB_LU_COUNT + 1) + l);
    s->slope[k]   = PetscMax(sl[k], s->min_slope);
    s->vol_pre[k] = s->vol_out[k] = 0;
    if ((s->flags[k] & SB_CELL_ACTIVE) && (s->flags[k] & SB_CELL_OUTLET)) s->nout++;
  }
  PetscCall(PetscMalloc2(s->nout + 1, &s->out_k, s->nout + 1, &s->out_vol));
  s->nout = 0;
  for (PetscInt k = 0; k < n; k++)
    if ((s->flags[k] & SB_CELL_ACTIVE) && (s->flags[k] & SB_CELL_OUTLET)) {
      s->out_k[s->nout]   = k;
      s->out_vol[s->nout] = 0;
      s->nout++;
    }
  PetscCall(VecRestoreArrayRead(g->landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->soil, &so));
  PetscCall(VecRestoreArrayRead(g->slope, &sl));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The halos of the step (halo_x, halo_c). */
static PetscErrorCode CreateHalos(SbSediment s)
{
  SbGrid               *g = s->grid;
  const SbRoutingLocal *L = s->routing->local;
  const PetscInt        xs = g->xs, ys = g->ys, xe = g->xs + g->xm, ye = g->ys + g->ym;
  const PetscInt        gxs = PetscMax(xs - 1, 0), gys = PetscMax(ys - 1, 0), gxm = PetscMin(xe + 1, g->nx) - gxs, gym = PetscMin(ye + 1, g->ny) - gys;
  PetscInt              hxs, hys, hxm, hym, dxs, dys, dxm, dym;
  uint8_t              *sel;

  PetscFunctionBeginUser;
  PetscCheck(L->gxs <= gxs && L->gys <= gys && L->gxs + L->gxm >= gxs + gxm && L->gys + L->gym >= gys + gym, PETSC_COMM_SELF, PETSC_ERR_PLIB, "sediment: the routing's cell classes do not cover the ghosted block");
  PetscCall(PetscMalloc1(gxm * gym + 1, &sel));
  for (PetscInt j = gys; j < gys + gym; j++)
    for (PetscInt i = gxs; i < gxs + gxm; i++) {
      const PetscBool face = (PetscBool)((i >= xs && i < xe) || (j >= ys && j < ye)); /* owned, or beside an owned cell across a face */

      sel[(j - gys) * gxm + (i - gxs)] = face ? L->flags[(j - L->gys) * L->gxm + (i - L->gxs)] : 0;
    }
  PetscCall(SbHaloCreate(g, 1, 3, sel, SB_CELL_ACTIVE, PETSC_FALSE, PETSC_TRUE, &s->halo_x));
  PetscCall(SbHaloCreate(g, 1, s->nc, sel, SB_CELL_ACTIVE, PETSC_TRUE, PETSC_FALSE, &s->halo_c));
  PetscCall(PetscFree(sel));
  PetscCall(SbHaloGetCorners(s->halo_x, &hxs, &hys, &hxm, &hym));
  PetscCall(DMDAGetGhostCorners(s->state->da, &dxs, &dys, NULL, &dxm, &dym, NULL));
  PetscCheck(hxs == dxs && hys == dys && hxm == dxm && hym == dym, PETSC_COMM_SELF, PETSC_ERR_PLIB, "sediment: the halo's block differs from the state's ghosted block");
  PetscCall(DMDAGetGhostCorners(s->da, &dxs, &dys, NULL, &dxm, &dym, NULL));
  PetscCheck(hxs == dxs && hys == dys && hxm == dxm && hym == dym, PETSC_COMM_SELF, PETSC_ERR_PLIB, "sediment: the halo's block differs from the concentrations' ghosted block");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Position of k in the increasing list ks[0..n), -1 if absent. */
static inline PetscInt FindCell(const PetscInt *ks, PetscInt n, PetscInt k)
{
  PetscInt lo = 0, hi = n - 1;

  while (lo <= hi) {
    const PetscInt mid = (lo + hi) / 2;

    if (ks[mid] == k) return mid;
    if (ks[mid] < k) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/* The volume that left the grid through owned cell k's outlet over the step (m³), 0 elsewhere. */
static inline PetscReal OutletVolume(const SbSediment s, PetscInt k)
{
  const PetscInt o = (s->flags[k] & SB_CELL_OUTLET) ? FindCell(s->out_k, s->nout, k) : -1;

  return o >= 0 ? s->out_vol[o] : 0.0;
}

/* The slope of an outlet cell in the mesh is its drop to whatever lies outside the mask (the
   synthetic basin stores 0 m there, so the outlet of the 2 km basin gets 0.03 where its reach falls
   1.8e-4): a boundary value, not the bed slope. The capacities of an outlet cell use instead the
   slope from its main donor, the active face neighbour with the largest upstream area, to itself
   (at least min_slope). */
static PetscErrorCode SetOutletSlopes(SbSediment s)
{
  SbGrid             *g = s->grid;
  Vec                 zl, al, ml;
  const PetscScalar **z, **a, **mk;

  PetscFunctionBeginUser;
  /* Created and destroyed here: DMGetLocalVector would keep all three in grid->da's cache for the
     whole run (24 bytes per grid cell). */
  PetscCall(DMCreateLocalVector(g->da, &zl));
  PetscCall(VecDuplicate(zl, &al));
  PetscCall(VecDuplicate(zl, &ml));
  PetscCall(DMGlobalToLocal(g->da, g->elevation, INSERT_VALUES, zl));
  PetscCall(DMGlobalToLocal(g->da, g->flow_accumulation, INSERT_VALUES, al));
  PetscCall(DMGlobalToLocal(g->da, g->mask, INSERT_VALUES, ml));
  PetscCall(DMDAVecGetArrayRead(g->da, zl, (void *)&z));
  PetscCall(DMDAVecGetArrayRead(g->da, al, (void *)&a));
  PetscCall(DMDAVecGetArrayRead(g->da, ml, (void *)&mk));
  for (PetscInt jj = 0; jj < g->ym; jj++)
    for (PetscInt ii = 0; ii < g->xm; ii++) {
      const PetscInt  i = g->xs + ii, j = g->ys + jj, k = jj * g->xm + ii;
      const PetscInt  ni[4] = {i + 1, i - 1, i, i}, nj[4] = {j, j, j + 1, j - 1};
      const PetscReal dist[4] = {g->dx_m[j], g->dx_m[j], g->dy_m, g->dy_m};
      PetscReal       best = -1;

      if (!(s->flags[k] & SB_CELL_ACTIVE) || !(s->flags[k] & SB_CELL_OUTLET)) continue;
      for (PetscInt f = 0; f < 4; f++) {
        if (ni[f] < 0 || ni[f] >= g->nx || nj[f] < 0 || nj[f] >= g->ny || mk[nj[f]][ni[f]] == 0 || a[nj[f]][ni[f]] <= best) continue;
        best        = a[nj[f]][ni[f]];
        s->slope[k] = PetscMax((z[nj[f]][ni[f]] - z[j][i]) / dist[f], s->min_slope);
      }
    }
  PetscCall(DMDAVecRestoreArrayRead(g->da, ml, (void *)&mk));
  PetscCall(DMDAVecRestoreArrayRead(g->da, al, (void *)&a));
  PetscCall(DMDAVecRestoreArrayRead(g->da, zl, (void *)&z));
  PetscCall(VecDestroy(&ml));
  PetscCall(VecDestroy(&al));
  PetscCall(VecDestroy(&zl));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetDams(SbSediment s, const SbScenario *sc)
{
  SbGrid  *g = s->grid;
  PetscInt nd = sc->sed_ndam_row, n = 0;

  PetscFunctionBeginUser;
  PetscCheck(sc->sed_ndam_col == nd, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.check_dams.col: expected %" PetscInt_FMT " values (one per row), got %" PetscInt_FMT, s->scenario, nd, sc->sed_ndam_col);
  PetscCheck(nd == 0 || sc->sed_ndam_capacity == nd || sc->sed_ndam_capacity == 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.check_dams.capacity_t: expected 1 or %" PetscInt_FMT " values, got %" PetscInt_FMT, s->scenario, nd, sc->sed_ndam_capacity);
  PetscCall(PetscMalloc2(nd + 1, &s->dam_k, nd + 1, &s->dam_cap));
  for (PetscInt q = 0; q < nd; q++) {
    const PetscReal rr = sc->sed_dam_row[q], cc = sc->sed_dam_col[q];
    const PetscInt  i = (PetscInt)cc, j = (PetscInt)rr;

    PetscCheck(rr == (PetscReal)j && cc == (PetscReal)i && j < g->ny && i < g->nx, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.check_dams: dam %" PetscInt_FMT " at row %g, col %g: expected whole numbers inside the %" PetscInt_FMT " x %" PetscInt_FMT " grid", s->scenario, q, (double)rr, (double)cc, g->ny, g->nx);
    s->has_dams = PETSC_TRUE;
    if (i >= g->xs && i < g->xs + g->xm && j >= g->ys && j < g->ys + g->ym) {
      const PetscInt k = (j - g->ys) * g->xm + (i - g->xs);
      PetscInt       d;

      PetscCheck((s->flags[k] & SB_CELL_ACTIVE) && !(s->flags[k] & SB_CELL_POOL), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: sediment.check_dams: dam %" PetscInt_FMT " at row %" PetscInt_FMT ", col %" PetscInt_FMT ": the cell is outside the basin or in the reservoir", s->scenario, q, j, i);
      /* Dams on one cell add their capacities, in the order of the list. */
      for (d = 0; d < n && s->dam_k[d] != k; d++) {}
      if (d == n) {
        s->dam_k[n]   = k;
        s->dam_cap[n] = 0;
        n++;
      }
      s->dam_cap[d] += sc->sed_dam_capacity_kg[sc->sed_ndam_capacity == 1 ? 0 : q];
    }
  }
  /* Cells of no capacity trap nothing: they leave the list. */
  s->ndams = 0;
  for (PetscInt d = 0; d < n; d++)
    if (s->dam_cap[d] > 0) {
      s->dam_k[s->ndams]   = s->dam_k[d];
      s->dam_cap[s->ndams] = s->dam_cap[d];
      s->flags[s->dam_k[d]] |= SB_SED_DAM;
      s->ndams++;
    }
  PetscCall(PetscSortIntWithScalarArray(s->ndams, s->dam_k, s->dam_cap));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentCreate(SbState *state, SbRouting routing, const SbScenario *sc, SbSediment *sed)
{
  SbSediment s;
  SbGrid    *g = state->grid;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *sed = NULL;
  if (!sc->sed_enabled) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbRoutingSetUp(routing));
  PetscCall(PetscNew(&s));
  s->state       = state;
  s->grid        = g;
  s->routing     = routing;
  s->rho_s       = sc->sed_density > 0 ? sc->sed_density : 2650.0;
  s->b_splash    = sc->sed_splash_b_per_mm;
  s->max_conc    = sc->sed_max_conc > 0 ? sc->sed_max_conc : 850.0;
  s->min_slope   = sc->sed_min_slope;
  s->erodibility = sc->sed_erodibility_factor > 0 ? sc->sed_erodibility_factor : 1.0;
  s->h_min       = PetscMax(routing->depth_threshold, 1e-9);
  s->target_k    = -1;
  PetscCall(PetscStrncpy(s->scenario, sc->path[0] ? sc->path : "scenario", sizeof(s->scenario)));
  /* Input errors are raised after the object is whole, so that it is destroyed on the way out. */
  ierr = SetClasses(s, sc);
  if (!ierr) ierr = SetCells(s, sc);
  if (!ierr) ierr = SetDams(s, sc);
  if (!ierr) ierr = SetOutletSlopes(s);
  if (ierr) {
    PetscCall(SbSedimentDestroy(&s));
    PetscCall(ierr);
  }
  PetscCall(SbRoutingCreateDA(routing, s->nc, DMDA_STENCIL_STAR, 1, &s->da));
  PetscCall(DMCreateGlobalVector(s->da, &s->M));
  PetscCall(VecDuplicate(s->M, &s->B));
  PetscCall(DMCreateLocalVector(s->da, &s->cl));
  /* The step writes the concentrations of active cells only (cellruns.h): an inactive cell's,
     owned or ghost, stays zero. */
  PetscCall(VecSet(s->cl, 0.0));
  PetscCall(CreateHalos(s));
  /* The budget fields need no ghosts, hence no DMDA of their own (its index sets and scatter
     would cost 12 bytes per grid cell): the grid's ownership, ACC_N values per cell. */
  PetscCall(VecCreate(g->comm, &s->acc));
  PetscCall(VecSetSizes(s->acc, g->xm * g->ym * ACC_N, PETSC_DETERMINE));
  PetscCall(VecSetBlockSize(s->acc, ACC_N));
  PetscCall(VecSetType(s->acc, VECSTANDARD));
  PetscCall(VecSet(s->acc, 0.0));
  if (routing->reservoir) {
    SbExactSum         a = {0, 0};
    const PetscScalar *area;

    s->pool = PETSC_TRUE;
    PetscCall(SbReservoirGetTarget(routing->reservoir, &s->target_k, &s->off_grid));
    PetscCall(VecGetArrayRead(g->cell_area, &area));
    for (PetscInt k = 0; k < g->xm * g->ym; k++)
      if (s->flags[k] & SB_CELL_POOL) SbExactSumAdd(&a, area[k]);
    PetscCall(VecRestoreArrayRead(g->cell_area, &area));
    PetscCall(SbExactSumReduce(g->comm, 1, &a, &s->pool_area));
    s->pool_dead_m3 = s->pool_area * sc->sed_pool_depth_m;
  }
  PetscCall(PetscCalloc3(g->ngauges + 1, &s->gauge_step, g->ngauges + 1, &s->gauge_rate, g->ngauges + 1, &s->gauge_mass));
  PetscCall(PetscMalloc1(g->ngauges + 1, &s->gauge_k));
  for (PetscInt q = 0; q < g->ngauges; q++) s->gauge_k[q] = routing->gauge_k[q];
  s->gauge_pool = routing->gauge_pool; /* owned by the routing, which outlives this */
  PetscCall(PetscLogEventRegister("SbSedTransport", DM_CLASSID, &s->ev_transport));
  PetscCall(PetscLogEventRegister("SbSedExchange", DM_CLASSID, &s->ev_exchange));
  /* The initial loose bed, split by the class fractions; none in the reservoir. */
  if (sc->sed_initial_bed_kg_m2 > 0) {
    PetscScalar       *b;
    const PetscScalar *area;

    PetscCall(VecGetArray(s->B, &b));
    PetscCall(VecGetArrayRead(g->cell_area, &area));
    for (PetscInt k = 0; k < g->xm * g->ym; k++)
      if ((s->flags[k] & SB_CELL_ACTIVE) && !(s->flags[k] & SB_CELL_POOL))
        for (PetscInt c = 0; c < s->nc; c++) b[k * s->nc + c] = sc->sed_initial_bed_kg_m2 * area[k] * s->pairs[s->pair[k]].frac[c];
    PetscCall(VecRestoreArrayRead(g->cell_area, &area));
    PetscCall(VecRestoreArray(s->B, &b));
  }
  *sed = s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentDestroy(SbSediment *sed)
{
  SbSediment s = *sed;

  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree2(s->flags, s->pair));
  PetscCall(PetscFree3(s->slope, s->vol_pre, s->vol_out));
  PetscCall(PetscFree2(s->out_k, s->out_vol));
  PetscCall(PetscFree2(s->dam_k, s->dam_cap));
  PetscCall(VecDestroy(&s->M));
  PetscCall(VecDestroy(&s->B));
  PetscCall(VecDestroy(&s->cl));
  PetscCall(SbHaloDestroy(&s->halo_x));
  PetscCall(SbHaloDestroy(&s->halo_c));
  PetscCall(VecDestroy(&s->acc));
  PetscCall(DMDestroy(&s->da));
  PetscCall(PetscFree3(s->gauge_step, s->gauge_rate, s->gauge_mass));
  PetscCall(PetscFree(s->gauge_k));
  PetscCall(PetscFree(s->rec));
  PetscCall(PetscFree(*sed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------------------------------------------------------------------------------------------- */
/* Checkpoints                                                                                    */

static PetscErrorCode SeriesWrite(void *ctx, hid_t grp)
{
  SbSediment s = (SbSediment)ctx;

  PetscFunctionBeginUser;
  PetscCall(SbCheckpointWriteReals(grp, "series", s->rec, s->nrec, s->grid->ngauges + 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SeriesRead(void *ctx, hid_t grp, const char *file)
{
  SbSediment s = (SbSediment)ctx;
  PetscReal *rows;
  PetscInt   n;

  PetscFunctionBeginUser;
  PetscCall(SbCheckpointReadReals(grp, file, "series", s->grid->ngauges + 1, &rows, &n));
  PetscCall(PetscFree(s->rec));
  s->rec  = rows;
  s->nrec = n;
  s->cap  = n;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentCheckpointRegister(SbSediment s, SbCheckpoint ck)
{
  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbCheckpointAddVec(ck, "sediment/suspended_kg", s->M));
  PetscCall(SbCheckpointAddVec(ck, "sediment/bed_kg", s->B));
  PetscCall(SbCheckpointAddVec(ck, "sediment/budget_fields_kg", s->acc));
  PetscCall(SbCheckpointAddReal(ck, "sediment/reservoir_suspended_kg", s->pool_M, s->nc));
  PetscCall(SbCheckpointAddReal(ck, "sediment/reservoir_totals_kg", s->pool_tot, 4));
  PetscCall(SbCheckpointAddReal(ck, "sediment/initial_kg", s->initial, 2));
  if (s->grid->ngauges > 0) PetscCall(SbCheckpointAddLocalSum(ck, "sediment/gauge_mass_kg", s->gauge_mass, s->grid->ngauges));
  PetscCall(SbCheckpointAddHook(ck, "sediment/output", SeriesWrite, SeriesRead, s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------------------------------------------------------------------------------------------- */
/* Time loop                                                                                      */

/* Collective: exact totals of the suspended mass and the bed over the owned cells, and of the
   cumulative fields. out: [0..ACC_N) the fields, ACC_N suspended, ACC_N + 1 bed. */
static PetscErrorCode Totals(SbSediment s, PetscReal *out)
{
  SbExactSum         sum[ACC_N + 2];
  const PetscScalar *m, *b, *a;
  const PetscInt     n = s->grid->xm * s->grid->ym, nc = s->nc;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(sum, sizeof(sum)));
  PetscCall(VecGetArrayRead(s->M, &m));
  PetscCall(VecGetArrayRead(s->B, &b));
  PetscCall(VecGetArrayRead(s->acc, &a));
  for (PetscInt k = 0; k < n; k++) {
    for (PetscInt f = 0; f < ACC_N; f++) SbExactSumAdd(&sum[f], a[k * ACC_N + f]);
    for (PetscInt c = 0; c < nc; c++) {
      SbExactSumAdd(&sum[ACC_N], m[k * nc + c]);
      SbExactSumAdd(&sum[ACC_N + 1], b[k * nc + c]);
    }
  }
  PetscCall(VecRestoreArrayRead(s->acc, &a));
  PetscCall(VecRestoreArrayRead(s->B, &b));
  PetscCall(VecRestoreArrayRead(s->M, &m));
  PetscCall(SbExactSumReduce(s->grid->comm, ACC_N + 2, sum, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentStart(SbSediment s)
{
  PetscReal t[ACC_N + 2];

  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(Totals(s, t));
  s->initial[0] = t[ACC_N + 1];
  s->initial[1] = t[ACC_N];
  for (PetscInt c = 0; c < s->nc; c++) s->initial[1] += s->pool_M[c];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentBeginStep(SbSediment s)
{
  const SbCell      *x;
  const PetscScalar *area;
  const SbCellRuns  *act;

  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  act = &s->grid->active;
  /* The water volume of each active cell before the routing step (an inactive cell's stays 0,
     SetCells). */
  PetscCall(VecGetArrayRead(s->state->X, (const PetscScalar **)&x));
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  for (PetscInt r = 0; r < act->nruns; r++)
    for (PetscInt k = act->k[2 * r]; k < act->k[2 * r + 1]; k++) s->vol_pre[k] = x[k].h * area[k];
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCall(VecRestoreArrayRead(s->state->X, (const PetscScalar **)&x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Face volumes (m³ over dt) of owned cell (i, j): east, west, south, north, positive out of the
   cell. x: the ghosted state. */
static inline void FaceVolumes(const SbGrid *g, SbCell **x, PetscInt i, PetscInt j, PetscReal dt, PetscReal *v)
{
  v[0] = x[j][i].qx * g->dy_m * dt;
  v[1] = i > 0 ? -x[j][i - 1].qx * g->dy_m * dt : 0.0;
  v[2] = x[j][i].qy * SbSouthWidth(g, j) * dt;
  v[3] = j > 0 ? -x[j - 1][i].qy * SbSouthWidth(g, j - 1) * dt : 0.0;
}

/* Water volume of owned cell (i, j), index k, after the routing step, less the reservoir's release
   from its target cell (m³). x: the ghosted state. */
static inline PetscReal VolumeAfter(const SbSediment s, SbCell **x, const PetscScalar *area, PetscInt i, PetscInt j, PetscInt k, PetscReal release)
{
  return x[j][i].h * area[k] - (k == s->target_k ? release : 0.0);
}

/* Advection of the suspended mass (step 1 of the header) and the reservoir (step 2). */
static PetscErrorCode Transport(SbSediment s, PetscReal dt)
{
  SbGrid            *g   = s->grid;
  SbState           *st  = s->state;
  const SbCellRuns  *act = &g->active;
  const PetscInt     nc  = s->nc;
  SbCell           **x;
  const PetscScalar *area;
  PetscScalar       *m, *acc;
  PetscReal          release = 0, nsub_r = 1;
  PetscInt           nsub;
  SbExactSum         pool_sum[SB_SED_MAX_CLASSES + 2];

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(pool_sum, sizeof(pool_sum)));
  if (s->pool) {
    PetscBool has;
    PetscReal stage, q;

    PetscCall(SbRoutingGetReservoir(s->routing, &has, &stage, &q));
    release = q * dt;
  }
  {
    const PetscScalar *xa;
    PetscScalar       *xla;

    /* state->Xl as DMGlobalToLocal fills it, at the cells the step reads (an inactive cell's
       state is zero), without a copy per cell of the frame */
    PetscCall(VecGetArrayRead(st->X, &xa));
    PetscCall(VecGetArray(st->Xl, &xla));
    PetscCall(SbHaloUpdate(s->halo_x, xa, xla));
    PetscCall(VecRestoreArray(st->Xl, &xla));
    PetscCall(VecRestoreArrayRead(st->X, &xa));
  }
  PetscCall(DMDAVecGetArrayRead(st->da, st->Xl, (void *)&x));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  /* The volume leaving each active cell and, for outlet cells, through the outlet (the outlets
     come in the order of k). The loops of the step visit the active cells only (cellruns.h): an
     inactive cell's outgoing volume and concentrations stay zero. */
  for (PetscInt jj = 0, o = 0; jj < g->ym; jj++)
    for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++)
      for (PetscInt k = act->k[2 * run]; k < act->k[2 * run + 1]; k++) {
        const PetscInt i = g->xs + k - jj * g->xm, j = g->ys + jj;
        PetscReal      v[4], out = 0, net = 0, post;

        FaceVolumes(g, x, i, j, dt, v);
        for (PetscInt f = 0; f < 4; f++) {
          out += PetscMax(v[f], 0.0);
          net += v[f];
        }
        post = VolumeAfter(s, x, area, i, j, k, release);
        if (s->flags[k] & SB_CELL_OUTLET) {
          /* The outlet took what the faces and the change of storage do not explain. */
          s->out_vol[o] = PetscMax(s->vol_pre[k] - net - post, 0.0);
          out += s->out_vol[o++];
        }
        s->vol_out[k] = out;
        if (!(s->flags[k] & SB_CELL_POOL) && out > 0) {
          const PetscReal ref = PetscMax(s->vol_pre[k], post);

          nsub_r = PetscMax(nsub_r, ref > 0 ? PetscCeilReal(out / ref * (1.0 - 1e-9)) : (PetscReal)SB_SED_MAX_SUBSTEPS);
        }
      }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &nsub_r, 1, MPIU_REAL, MPI_MAX, g->comm));
  nsub = (PetscInt)PetscMin(nsub_r, (PetscReal)SB_SED_MAX_SUBSTEPS);

  PetscCall(VecGetArray(s->acc, &acc));
  for (PetscInt sub = 0; sub < nsub; sub++) {
    const PetscReal w0 = (PetscReal)sub / (PetscReal)nsub, inv = 1.0 / (PetscReal)nsub;
    PetscScalar   **cl;
    PetscScalar    *co;

    /* Outflow concentrations of the owned cells, then their halo. */
    PetscCall(VecGetArray(s->M, &m));
    PetscCall(DMDAVecGetArray(s->da, s->cl, &cl));
    for (PetscInt jj = 0; jj < g->ym; jj++)
      for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++)
        for (PetscInt k = act->k[2 * run]; k < act->k[2 * run + 1]; k++) {
          const PetscInt  i = g->xs + k - jj * g->xm, j = g->ys + jj;
          const PetscReal o = s->vol_out[k] * inv;

          co = &cl[j][i * nc];
          if (o > 0 && !(s->flags[k] & SB_CELL_POOL)) {
            const PetscReal vol = s->vol_pre[k] + w0 * (VolumeAfter(s, x, area, i, j, k, release) - s->vol_pre[k]);

            for (PetscInt c = 0; c < nc; c++) co[c] = m[k * nc + c] / PetscMax(vol, o);
          } else
            for (PetscInt c = 0; c < nc; c++) co[c] = 0.0;
        }
    PetscCall(DMDAVecRestoreArray(s->da, s->cl, &cl));
    PetscCall(VecRestoreArray(s->M, &m));
    {
      PetscScalar *ca;

      PetscCall(VecGetArray(s->cl, &ca));
      PetscCall(SbHaloUpdate(s->halo_c, ca, ca));
      PetscCall(VecRestoreArray(s->cl, &ca));
    }

    PetscCall(VecGetArray(s->M, &m));
    PetscCall(DMDAVecGetArray(s->da, s->cl, &cl));
    for (PetscInt jj = 0; jj < g->ym; jj++)
      for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++)
        for (PetscInt k = act->k[2 * run]; k < act->k[2 * run + 1]; k++) {
          const PetscInt i = g->xs + k - jj * g->xm, j = g->ys + jj;
          const PetscBool pool = (s->flags[k] & SB_CELL_POOL) ? PETSC_TRUE : PETSC_FALSE;
          PetscReal       v[4], gone = 0, ov;
          const PetscScalar *nb[4], *own = &cl[j][i * nc];

          FaceVolumes(g, x, i, j, dt, v);
          ov = OutletVolume(s, k);
          nb[0] = i + 1 < g->nx ? &cl[j][(i + 1) * nc] : own;
          nb[1] = i > 0 ? &cl[j][(i - 1) * nc] : own;
          nb[2] = j + 1 < g->ny ? &cl[j + 1][i * nc] : own;
          nb[3] = j > 0 ? &cl[j - 1][i * nc] : own;
          for (PetscInt c = 0; c < nc; c++) {
            PetscReal in = 0, out = 0;

            for (PetscInt f = 0; f < 4; f++) {
              const PetscReal vf = v[f] * inv;

              if (vf > 0) out += vf * own[c];
              else if (vf < 0) in -= vf * nb[f][c];
            }
            out += ov * inv * own[c];
            if (pool) SbExactSumAdd(&pool_sum[c], in);
            else {
              m[k * nc + c] = PetscMax(m[k * nc + c] + in - out, 0.0);
              acc[k * ACC_N + ACC_OUTFLOW] += ov * inv * own[c];
            }
            gone += out;
          }
          for (PetscInt q = 0; q < g->ngauges; q++)
            if (s->gauge_k[q] == k) s->gauge_step[q] += gone;
        }
    PetscCall(DMDAVecRestoreArray(s->da, s->cl, &cl));
    PetscCall(VecRestoreArray(s->M, &m));
  }

  /* The reservoir: inflow, settling over the step at the pool's mean depth, release. */
  if (s->pool) {
    PetscReal tot[SB_SED_MAX_CLASSES + 1], vpool;

    /* The pool's mixing volume before the release: the routed water over the pool cells plus the
       stored water below the DEM surface that mixes with the inflow (reservoir_mixing_depth_m
       times the pool area, default none; docs/sediment.md). */
    for (PetscInt run = 0; run < act->nruns; run++)
      for (PetscInt k = act->k[2 * run]; k < act->k[2 * run + 1]; k++)
        if (s->flags[k] & SB_CELL_POOL) SbExactSumAdd(&pool_sum[nc], VolumeAfter(s, x, area, g->xs + k % g->xm, g->ys + k / g->xm, k, release));
    PetscCall(SbExactSumReduce(g->comm, nc + 1, pool_sum, tot));
    vpool = tot[nc] + release + s->pool_dead_m3;

    for (PetscInt c = 0; c < nc; c++) {
      PetscReal settled = 0, out = 0;

      s->pool_M[c] += tot[c];
      s->pool_tot[0] += tot[c];
      if (vpool > 0) {
        settled = -s->pool_M[c] * expm1(-s->vs[c] * dt * s->pool_area / vpool); /* mean depth vpool / area */
        s->pool_M[c] -= settled;
        out = s->pool_M[c] * (release / vpool);
        s->pool_M[c] -= out;
      } else {
        settled = s->pool_M[c];
        s->pool_M[c] = 0;
      }
      s->pool_tot[1] += out;
      s->pool_tot[2] += settled;
      for (PetscInt q = 0; q < g->ngauges; q++)
        if (s->gauge_k[q] >= 0 && s->gauge_pool[q]) s->gauge_step[q] += out; /* a gauge in the pool records the release */
      if (s->off_grid) s->pool_tot[3] += out;
      else if (s->target_k >= 0) {
        PetscCall(VecGetArray(s->M, &m));
        m[s->target_k * nc + c] += out;
        PetscCall(VecRestoreArray(s->M, &m));
      }
    }
  }
  PetscCall(VecRestoreArray(s->acc, &acc));
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(DMDAVecRestoreArrayRead(st->da, st->Xl, (void *)&x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Check dams (step 3) and the exchange with the ground (step 4). */
static PetscErrorCode Exchange(SbSediment s, PetscReal rain_m_s, Vec rain_field, PetscReal dt)
{
  SbGrid               *g   = s->grid;
  SbState              *st  = s->state;
  const SbRoutingLocal *L   = s->routing->local;
  const SbCellRuns     *act = &g->active;
  const PetscInt        nc  = s->nc;
  SbCell              **x;
  PetscScalar          *m, *b, *acc;
  const PetscScalar    *rf = NULL, *area;

  PetscFunctionBeginUser;
  PetscCall(DMDAVecGetArrayRead(st->da, st->Xl, (void *)&x)); /* ghosts filled by Transport */
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  PetscCall(VecGetArray(s->M, &m));
  PetscCall(VecGetArray(s->B, &b));
  PetscCall(VecGetArray(s->acc, &acc));
  if (rain_field) PetscCall(VecGetArrayRead(rain_field, &rf));
  for (PetscInt jj = 0; jj < g->ym; jj++)
    for (PetscInt run = act->row[jj]; run < act->row[jj + 1]; run++)
      for (PetscInt k = act->k[2 * run]; k < act->k[2 * run + 1]; k++) {
        const PetscInt i = g->xs + k - jj * g->xm, j = g->ys + jj;
        const PetscReal       h = x[j][i].h, A = area[k];
        const SbSedimentPair *p = &s->pairs[s->pair[k]];
        PetscReal            *mk = &m[k * nc], *bk = &b[k * nc], *ak = &acc[k * ACC_N];
        PetscReal             hf, V, u, qx, qy, q, ov, splash_J = 0, r;
        PetscBool             channel;

        if (s->flags[k] & SB_CELL_POOL) continue;
        if (s->flags[k] & SB_SED_DAM) {
          PetscReal held = 0, room = s->dam_cap[FindCell(s->dam_k, s->ndams, k)] - ak[ACC_DAM], trap;

          for (PetscInt c = 0; c < nc; c++) held += mk[c];
          trap = PetscMin(held, PetscMax(room, 0.0));
          if (trap > 0) {
            const PetscReal keep = 1.0 - trap / held;

            trap = 0;
            for (PetscInt c = 0; c < nc; c++) {
              const PetscReal left = keep > 0 ? mk[c] * keep : 0.0;

              trap += mk[c] - left;
              mk[c] = left;
            }
            ak[ACC_DAM] += trap;
          }
        }
        if (h <= s->h_min) {
          /* No water to hold it: everything in suspension settles. */
          for (PetscInt c = 0; c < nc; c++)
            if (mk[c] > 0) {
              bk[c] += mk[c];
              ak[ACC_DEPOSITION] += mk[c];
              mk[c] = 0;
            }
          continue;
        }
        channel = (s->flags[k] & SB_CELL_CHANNEL) ? PETSC_TRUE : PETSC_FALSE;
        /* Cell-centred unit discharge: the mean of the faces in each direction; an outlet's own
           outflow counts for the face it replaces. */
        qx = 0.5 * (x[j][i].qx + (i > 0 ? x[j][i - 1].qx : 0.0));
        qy = 0.5 * (x[j][i].qy + (j > 0 ? x[j - 1][i].qy : 0.0));
        q  = PetscSqrtReal(qx * qx + qy * qy);
        ov = OutletVolume(s, k);
        if (ov > 0) q += 0.5 * ov / (dt * 0.5 * (g->dx_m[j] + g->dy_m));
        V  = h * A;
        hf = h;
        u  = q / h;
        if (channel) {
          /* In-channel flow depth and the velocity over the channel section (plus the floodplain
             once the banks are over-topped); the routing's sub-grid channel, a channel without a
             width as wide as the cell. */
          const PetscInt  kl  = (j - L->gys) * L->gxm + (i - L->gxs);
          const PetscReal len = 0.5 * (g->dx_m[j] + g->dy_m), w = PetscMin(L->w[kl] > 0 ? L->w[kl] : 1e12, len), hc = h + L->beta[kl] * PetscMin(h, L->hb[kl]);
          const PetscReal sec = w * hc + (len - w) * PetscMax(h - L->hb[kl], 0.0);

          hf = hc;
          u  = sec > 0 ? q * len / sec : 0.0;
        }
        /* Splash energy of this step (J/m²): direct rain and leaf drainage, on uncovered soil, damped
           by the water over it. */
        r = rf ? rf[k] : rain_m_s;
        if (r > 0 && p->ksplash > 0) {
          const PetscReal P = 1e3 * r * dt, i_mm_h = 3.6e6 * r;

          splash_J = P * ((1.0 - p->cc) * SbRainKineticEnergy(i_mm_h) + p->cc * p->ke_ld) * p->ksplash * PetscExpReal(-s->b_splash * 1e3 * h) * A;
        }
        for (PetscInt c = 0; c < nc; c++) {
          const PetscReal f = p->frac[c];
          PetscReal       tc, conc, settle, sp;

          sp = 1e-3 * s->K[c] * f * splash_J; /* g/J x J -> kg */
          mk[c] += sp;
          ak[ACC_SPLASH] += sp;
          if (channel) tc = SbEngelundHansenCapacity(s->d[c], u, hf, s->slope[k], s->rho_s);
          else {
            const PetscReal omega = 100.0 * s->slope[k] * u;

            tc = omega > 0.4 ? s->rho_s * s->gov_c[c] * PetscPowReal(omega - 0.4, s->gov_d[c]) : 0.0;
          }
          tc     = f * PetscMin(tc, s->max_conc);
          conc   = mk[c] / V;
          settle = -expm1(-s->vs[c] * dt / hf); /* 1 - e^(-v_s dt / h), in [0, 1) */
          if (conc > tc) {
            const PetscReal dep = PetscMin((conc - tc) * V * settle, mk[c]);

            mk[c] -= dep;
            bk[c] += dep;
            ak[ACC_DEPOSITION] += dep;
          } else if (conc < tc) {
            const PetscReal demand = (tc - conc) * V * settle, take = PetscMin(demand, bk[c]), soil = p->Y * (demand - take);

            bk[c] -= take;
            mk[c] += take + soil;
            ak[ACC_BED_EROSION] += take;
            ak[ACC_FLOW] += soil;
          }
        }
      }
  if (rain_field) PetscCall(VecRestoreArrayRead(rain_field, &rf));
  PetscCall(VecRestoreArray(s->acc, &acc));
  PetscCall(VecRestoreArray(s->B, &b));
  PetscCall(VecRestoreArray(s->M, &m));
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(DMDAVecRestoreArrayRead(st->da, st->Xl, (void *)&x));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentStep(SbSediment s, PetscReal rain_m_s, Vec rain_field, PetscReal dt)
{
  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt q = 0; q < s->grid->ngauges; q++) s->gauge_step[q] = 0;
  PetscCall(PetscLogEventBegin(s->ev_transport, 0, 0, 0, 0));
  PetscCall(Transport(s, dt));
  PetscCall(PetscLogEventEnd(s->ev_transport, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(s->ev_exchange, 0, 0, 0, 0));
  PetscCall(Exchange(s, rain_m_s, rain_field, dt));
  PetscCall(PetscLogEventEnd(s->ev_exchange, 0, 0, 0, 0));
  for (PetscInt q = 0; q < s->grid->ngauges; q++) {
    if (s->gauge_k[q] < 0) continue;
    s->gauge_rate[q] = dt > 0 ? s->gauge_step[q] / dt : 0.0;
    s->gauge_mass[q] += s->gauge_step[q];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentGauges(SbSediment s, PetscReal *rate, PetscReal *mass)
{
  const PetscInt ng = s ? s->grid->ngauges : 0;

  PetscFunctionBeginUser;
  if (ng == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCallMPI(MPI_Allreduce(s->gauge_rate, rate, (int)ng, MPIU_REAL, MPI_SUM, s->grid->comm));
  PetscCallMPI(MPI_Allreduce(s->gauge_mass, mass, (int)ng, MPIU_REAL, MPI_SUM, s->grid->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentRecord(SbSediment s, PetscReal t_s)
{
  const PetscInt ng = s ? s->grid->ngauges : 0, w = ng + 1;
  PetscReal     *mass;

  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  if (s->nrec == s->cap) {
    PetscInt   cap = s->cap ? 2 * s->cap : 64;
    PetscReal *rec;

    PetscCall(PetscMalloc1(cap * w, &rec));
    if (s->nrec) PetscCall(PetscArraycpy(rec, s->rec, s->nrec * w));
    PetscCall(PetscFree(s->rec));
    s->rec = rec;
    s->cap = cap;
  }
  PetscCall(PetscMalloc1(ng + 1, &mass));
  s->rec[s->nrec * w] = t_s;
  if (ng) PetscCall(SbSedimentGauges(s, s->rec + s->nrec * w + 1, mass));
  PetscCall(PetscFree(mass));
  s->nrec++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentBudget(SbSediment s, SbSedimentTotals *b)
{
  PetscReal t[ACC_N + 2], scale, residual;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(b, sizeof(*b)));
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(Totals(s, t));
  b->splash              = t[ACC_SPLASH];
  b->flow_detachment     = t[ACC_FLOW];
  b->detachment          = t[ACC_SPLASH] + t[ACC_FLOW];
  b->deposition          = t[ACC_DEPOSITION];
  b->bed_erosion         = t[ACC_BED_EROSION];
  b->bed_initial         = s->initial[0];
  b->bed_final           = t[ACC_N + 1];
  b->suspended_initial   = s->initial[1];
  b->reservoir_suspended = 0;
  for (PetscInt c = 0; c < s->nc; c++) b->reservoir_suspended += s->pool_M[c];
  b->suspended_final   = t[ACC_N] + b->reservoir_suspended;
  b->outflow           = t[ACC_OUTFLOW] + s->pool_tot[3];
  b->reservoir_inflow  = s->pool_tot[0];
  b->reservoir_release = s->pool_tot[1];
  b->reservoir_trapped = s->pool_tot[2];
  b->check_dam_trapped = t[ACC_DAM];
  residual = b->detachment - (b->bed_final - b->bed_initial) - (b->suspended_final - b->suspended_initial) - b->outflow - b->reservoir_trapped - b->check_dam_trapped;
  scale    = PetscMax(PetscMax(b->detachment, b->bed_initial + b->suspended_initial), 1e-300);
  b->relative_error = residual / scale;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------------------------------------------------------------------------------------------- */
/* Output                                                                                         */

static PetscErrorCode WriteOutput(void *ctx, hid_t file)
{
  SbSediment       s = (SbSediment)ctx;
  SbGrid          *g = s->grid;
  SbSedimentTotals b;
  PetscReal       *rate, *mass, *col;
  hid_t            grp, sub;
  char             name[SB_MAX_NAME + 16];

  PetscFunctionBeginUser;
  PetscCall(SbSedimentBudget(s, &b));
  PetscCall(PetscMalloc3(g->ngauges + 1, &rate, g->ngauges + 1, &mass, s->nrec + 1, &col));
  PetscCall(SbSedimentGauges(s, rate, mass));
  SbCallHDF5(grp = H5Gopen2(file, "budget", H5P_DEFAULT));
  SbCallHDF5(sub = H5Gcreate2(grp, "sediment", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(SbH5WriteAttrString(sub, "units", "kg"));
  PetscCall(SbH5WriteAttrDouble(sub, "detachment", b.detachment));
  PetscCall(SbH5WriteAttrDouble(sub, "splash_detachment", b.splash));
  PetscCall(SbH5WriteAttrDouble(sub, "flow_detachment", b.flow_detachment));
  PetscCall(SbH5WriteAttrDouble(sub, "deposition", b.deposition));
  PetscCall(SbH5WriteAttrDouble(sub, "bed_erosion", b.bed_erosion));
  PetscCall(SbH5WriteAttrDouble(sub, "bed_initial", b.bed_initial));
  PetscCall(SbH5WriteAttrDouble(sub, "bed_final", b.bed_final));
  PetscCall(SbH5WriteAttrDouble(sub, "bed_change", b.bed_final - b.bed_initial));
  PetscCall(SbH5WriteAttrDouble(sub, "suspended_initial", b.suspended_initial));
  PetscCall(SbH5WriteAttrDouble(sub, "suspended_final", b.suspended_final));
  PetscCall(SbH5WriteAttrDouble(sub, "suspended_change", b.suspended_final - b.suspended_initial));
  PetscCall(SbH5WriteAttrDouble(sub, "outflow", b.outflow));
  for (PetscInt k = 0; k < g->ngauges; k++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "outflow_%s", g->gauges[k].name));
    PetscCall(SbH5WriteAttrDouble(sub, name, mass[k]));
  }
  PetscCall(SbH5WriteAttrDouble(sub, "reservoir_inflow", b.reservoir_inflow));
  PetscCall(SbH5WriteAttrDouble(sub, "reservoir_release", b.reservoir_release));
  PetscCall(SbH5WriteAttrDouble(sub, "reservoir_trapped", b.reservoir_trapped));
  PetscCall(SbH5WriteAttrDouble(sub, "reservoir_suspended", b.reservoir_suspended));
  PetscCall(SbH5WriteAttrDouble(sub, "reservoir_trap_efficiency", b.reservoir_inflow > 0 ? 1.0 - b.reservoir_release / b.reservoir_inflow : 0.0));
  PetscCall(SbH5WriteAttrDouble(sub, "check_dam_trapped", b.check_dam_trapped));
  PetscCall(SbH5WriteAttrDouble(sub, "relative_error", b.relative_error));
  SbCallHDF5(H5Gclose(sub));
  SbCallHDF5(H5Gclose(grp));

  SbCallHDF5(grp = H5Gopen2(file, "series", H5P_DEFAULT));
  for (PetscInt k = 0; k < g->ngauges; k++) {
    for (PetscInt r = 0; r < s->nrec; r++) col[r] = s->rec[r * (g->ngauges + 1) + 1 + k];
    SbCallHDF5(sub = H5Gopen2(grp, g->gauges[k].name, H5P_DEFAULT));
    PetscCall(SbH5WriteVector(sub, "sediment", col, (hsize_t)s->nrec, "kg s-1", "suspended sediment leaving the gauge cell"));
    SbCallHDF5(H5Gclose(sub));
  }
  SbCallHDF5(H5Gclose(grp));
  PetscCall(PetscFree3(rate, mass, col));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The time-sliced maps (docs/output.md): the cumulative budget fields of each cell (kg, in the
   checkpoint) per unit area, kg m-2 since the start. which: 0 soil detachment (splash and flow
   detachment of the parent soil), 1 deposition onto the loose bed, 2 net erosion (detachment +
   bed erosion - deposition - check-dam trapping, negative where sediment accumulated). Their
   integrals over the cell areas are the budget's detachment, deposition and detachment -
   bed_change - check_dam_trapped. */
static PetscErrorCode FillMap(SbSediment s, int which, Vec v)
{
  const PetscScalar *a, *area;
  PetscScalar       *out;
  const PetscInt     n = s->grid->xm * s->grid->ym;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(s->acc, &a));
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  PetscCall(VecGetArray(v, &out));
  for (PetscInt k = 0; k < n; k++) {
    const PetscScalar *ak = &a[k * ACC_N];
    const PetscReal    det = ak[ACC_SPLASH] + ak[ACC_FLOW];

    if (!(s->flags[k] & SB_CELL_ACTIVE) || !(area[k] > 0)) out[k] = 0;
    else if (which == 0) out[k] = det / area[k];
    else if (which == 1) out[k] = ak[ACC_DEPOSITION] / area[k];
    else out[k] = (det + ak[ACC_BED_EROSION] - ak[ACC_DEPOSITION] - ak[ACC_DAM]) / area[k];
  }
  PetscCall(VecRestoreArray(v, &out));
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCall(VecRestoreArrayRead(s->acc, &a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FillDetachment(void *ctx, Vec v)
{
  PetscFunctionBeginUser;
  PetscCall(FillMap((SbSediment)ctx, 0, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FillDeposition(void *ctx, Vec v)
{
  PetscFunctionBeginUser;
  PetscCall(FillMap((SbSediment)ctx, 1, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FillNetErosion(void *ctx, Vec v)
{
  PetscFunctionBeginUser;
  PetscCall(FillMap((SbSediment)ctx, 2, v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentAttachOutput(SbSediment s, SbOutput out)
{
  PetscFunctionBeginUser;
  if (!s) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbOutputAddFinishHook(out, WriteOutput, s));
  PetscCall(SbOutputAddSliceMap(out, "soil_detachment_cumulative", "kg m-2", "soil detached from the parent soil since the start (rain splash and flow detachment)", NULL, FillDetachment, s));
  PetscCall(SbOutputAddSliceMap(out, "deposition_cumulative", "kg m-2", "sediment deposited onto the loose bed since the start", NULL, FillDeposition, s));
  PetscCall(SbOutputAddSliceMap(out, "net_erosion_cumulative", "kg m-2", "net soil loss since the start: detachment plus erosion of the loose bed minus deposition and check-dam trapping (negative where sediment accumulated)", NULL, FillNetErosion, s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentGetClasses(SbSediment s, PetscInt *n, const PetscReal **d, const PetscReal **vs)
{
  PetscFunctionBeginUser;
  *n  = s->nc;
  *d  = s->d;
  *vs = s->vs;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSedimentGetFields(SbSediment s, Vec *M, Vec *B)
{
  PetscFunctionBeginUser;
  if (M) *M = s->M;
  if (B) *B = s->B;
  PetscFunctionReturn(PETSC_SUCCESS);
}
