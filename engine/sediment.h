/* Erosion and sediment transport per size class (docs/sediment.md): rain-splash detachment, flow
   detachment and deposition toward a transport capacity (Govers 1990 overland, Engelund & Hansen
   1967 in channel cells) with a settling-based deposition factor, upwind advection of suspended
   mass with the routed water fluxes, a loose bed store per class, a level-pool reservoir that
   settles what reaches it, and check dams that trap until full.

   Life cycle: SbSedimentCreate (after SbRoutingSetUp) -> SbSedimentCheckpointRegister ->
   (SbSedimentBeginStep before SbRoutingStep, SbSedimentStep after it)* -> SbSedimentBudget ->
   SbSedimentDestroy. A NULL handle (sediment.enabled false) makes every call a no-op. */
#ifndef SB_SEDIMENT_H
#define SB_SEDIMENT_H

#include "state.h"
#include "scenario.h"
#include "routing.h"
#include "checkpoint.h"
#include "output.h"

typedef struct _p_SbSediment *SbSediment;

/* Whole-basin totals since the start of the run (kg), the same on every rank and on every rank
   count (exact sums, exactsum.h). Mass balance:
     detachment = bed_change + suspended_change + outflow + reservoir_trapped + check_dam_trapped */
typedef struct {
  PetscReal splash, flow_detachment, detachment; /* from the parent soil */
  PetscReal deposition, bed_erosion;              /* onto / out of the loose bed */
  PetscReal bed_initial, bed_final, suspended_initial, suspended_final; /* suspended: cells and reservoir */
  PetscReal outflow;                              /* left the grid (outlets, reservoir release off the grid) */
  PetscReal reservoir_inflow, reservoir_release, reservoir_trapped, reservoir_suspended;
  PetscReal check_dam_trapped;
  PetscReal relative_error;
} SbSedimentTotals;

/* Collective. NULL in *sed when the scenario's sediment.enabled is false. Checks the scenario's
   sediment keys against the grid (check-dam cells) with one-line errors naming file and key. */
PETSC_EXTERN PetscErrorCode SbSedimentCreate(SbState *state, SbRouting routing, const SbScenario *sc, SbSediment *sed);
PETSC_EXTERN PetscErrorCode SbSedimentDestroy(SbSediment *sed);
/* The suspended mass, the loose bed, the cumulative budget fields, the reservoir's suspended mass
   and totals, and the recorded gauge series. */
PETSC_EXTERN PetscErrorCode SbSedimentCheckpointRegister(SbSediment sed, SbCheckpoint ck);
/* Record the initial stores (call once at the start of a run that does not restart). */
PETSC_EXTERN PetscErrorCode SbSedimentStart(SbSediment sed);
/* Keep the depth the routing step starts from (after rain and infiltration). */
PETSC_EXTERN PetscErrorCode SbSedimentBeginStep(SbSediment sed);
/* Collective. After SbRoutingStep over dt: advect with the step's face discharges, settle and
   release in the reservoir, trap in check dams, then detach and deposit with the new depths.
   rain_m_s: the basin-mean rain; rain_field: rain per cell (m/s) or NULL for uniform rain. */
PETSC_EXTERN PetscErrorCode SbSedimentStep(SbSediment sed, PetscReal rain_m_s, Vec rain_field, PetscReal dt);
/* Collective: keep the sediment discharge (kg/s) of every gauge over the last step for the series
   at time t_s (call with SbOutputRecord). */
PETSC_EXTERN PetscErrorCode SbSedimentRecord(SbSediment sed, PetscReal t_s);
/* Collective: sediment discharge (kg/s) out of each gauge cell over the last step and the mass (kg)
   through it since the start, on every rank. */
PETSC_EXTERN PetscErrorCode SbSedimentGauges(SbSediment sed, PetscReal *rate_kg_s, PetscReal *mass_kg);
/* Collective: the totals and the relative error of the mass balance. */
PETSC_EXTERN PetscErrorCode SbSedimentBudget(SbSediment sed, SbSedimentTotals *b);
/* Make SbOutputFinish write /budget/sediment and /series/<gauge>/sediment, and every slice the maps
   /maps/soil_detachment_cumulative, deposition_cumulative and net_erosion_cumulative (kg m-2). */
PETSC_EXTERN PetscErrorCode SbSedimentAttachOutput(SbSediment sed, SbOutput out);
/* Number of classes, their diameters (m) and settling velocities (m/s); owned by sed. */
PETSC_EXTERN PetscErrorCode SbSedimentGetClasses(SbSediment sed, PetscInt *n, const PetscReal **diameter_m, const PetscReal **settling_m_s);
/* The suspended mass (kg per cell, one component per class) and the loose bed (kg per cell), global
   vectors of the module, for tests and output; not to be destroyed. */
PETSC_EXTERN PetscErrorCode SbSedimentGetFields(SbSediment sed, Vec *suspended_kg, Vec *bed_kg);

/* ---- The formulas, exposed for the tests (tests/unit/test_sediment.c) ---- */

/* Settling velocity (m/s) of natural grains of diameter d_m, Ferguson & Church (2004),
   J. Sediment. Res. 74(6):933-937, eq. 4: w = R g D² / (C1 nu + sqrt(0.75 C2 R g D³)), C1 = 18,
   C2 = 1.0, R = rho_s/rho - 1, nu the kinematic viscosity of water (m²/s). */
PETSC_EXTERN PetscReal SbSettlingVelocity(PetscReal d_m, PetscReal rho_s, PetscReal nu);
/* Transport capacity of overland flow (kg/m³), Govers (1990) as in LISEM (De Roo, Wesseling &
   Ritsema 1996; OpenLISEM): c = ((D50 + 5)/0.32)^-0.6, d = ((D50 + 5)/300)^0.25 with D50 in µm,
   TC = rho_s c (omega - 0.4)^d with omega = 100 S V the unit stream power in cm/s; 0 below the
   critical 0.4 cm/s. */
PETSC_EXTERN PetscReal SbGoversCapacity(PetscReal d50_um, PetscReal velocity_m_s, PetscReal slope, PetscReal rho_s);
/* Transport capacity of channel flow (kg/m³), Engelund & Hansen (1967): f' phi = 0.1 theta^(5/2),
   f' = 2 g R S / V², theta = R S / ((s - 1) d), phi = q_s / sqrt((s - 1) g d³); concentration
   rho_s q_s / (V R). */
PETSC_EXTERN PetscReal SbEngelundHansenCapacity(PetscReal d_m, PetscReal velocity_m_s, PetscReal depth_m, PetscReal slope, PetscReal rho_s);
/* Kinetic energy of direct rain (J m⁻² mm⁻¹) at intensity i_mm_h, van Dijk, Bruijnzeel & Rosewell
   (2002), J. Hydrol. 261:1-23, eq. 6: 28.3 (1 - 0.52 exp(-0.042 I)). */
PETSC_EXTERN PetscReal SbRainKineticEnergy(PetscReal i_mm_h);
/* Kinetic energy of leaf drainage (J m⁻² mm⁻¹) under a canopy of height h_m, Brandt (1990),
   Agric. For. Meteorol. 50:107-131: 15.8 sqrt(H) - 5.87, not below 0. */
PETSC_EXTERN PetscReal SbLeafDripKineticEnergy(PetscReal h_m);

/* ---- Tables (sediment_tables.c, docs/sediment.md gives every value and source) ---- */

typedef struct {
  PetscReal clay, silt, sand; /* mass fractions of the texture class (-) */
  PetscReal cohesion_kpa;     /* cohesion of the saturated soil (kPa) */
} SbSedimentSoil;

typedef struct {
  PetscReal canopy_cover;   /* fraction of the ground under a canopy (-) */
  PetscReal plant_height_m; /* height from which leaf drainage falls (m) */
  PetscReal ground_cover;   /* litter, residue, stones and low plants protecting the soil (-) */
  PetscReal root_cohesion_kpa; /* cohesion added by roots (kPa) */
} SbSedimentLandUse;

PETSC_EXTERN PetscErrorCode SbSedimentSoilGet(PetscInt texture, SbSedimentSoil *p);
PETSC_EXTERN PetscErrorCode SbSedimentLandUseGet(PetscInt landuse, SbSedimentLandUse *p);
/* Splash detachability (g/J) of a class of diameter d_m: clay (< 2 µm... 4 µm) 0.1, silt (< 63 µm)
   0.5, sand 0.3 g/J, Morgan & Duzant (2008), Earth Surf. Process. Landforms 33:90-106, Table I. */
PETSC_EXTERN PetscReal SbSplashDetachability(PetscReal d_m);

#endif
