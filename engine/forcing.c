/* Rainfall forcing: piecewise-constant uniform series from the scenario. */
#include "forcing.h"

PetscErrorCode SbRainAt(const SbScenario *sc, PetscReal t_s, PetscReal *rain_m_s, PetscReal *next_change_s)
{
  PetscInt k = -1;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < sc->nrain; i++)
    if (sc->rain_time_s[i] <= t_s) k = i;
  /* mm/h to m/s: 1 mm/h = 1e-3 m / 3600 s. */
  *rain_m_s      = k >= 0 ? sc->rain_mm_h[k] / 3.6e6 : 0.0;
  *next_change_s = (k + 1 < sc->nrain) ? sc->rain_time_s[k + 1] : PETSC_MAX_REAL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRainApply(SbState *s, PetscReal rain_m_s, PetscReal dt)
{
  SbCell            *x;
  const PetscScalar *mask, *area;
  PetscReal          depth = rain_m_s * dt, vol = 0;
  PetscInt           n     = s->grid->xm * s->grid->ym;

  PetscFunctionBeginUser;
  if (depth <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(s->ev_rain, 0, 0, 0, 0));
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArrayRead(s->grid->mask, &mask));
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  for (PetscInt k = 0; k < n; k++)
    if (mask[k] != 0) {
      x[k].h += depth;
      vol += depth * area[k];
    }
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCall(VecRestoreArrayRead(s->grid->mask, &mask));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  s->budget.rain_m3 += vol;
  PetscCall(PetscLogEventEnd(s->ev_rain, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
