/* Green-Ampt infiltration.

   Under ponding the cumulative infiltration F(t) obeys (Green & Ampt 1911; e.g. Chow, Maidment &
   Mays 1988, Applied Hydrology, eq. 4.3.8)

     F - S ln(1 + F/S) = Ks t,   S = psi * dtheta,   dtheta = (1 - s_e) theta_e,

   which is additive in time: from F at t, F(t + dt) = Fn solves
   Fn - F - S ln((S + Fn)/(S + F)) = Ks dt. Each step infiltrates the lesser of that increment and
   the water on the cell, so before ponding all the supply infiltrates and ponding starts when the
   capacity Ks (1 + S/F) falls below the supply, as in Mein & Larson (1973).

   Between storms the capacity recovers as in SWMM 5 (Rossman & Huber 2016, Reference Manual
   Vol. I, §4.3): see SbGreenAmptCell in infiltration.h. The infiltrated water goes to the
   root-zone store (soilwater.c). */
#include "infiltration.h"
#include "hydro_tables.h"
#include "meshdata.h"
#include <petscdmda.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Parameters by texture: Rawls, Brakensiek & Miller (1983), J. Hydraul. Eng. 109(1):62-70,
   Table 4 (as in Chow, Maidment & Mays 1988, Table 4.3.1), in hydro_tables.c. */
/* What changes in a cell during a run: the event state of SbGreenAmptCell. */
typedef struct {
  PetscReal F, Fu, T, imd;
} SbGreenAmptEvent;

/* Cells of equal parameters (soil texture, conductivity factor, water held in the channel) share
   one parameter set: the sets are few (the soils times the treatment measures' factors, and the
   channel cells), so a cell keeps an index and its event state, 36 instead of 88 bytes. */
struct _p_SbInfiltration {
  SbState          *state; /* not owned */
  PetscInt          nsets;
  SbGreenAmptCell  *set;      /* [nsets] parameters (ks, psi, imd_max, lu, kr, tr, h_channel) and the initial event; set 0: no infiltration (ks = 0) */
  uint32_t         *cell_set; /* [xm*ym] index in set */
  SbGreenAmptEvent *event;    /* [xm*ym] */
  PetscLogEvent     ev;
};

PetscErrorCode SbGreenAmptParameters(PetscInt soil, PetscReal *ks_m_s, PetscReal *psi_m, PetscReal *theta_e, PetscReal *porosity)
{
  SbSoilProperties p;

  PetscFunctionBeginUser;
  PetscCall(SbSoilPropertiesGet(soil, &p));
  *ks_m_s   = p.ks_m_s;
  *psi_m    = p.psi_m;
  *theta_e  = p.theta_e;
  *porosity = p.porosity;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The bracketed Newton iteration on F itself: slow (a logarithm for the bracket and one per step
   to 1e-15) but sure; the fallback of SbGreenAmptIncrement. */
static PetscReal IncrementBracketed(PetscReal F, PetscReal ks, PetscReal S, PetscReal dt)
{
  PetscReal lo, hi, x;

  /* G(x) = x - F - S ln((S + x)/(S + F)) - Ks dt is increasing and convex for x > F, negative at
     x = F + Ks dt; bracket the root and refine by Newton steps kept inside the bracket. */
  lo = F + ks * dt;
  hi = lo + PetscSqrtReal(2.0 * S * ks * dt) + ks * dt;
  while (hi - F - S * PetscLogReal((S + hi) / (S + F)) - ks * dt < 0) hi = F + 2.0 * (hi - F);
  x = F > 0 ? PetscMin(hi, F + ks * dt * (1.0 + S / F)) : hi;
  for (PetscInt it = 0; it < 100; it++) {
    const PetscReal g = x - F - S * PetscLogReal((S + x) / (S + F)) - ks * dt, dg = x / (S + x);
    PetscReal       xn;

    if (g > 0) hi = x;
    else lo = x;
    xn = x - g / dg;
    if (!(xn > lo && xn < hi)) xn = 0.5 * (lo + hi);
    if (PetscAbsReal(xn - x) <= 1e-15 * PetscMax(x, 1e-12) || hi - lo <= 1e-15 * hi) {
      x = xn;
      break;
    }
    x = xn;
  }
  return x - F;
}

/* z - ln(1 + z) for z > -1 without cancellation: with u = z/(2 + z), ln(1 + z) = 2 atanh(u), so
   z - ln(1 + z) = z²/(2 + z) - 2 (u³/3 + u⁵/5 + ...), the series cut where its next term is below
   1e-17 of the result for z < 0.1 (u < 0.048: seven terms); above, the plain difference is exact to
   a few ulp of z²/2. */
static inline PetscReal ZMinusLog1p(PetscReal z)
{
  if (z < 0.1 && z > -0.09) {
    const PetscReal u = z / (2.0 + z), u2 = u * u;
    const PetscReal s = u2 * (1.0 / 3 + u2 * (1.0 / 5 + u2 * (1.0 / 7 + u2 * (1.0 / 9 + u2 * (1.0 / 11 + u2 * (1.0 / 13 + u2 * (1.0 / 15)))))));

    return z * z / (2.0 + z) - 2.0 * u * s;
  }
  return z - log1p(z);
}

/* In z = dF/(S + F), with P = S/(S + F), q = 1 - P = F/(S + F) and e = Ks dt/(S + F), the
   increment solves phi(z) = z - P ln(1 + z) - e = 0, phi increasing and convex for z > 0. Its
   series, q z + P z²/2 - P z³/3 + ... = e, gives a start of relative error O(z²) without a
   logarithm (the quadratic's root, corrected by one Newton step on the cubic); Halley steps on
   phi then converge cubically, and a step below 1e-5 z leaves an error below about 1e-15 z
   (the error constant is about 1/4 in relative terms, P = 1 the worst case), so a wet cell's
   step costs one evaluation of phi where the bracketed Newton iteration took four to five
   logarithms. phi is evaluated as q z + P (z - ln(1 + z)) - e, the bracket without
   cancellation (ZMinusLog1p): at F = 0 and a small step z - P ln(1 + z) loses all but a few
   digits (2e-12 relative error in dF at z = 1e-4). */
PetscErrorCode SbGreenAmptIncrement(PetscReal F, PetscReal ks, PetscReal S, PetscReal dt, PetscReal *dF)
{
  PetscReal B, P, q, e, z, zc;
  PetscInt  it;

  PetscFunctionBeginUser;
  *dF = 0;
  if (ks <= 0 || dt <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  if (S <= 0) {
    *dF = ks * dt; /* no suction: gravity drainage at Ks */
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  B  = S + F;
  P  = S / B;
  q  = F / B;
  e  = ks * dt / B;
  z  = 2.0 * e / (q + PetscSqrtReal(q * q + 2.0 * P * e));
  zc = P * z * z * z / 3.0;
  z += zc / (q + P * z);
  for (it = 0; it < 20; it++) {
    const PetscReal phi = q * z + P * ZMinusLog1p(z) - e, d1 = (q + z) / (1.0 + z), d2 = P / ((1.0 + z) * (1.0 + z));
    const PetscReal dz = phi / d1 / (1.0 - 0.5 * phi * d2 / (d1 * d1));

    z -= dz;
    if (!(z > 0) || !(PetscAbsReal(dz) > 1e-5 * z)) break;
  }
  if (z > 0 && it < 20 && !PetscIsInfOrNanReal(z)) *dF = z * B;
  else *dF = IncrementBracketed(F, ks, S, dt);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGreenAmptCellInit(PetscReal ks, PetscReal psi, PetscReal imd_max, SbGreenAmptCell *c)
{
  /* SWMM's empirical relations are in inches and hours (Rossman & Huber 2016, §4.3). */
  const PetscReal ks_in_h = ks * 3600.0 / 0.0254, r = PetscSqrtReal(ks_in_h);

  PetscFunctionBeginUser;
  c->ks      = ks;
  c->psi     = psi;
  c->imd_max = imd_max;
  c->lu      = 4.0 * r * 0.0254;             /* L_u = 4 sqrt(Ks) in */
  c->kr      = r / 75.0 / 3600.0;            /* k_r = sqrt(Ks)/75 per hour */
  c->tr      = r > 0 ? 4.5 / r * 3600.0 : 0; /* T_r = 4.5/sqrt(Ks) h */
  c->F = c->Fu = c->T = 0;
  c->h_channel = 0;
  c->imd = imd_max;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* SbGreenAmptCellStep on the parameters of p and the event state e. */
static inline PetscErrorCode GreenAmptStep(const SbGreenAmptCell *p, SbGreenAmptEvent *e, PetscReal h, PetscReal dt, PetscReal *dF)
{
  const PetscReal fumax = p->imd_max * p->lu;

  PetscFunctionBeginUser;
  *dF = 0;
  if (p->ks <= 0 || dt <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  e->T -= dt;
  if (h <= 0) {
    /* Recovery: the upper zone drains at k_r F_umax; F falls with it (not below 0). */
    if (e->Fu > 0) {
      const PetscReal d = p->kr * fumax * dt;

      e->F  = PetscMax(e->F - d, 0.0);
      e->Fu = e->Fu - d;
      if (e->Fu <= 0) {
        e->Fu  = 0;
        e->F   = 0;
        e->imd = p->imd_max;
      } else if (e->T <= 0) {
        e->imd = (fumax - e->Fu) / p->lu;
        e->F   = 0;
      }
    }
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (h / dt > p->ks) e->T = p->tr; /* supply above Ks: the event goes on */
  else if (e->T <= 0) {             /* light supply after a dry spell: a new event */
    e->imd = (fumax - e->Fu) / p->lu;
    e->F   = 0;
  }
  /* Supply-limited without Newton steps: if even at F + h the capacity Ks (1 + S/(F + h)) passes
     h over the step, the capacity exceeds the supply throughout and all of h infiltrates. */
  if (h <= p->ks * dt * (1.0 + p->psi * e->imd / (e->F + h))) *dF = h;
  else {
    PetscCall(SbGreenAmptIncrement(e->F, p->ks, p->psi * e->imd, dt, dF));
    *dF = PetscMin(*dF, h);
  }
  e->F += *dF;
  e->Fu = PetscMin(e->Fu + *dF, fumax);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGreenAmptCellStep(SbGreenAmptCell *c, PetscReal h, PetscReal dt, PetscReal *dF)
{
  SbGreenAmptEvent e = {c->F, c->Fu, c->T, c->imd};

  PetscFunctionBeginUser;
  PetscCall(GreenAmptStep(c, &e, h, dt, dF));
  c->F   = e.F;
  c->Fu  = e.Fu;
  c->T   = e.T;
  c->imd = e.imd;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The bits of a real: parameter sets are compared and hashed exactly. */
static inline uint64_t Bits(PetscReal v)
{
  uint64_t b;

  memcpy(&b, &v, sizeof(b));
  return b;
}

/* Whether two cells have the same parameters (lu, kr and tr follow from ks). */
static inline PetscBool SameSet(const SbGreenAmptCell *a, const SbGreenAmptCell *b)
{
  return (PetscBool)(Bits(a->ks) == Bits(b->ks) && Bits(a->psi) == Bits(b->psi) && Bits(a->imd_max) == Bits(b->imd_max) && Bits(a->h_channel) == Bits(b->h_channel));
}

static inline uint64_t HashSet(const SbGreenAmptCell *c)
{
  const uint64_t v[4] = {Bits(c->ks), Bits(c->psi), Bits(c->imd_max), Bits(c->h_channel)};
  uint64_t       h    = 0;

  for (int q = 0; q < 4; q++) {
    h = (h ^ v[q]) * 0x9e3779b97f4a7c15ULL; /* Fibonacci hashing (Knuth, TAOCP 3, 6.4) */
    h ^= h >> 29;
  }
  return h;
}

/* The index of c's parameter set in f->set, added if new. slot: an open-addressing table of
   *nslot (a power of two, at least twice the sets) indices into f->set, -1 where empty. */
static PetscErrorCode FindSet(SbInfiltration f, const SbGreenAmptCell *c, PetscInt *cap, PetscInt **slot, PetscInt *nslot, uint32_t *index)
{
  PetscInt q;

  PetscFunctionBeginUser;
  for (q = (PetscInt)(HashSet(c) & (uint64_t)(*nslot - 1)); (*slot)[q] >= 0; q = (q + 1) & (*nslot - 1))
    if (SameSet(&f->set[(*slot)[q]], c)) {
      *index = (uint32_t)(*slot)[q];
      PetscFunctionReturn(PETSC_SUCCESS);
    }
  if (f->nsets == *cap) {
    SbGreenAmptCell *grown;

    PetscCall(PetscMalloc1(2 * *cap, &grown));
    PetscCall(PetscArraycpy(grown, f->set, f->nsets));
    PetscCall(PetscFree(f->set));
    f->set = grown;
    *cap *= 2;
  }
  f->set[f->nsets] = *c;
  (*slot)[q]       = f->nsets;
  *index           = (uint32_t)f->nsets++;
  if (2 * f->nsets > *nslot) {
    PetscInt *wider, n2 = 2 * *nslot;

    PetscCall(PetscMalloc1(n2, &wider));
    for (PetscInt r = 0; r < n2; r++) wider[r] = -1;
    for (PetscInt e = 0; e < f->nsets; e++) {
      PetscInt r = (PetscInt)(HashSet(&f->set[e]) & (uint64_t)(n2 - 1));

      while (wider[r] >= 0) r = (r + 1) & (n2 - 1);
      wider[r] = e;
    }
    PetscCall(PetscFree(*slot));
    *slot  = wider;
    *nslot = n2;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInfiltrationCreate(SbState *state, const SbScenario *sc, SbInfiltration *inf)
{
  SbInfiltration     f;
  SbGrid            *g = state->grid;
  const PetscScalar *soil, *mask, *chan, *acc, *area, *ksf = NULL;
  PetscInt           cap = 64, nslot = 256, *slot;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(g->soil, &soil));
  PetscCall(VecGetArrayRead(g->mask, &mask));
  for (PetscInt k = 0; k < g->xm * g->ym; k++)
    PetscCheck(!SbInfiltrates(sc, mask[k], soil[k]) || (soil[k] >= 1 && soil[k] < SB_SOIL_COUNT), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /soil: class %g at an active cell, expected 1 to %d", g->path, (double)soil[k], SB_SOIL_COUNT - 1);
  PetscCall(PetscNew(&f));
  f->state = state;
  PetscCall(PetscCalloc1(cap, &f->set)); /* set 0: no infiltration */
  f->nsets = 1;
  PetscCall(PetscMalloc1(nslot, &slot));
  for (PetscInt q = 0; q < nslot; q++) slot[q] = -1;
  PetscCall(PetscMalloc2(g->xm * g->ym + 1, &f->cell_set, g->xm * g->ym + 1, &f->event));
  PetscCall(VecGetArrayRead(g->channel, &chan));
  PetscCall(VecGetArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  if (state->ks_factor) PetscCall(VecGetArrayRead(state->ks_factor, &ksf));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) {
    PetscReal       kk = 0, psi = 0, te = 0, por = 0;
    SbGreenAmptCell c;

    f->cell_set[k] = 0;
    f->event[k].F = f->event[k].Fu = f->event[k].T = f->event[k].imd = 0;
    if (!SbInfiltrates(sc, mask[k], soil[k])) continue;
    PetscCall(SbGreenAmptParameters((PetscInt)soil[k], &kk, &psi, &te, &por));
    PetscCall(SbGreenAmptCellInit(sc->ks_factor * (ksf ? ksf[k] : 1.0) * kk, psi, (1.0 - sc->initial_saturation) * te, &c));
    /* Where groundwater discharges into the channels, their beds are gaining (the water table's
       outcrop) and do not infiltrate: the water the routing holds in a channel cell's sub-grid
       channel, up to its bankfull volume d w / sqrt(A) (routing.c, channel.c: w = a A^b,
       d = c A^f, A in km²), is out of reach; a whole-cell channel does not infiltrate at all. */
    if (sc->gw_enabled && chan[k] != 0) {
      const PetscReal A = PetscMax(acc[k], 0.0) / 1e6, cell_m = PetscSqrtReal(area[k]);
      const PetscReal w = sc->channel_width_coef * PetscPowReal(A, sc->channel_width_exp), d = sc->channel_depth_coef * PetscPowReal(A, sc->channel_depth_exp);

      c.h_channel = (sc->channel_subgrid && w < cell_m) ? d * w / cell_m : PETSC_MAX_REAL;
    }
    PetscCall(FindSet(f, &c, &cap, &slot, &nslot, &f->cell_set[k]));
    f->event[k].F   = c.F;
    f->event[k].Fu  = c.Fu;
    f->event[k].T   = c.T;
    f->event[k].imd = c.imd;
  }
  if (state->ks_factor) PetscCall(VecRestoreArrayRead(state->ks_factor, &ksf));
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(VecRestoreArrayRead(g->flow_accumulation, &acc));
  PetscCall(VecRestoreArrayRead(g->channel, &chan));
  PetscCall(VecRestoreArrayRead(g->mask, &mask));
  PetscCall(VecRestoreArrayRead(g->soil, &soil));
  PetscCall(PetscFree(slot));
  PetscCall(PetscInfo(NULL, "infiltration: %" PetscInt_FMT " parameter sets for %" PetscInt_FMT " cells\n", f->nsets, g->xm * g->ym));
  PetscCall(PetscLogEventRegister("SbInfiltration", DM_CLASSID, &f->ev));
  *inf = f;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInfiltrationStep(SbInfiltration f, PetscReal dt)
{
  SbState           *st = f->state;
  SbGrid            *g  = st->grid;
  SbCell            *x;
  const PetscScalar *area;
  PetscScalar       *F, *w;
  PetscReal          vol = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(f->ev, 0, 0, 0, 0));
  PetscCall(VecGetArray(st->X, (PetscScalar **)&x));
  PetscCall(VecGetArray(st->infiltrated, &F));
  PetscCall(VecGetArray(st->soil_water, &w));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  /* The active cells (cellruns.h); inactive ones do not infiltrate (set 0). */
  for (PetscInt r = 0; r < g->active.nruns; r++)
    for (PetscInt k = g->active.k[2 * r]; k < g->active.k[2 * r + 1]; k++) {
      const SbGreenAmptCell *c = &f->set[f->cell_set[k]];
      PetscReal              dF;

      if (c->ks <= 0) continue; /* impervious: no work */
      PetscCall(GreenAmptStep(c, &f->event[k], x[k].h > c->h_channel ? x[k].h - c->h_channel : 0.0, dt, &dF));
      x[k].h -= dF;
      F[k] += dF;
      w[k] += dF;
      vol += dF * area[k];
    }
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(VecRestoreArray(st->soil_water, &w));
  PetscCall(VecRestoreArray(st->infiltrated, &F));
  PetscCall(VecRestoreArray(st->X, (PetscScalar **)&x));
  st->budget.infiltration_m3 += vol;
  PetscCall(PetscLogEventEnd(f->ev, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInfiltrationDestroy(SbInfiltration *inf)
{
  PetscFunctionBeginUser;
  if (!*inf) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*inf)->set));
  PetscCall(PetscFree2((*inf)->cell_set, (*inf)->event));
  PetscCall(PetscFree(*inf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The event state of every cell as four natural-ordering fields (any rank count reads them). */
static const char *GaField[4] = {"event_infiltration_m", "upper_zone_m", "time_to_event_end_s", "moisture_deficit"};

static PetscReal *GaMember(SbGreenAmptEvent *c, int f)
{
  return f == 0 ? &c->F : f == 1 ? &c->Fu : f == 2 ? &c->T : &c->imd;
}

static PetscErrorCode CheckpointWrite_GA(void *ctx, hid_t group)
{
  SbInfiltration inf = (SbInfiltration)ctx;
  SbGrid        *g   = inf->state->grid;
  Vec            v;
  PetscScalar   *a;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(g->da, &v));
  for (int f = 0; f < 4; f++) {
    PetscCall(VecGetArray(v, &a));
    for (PetscInt k = 0; k < g->xm * g->ym; k++) a[k] = *GaMember(&inf->event[k], f);
    PetscCall(VecRestoreArray(v, &a));
    PetscCall(SbCheckpointWriteField(g, group, GaField[f], v, PETSC_FALSE));
  }
  PetscCall(VecDestroy(&v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckpointRead_GA(void *ctx, hid_t group, const char *file)
{
  SbInfiltration inf = (SbInfiltration)ctx;
  SbGrid        *g   = inf->state->grid;
  Vec            v;
  PetscScalar   *a;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(g->da, &v));
  for (int f = 0; f < 4; f++) {
    PetscCall(SbCheckpointReadField(g, group, file, GaField[f], v));
    PetscCall(VecGetArray(v, &a));
    for (PetscInt k = 0; k < g->xm * g->ym; k++) *GaMember(&inf->event[k], f) = a[k];
    PetscCall(VecRestoreArray(v, &a));
  }
  PetscCall(VecDestroy(&v));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbInfiltrationCheckpointRegister(SbInfiltration inf, SbCheckpoint ck)
{
  PetscFunctionBeginUser;
  PetscCall(SbCheckpointAddHook(ck, "infiltration/green_ampt", CheckpointWrite_GA, CheckpointRead_GA, inf));
  PetscFunctionReturn(PETSC_SUCCESS);
}
