/* Root-zone soil water (docs/hydrology.md, "Soil-water store").

   Evapotranspiration: ET = Ks PET, with the water-stress coefficient of FAO-56 (Allen, Pereira,
   Raes & Smith 1998, FAO Irrigation and Drainage Paper 56, eq. 84) written in water contents:
   Ks = 1 above w* = w_wp + (1 - p)(w_fc - w_wp), (w - w_wp)/(w* - w_wp) between, 0 at and below
   the wilting point; PET is what the canopy left (interception.c). Over a step the store follows
   dw/dt = -E Ks(w) exactly: linear down to w*, then exponential towards w_wp.

   Percolation: storage routing of the water above field capacity (SWAT, Neitsch, Arnold, Kiniry &
   Williams 2011, Soil and Water Assessment Tool Theoretical Documentation v2009, eqs. 2:3.2.3 and
   2:3.2.4): w_perc = (w - w_fc)(1 - exp(-dt/TT)), TT = (w_sat - w_fc)/Ks; water above saturation
   (the Green-Ampt front has passed the root zone) percolates at once. Both are exact over any
   step, so a long dry step loses nothing in accuracy.

   Field capacity (-33 kPa) and wilting point (-1500 kPa): Rawls, Brakensiek & Saxton (1982);
   porosity and Ks: Rawls, Brakensiek & Miller (1983) (hydro_tables.c). */
#include "soilwater.h"
#include "infiltration.h"
#include "hydro_tables.h"
#include "meshdata.h"
#include <math.h>
#include <stdint.h>

/* A column's parameters follow from its texture class alone: cells keep the class (a byte), the
   columns are a table by class. */
struct _p_SbSoilWater {
  SbState      *state; /* not owned */
  PetscBool     enabled;
  SbSoilColumn  col[SB_SOIL_COUNT]; /* by texture class; col[0]: no soil store (w_sat = 0) */
  uint8_t      *soil;               /* [xm*ym] texture class, 0 where there is no soil store */
  PetscLogEvent ev;
};

PetscErrorCode SbSoilColumnSet(PetscInt soil, PetscReal root_m, PetscReal ks_m_s, PetscReal p, SbSoilColumn *c)
{
  SbSoilProperties s;

  PetscFunctionBeginUser;
  PetscCall(SbSoilPropertiesGet(soil, &s));
  c->w_wp     = s.theta_wp * root_m;
  c->w_fc     = s.theta_fc * root_m;
  c->w_sat    = s.porosity * root_m;
  c->w_stress = c->w_wp + (1.0 - p) * (c->w_fc - c->w_wp);
  c->tt_s     = ks_m_s > 0 ? (c->w_sat - c->w_fc) / ks_m_s : PETSC_MAX_REAL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSoilColumnStep(const SbSoilColumn *c, PetscReal demand, PetscReal dt, PetscReal *w, PetscReal *et, PetscReal *perc)
{
  const PetscReal w0 = *w;
  PetscReal       tau = dt;

  PetscFunctionBeginUser;
  /* Evapotranspiration at E = demand/dt: potential down to w_stress, then
     w - w_wp = (w1 - w_wp) exp(-E t / (w_stress - w_wp)). */
  if (demand > 0 && *w > c->w_wp) {
    if (*w > c->w_stress) {
      const PetscReal need = *w - c->w_stress;

      if (need >= demand) {
        *w -= demand;
        tau = 0;
      } else {
        tau *= 1.0 - need / demand;
        *w = c->w_stress;
      }
    }
    if (tau > 0 && c->w_stress > c->w_wp) *w = c->w_wp + (*w - c->w_wp) * PetscExpReal(-(demand / dt) * tau / (c->w_stress - c->w_wp));
  }
  *et = w0 - *w;
  /* Percolation: above saturation at once, then SWAT's storage routing above field capacity. */
  *perc = 0;
  if (*w > c->w_sat) {
    *perc = *w - c->w_sat;
    *w    = c->w_sat;
  }
  if (*w > c->w_fc) {
    const PetscReal d = (*w - c->w_fc) * (-expm1(-dt / c->tt_s));

    *perc += d;
    *w -= d;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSoilWaterCreate(SbState *state, const SbScenario *sc, SbSoilWater *out)
{
  SbSoilWater        sw;
  SbGrid            *g = state->grid;
  const PetscScalar *soil, *mask;
  PetscScalar       *w;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&sw));
  sw->state   = state;
  sw->enabled = sc->soil_enabled;
  for (PetscInt t = 1; t < SB_SOIL_COUNT; t++) {
    SbSoilProperties p;

    PetscCall(SbSoilPropertiesGet(t, &p));
    PetscCall(SbSoilColumnSet(t, sc->root_depth_m, sc->ks_factor * p.ks_m_s, sc->depletion_fraction, &sw->col[t]));
  }
  *out = sw; /* destroyed by the caller if a class below is bad */
  PetscCall(PetscMalloc1(g->xm * g->ym + 1, &sw->soil));
  PetscCall(VecGetArrayRead(g->soil, &soil));
  PetscCall(VecGetArrayRead(g->mask, &mask));
  PetscCall(VecGetArray(state->soil_water, &w));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) {
    SbSoilProperties p;

    w[k]        = 0;
    sw->soil[k] = 0;
    /* A soil store wherever water infiltrates (infiltration.c, same condition). */
    if (!SbInfiltrates(sc, mask[k], soil[k])) continue;
    PetscCall(SbSoilPropertiesGet((PetscInt)soil[k], &p));
    sw->soil[k] = (uint8_t)soil[k];
    w[k]        = (p.porosity - p.theta_e + sc->initial_saturation * p.theta_e) * sc->root_depth_m;
  }
  PetscCall(VecRestoreArray(state->soil_water, &w));
  PetscCall(VecRestoreArrayRead(g->mask, &mask));
  PetscCall(VecRestoreArrayRead(g->soil, &soil));
  PetscCall(PetscLogEventRegister("SbSoilWater", DM_CLASSID, &sw->ev));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSoilWaterStep(SbSoilWater sw, PetscReal dt)
{
  SbState           *st = sw->state;
  SbGrid            *g  = st->grid;
  const PetscScalar *demand, *area;
  PetscScalar       *w, *rech;
  PetscReal          et_v = 0, perc_v = 0;

  PetscFunctionBeginUser;
  if (!sw->enabled) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(sw->ev, 0, 0, 0, 0));
  PetscCall(VecGetArray(st->soil_water, &w));
  PetscCall(VecGetArray(st->recharge, &rech));
  PetscCall(VecGetArrayRead(st->et_demand, &demand));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  /* The active cells only (cellruns.h): an inactive cell has no soil store. */
  for (PetscInt r = 0; r < g->active.nruns; r++)
    for (PetscInt k = g->active.k[2 * r]; k < g->active.k[2 * r + 1]; k++) {
      const SbSoilColumn *c = &sw->col[sw->soil[k]];
      PetscReal           et, perc;

      if (c->w_sat <= 0) continue; /* no soil store */
      PetscCall(SbSoilColumnStep(c, demand[k], dt, &w[k], &et, &perc));
      rech[k] = perc;
      et_v += et * area[k];
      perc_v += perc * area[k];
    }
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(VecRestoreArrayRead(st->et_demand, &demand));
  PetscCall(VecRestoreArray(st->recharge, &rech));
  PetscCall(VecRestoreArray(st->soil_water, &w));
  st->budget.soil_et_m3 += et_v;
  st->budget.percolation_m3 += perc_v;
  PetscCall(PetscLogEventEnd(sw->ev, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSoilWaterDestroy(SbSoilWater *sw)
{
  PetscFunctionBeginUser;
  if (!*sw) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*sw)->soil));
  PetscCall(PetscFree(*sw));
  PetscFunctionReturn(PETSC_SUCCESS);
}
