/* The annual soil-loss assessment: inputs (land use, R), CSLE soil loss, SL 190-2007 classes,
   statistics per region and basin, sediment delivery, and its part of result.h5. */
#include "assessment.h"
#include "h5io.h"
#include "forcing.h"
#include <petscdmda.h>
#include <stdio.h>
#include <string.h>
#include <math.h>

const char *const SbErosionClassNames[SB_EROSION_CLASSES]   = {"slight", "light", "moderate", "intense", "very_intense", "severe"};
const char *const SbErosionClassNamesZh[SB_EROSION_CLASSES] = {"微度", "轻度", "中度", "强烈", "极强烈", "剧烈"};

struct _p_SbAssessment {
  SbGrid              *grid;
  const SbScenario    *sc;
  SbCsleParams         csle;
  SbConnectivityParams conn;
  PetscReal            tolerance;
  PetscReal            target[2]; /* conservation-rate targets for 2025 and 2035 (fraction) */
  char                 r_source[160]; /* how R was obtained */
  SbD8                 d8;
  Vec                  r_map, k_map; /* given R and K maps, or NULL */
  Vec                  slope_map;    /* the mesh's /slope_subgrid (slope_correction "mesh"), or NULL */
  Vec                  landuse, A, cls, W, tan_slope, lambda, LS, ic, sdr, exported, passing;
  SbAssessmentStats   *stats; /* [nregions + 1], 0 = basin */
  PetscReal           *gauge_t_a, reservoir_t_a;
  PetscLogEvent        ev_csle, ev_stats;
  SbMeasures           measures;  /* or NULL; not owned */
  Vec                  A0, passing0; /* untreated soil loss and passing sediment (with measures) */
  PetscReal            (*targets)[2]; /* [nregions + 1] targets for 2025, 2035; 0 = basin */
  /* The years of a run (R from the run's own rain over complete calendar years; docs/assessment.md,
     "Runs of several years"). nyears = 0: one assessment, as for a storm. */
  PetscInt             nyears, year0;  /* complete calendar years assessed, the first of them */
  PetscInt             ndays;          /* calendar days the run touches (the first and last may be partial) */
  char                 day0_date[16];  /* "YYYY-MM-DD" of daily_mm[0] */
  PetscReal           *daily_mm;       /* [ndays] basin-mean rain per calendar day */
  PetscInt            *year_day;       /* [nyears + 1] index in daily_mm of each year's 1 January */
  PetscReal           *year_r, *year_alpha, *year_beta; /* [nyears] Zhang et al. (2002) on each year alone */
  SbAssessmentStats   *year_stats;     /* [nyears][nregions + 1] */
  PetscReal           *year_gauge_t_a; /* [nyears][ngauges] */
  PetscReal           *year_reservoir_t_a; /* [nyears] */
  PetscLogEvent        ev_years;
};

PetscErrorCode SbAssessmentClass(PetscReal A, PetscReal tolerance, PetscInt *cls)
{
  /* SL 190-2007, Table 2 (t·km⁻²·a⁻¹): slight < tolerance ≤ light < 2,500 ≤ moderate < 5,000 ≤
     intense < 8,000 ≤ very intense < 15,000 ≤ severe. */
  static const PetscReal upper[SB_EROSION_CLASSES - 1] = {0, 2500, 5000, 8000, 15000};

  PetscFunctionBeginUser;
  *cls = SB_EROSION_CLASSES;
  if (A < tolerance) *cls = 1;
  else
    for (PetscInt c = 1; c < SB_EROSION_CLASSES - 1; c++)
      if (A < upper[c]) {
        *cls = c + 1;
        break;
      }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A field of the mesh (/landuse, /slope_subgrid) onto the DMDA, as grid.c reads the other fields
   (collective hyperslab); `needed_by` completes the error of a mesh without it. */
static PetscErrorCode ReadMeshField(SbGrid *g, const char *name, const char *needed_by, Vec *v)
{
  hid_t        fapl, file, dset, fspace, mspace, dxpl;
  hsize_t      start[2] = {(hsize_t)g->ys, (hsize_t)g->xs}, count[2] = {(hsize_t)g->ym, (hsize_t)g->xm};
  htri_t       exists;
  PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(g->da, v));
  PetscCall(PetscObjectSetName((PetscObject)*v, name));
  SbCallHDF5(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SbCallHDF5(H5Pset_fapl_mpio(fapl, g->comm, MPI_INFO_NULL));
  SbCallHDF5(file = H5Fopen(g->path, H5F_ACC_RDONLY, fapl));
  SbCallHDF5(H5Pclose(fapl));
  SbCallHDF5(exists = H5Lexists(file, name, H5P_DEFAULT));
  if (exists <= 0) SbCallHDF5(H5Fclose(file));
  PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /%s: missing dataset, needed by %s", g->path, name, needed_by);
  SbCallHDF5(dset = H5Dopen2(file, name, H5P_DEFAULT));
  SbCallHDF5(fspace = H5Dget_space(dset));
  if (g->xm > 0 && g->ym > 0) SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  else SbCallHDF5(H5Sselect_none(fspace));
  SbCallHDF5(mspace = H5Screate_simple(2, count, NULL));
  SbCallHDF5(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SbCallHDF5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  PetscCall(VecGetArray(*v, &a));
  SbCallHDF5(H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, a));
  PetscCall(VecRestoreArray(*v, &a));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  SbCallHDF5(H5Dclose(dset));
  SbCallHDF5(H5Fclose(file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 reads "YYYY-MM-DD,mm" lines (a first line that does not parse is a header) and every rank
   receives the values and the number of calendar years touched, or the same error message. */
static PetscErrorCode ReadDailyCsv(MPI_Comm comm, const char *scenario, const char *path, PetscInt *n, PetscReal **P, PetscReal *years)
{
  PetscMPIInt rank;
  char        msg[PETSC_MAX_PATH_LEN + 256] = "";
  PetscInt    count = 0, cap = 0, line = 0, y0 = 0, y1 = 0;
  PetscReal  *v = NULL;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    FILE *fp = fopen(path, "r");
    char  buf[256];

    if (!fp) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: assessment.rain.daily_csv: cannot read \"%s\"", scenario, path));
    while (fp && !msg[0] && fgets(buf, sizeof(buf), fp)) {
      int    y, mo, d;
      double mm;
      char   tail;

      line++;
      if (strspn(buf, " \t\r\n") == strlen(buf)) continue;
      if (sscanf(buf, "%4d-%2d-%2d , %lf %c", &y, &mo, &d, &mm, &tail) != 4 || mo < 1 || mo > 12 || d < 1 || d > 31) {
        if (line == 1) continue; /* a header */
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: line %" PetscInt_FMT ": expected \"YYYY-MM-DD,mm\", got \"%.40s\"", path, line, buf));
        break;
      }
      if (!(mm >= 0 && mm <= 2000)) {
        PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: line %" PetscInt_FMT ": expected a daily rain in [0, 2000] mm, got %g", path, line, mm));
        break;
      }
      if (count == cap) {
        PetscReal *w;

        cap = cap ? 2 * cap : 1024;
        PetscCall(PetscMalloc1(cap, &w));
        if (count) PetscCall(PetscArraycpy(w, v, count));
        PetscCall(PetscFree(v));
        v = w;
      }
      v[count++] = mm;
      if (count == 1 || y < y0) y0 = y;
      if (count == 1 || y > y1) y1 = y;
    }
    if (fp) fclose(fp);
    if (!msg[0] && count == 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: expected lines \"YYYY-MM-DD,mm\", got none", path));
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, comm));
  if (msg[0]) PetscCall(PetscFree(v));
  PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  PetscCallMPI(MPI_Bcast(&count, 1, MPIU_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(&y0, 1, MPIU_INT, 0, comm));
  PetscCallMPI(MPI_Bcast(&y1, 1, MPIU_INT, 0, comm));
  if (rank != 0) PetscCall(PetscMalloc1(count, &v));
  PetscCallMPI(MPI_Bcast(v, (int)count, MPIU_REAL, 0, comm));
  *n     = count;
  *P     = v;
  *years = (PetscReal)(y1 - y0 + 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The run's rain per calendar day of the scenario's clock (time.start is local time, as for PET)
   and the complete calendar years the run covers; each such year gets R by the daily model of
   Zhang, Xie & Liu (2002) on its own days alone, and the assessment's R is their mean. Partial years
   at the start or the end are not assessed (their days are written, their rain counts nowhere). */
static PetscErrorCode RunYears(SbAssessment a, SbForcing f)
{
  const SbScenario *sc = a->sc;
  const PetscReal   T  = sc->duration_s;
  int               y, mo, d, hh, mi, ss;
  PetscInt          day0, yfirst, ylast, cy;
  PetscReal         sod0, *edges, sum = 0;

  PetscFunctionBeginUser;
  PetscCheck(sscanf(sc->start, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &hh, &mi, &ss) == 6, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: time.start: expected a date-time \"YYYY-MM-DDThh:mm:ss\", got \"%s\"", sc->path, sc->start);
  day0 = SbDaysFromCivil(y, mo, d);
  sod0 = 3600.0 * hh + 60.0 * mi + ss;
  /* Complete years: 1 January 00:00 of Y at or after the start, of Y + 1 at or before the end. */
  yfirst = (sod0 == 0 && mo == 1 && d == 1) ? y : y + 1;
  SbCivilFromDays(day0 + (PetscInt)PetscFloorReal((sod0 + T) / 86400.0), &cy, NULL, NULL, NULL);
  ylast = cy - 1; /* the end lies in year cy, at or after its 1 January 00:00 */
  if (ylast < yfirst) PetscFunctionReturn(PETSC_SUCCESS);
  a->nyears = ylast - yfirst + 1;
  a->year0  = yfirst;
  a->ndays  = (PetscInt)PetscCeilReal((sod0 + T) / 86400.0);
  PetscCall(PetscSNPrintf(a->day0_date, sizeof(a->day0_date), "%04d-%02d-%02d", y, mo, d));
  PetscCall(PetscMalloc1(a->ndays, &a->daily_mm));
  PetscCall(PetscMalloc1(a->ndays + 1, &edges));
  /* day i runs from its midnight, i·86400 − sod0 s after the start, clipped to the run */
  for (PetscInt i = 0; i <= a->ndays; i++) edges[i] = PetscMin(PetscMax(i * 86400.0 - sod0, 0.0), T);
  PetscCall(SbForcingBasinDepths(f, a->ndays, edges, a->daily_mm));
  PetscCall(PetscFree(edges));
  PetscCall(PetscMalloc4(a->nyears + 1, &a->year_day, a->nyears, &a->year_r, a->nyears, &a->year_alpha, a->nyears, &a->year_beta));
  for (PetscInt k = 0; k <= a->nyears; k++) a->year_day[k] = SbDaysFromCivil(yfirst + k, 1, 1) - day0;
  for (PetscInt k = 0; k < a->nyears; k++) {
    PetscCall(SbCsleErosivityDaily(a->year_day[k + 1] - a->year_day[k], a->daily_mm + a->year_day[k], sc->as_erosive_mm, 1.0, &a->year_r[k], &a->year_alpha[k], &a->year_beta[k]));
    sum += a->year_r[k];
  }
  a->csle.r = sum / a->nyears;
  if (a->nyears == 1) PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "daily model of Zhang, Xie & Liu (2002) on the run's rain of the calendar year %" PetscInt_FMT, yfirst));
  else PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "mean of the yearly R of the calendar years %" PetscInt_FMT "-%" PetscInt_FMT " (daily model of Zhang, Xie & Liu (2002) on the run's rain of each year)", yfirst, ylast));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* R from the scenario: a daily series (inline or CSV), a given value, or the run's own rain. */
static PetscErrorCode ChooseErosivity(SbAssessment a)
{
  const SbScenario *sc    = a->sc;
  PetscReal         years = 1, *P = NULL, alpha = 0, beta = 0;
  PetscInt          n = 0;

  PetscFunctionBeginUser;
  /* At most one of the choices below is set: the scenario loader checks it (SB_KEY_ONE_OF). */
  if (sc->as_r_map[0]) {
    /* R reported for the basin: the area-weighted mean of the map over active cells */
    PetscReal ra, area;

    PetscCall(SbGridReadRaster(a->grid, sc->as_r_map, "assessment.rain.r_map", 0, 100000, &a->r_map));
    PetscCall(VecDot(a->r_map, a->grid->cell_area, &ra));
    PetscCall(VecSum(a->grid->cell_area, &area));
    a->csle.r     = ra / area;
    a->csle.r_map = a->r_map;
    PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "map %.120s (basin mean given here)", sc->as_r_map));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (sc->as_r > 0) {
    a->csle.r = sc->as_r;
    PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "given (assessment.rain.r_mj_mm_ha_h_a)"));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (sc->as_ndaily > 0) {
    n     = sc->as_ndaily;
    years = PetscMax(1.0, (PetscReal)round(n / 365.25));
    PetscCall(PetscMalloc1(n, &P));
    PetscCall(PetscArraycpy(P, sc->as_daily_mm, n));
    PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "daily model of Zhang, Xie & Liu (2002), %" PetscInt_FMT " days inline, %g years", n, (double)years));
  } else if (sc->as_daily_csv[0]) {
    PetscCall(ReadDailyCsv(a->grid->comm, sc->path, sc->as_daily_csv, &n, &P, &years));
    PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "daily model of Zhang, Xie & Liu (2002), %" PetscInt_FMT " days from %.60s, %g years", n, sc->as_daily_csv, (double)years));
  } else {
    /* The run's rain (its basin mean, whatever forcing.rain.type). The forcing is known in full
       at set-up, so the daily totals need no accumulation in the time loop nor a checkpoint. */
    const PetscReal T = sc->duration_s;
    SbForcing       f;

    PetscCall(SbForcingCreate(a->grid, sc, &f));
    PetscCall(RunYears(a, f));
    if (a->nyears == 0) {
      /* No complete calendar year (a storm, a season): summed per 24 h from the scenario start,
         taken as max(1, round(days/365.25)) years, so one year for any run under 548 days. */
      n     = (PetscInt)PetscCeilReal(T / 86400.0);
      years = PetscMax(1.0, (PetscReal)round(n / 365.25));
      PetscCall(PetscCalloc1(PetscMax(n, 1), &P));
      for (PetscInt d = 0; d < n; d++) PetscCall(SbForcingBasinDepth(f, d * 86400.0, PetscMin((d + 1) * 86400.0, T), &P[d]));
      if (years == 1) PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "daily model of Zhang, Xie & Liu (2002) on the run's rain, %" PetscInt_FMT " days taken as one year", n));
      else PetscCall(PetscSNPrintf(a->r_source, sizeof(a->r_source), "daily model of Zhang, Xie & Liu (2002) on the run's rain, %" PetscInt_FMT " days taken as %g years (no complete calendar year)", n, (double)years));
    }
    PetscCall(SbForcingDestroy(&f));
    if (a->nyears > 0) PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(SbCsleErosivityDaily(n, P, sc->as_erosive_mm, years, &a->csle.r, &alpha, &beta));
  PetscCall(PetscFree(P));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OverrideTable(const SbScenario *sc, const char *key, PetscInt n, const PetscReal *v, PetscReal *table)
{
  PetscFunctionBeginUser;
  if (n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(n == SB_LU_COUNT - 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: assessment.%s: expected %d values (land uses 1..%d), got %" PetscInt_FMT, sc->path, key, SB_LU_COUNT - 1, SB_LU_COUNT - 1, n);
  for (PetscInt u = 1; u < SB_LU_COUNT; u++) table[u] = v[u - 1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentCreate(SbGrid *g, const SbScenario *sc, SbAssessment *out)
{
  SbAssessment a;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&a));
  *out      = a; /* the caller's SbAssessmentDestroy frees what was made if a step below fails */
  a->grid   = g;
  a->sc     = sc;
  a->tolerance = sc->as_tolerance_t_km2_a;
  a->target[0] = sc->as_target_2025;
  a->target[1] = sc->as_target_2035;
  PetscCall(SbCsleDefaultTables(&a->csle.tables));
  PetscCall(OverrideTable(sc, "b_by_landuse", sc->as_nb, sc->as_b, a->csle.tables.b));
  PetscCall(OverrideTable(sc, "e_by_landuse", sc->as_ne, sc->as_e, a->csle.tables.e));
  PetscCall(OverrideTable(sc, "t_by_landuse", sc->as_nt, sc->as_t, a->csle.tables.t));
  /* B of the vegetated land from its cover (docs/assessment.md, "B from vegetation cover") */
  PetscCheck(!(sc->as_cover_present && sc->as_b_method == SB_B_METHOD_TABLE), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: assessment.vegetation_cover: only used with assessment.b_method \"cover\" (b_method is \"table\")", sc->path);
  if (sc->as_b_method == SB_B_METHOD_COVER) {
    PetscCall(SbCsleVegetationB(sc->as_cover_forest, &a->csle.tables.b[SB_LU_FOREST]));
    PetscCall(SbCsleVegetationB(sc->as_cover_shrub_grass, &a->csle.tables.b[SB_LU_SHRUB_GRASS]));
  }
  a->csle.slope_correction   = (SbSlopeCorrection)sc->as_slope_correction;
  a->csle.target_cell_m      = sc->as_target_cell_m;
  a->csle.fractal_dimension  = sc->as_fractal_dimension;
  a->csle.slope_length_max_m = sc->as_slope_length_max_m;
  a->conn.sdr_max            = sc->as_sdr_max;
  a->conn.ic0                = sc->as_ic0;
  a->conn.k                  = sc->as_k;
  PetscCall(ChooseErosivity(a));
  if (sc->as_k_map[0]) {
    PetscCall(SbGridReadRaster(g, sc->as_k_map, "assessment.k_map", 0, 0.2, &a->k_map));
    a->csle.k_map = a->k_map;
  }
  PetscCall(PetscLogEventRegister("SbAssessCSLE", DM_CLASSID, &a->ev_csle));
  PetscCall(PetscLogEventRegister("SbAssessStats", DM_CLASSID, &a->ev_stats));
  PetscCall(PetscLogEventRegister("SbAssessYears", DM_CLASSID, &a->ev_years));
  PetscCall(ReadMeshField(g, "landuse", "the assessment (B, E, T factors)", &a->landuse));
  if (a->csle.slope_correction == SB_SLOPE_CORRECTION_MESH) {
    PetscCall(ReadMeshField(g, "slope_subgrid", "assessment.slope_correction \"mesh\" (build the mesh from a DEM: mesh build writes it)", &a->slope_map));
    a->csle.slope_map = a->slope_map;
  }
  PetscCall(SbD8Create(g, &a->d8));
  PetscCall(VecDuplicate(a->landuse, &a->A));
  PetscCall(VecDuplicate(a->landuse, &a->cls));
  PetscCall(VecDuplicate(a->landuse, &a->W));
  PetscCall(VecDuplicate(a->landuse, &a->tan_slope));
  PetscCall(VecDuplicate(a->landuse, &a->lambda));
  PetscCall(VecDuplicate(a->landuse, &a->LS));
  PetscCall(VecDuplicate(a->landuse, &a->ic));
  PetscCall(VecDuplicate(a->landuse, &a->sdr));
  PetscCall(VecDuplicate(a->landuse, &a->exported));
  PetscCall(VecDuplicate(a->landuse, &a->passing));
  PetscCall(PetscCalloc1(g->nregions + 1, &a->stats));
  PetscCall(PetscCalloc1(g->ngauges + 1, &a->gauge_t_a));
  PetscCall(PetscMalloc1(g->nregions + 1, &a->targets));
  for (PetscInt id = 0; id <= g->nregions; id++) a->targets[id][0] = a->target[0], a->targets[id][1] = a->target[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Area per class, soil loss and conservation rate per region (1..nregions) and basin (0) of the
   soil loss scale·A: sums of owned cells, then one reduction; the class map into cls unless NULL.
   Water is land without soil loss (class slight). */
static PetscErrorCode Statistics(SbAssessment a, PetscReal scale, Vec cls, SbAssessmentStats *stats)
{
  SbGrid            *g = a->grid;
  const PetscInt     n = g->xm * g->ym, nr = g->nregions + 1, stride = SB_EROSION_CLASSES + 2;
  const PetscScalar *mk, *ar, *rg, *A;
  PetscScalar       *cl;
  PetscReal         *sum;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(nr * stride, &sum)); /* per region: area per class, then area, soil loss */
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  PetscCall(VecGetArrayRead(g->region, &rg));
  PetscCall(VecGetArrayRead(a->A, &A));
  if (cls) PetscCall(VecGetArray(cls, &cl));
  for (PetscInt k = 0; k < n; k++) {
    PetscInt        c, r = (PetscInt)rg[k];
    const PetscReal km2 = ar[k] * 1e-6, Ak = scale * A[k];

    if (cls) cl[k] = 0;
    if (mk[k] == 0) continue;
    PetscCall(SbAssessmentClass(Ak, a->tolerance, &c));
    if (cls) cl[k] = (PetscReal)c;
    if (r < 1 || r > g->nregions) r = 0; /* a cell of no named region counts for the basin only */
    for (PetscInt q = 0; q <= (r ? 1 : 0); q++) {
      const PetscInt id = q ? r : 0;

      sum[id * stride + c - 1] += km2;
      sum[id * stride + SB_EROSION_CLASSES] += km2;
      sum[id * stride + SB_EROSION_CLASSES + 1] += Ak * km2;
    }
  }
  if (cls) PetscCall(VecRestoreArray(cls, &cl));
  PetscCall(VecRestoreArrayRead(a->A, &A));
  PetscCall(VecRestoreArrayRead(g->region, &rg));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, sum, (int)(nr * stride), MPIU_REAL, MPI_SUM, g->comm));
  for (PetscInt id = 0; id < nr; id++) {
    SbAssessmentStats *s = &stats[id];

    for (PetscInt c = 0; c < SB_EROSION_CLASSES; c++) s->area_class_km2[c] = sum[id * stride + c];
    s->area_km2          = sum[id * stride + SB_EROSION_CLASSES];
    s->soil_loss_t_a     = sum[id * stride + SB_EROSION_CLASSES + 1];
    s->mean_t_km2_a      = s->area_km2 > 0 ? s->soil_loss_t_a / s->area_km2 : 0.0;
    /* 水土保持率: land without soil loss above the tolerance over all land (water included) */
    s->conservation_rate = s->area_km2 > 0 ? s->area_class_km2[0] / s->area_km2 : 0.0;
  }
  PetscCall(PetscFree(sum));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Each year of a run: R alone differs between years (land use and measures are those of the whole
   run), so K·L·S·B·E·T, IC and SDR are the ones just computed for the mean R; soil loss, export and
   the sediment passing the gauges are linear in R, so a year's are the mean's times R_year / R.
   Costs one pass over the cells and one reduction per year (the classes). */
static PetscErrorCode Years(SbAssessment a)
{
  SbGrid        *g  = a->grid;
  const PetscInt nr = g->nregions + 1, ng = g->ngauges;

  PetscFunctionBeginUser;
  if (a->nyears == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscLogEventBegin(a->ev_years, 0, 0, 0, 0));
  if (!a->year_stats) PetscCall(PetscMalloc3(a->nyears * nr, &a->year_stats, a->nyears * PetscMax(ng, 1), &a->year_gauge_t_a, a->nyears, &a->year_reservoir_t_a));
  for (PetscInt y = 0; y < a->nyears; y++) {
    /* a->csle.r is the mean of the years' R, 0 only when every year's is */
    const PetscReal scale = a->csle.r > 0 ? a->year_r[y] / a->csle.r : 0.0;

    PetscCall(Statistics(a, scale, NULL, a->year_stats + y * nr));
    for (PetscInt k = 0; k < ng; k++) a->year_gauge_t_a[y * ng + k] = scale * a->gauge_t_a[k];
    a->year_reservoir_t_a[y] = scale * a->reservoir_t_a;
  }
  PetscCall(PetscLogEventEnd(a->ev_years, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentRun(SbAssessment a)
{
  SbGrid *g = a->grid;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(a->ev_csle, 0, 0, 0, 0));
  PetscCall(SbCsleCompute(g, a->d8, &a->csle, a->landuse, g->soil, a->A, a->W, a->tan_slope, a->lambda, a->LS));
  PetscCall(PetscLogEventEnd(a->ev_csle, 0, 0, 0, 0));
  PetscCall(PetscLogEventBegin(a->ev_stats, 0, 0, 0, 0));
  PetscCall(Statistics(a, 1.0, a->cls, a->stats));
  PetscCall(PetscLogEventEnd(a->ev_stats, 0, 0, 0, 0));
  /* Cells that trap sediment: check dams of the treatment measures (SbAssessmentApplyMeasures); the
     reservoir's trap efficiency enters here too when it comes. */
  {
    Vec trap = NULL;

    PetscCall(SbMeasuresGetFields(a->measures, NULL, &trap, NULL, NULL, NULL));
    PetscCall(SbConnectivityCompute(g, a->d8, &a->conn, a->W, a->tan_slope, a->A, a->landuse, trap, a->ic, a->sdr, a->exported, a->passing));
  }
  if (a->A0) PetscCall(SbMeasuresReport(a->measures, a->A0, a->A, a->passing));
  for (PetscInt k = 0; k < g->ngauges; k++) PetscCall(SbConnectivityValueAt(g, a->passing, g->gauges[k].row, g->gauges[k].col, &a->gauge_t_a[k]));
  PetscCall(SbConnectivityIntoWater(g, a->d8, a->landuse, a->exported, &a->reservoir_t_a));
  PetscCall(Years(a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenOrCreate(hid_t loc, const char *name, hid_t *grp)
{
  htri_t exists;

  PetscFunctionBeginUser;
  SbCallHDF5(exists = H5Lexists(loc, name, H5P_DEFAULT));
  if (exists > 0) SbCallHDF5(*grp = H5Gopen2(loc, name, H5P_DEFAULT));
  else SbCallHDF5(*grp = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteStats(hid_t grp, const SbAssessmentStats *s, PetscReal tolerance, const PetscReal target[2])
{
  char name[64], zh[256] = "";

  PetscFunctionBeginUser;
  PetscCall(SbH5WriteAttrDouble(grp, "conservation_rate", s->conservation_rate));
  PetscCall(SbH5WriteAttrDouble(grp, "soil_loss", s->soil_loss_t_a));
  PetscCall(SbH5WriteAttrDouble(grp, "mean_soil_loss_t_km2_a", s->mean_t_km2_a));
  PetscCall(SbH5WriteAttrDouble(grp, "area_km2", s->area_km2));
  PetscCall(SbH5WriteAttrDouble(grp, "target_2025", target[0]));
  PetscCall(SbH5WriteAttrDouble(grp, "target_2035", target[1]));
  for (PetscInt c = 0; c < SB_EROSION_CLASSES; c++) {
    PetscCall(PetscSNPrintf(name, sizeof(name), "area_class_%s", SbErosionClassNames[c]));
    PetscCall(SbH5WriteAttrDouble(grp, name, s->area_class_km2[c]));
    PetscCall(PetscStrlcat(zh, c ? ", " : "", sizeof(zh)));
    PetscCall(PetscStrlcat(zh, SbErosionClassNames[c], sizeof(zh)));
    PetscCall(PetscStrlcat(zh, " = ", sizeof(zh)));
    PetscCall(PetscStrlcat(zh, SbErosionClassNamesZh[c], sizeof(zh)));
  }
  PetscCall(SbH5WriteAttrString(grp, "class_names_zh", zh));
  PetscCall(PetscSNPrintf(zh, sizeof(zh), "SL 190-2007, t km-2 a-1: slight < %g <= light < 2500 <= moderate < 5000 <= intense < 8000 <= very_intense < 15000 <= severe", (double)tolerance));
  PetscCall(SbH5WriteAttrString(grp, "class_bounds", zh));
  PetscCall(SbH5WriteAttrString(grp, "units", "conservation_rate, target_2025, target_2035: 1; soil_loss: t a-1; mean_soil_loss_t_km2_a: t km-2 a-1; area_km2 and area_class_*: km2"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* /assessment: the run's daily rain, and per complete calendar year /assessment/years/<YYYY> with
   the erosivity and the statistics of /summary (basin, regions/<name>, gauges/<name>). */
/* With years: the years assessed and the mean of their conservation rates beside /summary's own. */
static PetscErrorCode WriteYearsSummary(SbAssessment a, hid_t grp, PetscInt id)
{
  const PetscInt nr = a->grid->nregions + 1;
  PetscReal      mean = 0;

  PetscFunctionBeginUser;
  if (a->nyears == 0) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt y = 0; y < a->nyears; y++) mean += a->year_stats[y * nr + id].conservation_rate;
  PetscCall(SbH5WriteAttrDouble(grp, "conservation_rate_mean_of_years", mean / a->nyears));
  PetscCall(SbH5WriteAttrInt(grp, "years_assessed", (long long)a->nyears));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The B of the vegetated land and the slope used, beside the summary of the basin. */
static PetscErrorCode WriteFactors(SbAssessment a, hid_t grp)
{
  const SbScenario *sc = a->sc;
  static const char *const slope[] = {"mesh slope as it is", "mesh slope with the fractal correction of assessment.fractal_dimension and slope_target_cell_m", "the mesh's /slope_subgrid"};

  PetscFunctionBeginUser;
  PetscCall(SbH5WriteAttrDouble(grp, "b_forest", a->csle.tables.b[SB_LU_FOREST]));
  PetscCall(SbH5WriteAttrDouble(grp, "b_shrub_grass", a->csle.tables.b[SB_LU_SHRUB_GRASS]));
  if (sc->as_b_method == SB_B_METHOD_COVER) {
    PetscCall(SbH5WriteAttrString(grp, "b_method", "cover (Cai et al. 2000)"));
    PetscCall(SbH5WriteAttrDouble(grp, "vegetation_cover_forest", sc->as_cover_forest));
    PetscCall(SbH5WriteAttrDouble(grp, "vegetation_cover_shrub_grass", sc->as_cover_shrub_grass));
  } else PetscCall(SbH5WriteAttrString(grp, "b_method", "table"));
  PetscCall(SbH5WriteAttrString(grp, "slope", slope[a->csle.slope_correction]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* basin, regions/<name> and gauges/<name> under parent: the statistics of one assessment (the
   run's in /summary, or a year's), its sediment into the reservoir and to each gauge; /summary also
   gets the years' summary and the erosivity it used. */
static PetscErrorCode WriteGroups(SbAssessment a, hid_t parent, const SbAssessmentStats *st, PetscReal reservoir_t_a, const PetscReal *gauge_t_a, PetscBool summary)
{
  SbGrid *g = a->grid;
  hid_t   grp, sub;

  PetscFunctionBeginUser;
  PetscCall(OpenOrCreate(parent, "basin", &grp));
  PetscCall(WriteStats(grp, &st[0], a->tolerance, a->targets[0]));
  PetscCall(SbH5WriteAttrDouble(grp, "sediment_to_reservoir_t_a", reservoir_t_a));
  if (summary) {
    PetscCall(WriteYearsSummary(a, grp, 0));
    PetscCall(SbH5WriteAttrDouble(grp, "rainfall_erosivity_mj_mm_ha_h_a", a->csle.r));
    PetscCall(SbH5WriteAttrString(grp, "rainfall_erosivity_source", a->r_source));
    PetscCall(SbH5WriteAttrDouble(grp, "tolerance_t_km2_a", a->tolerance));
    PetscCall(WriteFactors(a, grp));
  }
  SbCallHDF5(H5Gclose(grp));
  PetscCall(OpenOrCreate(parent, "regions", &grp));
  for (PetscInt r = 1; r <= g->nregions; r++) {
    PetscCall(OpenOrCreate(grp, g->region_names[r - 1], &sub));
    PetscCall(SbH5WriteAttrInt(sub, "id", (long long)r));
    PetscCall(WriteStats(sub, &st[r], a->tolerance, a->targets[r]));
    if (summary) PetscCall(WriteYearsSummary(a, sub, r));
    SbCallHDF5(H5Gclose(sub));
  }
  SbCallHDF5(H5Gclose(grp));
  PetscCall(OpenOrCreate(parent, "gauges", &grp));
  for (PetscInt k = 0; k < g->ngauges; k++) {
    PetscCall(OpenOrCreate(grp, g->gauges[k].name, &sub));
    PetscCall(SbH5WriteAttrDouble(sub, "sediment_export_t_a", gauge_t_a[k]));
    SbCallHDF5(H5Gclose(sub));
  }
  SbCallHDF5(H5Gclose(grp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteYears(SbAssessment a, hid_t file)
{
  SbGrid        *g  = a->grid;
  const PetscInt nr = g->nregions + 1, ng = g->ngauges;
  hid_t          top, years, grp, dset;
  char           name[32];

  PetscFunctionBeginUser;
  PetscCall(OpenOrCreate(file, "assessment", &top));
  PetscCall(SbH5WriteAttrInt(top, "first_year", (long long)a->year0));
  PetscCall(SbH5WriteAttrInt(top, "last_year", (long long)(a->year0 + a->nyears - 1)));
  PetscCall(SbH5WriteAttrInt(top, "years", (long long)a->nyears));
  PetscCall(SbH5WriteAttrDouble(top, "erosive_threshold_mm", a->sc->as_erosive_mm));
  PetscCall(SbH5WriteAttrString(top, "summary_is", "/summary is the assessment with the mean of the yearly R: its soil loss, sediment export and sediment into the reservoir are the means of the years'; its class areas and conservation rate are those of that mean annual soil loss (conservation_rate_mean_of_years is the mean of the years' rates)"));
  PetscCall(SbH5WriteAttrString(top, "years_are", "complete calendar years of the scenario's clock inside the run; days before the first and after the last are written in daily_rain_mm but not assessed"));
  PetscCall(SbH5WriteVector(top, "daily_rain_mm", a->daily_mm, (hsize_t)a->ndays, "mm", "basin-mean rain of each calendar day the run touches (the first and last only within the run)"));
  SbCallHDF5(dset = H5Dopen2(top, "daily_rain_mm", H5P_DEFAULT));
  PetscCall(SbH5WriteAttrString(dset, "first_day", a->day0_date));
  PetscCall(SbH5WriteAttrInt(dset, "first_year_index", (long long)a->year_day[0]));
  SbCallHDF5(H5Dclose(dset));
  PetscCall(OpenOrCreate(top, "years", &years));
  for (PetscInt y = 0; y < a->nyears; y++) {
    const SbAssessmentStats *st = a->year_stats + y * nr;
    PetscReal                rain = 0;
    PetscInt                 nerosive = 0;

    for (PetscInt d = a->year_day[y]; d < a->year_day[y + 1]; d++) {
      rain += a->daily_mm[d];
      if (a->daily_mm[d] >= a->sc->as_erosive_mm) nerosive++;
    }
    PetscCall(PetscSNPrintf(name, sizeof(name), "%" PetscInt_FMT, a->year0 + y));
    PetscCall(OpenOrCreate(years, name, &grp));
    PetscCall(SbH5WriteAttrDouble(grp, "rainfall_erosivity_mj_mm_ha_h_a", a->year_r[y]));
    PetscCall(SbH5WriteAttrDouble(grp, "alpha", a->year_alpha[y]));
    PetscCall(SbH5WriteAttrDouble(grp, "beta", a->year_beta[y]));
    PetscCall(SbH5WriteAttrInt(grp, "erosive_days", (long long)nerosive));
    PetscCall(SbH5WriteAttrInt(grp, "days", (long long)(a->year_day[y + 1] - a->year_day[y])));
    PetscCall(SbH5WriteAttrDouble(grp, "rain_mm", rain));
    PetscCall(WriteGroups(a, grp, st, a->year_reservoir_t_a[y], a->year_gauge_t_a + y * ng, PETSC_FALSE));
    SbCallHDF5(H5Gclose(grp));
  }
  SbCallHDF5(H5Gclose(years));
  SbCallHDF5(H5Gclose(top));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentWrite(SbAssessment a, SbOutput out)
{
  hid_t   file, sum;

  PetscFunctionBeginUser;
  PetscCall(SbOutputWriteMap(out, "maps", "soil_loss", a->A, "t km-2 a-1", "annual soil loss, CSLE (Liu et al. 2002)"));
  PetscCall(SbOutputWriteMap(out, "maps", "erosion_class", a->cls, "1", "SL 190-2007 erosion intensity class: 1 slight, 2 light, 3 moderate, 4 intense, 5 very intense, 6 severe (0 outside)"));
  PetscCall(SbOutputWriteMap(out, "maps", "sdr", a->sdr, "1", "sediment delivery ratio (Vigiak et al. 2012)"));
  PetscCall(SbOutputWriteMap(out, "maps", "ic", a->ic, "1", "index of connectivity (Borselli et al. 2008)"));
  PetscCall(SbOutputWriteMap(out, "maps", "sediment_export", a->exported, "t a-1", "sediment a cell delivers to the channel network"));
  PetscCall(SbOutputWriteMap(out, "maps", "slope_length", a->lambda, "m", "CSLE slope length"));
  PetscCall(SbOutputWriteMap(out, "maps", "ls_factor", a->LS, "1", "CSLE L times S"));
  PetscCall(SbOutputWriteMap(out, "maps", "slope_gradient", a->tan_slope, "1", "CSLE slope gradient (tangent), after the sub-grid correction"));
  PetscCall(SbOutputWriteMap(out, "maps", "w_factor", a->W, "1", "CSLE B times E times T (after treatment measures)"));
  PetscCall(SbOutputGetFile(out, &file));
  PetscCall(OpenOrCreate(file, "summary", &sum));
  PetscCall(WriteGroups(a, sum, a->stats, a->reservoir_t_a, a->gauge_t_a, PETSC_TRUE));
  SbCallHDF5(H5Gclose(sum));
  if (a->nyears > 0) PetscCall(WriteYears(a, file));
  if (a->measures) PetscCall(SbMeasuresWrite(a->measures, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentApplyMeasures(SbAssessment a, SbMeasures m)
{
  SbGrid  *g = a->grid;
  PetscInt n;

  PetscFunctionBeginUser;
  a->measures = m;
  for (PetscInt id = 0; id <= g->nregions; id++) PetscCall(SbMeasuresGetTargets(m, id, a->target, a->targets[id]));
  PetscCall(SbMeasuresGetCount(m, &n));
  if (n == 0) PetscFunctionReturn(PETSC_SUCCESS);
  /* the untreated state: soil loss and the sediment passing each cell */
  PetscCall(SbCsleCompute(g, a->d8, &a->csle, a->landuse, g->soil, a->A, a->W, a->tan_slope, a->lambda, a->LS));
  PetscCall(SbConnectivityCompute(g, a->d8, &a->conn, a->W, a->tan_slope, a->A, a->landuse, NULL, a->ic, a->sdr, a->exported, a->passing));
  PetscCall(VecDuplicate(a->A, &a->A0));
  PetscCall(VecCopy(a->A, a->A0));
  PetscCall(VecDuplicate(a->passing, &a->passing0));
  PetscCall(VecCopy(a->passing, a->passing0));
  PetscCall(SbMeasuresSelect(m, a->d8, &a->csle.tables, a->landuse, a->tan_slope, a->A0, a->passing0));
  PetscCall(SbMeasuresGetFields(m, &a->csle.w_map, NULL, NULL, NULL, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentGetCsle(SbAssessment a, Vec *tan_slope, const SbCsleTables **tables, PetscReal *tolerance)
{
  PetscFunctionBeginUser;
  if (tan_slope) *tan_slope = a->tan_slope;
  if (tables) *tables = &a->csle.tables;
  if (tolerance) *tolerance = a->tolerance;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentGetStats(SbAssessment a, PetscInt id, SbAssessmentStats *s)
{
  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id <= a->grid->nregions, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "region id %" PetscInt_FMT " not in 0..%" PetscInt_FMT, id, a->grid->nregions);
  *s = a->stats[id];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentGetErosivity(SbAssessment a, PetscReal *R)
{
  PetscFunctionBeginUser;
  *R = a->csle.r;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentGetSediment(SbAssessment a, const PetscReal **gauge_t_a, PetscReal *reservoir_t_a)
{
  PetscFunctionBeginUser;
  if (gauge_t_a) *gauge_t_a = a->gauge_t_a;
  if (reservoir_t_a) *reservoir_t_a = a->reservoir_t_a;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentGetMaps(SbAssessment a, Vec *A, Vec *cls, Vec *ic, Vec *sdr, Vec *exported, Vec *passing, Vec *W, Vec *landuse)
{
  PetscFunctionBeginUser;
  if (A) *A = a->A;
  if (cls) *cls = a->cls;
  if (ic) *ic = a->ic;
  if (sdr) *sdr = a->sdr;
  if (exported) *exported = a->exported;
  if (passing) *passing = a->passing;
  if (W) *W = a->W;
  if (landuse) *landuse = a->landuse;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbAssessmentDestroy(SbAssessment *out)
{
  SbAssessment a = *out;

  PetscFunctionBeginUser;
  if (!a) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbD8Destroy(&a->d8));
  PetscCall(VecDestroy(&a->landuse));
  PetscCall(VecDestroy(&a->r_map));
  PetscCall(VecDestroy(&a->k_map));
  PetscCall(VecDestroy(&a->slope_map));
  PetscCall(VecDestroy(&a->A));
  PetscCall(VecDestroy(&a->cls));
  PetscCall(VecDestroy(&a->W));
  PetscCall(VecDestroy(&a->tan_slope));
  PetscCall(VecDestroy(&a->lambda));
  PetscCall(VecDestroy(&a->LS));
  PetscCall(VecDestroy(&a->ic));
  PetscCall(VecDestroy(&a->sdr));
  PetscCall(VecDestroy(&a->exported));
  PetscCall(VecDestroy(&a->passing));
  PetscCall(PetscFree(a->stats));
  PetscCall(PetscFree(a->gauge_t_a));
  PetscCall(PetscFree(a->targets));
  PetscCall(VecDestroy(&a->A0));
  PetscCall(VecDestroy(&a->passing0));
  PetscCall(PetscFree(a->daily_mm));
  PetscCall(PetscFree4(a->year_day, a->year_r, a->year_alpha, a->year_beta));
  PetscCall(PetscFree3(a->year_stats, a->year_gauge_t_a, a->year_reservoir_t_a));
  PetscCall(PetscFree(*out));
  PetscFunctionReturn(PETSC_SUCCESS);
}
