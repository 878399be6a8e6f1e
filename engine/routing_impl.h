/* Private to the routing schemes (routing.c, routing_li.c, routing_dw.c), the sub-grid channel
   (channel.c) and the reservoir (reservoir.c): the object, the cell classes and the face
   hydraulics both schemes share. */
#ifndef SB_ROUTING_IMPL_H
#define SB_ROUTING_IMPL_H

#include "routing.h"
#include "reservoir.h"
#include <petscdmda.h>
#include <stdint.h>

#define SB_GRAVITY 9.80665 /* m/s², standard gravity */

/* Cell classes, held as reals in a Vec on grid->da (for the halo exchange) and as bytes in the
   schemes' local arrays. LINK_E / LINK_S: the east / south face joins two channel cells along
   the channel network, so water below the banks flows in the channel (docs/routing.md). */
enum {
  SB_CELL_ACTIVE  = 1,
  SB_CELL_CHANNEL = 2,
  SB_CELL_LINK_E  = 4,
  SB_CELL_LINK_S  = 8,
  SB_CELL_POOL    = 16, /* part of the level-pool reservoir */
  SB_CELL_OUTLET  = 32  /* active, no D8 receiver: drains off the grid */
};

/* Static data of the cells of one rank's ghosted block (any stencil width): plain arrays
   indexed (j - gys) * gxm + (i - gxs). Off channel d = beta = hb = 0. */
typedef struct {
  PetscInt   gxs, gys, gxm, gym;
  uint8_t   *flags;
  PetscReal *z;    /* DEM elevation = bank level, m */
  PetscReal *area; /* cell area, m² */
  PetscReal *d;    /* channel bed below z (bankfull depth), m */
  PetscReal *beta; /* phi - 1, phi = sqrt(area) / width: how much deeper water is in the channel than spread over the cell */
  PetscReal *hb;   /* cell-mean depth that fills the channel to its banks, d / phi, m */
  PetscReal *w;    /* channel width, m; 1e12 for channels as wide as the cell */
  PetscReal *nf;   /* multiplier of the overland Manning's n (treatment measures, measures.c); NULL without (1 everywhere) */
} SbRoutingLocal;

typedef struct {
  PetscErrorCode (*setfromoptions)(SbRouting);
  PetscErrorCode (*setup)(SbRouting);
  PetscErrorCode (*stabledt)(SbRouting, PetscReal *);
  PetscErrorCode (*step)(SbRouting, PetscReal); /* advance depth and set qx, qy; add outlet volumes and gauge volumes */
  PetscErrorCode (*destroy)(SbRouting);
  PetscErrorCode (*checkpoint)(SbRouting, SbCheckpoint); /* register what the scheme keeps between steps; NULL: nothing */
} SbRoutingOps;

struct _p_SbRouting {
  SbState          *state; /* not owned */
  SbGrid           *grid;  /* not owned */
  char              type[64];
  PetscFunctionList list; /* the registry of schemes */
  SbRoutingOps      ops;
  void             *data; /* the scheme's */
  PetscBool         setupcalled;
  /* The scheme's static data on its ghosted block (set by its setup; not owned): modules that
     follow the routing (sediment.c) read the cell classes and the sub-grid channel from it rather
     than keeping copies. */
  const SbRoutingLocal *local;

  /* Parameters copied from the scenario. */
  PetscReal theta, cfl, max_dt, depth_threshold, n_overland, n_channel;
  PetscBool channel_subgrid;
  PetscReal width_coef, width_exp, depth_coef, depth_exp;
  PetscReal dw_rtol, dw_atol, dw_slope_eps, dw_initial_dt;
  PetscBool reservoir_enabled;
  PetscInt  reservoir_rule;
  PetscReal weir_coef, weir_length;

  /* Static fields, global vectors on grid->da, for the set-up only: SbRoutingLocalCreate copies
     them onto the scheme's ghosted block (local) and destroys them. */
  Vec       flags;      /* SB_CELL_* */
  Vec       chan_depth; /* bankfull depth d, m */
  Vec       chan_width; /* channel width, m */
  PetscReal min_spacing_m;

  /* Outlets owned by this rank: index in the owned block, outlet width (m), sqrt of slope. */
  PetscInt   noutlets;
  PetscInt  *outlet_k;
  PetscReal *outlet_w, *outlet_sqrt_s;

  SbReservoir reservoir; /* NULL without a reservoir */

  /* Gauges owned by this rank (zero elsewhere): volume out of the gauge cell during the current
     SbRoutingStep, the discharge of the last step and the cumulative volume. */
  PetscReal *gauge_step_v, *gauge_q, *gauge_v;
  PetscInt  *gauge_k; /* index in the owned block, -1 if not owned */
  PetscBool *gauge_pool; /* the gauge cell is a pool cell: the gauge records the reservoir's release */

  /* Cells of prescribed depth owned by this rank (SbRoutingSetFixedDepth): index in the owned
     block, depth (m); the volume the hold has added on this rank (m³). */
  PetscInt   nfixed;
  PetscInt  *fixed_k;
  PetscReal *fixed_h, fixed_m3;

  PetscLogEvent ev_flux, ev_continuity, ev_solve, ev_reservoir;
};

PETSC_INTERN PetscErrorCode SbRoutingCreate_LocalInertial(SbRouting);
PETSC_INTERN PetscErrorCode SbRoutingCreate_DiffusiveWave(SbRouting);

/* Copy the static fields onto the ghosted layout of da (dof 1, same ownership as grid->da), then
   destroy r->flags, r->chan_depth and r->chan_width (the set-up's only; each scheme calls this once). */
PETSC_INTERN PetscErrorCode SbRoutingLocalCreate(SbRouting r, DM da, SbRoutingLocal *L);
PETSC_INTERN PetscErrorCode SbRoutingLocalDestroy(SbRoutingLocal *L);
/* A DMDA with the ownership of grid->da and the given dof, stencil type and width. */
PETSC_INTERN PetscErrorCode SbRoutingCreateDA(SbRouting r, PetscInt dof, DMDAStencilType st, PetscInt width, DM *da);

/* Face length of the face between rows j and j+1 (m): the mean of the two rows' widths (rows
   differ on geographic grids); east/west faces are dy_m long. */
static inline PetscReal SbSouthWidth(const SbGrid *g, PetscInt j)
{
  return j + 1 < g->ny ? 0.5 * (g->dx_m[j] + g->dx_m[j + 1]) : g->dx_m[j];
}

/* Water-surface elevation of a cell with cell-mean depth h: the bed lies d below the bank z; the
   channel holds phi times the depth it would have spread over the cell until it is full
   (h = hb), then water spreads over the whole cell:
     eta = z - d + h + beta min(h, hb),  beta = phi - 1. Off channel eta = z + h. */
static inline PetscReal SbEta(const SbRoutingLocal *L, PetscInt k, PetscReal h)
{
  return L->z[k] - L->d[k] + h + L->beta[k] * PetscMin(h, L->hb[k]);
}

/* Flow depth that sets the wave speed: the in-channel depth on channel cells, h elsewhere. */
static inline PetscReal SbFlowDepth(const SbRoutingLocal *L, PetscInt k, PetscReal h)
{
  return h + L->beta[k] * PetscMin(h, L->hb[k]);
}

/* The overland Manning's n of the face between ka and kb: n times the mean of the two cells'
   multipliers (treatment measures), exactly n where no measure changes it. */
static inline PetscReal SbFaceOverlandN(const SbRoutingLocal *L, PetscInt ka, PetscInt kb, PetscReal n_overland)
{
  return L->nf ? n_overland * (0.5 * (L->nf[ka] + L->nf[kb])) : n_overland;
}

/* Manning conveyance per unit face width, k = K / L_f (m²/s at unit slope), and flow area per
   unit face width, a = A / L_f (m), of a face with water surface eta_max = max(eta_a, eta_b)
   (the upstream one), so that a uniform flow carries q = k sqrt(S) (Manning 1891).
   Ordinary faces: flow depth h_f = eta_max - max(z_a, z_b) (Bates et al. 2010, eq. 6) over the
   whole face. Channel links: a compound section, the channel of width w_f = min(mean width, L_f)
   with depth eta_max - max(bed_a, bed_b) and channel n, plus the floodplain over the rest of the
   face with depth eta_max - max(z_a, z_b) and overland n (the sub-grid channel of Neal, Schumann
   & Bates 2012, simplified: one discharge per face). Returns PETSC_FALSE if the face is dry. */
static inline PetscBool SbFaceSection(const SbRoutingLocal *L, PetscInt ka, PetscInt kb, PetscBool link, PetscReal eta_max, PetscReal lf, PetscReal n_overland, PetscReal n_channel, PetscReal *a, PetscReal *k)
{
  const PetscReal hf = eta_max - PetscMax(L->z[ka], L->z[kb]);

  n_overland = SbFaceOverlandN(L, ka, kb, n_overland);

  if (!link) {
    if (hf <= 0) return PETSC_FALSE;
    *a = hf;
    *k = hf * PetscCbrtReal(hf * hf) / n_overland; /* h^{5/3} = h cbrt(h²) */
    return PETSC_TRUE;
  } else {
    const PetscReal hc = eta_max - PetscMax(L->z[ka] - L->d[ka], L->z[kb] - L->d[kb]);
    const PetscReal wf = PetscMin(0.5 * (L->w[ka] + L->w[kb]), lf) / lf;

    if (hc <= 0) return PETSC_FALSE;
    *a = wf * hc;
    *k = wf * hc * PetscCbrtReal(hc * hc) / n_channel;
    if (hf > 0 && wf < 1) {
      *a += (1 - wf) * hf;
      *k += (1 - wf) * hf * PetscCbrtReal(hf * hf) / n_overland;
    }
    return PETSC_TRUE;
  }
}

/* Outlet boundary: a kinematic (normal-depth) outflow Q = L_o k sqrt(S_0) (m³/s) of a cell of
   mean depth h, L_o the outlet width, S_0 the cell's D8 slope; on channel cells the compound
   section of the cell itself. */
static inline PetscReal SbOutletDischarge(const SbRoutingLocal *L, PetscInt k, PetscReal h, PetscReal width, PetscReal sqrt_slope, PetscReal n_overland, PetscReal n_channel)
{
  PetscReal a, c;

  if (h <= 0) return 0.0;
  if (!SbFaceSection(L, k, k, (L->flags[k] & SB_CELL_CHANNEL) ? PETSC_TRUE : PETSC_FALSE, SbEta(L, k, h), width, n_overland, n_channel, &a, &c)) return 0.0;
  return width * c * sqrt_slope;
}

/* Add this step's gauge volumes (filled in r->gauge_step_v by the scheme) to the totals and set
   the discharge of the step: volume / dt. */
PETSC_INTERN PetscErrorCode SbRoutingGaugesEndStep(SbRouting r, PetscReal dt);

#endif
