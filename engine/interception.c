/* Canopy interception (docs/hydrology.md, "Canopy interception").

   Capacity S_max = 0.935 + 0.498 LAI - 0.00575 LAI^2 mm (von Hoyningen-Huene 1981, as in LISEM,
   de Roo, Wesseling & Ritsema 1996), LAI of the cell's land use on the day of year
   (hydro_tables.c). The store fills with the rain P as S (1 - exp(-k P / S)), k = 0.046 LAI
   (Merriam 1960, Aston 1979, as LISFLOOD's eq. 2-6 and 2-8), in its incremental form: a step's rain
   r adds (S - C)(1 - exp(-k r / S)), so that steps of any length give the same store; the rest falls
   through. `interception.model: "bucket"` takes all rain until the store is full (k infinite). The
   store evaporates at the potential rate (as in Rutter-type and LISEM canopies, the wet leaf
   evaporates freely), and the soil gets the demand the canopy did not use. */
#include "interception.h"
#include "hydro_tables.h"
#include "evapotranspiration.h"
#include <stdint.h>

/* A cell's capacity is its land use's on the day, times the measures' factor where there are
   measures: cells keep their class (a byte), not a capacity. */
struct _p_SbInterception {
  SbState          *state; /* not owned */
  const SbScenario *sc;    /* not owned */
  uint8_t          *cls;   /* [xm*ym] land-use class of each active cell; SB_LU_COUNT: none (no canopy) */
  PetscReal         by_class[SB_LU_COUNT]; /* capacity by class on day `doy`, m */
  PetscReal         k_class[SB_LU_COUNT];  /* Aston's k = 0.046 LAI by class on day `doy` (infinite: bucket) */
  PetscInt          doy;   /* day of year of the capacities (0: none yet) */
  PetscLogEvent     ev;
};

PetscErrorCode SbCanopyStep(PetscReal cap, PetscReal k, PetscReal rain, PetscReal pet, PetscReal *C, PetscReal *caught, PetscReal *evap)
{
  PetscFunctionBeginUser;
  if (*C >= cap || !(rain > 0)) *caught = PetscMin(cap - *C, 0.0); /* a drip where the capacity fell below the store */
  else if (k >= PETSC_INFINITY) *caught = PetscMin(cap - *C, rain);
  else *caught = PetscMin((cap - *C) * -expm1(-k * rain / cap), rain);
  *C += *caught;
  *evap = PetscMin(*C, pet);
  *C -= *evap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Capacities of every owned active cell on day of year doy. */
static PetscErrorCode SetCapacities(SbInterception ic, PetscInt doy)
{
  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < SB_LU_COUNT; c++) {
    SbLandUseProperties p;
    PetscReal           lai;

    PetscCall(SbLandUsePropertiesGet(c, &p));
    PetscCall(SbLeafAreaIndex(&p, doy, &lai));
    PetscCall(SbCanopyCapacity(lai, &ic->by_class[c]));
    ic->k_class[c] = ic->sc->interception_model == 1 ? PETSC_INFINITY : 0.046 * lai;
    if (!ic->sc->interception_enabled) ic->by_class[c] = 0;
  }
  ic->doy = doy;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInterceptionCreate(SbState *state, const SbScenario *sc, SbInterception *ic)
{
  SbInterception     c;
  SbGrid            *g = state->grid;
  const PetscScalar *lu, *mask;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&c));
  c->state = state;
  c->sc    = sc;
  PetscCall(PetscMalloc1(g->xm * g->ym + 1, &c->cls));
  PetscCall(VecGetArrayRead(g->landuse, &lu));
  PetscCall(VecGetArrayRead(g->mask, &mask));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) {
    const PetscInt lc = (PetscInt)lu[k];

    c->cls[k] = (uint8_t)((mask[k] != 0 && lc >= 0 && lc < SB_LU_COUNT) ? lc : SB_LU_COUNT);
  }
  PetscCall(VecRestoreArrayRead(g->mask, &mask));
  PetscCall(VecRestoreArrayRead(g->landuse, &lu));
  PetscCall(PetscLogEventRegister("SbInterception", DM_CLASSID, &c->ev));
  *ic = c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInterceptionStep(SbInterception ic, PetscReal t_s, PetscReal rain_m_s, Vec rain_field, PetscReal pet_m_s, PetscReal dt)
{
  const PetscScalar *rf = NULL;
  SbState           *st = ic->state;
  SbGrid            *g  = st->grid;
  SbCell            *x;
  const PetscScalar *area, *icf = NULL;
  PetscScalar       *C, *demand;
  const PetscReal    rain = rain_m_s * dt, pet = pet_m_s * dt;
  PetscReal          caught_v = 0, evap_v = 0;
  PetscInt           month, doy;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(ic->ev, 0, 0, 0, 0));
  PetscCall(SbCalendarAt(ic->sc->start, t_s, &month, &doy));
  if (doy != ic->doy) PetscCall(SetCapacities(ic, doy));
  PetscCall(VecGetArray(st->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(st->canopy, &C));
  PetscCall(VecGetArray(st->et_demand, &demand));
  if (st->interception_factor) PetscCall(VecGetArrayRead(st->interception_factor, &icf));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  if (rain_field) PetscCall(VecGetArrayRead(rain_field, &rf));
  /* The active cells (cellruns.h). */
  for (PetscInt r = 0; r < g->active.nruns; r++)
    for (PetscInt k = g->active.k[2 * r]; k < g->active.k[2 * r + 1]; k++) {
      PetscReal caught, evap, cap;

      cap = ic->cls[k] < SB_LU_COUNT ? ic->by_class[ic->cls[k]] * (icf ? icf[k] : 1.0) : 0.0;
      /* The step's rain is already on the ground (forcing.c): the canopy takes its share back,
         never more than the surface holds. */
      PetscCall(SbCanopyStep(cap, ic->cls[k] < SB_LU_COUNT ? ic->k_class[ic->cls[k]] : 0.0, PetscMin(rf ? rf[k] * dt : rain, x[k].h), pet, &C[k], &caught, &evap));
      x[k].h -= caught;
      demand[k] = pet - evap;
      caught_v += caught * area[k];
      evap_v += evap * area[k];
    }
  if (rain_field) PetscCall(VecRestoreArrayRead(rain_field, &rf));
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  if (st->interception_factor) PetscCall(VecRestoreArrayRead(st->interception_factor, &icf));
  PetscCall(VecRestoreArray(st->et_demand, &demand));
  PetscCall(VecRestoreArray(st->canopy, &C));
  PetscCall(VecRestoreArray(st->X, (PetscScalar **)&x));
  st->budget.interception_m3 += caught_v;
  st->budget.canopy_evaporation_m3 += evap_v;
  PetscCall(PetscLogEventEnd(ic->ev, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInterceptionDestroy(SbInterception *ic)
{
  PetscFunctionBeginUser;
  if (!*ic) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*ic)->cls));
  PetscCall(PetscFree(*ic));
  PetscFunctionReturn(PETSC_SUCCESS);
}
