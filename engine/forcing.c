/* Meteorological forcing (docs/hydrology.md, "Forcing"): every kind of rain becomes, at set-up, a
   piecewise-constant series of one or more stations; gauges add inverse-distance weights per cell.
   PET is evaluated per calendar day from the scenario's clock. */
#include "forcing.h"
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SB_FORCING_MAX_GAUGES 256 /* columns of a CSV file less one */

struct _p_SbForcing {
  const SbScenario *sc;   /* not owned */
  SbGrid           *grid; /* not owned; may be NULL */
  /* rain: n steps of ng stations; step k holds v[k*ng .. k*ng+ng) (mm/h) from t[k] to t[k+1] */
  PetscInt   n, cap, ng;
  PetscReal *t_s, *v_mm_h;
  PetscInt   k;          /* cursor: the step of the last SbForcingRainAt */
  PetscReal *wbar;       /* [ng] area-weighted basin mean of each station's weights */
  PetscReal *w;          /* gauges: [owned cells][ng] inverse-distance weights, 0 outside the basin */
  Vec        field;      /* gauges: rain (m/s) of step field_k per cell, on grid->da */
  PetscInt   field_k;
  /* clock */
  PetscInt  day0;        /* days since 1970-01-01 of time.start */
  PetscReal sod0_s;      /* seconds since midnight of time.start */
  /* PET: daily temperatures from a CSV, day index from pet_day0 */
  PetscInt   pet_nday, pet_day0;
  PetscReal *pet_tmin, *pet_tmax;
  PetscLogEvent ev_field;
};

/* ------------------------------------------------------------------------------------------------
   Calendar (proleptic Gregorian; H. Hinnant's days_from_civil / civil_from_days algorithms)
   ------------------------------------------------------------------------------------------------ */
PetscInt SbDaysFromCivil(PetscInt y, PetscInt m, PetscInt d)
{
  const PetscInt yy = y - (m <= 2), era = (yy >= 0 ? yy : yy - 399) / 400, yoe = yy - era * 400;
  const PetscInt doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

  return era * 146097 + doe - 719468;
}

void SbCivilFromDays(PetscInt z, PetscInt *y, PetscInt *m, PetscInt *d, PetscInt *doy)
{
  const PetscInt zz = z + 719468, era = (zz >= 0 ? zz : zz - 146096) / 146097, doe = zz - era * 146097;
  const PetscInt yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365, dy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * dy + 2) / 153;
  const PetscInt dd = dy - (153 * mp + 2) / 5 + 1, mm = mp < 10 ? mp + 3 : mp - 9, yr = yoe + era * 400 + (mm <= 2);

  if (y) *y = yr;
  if (m) *m = mm;
  if (d) *d = dd;
  if (doy) *doy = z - SbDaysFromCivil(yr, 1, 1) + 1;
}

/* Calendar day (days since 1970-01-01) holding t_s after the scenario start. */
static PetscInt DayOf(SbForcing f, PetscReal t_s)
{
  return f->day0 + (PetscInt)PetscFloorReal((f->sod0_s + t_s) / 86400.0);
}

/* ------------------------------------------------------------------------------------------------
   PET: FAO-56 (Allen, Pereira, Raes & Smith 1998, Irrigation and Drainage Paper 56)
   ------------------------------------------------------------------------------------------------ */
PetscReal SbExtraterrestrialRadiation(PetscReal lat_deg, PetscInt doy)
{
  const PetscReal gsc = 0.0820; /* solar constant, MJ m⁻² min⁻¹ */
  const PetscReal phi = lat_deg * PETSC_PI / 180.0, J = (PetscReal)doy;
  const PetscReal dr    = 1 + 0.033 * PetscCosReal(2 * PETSC_PI * J / 365);   /* eq. 23 */
  const PetscReal delta = 0.409 * PetscSinReal(2 * PETSC_PI * J / 365 - 1.39); /* eq. 24 */
  const PetscReal x     = PetscMax(-1.0, PetscMin(1.0, -PetscTanReal(phi) * PetscTanReal(delta)));
  const PetscReal ws    = PetscAcosReal(x); /* eq. 25; clamped: 0 in polar night, pi in polar day */

  /* eq. 21 */
  return 24 * 60 / PETSC_PI * gsc * dr * (ws * PetscSinReal(phi) * PetscSinReal(delta) + PetscCosReal(phi) * PetscCosReal(delta) * PetscSinReal(ws));
}

PetscReal SbHargreaves(PetscReal tmin_c, PetscReal tmax_c, PetscReal ra_mj_m2_d)
{
  /* FAO-56 eq. 52 with Ra as evaporation equivalent (0.408 mm per MJ m⁻², eq. 20); a day colder
     than -17.8 °C on average gives 0, not a negative demand. */
  const PetscReal e = 0.0023 * ((tmin_c + tmax_c) / 2 + 17.8) * PetscSqrtReal(PetscMax(tmax_c - tmin_c, 0.0)) * 0.408 * ra_mj_m2_d;

  return PetscMax(e, 0.0);
}

PetscErrorCode SbForcingHasPET(SbForcing f, PetscBool *has)
{
  PetscFunctionBeginUser;
  *has = f->sc->pet_present;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingPETAt(SbForcing f, PetscReal t_s, PetscReal *pet_m_s, PetscReal *next_change_s)
{
  const SbScenario *sc  = f->sc;
  const PetscInt    day = DayOf(f, t_s);
  PetscInt          month, doy;
  PetscReal         mm_d;

  PetscFunctionBeginUser;
  *pet_m_s = 0;
  if (next_change_s) *next_change_s = PETSC_MAX_REAL;
  if (!sc->pet_present) PetscFunctionReturn(PETSC_SUCCESS);
  SbCivilFromDays(day, NULL, &month, NULL, &doy);
  if (sc->pet_method == SB_PET_MONTHLY) mm_d = sc->pet_monthly_mm_d[month - 1];
  else {
    const PetscReal ra = SbExtraterrestrialRadiation(sc->pet_latitude_deg, doy);

    if (f->pet_nday) {
      PetscInt i = day - f->pet_day0; /* inside the file: checked at set-up */

      if (i == f->pet_nday && day - 1 == DayOf(f, f->sc->duration_s - 1e-6)) i--; /* the end of a run that ends at midnight */

      PetscCheck(i >= 0 && i < f->pet_nday, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "PET asked for a day outside %s", sc->pet_csv);
      mm_d = SbHargreaves(f->pet_tmin[i], f->pet_tmax[i], ra);
    } else mm_d = SbHargreaves(sc->pet_tmin_c[month - 1], sc->pet_tmax_c[month - 1], ra);
  }
  *pet_m_s = sc->pet_factor * mm_d / 8.64e7; /* mm/d to m/s */
  if (next_change_s) *next_change_s = (PetscReal)(day + 1 - f->day0) * 86400.0 - f->sod0_s;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingPET(SbForcing f, PetscReal t_s, Vec pet_m_s)
{
  PetscReal r;

  PetscFunctionBeginUser;
  PetscCall(SbForcingPETAt(f, t_s, &r, NULL));
  PetscCall(VecSet(pet_m_s, r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Design storms from the IDF curve i = a/(d + b)^c (mm/h, d in min)
   ------------------------------------------------------------------------------------------------ */
PetscReal SbIdfDepth(PetscReal a, PetscReal b_min, PetscReal c, PetscReal d_min)
{
  return d_min > 0 ? d_min * a / PetscPowReal(d_min + b_min, c) / 60.0 : 0.0;
}

/* Keifer & Chu (1957): the intensity at time tb before the peak is i(tb) = a[(1−c) tb/r + b] /
   (tb/r + b)^(1+c), after it the same in ta/(1−r). That is d/dt of the IDF depth P(t) at t = tb/r
   (resp. ta/(1−r)), so the depth within tb of the peak is r P(tb/r): any window of duration d that
   holds the peak at fraction r holds P(d), the IDF depth, for every d. */
PetscReal SbChicagoCumulative(PetscReal a, PetscReal b_min, PetscReal c, PetscReal r, PetscReal D_min, PetscReal t_min)
{
  const PetscReal tp = r * D_min, before = r * SbIdfDepth(a, b_min, c, D_min);

  if (t_min <= tp) return r > 0 ? before - r * SbIdfDepth(a, b_min, c, (tp - t_min) / r) : 0.0;
  return before + (r < 1 ? (1 - r) * SbIdfDepth(a, b_min, c, (t_min - tp) / (1 - r)) : 0.0);
}

PetscErrorCode SbDesignStorm(SbRainType type, PetscReal a, PetscReal b_min, PetscReal c, PetscReal r, PetscReal step_min, PetscInt n, PetscReal *mm_h)
{
  const PetscReal D = n * step_min;

  PetscFunctionBeginUser;
  if (type == SB_RAIN_CHICAGO) {
    /* each block holds the exact depth of the continuous hyetograph over it */
    for (PetscInt i = 0; i < n; i++) mm_h[i] = (SbChicagoCumulative(a, b_min, c, r, D, (i + 1) * step_min) - SbChicagoCumulative(a, b_min, c, r, D, i * step_min)) * 60.0 / step_min;
  } else {
    /* Alternating block (Chow, Maidment & Mays 1988, sec. 14.4): the increments of the IDF depth,
       largest first, from the peak block outwards, right and left in turn. The increments
       decrease (P is concave for 0 <= c < 1), so the k largest blocks are contiguous and hold
       P(k step) for every k. */
    const PetscInt p = PetscMin(n - 1, (PetscInt)PetscFloorReal(r * n));
    PetscInt       left = p - 1, right = p + 1;

    PetscCheck(type == SB_RAIN_ALTERNATING_BLOCK, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "not a design storm type: %d", (int)type);
    for (PetscInt k = 0; k < n; k++) {
      const PetscReal inc = (SbIdfDepth(a, b_min, c, (k + 1) * step_min) - SbIdfDepth(a, b_min, c, k * step_min)) * 60.0 / step_min;
      PetscInt        at;

      if (k == 0) at = p;
      else if ((k % 2 == 1 && right < n) || left < 0) at = right++;
      else at = left--;
      mm_h[at] = inc;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Weather generator: xoshiro256** (Blackman & Vigna 2018) seeded by splitmix64, portable and the
   same on every rank; gamma variates by Marsaglia & Tsang (2000).
   ------------------------------------------------------------------------------------------------ */
typedef struct {
  uint64_t s[4];
} SbRng;

static uint64_t Rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

static void RngSeed(SbRng *g, uint64_t seed)
{
  for (int i = 0; i < 4; i++) {
    uint64_t z = (seed += 0x9E3779B97F4A7C15ULL);

    z       = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z       = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    g->s[i] = z ^ (z >> 31);
  }
}

/* Uniform in [0, 1) with 53 random bits. */
static double RngUniform(SbRng *g)
{
  const uint64_t r = Rotl(g->s[1] * 5, 7) * 9, t = g->s[1] << 17;

  g->s[2] ^= g->s[0];
  g->s[3] ^= g->s[1];
  g->s[1] ^= g->s[2];
  g->s[0] ^= g->s[3];
  g->s[2] ^= t;
  g->s[3] = Rotl(g->s[3], 45);
  return (double)(r >> 11) * 0x1.0p-53;
}

static double RngNormal(SbRng *g)
{
  const double u1 = 1.0 - RngUniform(g), u2 = RngUniform(g); /* u1 in (0, 1] */

  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

/* Gamma(shape, 1). Marsaglia & Tsang (2000), ACM TOMS 26(3):363–372; shape < 1 by the boost
   Gamma(shape + 1) U^(1/shape) of the same paper. */
static double RngGamma(SbRng *g, double shape)
{
  const double alpha = shape < 1 ? shape + 1 : shape, d = alpha - 1.0 / 3.0, c = 1.0 / sqrt(9.0 * d);
  double       x, v, u;

  for (;;) {
    do {
      x = RngNormal(g);
      v = 1.0 + c * x;
    } while (v <= 0);
    v = v * v * v;
    u = 1.0 - RngUniform(g);
    if (u < 1.0 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1.0 - v + log(v))) break;
  }
  return shape < 1 ? d * v * pow(1.0 - RngUniform(g), 1.0 / shape) : d * v;
}

void SbWeatherParamsFromScenario(const SbScenario *sc, SbWeatherParams *p)
{
  for (PetscInt m = 0; m < 12; m++) {
    p->p_wd[m]    = sc->gen_p_wd[m];
    p->p_ww[m]    = sc->gen_p_ww[m];
    p->mean_mm[m] = sc->gen_mean_mm[m];
    p->shape[m]   = sc->gen_shape[m];
  }
  p->seed           = sc->gen_seed;
  p->max_duration_h = sc->gen_max_duration_h;
}

PetscErrorCode SbWeatherGenerate(const SbWeatherParams *p, PetscInt day0, PetscInt ndays, PetscReal *mm, PetscInt *start_h, PetscInt *duration_h)
{
  SbRng     g;
  PetscInt  m;
  PetscBool wet;

  PetscFunctionBeginUser;
  RngSeed(&g, (uint64_t)p->seed);
  /* The day before the first is wet with the stationary probability of the first month's chain,
     p_wd / (1 − p_ww + p_wd). */
  SbCivilFromDays(day0, NULL, &m, NULL, NULL);
  {
    const PetscReal den = 1 - p->p_ww[m - 1] + p->p_wd[m - 1];

    wet = RngUniform(&g) < (den > 0 ? p->p_wd[m - 1] / den : 0.0) ? PETSC_TRUE : PETSC_FALSE;
  }
  for (PetscInt i = 0; i < ndays; i++) {
    SbCivilFromDays(day0 + i, NULL, &m, NULL, NULL);
    wet           = RngUniform(&g) < (wet ? p->p_ww[m - 1] : p->p_wd[m - 1]) ? PETSC_TRUE : PETSC_FALSE;
    mm[i]         = 0;
    start_h[i]    = 0;
    duration_h[i] = 0;
    if (!wet) continue;
    /* amount: gamma with the month's mean and shape (scale = mean / shape) */
    mm[i]         = RngGamma(&g, p->shape[m - 1]) * p->mean_mm[m - 1] / p->shape[m - 1];
    duration_h[i] = 1 + (PetscInt)(RngUniform(&g) * p->max_duration_h);
    start_h[i]    = (PetscInt)(RngUniform(&g) * (24 - duration_h[i] + 1));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   CSV files: rank 0 reads, every rank receives the table or the same one-line error
   ------------------------------------------------------------------------------------------------ */
typedef enum {
  SB_CSV_TIME, /* h, >= 0, the first 0, strictly increasing */
  SB_CSV_RAIN, /* mm/h, in [0, 500] as inline */
  SB_CSV_DATE, /* YYYY-MM-DD, each the day after the previous; stored as days since 1970-01-01 */
  SB_CSV_TMIN, /* °C in [-90, 60] */
  SB_CSV_TMAX  /* °C in [-90, 60], >= the previous column */
} SbCsvKind;

/* Whether a field is a value at all (not a header's name). */
static PetscBool IsValue(const char *s, SbCsvKind kind)
{
  char *end;
  int   y, mo, d;

  if (kind == SB_CSV_DATE) return sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) == 3 ? PETSC_TRUE : PETSC_FALSE;
  (void)strtod(s, &end);
  return end != s && !*end ? PETSC_TRUE : PETSC_FALSE;
}

/* Parse one field; on failure write what was expected into expected. */
static PetscBool CsvField(const char *s, SbCsvKind kind, PetscInt row, const PetscReal *prev_row, const PetscReal *this_row, PetscInt col, PetscReal *x, char *expected, size_t n)
{
  char  *end;
  int    y, mo, d, len = 0;
  double v;

  if (kind == SB_CSV_DATE) {
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &len) != 3 || s[len] || strlen(s) != 10 || mo < 1 || mo > 12 || d < 1 || d > 31) {
      snprintf(expected, n, "a date YYYY-MM-DD");
      return PETSC_FALSE;
    }
    *x = (PetscReal)SbDaysFromCivil(y, mo, d);
    {
      PetscInt yy, mm, dd;

      SbCivilFromDays((PetscInt)*x, &yy, &mm, &dd, NULL);
      if (yy != y || mm != mo || dd != d) {
        snprintf(expected, n, "a date YYYY-MM-DD");
        return PETSC_FALSE;
      }
    }
    if (prev_row && *x != prev_row[col] + 1) {
      PetscInt yy, mm, dd;

      SbCivilFromDays((PetscInt)prev_row[col] + 1, &yy, &mm, &dd, NULL);
      snprintf(expected, n, "the next day, %04d-%02d-%02d (one line per day)", (int)yy, (int)mm, (int)dd);
      return PETSC_FALSE;
    }
    return PETSC_TRUE;
  }
  errno = 0;
  v     = strtod(s, &end);
  if (end == s || *end || errno == ERANGE || !isfinite(v)) {
    snprintf(expected, n, "a finite number");
    return PETSC_FALSE;
  }
  *x = v;
  switch (kind) {
  case SB_CSV_TIME:
    if (row == 0 && v != 0) snprintf(expected, n, "0 (the first rain step starts with the scenario)");
    else if (!(v >= 0)) snprintf(expected, n, "a number >= 0 (h)");
    else if (prev_row && !(v > prev_row[col])) snprintf(expected, n, "a number > %g (times strictly increasing)", (double)prev_row[col]);
    else return PETSC_TRUE;
    return PETSC_FALSE;
  case SB_CSV_RAIN:
    if (v >= 0 && v <= 500) return PETSC_TRUE;
    snprintf(expected, n, "a number in [0, 500] (mm/h)");
    return PETSC_FALSE;
  case SB_CSV_TMAX:
    if (v >= -90 && v <= 60 && v >= this_row[col - 1]) return PETSC_TRUE;
    snprintf(expected, n, "a number in [-90, 60] (degC), >= tmin_c (%g)", (double)this_row[col - 1]);
    return PETSC_FALSE;
  default:
    if (v >= -90 && v <= 60) return PETSC_TRUE;
    snprintf(expected, n, "a number in [-90, 60] (degC)");
    return PETSC_FALSE;
  }
}

/* Rows of ncol comma-separated fields. Blank lines and lines starting with '#' are skipped; a first
   line whose first field is not a value is a header. Errors: "<file>: line L, column C (name):
   expected ..., got "..."", or "<file>: line L: expected N columns (...), got M". */
static PetscErrorCode ReadCsv(MPI_Comm comm, const char *path, PetscInt ncol, const SbCsvKind *kind, const char *names, PetscInt *nrow, PetscReal **table)
{
  PetscMPIInt rank;
  char        msg[PETSC_MAX_PATH_LEN + 512] = "";
  PetscInt    rows = 0, cap = 0;
  PetscReal  *v = NULL;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE    *fp   = fopen(path, "r");
    char    *line = NULL;
    size_t   len  = 0;
    PetscInt lineno = 0, seen = 0;

    if (!fp) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot read file: %s", path, strerror(errno)));
    while (fp && !msg[0] && getline(&line, &len, fp) >= 0) {
      char    *s = line, *field[SB_FORCING_MAX_GAUGES + 1];
      PetscInt nf = 0;

      lineno++;
      s[strcspn(s, "\r\n")] = 0;
      while (*s == ' ' || *s == '\t') s++;
      if (!*s || *s == '#') continue;
      seen++;
      for (char *p = s;; p++) { /* split at commas, trimming blanks */
        char *e = p + strcspn(p, ","), *q = e;
        int   last = *e == 0;

        while (*p == ' ' || *p == '\t') p++;
        while (q > p && (q[-1] == ' ' || q[-1] == '\t')) q--;
        *q = 0;
        if (nf <= SB_FORCING_MAX_GAUGES) field[nf] = p;
        nf++;
        if (last) break;
        p = e;
      }
      if (seen == 1 && !IsValue(field[0], kind[0])) continue; /* a header */
      if (nf != ncol) {
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: line %" PetscInt_FMT ": expected %" PetscInt_FMT " columns (%s), got %" PetscInt_FMT, path, lineno, ncol, names, nf));
        break;
      }
      if (rows == cap) {
        PetscReal *w;

        cap = cap ? 2 * cap : 256;
        PetscCall(PetscMalloc1(cap * ncol, &w));
        if (rows) PetscCall(PetscArraycpy(w, v, rows * ncol));
        PetscCall(PetscFree(v));
        v = w;
      }
      for (PetscInt c = 0; c < ncol && !msg[0]; c++) {
        char expected[160], name[64];

        if (CsvField(field[c], kind[c], rows, rows ? v + (rows - 1) * ncol : NULL, v + rows * ncol, c, &v[rows * ncol + c], expected, sizeof(expected))) continue;
        if (ncol > 2 && kind[1] == SB_CSV_RAIN) PetscCall(PetscSNPrintf(name, sizeof(name), c ? "gauge %" PetscInt_FMT : "time_h", c));
        else {
          const char *nm = names;

          for (PetscInt i = 0; i < c && strchr(nm, ','); i++) nm = strchr(nm, ',') + 1;
          PetscCall(PetscSNPrintf(name, sizeof(name), "%.*s", (int)strcspn(nm, ","), nm));
        }
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: line %" PetscInt_FMT ", column %" PetscInt_FMT " (%s): expected %s, got \"%.40s\"", path, lineno, c + 1, name, expected, field[c]));
      }
      if (msg[0]) break;
      rows++;
    }
    free(line);
    if (fp) fclose(fp);
    if (!msg[0] && rows == 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: expected lines of %s, got none", path, names));
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, comm));
  if (msg[0]) PetscCall(PetscFree(v));
  PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  PetscCallMPI(MPI_Bcast(&rows, 1, MPIU_INT, 0, comm));
  if (rank != 0) PetscCall(PetscMalloc1(rows * ncol, &v));
  PetscCallMPI(MPI_Bcast(v, (int)(rows * ncol), MPIU_REAL, 0, comm));
  *nrow  = rows;
  *table = v;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Building the series
   ------------------------------------------------------------------------------------------------ */

/* Append a step of one station from t_s on; a step at or before the last one replaces its value
   (steps before the scenario start fold into the one at 0). */
static PetscErrorCode AddStep(SbForcing f, PetscReal t_s, PetscReal mm_h)
{
  PetscFunctionBeginUser;
  if (f->n > 0 && t_s <= f->t_s[f->n - 1]) {
    f->v_mm_h[f->n - 1] = mm_h;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (f->n == f->cap) {
    PetscReal *t, *v;

    f->cap = f->cap ? 2 * f->cap : 256;
    PetscCall(PetscMalloc2(f->cap, &t, f->cap, &v));
    PetscCall(PetscArraycpy(t, f->t_s, f->n));
    PetscCall(PetscArraycpy(v, f->v_mm_h, f->n));
    PetscCall(PetscFree2(f->t_s, f->v_mm_h));
    f->t_s    = t;
    f->v_mm_h = v;
  }
  f->t_s[f->n]    = t_s;
  f->v_mm_h[f->n] = mm_h;
  f->n++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode BuildSeries(SbForcing f, MPI_Comm comm)
{
  const SbScenario *sc = f->sc;

  PetscFunctionBeginUser;
  f->ng = sc->rain_type == SB_RAIN_GAUGES ? sc->rain_ngauges : 1;
  if (sc->rain_type == SB_RAIN_UNIFORM || sc->rain_type == SB_RAIN_GAUGES) {
    if (sc->rain_csv[0]) {
      SbCsvKind kind[SB_FORCING_MAX_GAUGES + 1];
      PetscReal *table;
      PetscInt   rows;
      char       names[64] = "time_h,intensity_mm_h";

      PetscCheck(f->ng <= SB_FORCING_MAX_GAUGES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: forcing.rain.gauges.x: expected at most %d gauges, got %" PetscInt_FMT, sc->path, SB_FORCING_MAX_GAUGES, f->ng);
      kind[0] = SB_CSV_TIME;
      for (PetscInt g = 1; g <= f->ng; g++) kind[g] = SB_CSV_RAIN;
      if (f->ng > 1) PetscCall(PetscSNPrintf(names, sizeof(names), "time_h,%" PetscInt_FMT " gauges in mm/h", f->ng));
      PetscCall(ReadCsv(comm, sc->rain_csv, f->ng + 1, kind, names, &rows, &table));
      f->n = rows;
      PetscCall(PetscMalloc2(rows, &f->t_s, rows * f->ng, &f->v_mm_h));
      for (PetscInt i = 0; i < rows; i++) {
        f->t_s[i] = table[i * (f->ng + 1)] * 3600.0;
        for (PetscInt g = 0; g < f->ng; g++) f->v_mm_h[i * f->ng + g] = table[i * (f->ng + 1) + 1 + g];
      }
      PetscCall(PetscFree(table));
    } else {
      f->n = sc->nrain;
      PetscCall(PetscMalloc2(f->n, &f->t_s, f->n * f->ng, &f->v_mm_h));
      PetscCall(PetscArraycpy(f->t_s, sc->rain_time_s, f->n));
      PetscCall(PetscArraycpy(f->v_mm_h, sc->rain_mm_h, f->n * f->ng));
    }
    f->cap = f->n;
  } else if (sc->rain_type == SB_RAIN_CHICAGO || sc->rain_type == SB_RAIN_ALTERNATING_BLOCK) {
    const PetscInt nb = (PetscInt)round(sc->storm_duration_s / sc->storm_step_s);
    PetscReal     *mm_h;

    PetscCall(PetscMalloc1(nb, &mm_h));
    PetscCall(SbDesignStorm((SbRainType)sc->rain_type, sc->storm_a, sc->storm_b_min, sc->storm_c, sc->storm_peak, sc->storm_step_s / 60.0, nb, mm_h));
    PetscCall(AddStep(f, 0, 0));
    for (PetscInt i = 0; i < nb; i++) PetscCall(AddStep(f, sc->storm_start_s + i * sc->storm_step_s, mm_h[i]));
    PetscCall(AddStep(f, sc->storm_start_s + sc->storm_duration_s, 0));
    PetscCall(PetscFree(mm_h));
  } else {
    /* generator: every calendar day the run touches, each wet day one block */
    SbWeatherParams p;
    const PetscInt  nd = (PetscInt)PetscCeilReal((f->sod0_s + sc->duration_s) / 86400.0);
    PetscReal      *mm;
    PetscInt       *sh, *dh;

    SbWeatherParamsFromScenario(sc, &p);
    PetscCall(PetscMalloc3(nd, &mm, nd, &sh, nd, &dh));
    PetscCall(SbWeatherGenerate(&p, f->day0, nd, mm, sh, dh));
    PetscCall(AddStep(f, 0, 0));
    for (PetscInt i = 0; i < nd; i++) {
      const PetscReal t0 = i * 86400.0 + sh[i] * 3600.0 - f->sod0_s;

      if (dh[i] == 0) continue;
      PetscCall(AddStep(f, t0, mm[i] / dh[i]));
      PetscCall(AddStep(f, t0 + dh[i] * 3600.0, 0));
    }
    PetscCall(PetscFree3(mm, sh, dh));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Inverse-distance weights (Shepard 1968) of every owned cell, normalised per cell; a cell within
   1e-9 cell sizes of a gauge takes that gauge alone. Then the area-weighted basin means. */
static PetscErrorCode GaugeWeights(SbForcing f)
{
  SbGrid            *g = f->grid;
  const SbScenario  *sc = f->sc;
  const PetscInt     ng = f->ng;
  const PetscScalar *mask, *area;
  PetscReal         *acc;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(g->xm * g->ym * ng, &f->w));
  PetscCall(PetscCalloc1(ng + 1, &acc));
  PetscCall(VecGetArrayRead(g->mask, &mask));
  PetscCall(VecGetArrayRead(g->cell_area, &area));
  for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
      const PetscInt  k = (j - g->ys) * g->xm + (i - g->xs);
      const PetscReal x = g->xll + (i + 0.5) * g->cellsize, y = g->yll + (g->ny - j - 0.5) * g->cellsize;
      PetscReal      *w = f->w + k * ng, tot = 0;
      PetscInt        at = -1;

      if (mask[k] == 0) continue;
      for (PetscInt q = 0; q < ng && at < 0; q++) {
        PetscReal dx = x - sc->rain_gauge_x[q], dy = y - sc->rain_gauge_y[q], d;

        if (g->geographic) { /* equirectangular: degrees to metres at the mean latitude */
          const PetscReal m = PETSC_PI / 180.0 * SB_EARTH_RADIUS_M;

          dx *= m * PetscCosReal((y + sc->rain_gauge_y[q]) / 2 * PETSC_PI / 180.0);
          dy *= m;
        }
        d = PetscSqrtReal(dx * dx + dy * dy);
        if (d <= 1e-9 * g->cellsize) at = q;
        else w[q] = PetscPowReal(d, -sc->rain_idw_power);
      }
      if (at >= 0)
        for (PetscInt q = 0; q < ng; q++) w[q] = q == at ? 1 : 0;
      for (PetscInt q = 0; q < ng; q++) tot += w[q];
      for (PetscInt q = 0; q < ng; q++) {
        w[q] /= tot;
        acc[q] += area[k] * w[q];
      }
      acc[ng] += area[k];
    }
  PetscCall(VecRestoreArrayRead(g->cell_area, &area));
  PetscCall(VecRestoreArrayRead(g->mask, &mask));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, acc, (PetscMPIInt)(ng + 1), MPIU_REAL, MPI_SUM, g->comm));
  for (PetscInt q = 0; q < ng; q++) f->wbar[q] = acc[ng] > 0 ? acc[q] / acc[ng] : 1.0 / ng;
  PetscCall(PetscFree(acc));
  PetscCall(DMCreateGlobalVector(g->da, &f->field));
  f->field_k = -1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SetUp(SbForcing f)
{
  const SbScenario *sc   = f->sc;
  SbGrid           *grid = f->grid;
  MPI_Comm          comm = grid ? grid->comm : PETSC_COMM_WORLD;
  int               y, mo, d, hh, mi, ss;

  PetscFunctionBeginUser;
  PetscCheck(sscanf(sc->start, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &hh, &mi, &ss) == 6, PETSC_COMM_SELF, PETSC_ERR_ARG_CORRUPT, "time.start \"%s\" is not a date-time", sc->start);
  f->day0   = SbDaysFromCivil(y, mo, d);
  f->sod0_s = hh * 3600.0 + mi * 60.0 + ss;
  PetscCall(PetscLogEventRegister("SbRainField", DM_CLASSID, &f->ev_field));
  PetscCall(BuildSeries(f, comm));
  PetscCall(PetscMalloc1(f->ng, &f->wbar));
  for (PetscInt q = 0; q < f->ng; q++) f->wbar[q] = 1.0 / f->ng; /* without a grid (checks only): the gauges' plain mean */
  if (grid && sc->rain_type == SB_RAIN_GAUGES) PetscCall(GaugeWeights(f));
  if (sc->pet_present && sc->pet_method == SB_PET_HARGREAVES && sc->pet_csv[0]) {
    const SbCsvKind kind[3] = {SB_CSV_DATE, SB_CSV_TMIN, SB_CSV_TMAX};
    PetscReal      *table;
    PetscInt        rows, first = f->day0, last = DayOf(f, PetscMax(sc->duration_s - 1e-6, 0));

    PetscCall(ReadCsv(comm, sc->pet_csv, 3, kind, "date,tmin_c,tmax_c", &rows, &table));
    f->pet_nday = rows;
    f->pet_day0 = (PetscInt)table[0];
    PetscCall(PetscMalloc2(rows, &f->pet_tmin, rows, &f->pet_tmax));
    for (PetscInt i = 0; i < rows; i++) {
      f->pet_tmin[i] = table[3 * i + 1];
      f->pet_tmax[i] = table[3 * i + 2];
    }
    PetscCall(PetscFree(table));
    if (first < f->pet_day0 || last >= f->pet_day0 + rows) {
      PetscInt y0, m0, d0, y1, m1, d1, y2, m2, d2, y3, m3, d3;

      SbCivilFromDays(first, &y0, &m0, &d0, NULL);
      SbCivilFromDays(last, &y1, &m1, &d1, NULL);
      SbCivilFromDays(f->pet_day0, &y2, &m2, &d2, NULL);
      SbCivilFromDays(f->pet_day0 + rows - 1, &y3, &m3, &d3, NULL);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected every day of the run, %04d-%02d-%02d to %04d-%02d-%02d, got %04d-%02d-%02d to %04d-%02d-%02d", sc->pet_csv, (int)y0, (int)m0, (int)d0, (int)y1, (int)m1, (int)d1, (int)y2, (int)m2, (int)d2, (int)y3, (int)m3, (int)d3);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingCreate(SbGrid *grid, const SbScenario *sc, SbForcing *out)
{
  SbForcing      f;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *out = NULL;
  PetscCall(PetscNew(&f));
  f->sc   = sc;
  f->grid = grid;
  ierr    = SetUp(f);
  if (ierr) PetscCall(SbForcingDestroy(&f)); /* nothing half-built is left behind */
  PetscCall(ierr);
  *out = f;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingDestroy(SbForcing *f)
{
  PetscFunctionBeginUser;
  if (!*f) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree2((*f)->t_s, (*f)->v_mm_h));
  PetscCall(PetscFree((*f)->wbar));
  PetscCall(PetscFree((*f)->w));
  PetscCall(VecDestroy(&(*f)->field));
  PetscCall(PetscFree2((*f)->pet_tmin, (*f)->pet_tmax));
  PetscCall(PetscFree(*f));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------------
   Rain in the time loop
   ------------------------------------------------------------------------------------------------ */

/* The step holding t_s: the loop moves forward, so the cursor moves a step now and then. */
static PetscInt Step(SbForcing f, PetscReal t_s)
{
  PetscInt k = f->k;

  if (k >= f->n || (k > 0 && t_s < f->t_s[k])) k = 0;
  while (k + 1 < f->n && f->t_s[k + 1] <= t_s) k++;
  return k;
}

/* Basin mean (mm/h) of step k: the stations' values weighted by their area-weighted mean weights. */
static PetscReal StepMean(SbForcing f, PetscInt k)
{
  PetscReal mean = 0;

  for (PetscInt q = 0; q < f->ng; q++) mean += f->wbar[q] * f->v_mm_h[k * f->ng + q];
  return mean;
}

PetscErrorCode SbForcingRainAt(SbForcing f, PetscReal t_s, PetscReal *mean_m_s, PetscReal *next_change_s)
{
  PetscFunctionBeginUser;
  f->k = Step(f, t_s);
  /* mm/h to m/s: 1 mm/h = 1e-3 m / 3600 s */
  *mean_m_s      = StepMean(f, f->k) / 3.6e6;
  *next_change_s = f->k + 1 < f->n ? f->t_s[f->k + 1] : PETSC_MAX_REAL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingBasinDepth(SbForcing f, PetscReal t0_s, PetscReal t1_s, PetscReal *mm)
{
  PetscFunctionBeginUser;
  *mm = 0;
  for (PetscInt k = 0; k < f->n; k++) {
    const PetscReal lo = PetscMax(t0_s, f->t_s[k]), hi = PetscMin(t1_s, k + 1 < f->n ? f->t_s[k + 1] : PETSC_MAX_REAL);

    if (hi > lo) *mm += StepMean(f, k) * (hi - lo) / 3600.0;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingBasinDepths(SbForcing f, PetscInt n, const PetscReal *edges_s, PetscReal *mm)
{
  PetscInt k = 0;

  PetscFunctionBeginUser;
  /* One sweep over the steps (edges increase): the same terms in the same order as
     SbForcingBasinDepth on each interval, so the same sums to the bit. */
  for (PetscInt i = 0; i < n; i++) {
    mm[i] = 0;
    while (k + 1 < f->n && f->t_s[k + 1] <= edges_s[i]) k++;
    for (PetscInt j = k; j < f->n && f->t_s[j] < edges_s[i + 1]; j++) {
      const PetscReal lo = PetscMax(edges_s[i], f->t_s[j]), hi = PetscMin(edges_s[i + 1], j + 1 < f->n ? f->t_s[j + 1] : PETSC_MAX_REAL);

      if (hi > lo) mm[i] += StepMean(f, j) * (hi - lo) / 3600.0;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* field = Σ_q w_q v_q(step k) on the owned cells (m/s). */
static PetscErrorCode FillField(SbForcing f, PetscInt k, Vec field)
{
  SbGrid        *g  = f->grid;
  const PetscInt ng = f->ng, nc = g->xm * g->ym;
  const PetscReal *v = f->v_mm_h + k * ng;
  PetscScalar   *r;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(f->ev_field, 0, 0, 0, 0));
  PetscCall(VecGetArray(field, &r));
  for (PetscInt c = 0; c < nc; c++) {
    const PetscReal *w = f->w + c * ng;
    PetscReal        s = 0;

    for (PetscInt q = 0; q < ng; q++) s += w[q] * v[q];
    r[c] = s / 3.6e6;
  }
  PetscCall(VecRestoreArray(field, &r));
  PetscCall(PetscLogEventEnd(f->ev_field, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingRain(SbForcing f, PetscReal t_s, Vec rain_m_s)
{
  const PetscInt k = Step(f, t_s);

  PetscFunctionBeginUser;
  PetscCheck(f->grid, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "forcing set up without a grid");
  if (f->w) PetscCall(FillField(f, k, rain_m_s));
  else {
    PetscCall(VecCopy(f->grid->mask, rain_m_s));
    PetscCall(VecScale(rain_m_s, StepMean(f, k) / 3.6e6));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingRainField(SbForcing f, Vec *field)
{
  PetscFunctionBeginUser;
  *field = f->w ? f->field : NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbForcingRainApply(SbForcing f, SbState *s, PetscReal dt)
{
  SbCell            *x;
  const PetscScalar *area, *r;
  const SbCellRuns  *act = &s->grid->active;
  PetscReal          vol = 0;

  PetscFunctionBeginUser;
  PetscCheck(f->w || f->sc->rain_type != SB_RAIN_GAUGES, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "gauge rain set up without a grid");
  if (!f->w) {
    PetscCall(SbRainApply(s, f->v_mm_h[f->k] / 3.6e6, dt));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (f->field_k != f->k) {
    PetscCall(FillField(f, f->k, f->field));
    f->field_k = f->k;
  }
  PetscCall(PetscLogEventBegin(s->ev_rain, 0, 0, 0, 0));
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  PetscCall(VecGetArrayRead(f->field, &r));
  /* The active cells (cellruns.h). */
  for (PetscInt q = 0; q < act->nruns; q++)
    for (PetscInt k = act->k[2 * q]; k < act->k[2 * q + 1]; k++)
      if (r[k] > 0) {
        x[k].h += r[k] * dt;
        vol += r[k] * dt * area[k];
      }
  PetscCall(VecRestoreArrayRead(f->field, &r));
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  s->budget.rain_m3 += vol;
  PetscCall(PetscLogEventEnd(s->ev_rain, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbRainApply(SbState *s, PetscReal rain_m_s, PetscReal dt)
{
  SbCell            *x;
  const PetscScalar *area;
  const SbCellRuns  *act   = &s->grid->active;
  PetscReal          depth = rain_m_s * dt, vol = 0;

  PetscFunctionBeginUser;
  if (depth <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(s->ev_rain, 0, 0, 0, 0));
  PetscCall(VecGetArray(s->X, (PetscScalar **)&x));
  PetscCall(VecGetArrayRead(s->grid->cell_area, &area));
  /* The active cells (cellruns.h). */
  for (PetscInt q = 0; q < act->nruns; q++)
    for (PetscInt k = act->k[2 * q]; k < act->k[2 * q + 1]; k++) {
      x[k].h += depth;
      vol += depth * area[k];
    }
  PetscCall(VecRestoreArrayRead(s->grid->cell_area, &area));
  PetscCall(VecRestoreArray(s->X, (PetscScalar **)&x));
  s->budget.rain_m3 += vol;
  PetscCall(PetscLogEventEnd(s->ev_rain, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}
