/* Writing result.h5 with parallel HDF5. */
#include "output.h"
#include "h5io.h"
#include "maps.h"
#include "checkpoint.h"
#include <petscdmda.h>
#include <unistd.h>
#include <errno.h>
#include <sys/resource.h>
#include <sys/file.h>
#include <fcntl.h>
#include <time.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdlib.h>

#define SB_SEGMENT_FORMAT "shuibao map segment 1"

struct _p_SbOutput {
  SbGrid   *grid;
  char      path[PETSC_MAX_PATH_LEN];
  char      partial[PETSC_MAX_PATH_LEN + 16];
  char      xmf[PETSC_MAX_PATH_LEN + 16], xmf_partial[PETSC_MAX_PATH_LEN + 32];
  hid_t     file;
  PetscInt  nrec, cap;
  PetscReal *time, *rain, *storage, *q; /* q: [nrec][ngauges] */
  SbMaps    maps;
  PetscInt  map_depth, map_discharge, map_infiltrated, map_soil, map_canopy;
  Vec       work; /* a scalar field on grid->da */
  PetscInt         nhooks;
  SbOutputFinishFn hook[4];
  void            *hook_ctx[4];
  PetscInt         nslicemaps; /* modules' time-sliced maps (SbOutputAddSliceMap) */
  SbOutputMapFn    slice_fn[8];
  void            *slice_ctx[8];
  PetscInt         slice_id[8];
  PetscLogEvent ev_slice;
  int           lock_fd; /* rank 0: the partial file, locked (flock) while this run writes it; -1 otherwise */
  /* Map segments beside the checkpoint (CheckpointWrite): their folder, the series' identity and
     the slice count at the end of each segment. */
  char      seg_dir[PETSC_MAX_PATH_LEN];
  char      seg_id[64];
  PetscInt  seg_count, seg_cap, *seg_end;
};

/* Collective. A write that failed on any rank (a full disk, a file-size limit, a lost file
   system) fails on every rank with one message naming the file and the system's reason, so the
   run stops cleanly and SbOutputAbort removes the partial file; HDF5's own error stack is not
   printed. */
static PetscErrorCode CheckWrite(SbOutput o, PetscErrorCode ierr, int err_no, const char *what)
{
  int mine[2] = {ierr ? 1 : 0, ierr ? err_no : 0}, all[2];

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(mine, all, 2, MPI_INT, MPI_MAX, o->grid->comm));
  PetscCheck(!all[0], PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write the %s: %s; no result written", o->path, what, all[1] ? strerror(all[1]) : "the write failed (disk full?)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteStatic(SbOutput o, const char *start);

PetscErrorCode SbOutputCreate(SbGrid *grid, const char *path, const char *start, SbOutput *out)
{
  SbOutput       o;
  hid_t          fapl;
  PetscMPIInt    rank;
  char           msg[2 * PETSC_MAX_PATH_LEN] = "";
  PetscErrorCode ierr;
  int            err_no;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(grid->comm, &rank));
  PetscCall(PetscNew(&o));
  o->grid = grid;
  o->file = -1;
  PetscCall(PetscStrncpy(o->path, path, sizeof(o->path)));
  PetscCall(PetscSNPrintf(o->partial, sizeof(o->partial), "%s.partial", path));
  /* The XDMF sidecar: result.h5 -> result.xmf (any other name: name.xmf). */
  {
    size_t n = strlen(path);

    if (n > 3 && !strcmp(path + n - 3, ".h5")) {
      PetscCall(PetscStrncpy(o->xmf, path, n - 1)); /* copies n - 2 characters: "result." */
      PetscCall(PetscStrlcat(o->xmf, "xmf", sizeof(o->xmf)));
    } else PetscCall(PetscSNPrintf(o->xmf, sizeof(o->xmf), "%s.xmf", path));
    PetscCall(PetscSNPrintf(o->xmf_partial, sizeof(o->xmf_partial), "%s.partial", o->xmf));
  }
  o->lock_fd = -1;
  if (rank == 0) {
    /* Rank 0 probes the path so that all ranks report the same clear error, and locks the partial
       file for the whole run: a second run writing the same result at the same time stops here
       instead of overwriting this one's file, and its clean-up cannot remove it. The lock is
       advisory (flock) and goes with the file's inode (through the rename into place) and with
       the process (a killed run leaves no lock); where the file system has no locks, runs go on
       without. H5Fcreate truncates the same inode. */
    o->lock_fd = open(o->partial, O_RDWR | O_CREAT, 0666);
    if (o->lock_fd < 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot write the result: %s", path, strerror(errno)));
    else if (flock(o->lock_fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK) {
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: another run is writing this result now (%s is locked by it); give this run another output file", path, o->partial));
      (void)close(o->lock_fd);
      o->lock_fd = -1;
    }
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, grid->comm));
  if (msg[0]) {
    PetscCall(PetscFree(o));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s", msg);
  }
  *out = o; /* from here on the caller's SbOutputAbort removes the partial file */
  SbCallHDF5(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SbCallHDF5(H5Pset_fapl_mpio(fapl, grid->comm, MPI_INFO_NULL));
  SbCallHDF5(o->file = H5Fcreate(o->partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl));
  SbCallHDF5(H5Pclose(fapl));
  PetscCall(DMCreateGlobalVector(grid->da, &o->work));
  PetscCall(PetscLogEventRegister("SbOutputSlice", DM_CLASSID, &o->ev_slice));
  errno = 0;
  H5E_BEGIN_TRY
  {
    ierr = WriteStatic(o, start);
  }
  H5E_END_TRY;
  err_no = errno;
  PetscCall(CheckWrite(o, ierr, err_no, "coordinates and static maps"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The coordinates, the static maps and the map series of a new result file. */
static PetscErrorCode WriteStatic(SbOutput o, const char *start)
{
  SbGrid *grid = o->grid;

  PetscFunctionBeginUser;
  PetscCall(SbMapsCreate(grid, o->file, start, &o->maps));
  PetscCall(SbMapsWrite2D(o->maps, "static", "elevation", grid->elevation, "m", "ground elevation, depression-filled", "surface_altitude"));
  PetscCall(SbMapsWrite2D(o->maps, "static", "mask", grid->mask, "1", "active cell (1 = in the basin)", NULL));
  PetscCall(SbMapsWrite2D(o->maps, "static", "cell_area", grid->cell_area, "m2", "cell area", "cell_area"));
  PetscCall(SbMapsWrite2D(o->maps, "static", "region", grid->region, "1", "region id (0 = outside)", NULL));
  PetscCall(SbMapsWrite2D(o->maps, "static", "channel", grid->channel, "1", "channel cell (1 = channel)", NULL));
  PetscCall(SbMapsAdd(o->maps, "depth", "m", "surface water depth", NULL, &o->map_depth));
  PetscCall(SbMapsAdd(o->maps, "infiltration_cumulative", "m", "water infiltrated into the soil since the start", NULL, &o->map_infiltrated));
  PetscCall(SbMapsAdd(o->maps, "soil_water", "m", "water in the root zone", NULL, &o->map_soil));
  PetscCall(SbMapsAdd(o->maps, "canopy_storage", "m", "water held by the canopy (interception store)", NULL, &o->map_canopy));
  PetscCall(SbMapsAdd(o->maps, "unit_discharge", "m2 s-1", "magnitude of the surface discharge per unit width, cell-centred mean of its faces", NULL, &o->map_discharge));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputRecord(SbOutput o, PetscReal t_s, const PetscReal *q, PetscReal rain_mm_h, PetscReal storage_m3)
{
  const PetscInt ng = o->grid->ngauges;

  PetscFunctionBeginUser;
  if (o->nrec == o->cap) {
    PetscInt   cap = o->cap ? 2 * o->cap : 64;
    PetscReal *t, *r, *s, *qq;

    PetscCall(PetscMalloc4(cap, &t, cap, &r, cap, &s, cap * (ng + 1), &qq));
    if (o->nrec) {
      PetscCall(PetscArraycpy(t, o->time, o->nrec));
      PetscCall(PetscArraycpy(r, o->rain, o->nrec));
      PetscCall(PetscArraycpy(s, o->storage, o->nrec));
      PetscCall(PetscArraycpy(qq, o->q, o->nrec * ng));
    }
    PetscCall(PetscFree4(o->time, o->rain, o->storage, o->q));
    o->time    = t;
    o->rain    = r;
    o->storage = s;
    o->q       = qq;
    o->cap     = cap;
  }
  o->time[o->nrec]    = t_s;
  o->rain[o->nrec]    = rain_mm_h;
  o->storage[o->nrec] = storage_m3;
  for (PetscInt k = 0; k < ng; k++) o->q[o->nrec * ng + k] = q[k];
  o->nrec++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteSlice(SbOutput o, SbState *s, PetscReal t_s)
{
  SbGrid        *g = o->grid;
  const SbCell **x;
  PetscScalar  **q;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(o->ev_slice, 0, 0, 0, 0));
  PetscCall(SbMapsBeginSlice(o->maps, t_s));
  PetscCall(VecStrideGather(s->X, 0, o->work, INSERT_VALUES));
  PetscCall(SbMapsWrite(o->maps, o->map_depth, o->work));
  PetscCall(SbMapsWrite(o->maps, o->map_infiltrated, s->infiltrated));
  PetscCall(SbMapsWrite(o->maps, o->map_soil, s->soil_water));
  PetscCall(SbMapsWrite(o->maps, o->map_canopy, s->canopy));
  /* Cell-centred discharge: the mean of the two faces in each direction (the west and north
     faces belong to the neighbours, hence the ghosted state). */
  PetscCall(DMGlobalToLocal(s->da, s->X, INSERT_VALUES, s->Xl));
  PetscCall(DMDAVecGetArrayRead(s->da, s->Xl, (void *)&x));
  PetscCall(DMDAVecGetArray(g->da, o->work, &q));
  for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
      const PetscReal qx = 0.5 * (x[j][i].qx + (i > 0 ? x[j][i - 1].qx : 0.0)), qy = 0.5 * (x[j][i].qy + (j > 0 ? x[j - 1][i].qy : 0.0));

      q[j][i] = PetscSqrtReal(qx * qx + qy * qy);
    }
  PetscCall(DMDAVecRestoreArray(g->da, o->work, &q));
  PetscCall(DMDAVecRestoreArrayRead(s->da, s->Xl, (void *)&x));
  PetscCall(SbMapsWrite(o->maps, o->map_discharge, o->work));
  for (PetscInt k = 0; k < o->nslicemaps; k++) {
    PetscCall((*o->slice_fn[k])(o->slice_ctx[k], o->work));
    PetscCall(SbMapsWrite(o->maps, o->slice_id[k], o->work));
  }
  PetscCall(PetscLogEventEnd(o->ev_slice, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* 1-D series: created collectively, written by rank 0 only. */
static PetscErrorCode WriteSeries(hid_t loc, MPI_Comm comm, const char *name, const PetscReal *data, PetscInt n, PetscInt stride, const char *units, const char *long_name)
{
  hsize_t     dim = (hsize_t)n;
  hid_t       space, dset, mspace;
  PetscMPIInt rank;
  PetscReal  *buf;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCall(PetscMalloc1(n + 1, &buf));
  for (PetscInt i = 0; i < n; i++) buf[i] = data[i * stride];
  SbCallHDF5(space = H5Screate_simple(1, &dim, NULL));
  SbCallHDF5(dset = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(mspace = H5Screate_simple(1, &dim, NULL));
  if (rank != 0) {
    SbCallHDF5(H5Sselect_none(space));
    SbCallHDF5(H5Sselect_none(mspace));
  }
  SbCallHDF5(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, space, H5P_DEFAULT, buf));
  PetscCall(SbH5Describe(dset, units, long_name));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Dclose(dset));
  SbCallHDF5(H5Sclose(space));
  PetscCall(PetscFree(buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Finish(SbOutput o, SbState *s, const SbWaterBudget *b, const SbProvenance *p)
{
  SbGrid     *g = o->grid;
  hid_t       grp, sub;
  PetscMPIInt rank, size;
  PetscInt    nrec = o->nrec;
  char        buf[PETSC_MAX_PATH_LEN], when[64];
  char       *opts;
  time_t      now = time(NULL);

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  PetscCallMPI(MPI_Comm_size(g->comm, &size));
  /* Only rank 0 recorded series; every rank needs the length for collective creation. */
  PetscCallMPI(MPI_Bcast(&nrec, 1, MPIU_INT, 0, g->comm));

  SbCallHDF5(grp = H5Gcreate2(o->file, "series", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(WriteSeries(grp, g->comm, "time", o->time, nrec, 1, "s", "time since the scenario start"));
  PetscCall(WriteSeries(grp, g->comm, "rain", o->rain, nrec, 1, "mm h-1", "basin-mean rain intensity (area weighted)"));
  PetscCall(WriteSeries(grp, g->comm, "storage", o->storage, nrec, 1, "m3", "surface water stored on the grid"));
  for (PetscInt k = 0; k < g->ngauges; k++) {
    SbCallHDF5(sub = H5Gcreate2(grp, g->gauges[k].name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    PetscCall(WriteSeries(sub, g->comm, "discharge", o->q ? o->q + k : NULL, nrec, g->ngauges, "m3 s-1", "discharge leaving the gauge cell"));
    PetscCall(SbH5WriteAttrInt(sub, "row", (long long)g->gauges[k].row));
    PetscCall(SbH5WriteAttrInt(sub, "col", (long long)g->gauges[k].col));
    PetscCall(SbH5WriteAttrDouble(sub, "upstream_area_m2", g->gauges[k].upstream_area_m2));
    SbCallHDF5(H5Gclose(sub));
  }
  SbCallHDF5(H5Gclose(grp));

  SbCallHDF5(grp = H5Gcreate2(o->file, "budget", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(sub = H5Gcreate2(grp, "water", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(SbH5WriteAttrString(sub, "units", "m3"));
  PetscCall(SbH5WriteAttrDouble(sub, "rain", b->rain_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "infiltration", b->infiltration_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "outflow", b->outflow_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "storage_initial", b->storage_initial_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "storage_final", b->storage_final_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "storage_change", b->storage_final_m3 - b->storage_initial_m3));
  /* Vertical water balance: rain = evapotranspiration + outflow + change of the surface, canopy,
     soil and groundwater stores (interception, infiltration, percolation and baseflow move water
     between stores). */
  PetscCall(SbH5WriteAttrDouble(sub, "interception", b->interception_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "canopy_evaporation", b->canopy_evaporation_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "soil_evapotranspiration", b->soil_et_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "evapotranspiration", b->canopy_evaporation_m3 + b->soil_et_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "percolation", b->percolation_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "baseflow", b->baseflow_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "canopy_storage_initial", b->canopy_initial_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "canopy_storage_final", b->canopy_final_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "soil_storage_initial", b->soil_initial_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "soil_storage_final", b->soil_final_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "groundwater_storage_initial", b->groundwater_initial_m3));
  PetscCall(SbH5WriteAttrDouble(sub, "groundwater_storage_final", b->groundwater_final_m3));
  for (PetscInt k = 0; k < g->ngauges; k++) {
    PetscCall(PetscSNPrintf(buf, sizeof(buf), "outflow_%s", g->gauges[k].name));
    PetscCall(SbH5WriteAttrDouble(sub, buf, b->gauge_volume_m3[k]));
  }
  PetscCall(SbH5WriteAttrDouble(sub, "relative_error", b->relative_error));
  SbCallHDF5(H5Gclose(sub));
  SbCallHDF5(H5Gclose(grp));

  for (PetscInt h = 0; h < o->nhooks; h++) PetscCall((*o->hook[h])(o->hook_ctx[h], o->file));

  /* The final depth in the slices' work vector: a vector of its own made the end of a run its
     peak of memory. */
  PetscCall(VecStrideGather(s->X, 0, o->work, INSERT_VALUES));
  PetscCall(SbMapsWrite2D(o->maps, "maps", "depth_final", o->work, "m", "water depth at the end of the run", NULL));
  PetscCall(SbMapsWrite2D(o->maps, "maps", "depth_max", s->hmax, "m", "maximum water depth during the run", NULL));

  SbCallHDF5(grp = H5Gcreate2(o->file, "provenance", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(SbH5WriteAttrString(grp, "scenario", p->scenario_text ? p->scenario_text : ""));
  PetscCall(SbH5WriteAttrString(grp, "scenario_file", p->scenario_path));
  PetscCall(SbH5WriteAttrString(grp, "mesh", p->mesh_path));
  PetscCall(SbH5WriteAttrString(grp, "command_line", p->command_line));
  PetscCall(SbH5WriteAttrString(grp, "shuibao_version", SB_VERSION));
  PetscCall(SbH5WriteAttrString(grp, "git", SB_GIT_DESCRIBE));
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "PETSc %d.%d.%d, HDF5 %d.%d.%d", PETSC_VERSION_MAJOR, PETSC_VERSION_MINOR, PETSC_VERSION_SUBMINOR, H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE));
  PetscCall(SbH5WriteAttrString(grp, "libraries", buf));
  PetscCall(PetscOptionsGetAll(NULL, &opts));
  PetscCall(SbH5WriteAttrString(grp, "petsc_options", opts));
  PetscCall(PetscFree(opts));
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  PetscCall(SbH5WriteAttrString(grp, "created", when));
  PetscCall(SbH5WriteAttrInt(grp, "ranks", (long long)size));
  PetscCall(SbH5WriteAttrInt(grp, "steps", (long long)p->steps));
  PetscCall(SbH5WriteAttrDouble(grp, "wall_time_s", p->wall_s));
  PetscCall(SbH5WriteAttrDouble(grp, "load_imbalance", p->load_imbalance));
  SbCallHDF5(H5Gclose(grp));

  PetscCall(SbH5WriteAttrString(o->file, "title", "shuibao result"));
  PetscCall(SbH5WriteAttrString(o->file, "source", "shuibao " SB_VERSION));
  {
    const char *base = strrchr(o->path, '/');

    PetscCall(SbMapsWriteXdmf(o->maps, base ? base + 1 : o->path, o->xmf_partial));
  }
  PetscCall(SbMapsDestroy(&o->maps));
  SbCallHDF5(H5Fclose(o->file));
  o->file = -1;
  PetscCallMPI(MPI_Barrier(g->comm));
  {
    int rn = 0; /* rank 0 renames; every rank learns whether that worked (no rank left waiting) */

    if (rank == 0 && (rename(o->partial, o->path) != 0 || rename(o->xmf_partial, o->xmf) != 0)) rn = errno ? errno : EIO;
    PetscCallMPI(MPI_Bcast(&rn, 1, MPI_INT, 0, g->comm));
    PetscCheck(!rn, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot rename %s (and its .xmf) into place: %s", o->path, o->partial, strerror(rn));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputWriteSlice(SbOutput o, SbState *s, PetscReal t_s)
{
  PetscErrorCode ierr;
  int            err_no;

  PetscFunctionBeginUser;
  errno = 0;
  H5E_BEGIN_TRY
  {
    ierr = WriteSlice(o, s, t_s);
  }
  H5E_END_TRY;
  err_no = errno;
  PetscCall(CheckWrite(o, ierr, err_no, "maps"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputFinish(SbOutput o, SbState *s, const SbWaterBudget *b, const SbProvenance *p)
{
  PetscErrorCode ierr;
  int            err_no;

  PetscFunctionBeginUser;
  errno = 0;
  H5E_BEGIN_TRY
  {
    ierr = Finish(o, s, b, p);
  }
  H5E_END_TRY;
  err_no = errno;
  PetscCall(CheckWrite(o, ierr, err_no, "series, budgets and final maps"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checkpoints hold the series (small) and refer to the map slices, which go into segment files
   beside the checkpoint: <checkpoint without .h5>.maps/<k>.h5, each holding the slices written
   since the segment before it (float32 as in the result, so the copy is exact). A checkpoint thus
   costs the state and the new slices, not the whole history, and the segments a checkpoint lists
   are never rewritten (a new segment is written to .partial and renamed into place). */
static PetscErrorCode MapsSlicesWrite(SbOutput o, hid_t loc, PetscInt s0, PetscInt s1)
{
  PetscInt nf;
  char     name[2 * SB_MAX_NAME];

  PetscFunctionBeginUser;
  PetscCall(SbMapsGetInfo(o->maps, &nf, NULL, NULL));
  for (PetscInt f = 0; f < nf; f++) {
    const char *field;

    PetscCall(SbMapsGetField(o->maps, f, &field));
    for (PetscInt s = s0; s < s1; s++) {
      PetscCall(SbMapsReadSlice(o->maps, f, s, o->work));
      PetscCall(PetscSNPrintf(name, sizeof(name), "maps/%s/%" PetscInt_FMT, field, s));
      PetscCall(SbCheckpointWriteField(o->grid, loc, name, o->work, PETSC_TRUE));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Slices s0..s1-1 (times t[s]) from loc (a segment file, or the group of a checkpoint written before
   segments existed) into the result. */
static PetscErrorCode MapsSlicesRead(SbOutput o, hid_t loc, const char *file, const PetscReal *t, PetscInt s0, PetscInt s1)
{
  PetscInt nf;
  char     name[2 * SB_MAX_NAME];

  PetscFunctionBeginUser;
  PetscCall(SbMapsGetInfo(o->maps, &nf, NULL, NULL));
  for (PetscInt s = s0; s < s1; s++) {
    PetscCall(SbMapsBeginSlice(o->maps, t[s]));
    for (PetscInt f = 0; f < nf; f++) {
      const char *field;

      PetscCall(SbMapsGetField(o->maps, f, &field));
      PetscCall(PetscSNPrintf(name, sizeof(name), "maps/%s/%" PetscInt_FMT, field, s));
      PetscCall(SbCheckpointReadField(o->grid, loc, file, name, o->work));
      PetscCall(SbMapsWrite(o->maps, f, o->work));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SegmentPath(const char *dir, PetscInt k, char *path, size_t len)
{
  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(path, len, "%s/%06" PetscInt_FMT ".h5", dir, k));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: rank 0 runs op (0 mkdir, 1 rename from -> to, 2 stat) and every rank gets the same
   one-line error, prefixed by what. */
static PetscErrorCode RankZeroFileOp(MPI_Comm comm, int op, const char *from, const char *to, const char *what)
{
  PetscMPIInt rank;
  char        msg[3 * PETSC_MAX_PATH_LEN] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    struct stat st;

    if (op == 0 && mkdir(from, 0777) != 0 && errno != EEXIST) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot create %s: %s", what, from, strerror(errno)));
    if (op == 1 && rename(from, to) != 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot rename %s into place: %s", what, from, strerror(errno)));
    if (op == 2 && stat(from, &st) != 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: map segment %s: %s", what, from, strerror(errno)));
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], PETSC_COMM_SELF, op == 2 ? PETSC_ERR_USER_INPUT : PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenParallel(MPI_Comm comm, const char *path, PetscBool create, hid_t *file)
{
  hid_t fapl;

  PetscFunctionBeginUser;
  SbCallHDF5(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SbCallHDF5(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
  if (create) SbCallHDF5(*file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, fapl));
  else SbCallHDF5(*file = H5Fopen(path, H5F_ACC_RDONLY, fapl));
  SbCallHDF5(H5Pclose(fapl));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The slices written since the last segment, as segment number seg_count. */
static PetscErrorCode SegmentAppend(SbOutput o, PetscInt ns)
{
  MPI_Comm    comm = o->grid->comm;
  char        path[PETSC_MAX_PATH_LEN + 16], partial[PETSC_MAX_PATH_LEN + 32];
  hid_t       file;
  const PetscInt s0 = o->seg_count ? o->seg_end[o->seg_count - 1] : 0;

  PetscFunctionBeginUser;
  if (!o->seg_count) {
    /* A new series: a fresh identity, so that segments of another run in the same folder are
       never taken for this run's. */
    PetscMPIInt rank;

    PetscCallMPI(MPI_Comm_rank(comm, &rank));
    if (rank == 0) {
      PetscLogDouble now;

      PetscCall(PetscTime(&now));
      PetscCall(PetscSNPrintf(o->seg_id, sizeof(o->seg_id), "%lx-%lx-%lx", (unsigned long)time(NULL), (unsigned long)getpid(), (unsigned long)(fmod(now, 1.0) * 1e6)));
    }
    PetscCallMPI(MPI_Bcast(o->seg_id, (int)sizeof(o->seg_id), MPI_CHAR, 0, comm));
    PetscCall(RankZeroFileOp(comm, 0, o->seg_dir, NULL, "checkpoint"));
  }
  PetscCall(SegmentPath(o->seg_dir, o->seg_count, path, sizeof(path)));
  PetscCall(PetscSNPrintf(partial, sizeof(partial), "%s.partial", path));
  PetscCall(OpenParallel(comm, partial, PETSC_TRUE, &file));
  PetscCall(SbH5WriteAttrString(file, "format", SB_SEGMENT_FORMAT));
  PetscCall(SbH5WriteAttrString(file, "series", o->seg_id));
  PetscCall(SbH5WriteAttrInt(file, "first_slice", (long long)s0));
  PetscCall(SbH5WriteAttrInt(file, "slices", (long long)(ns - s0)));
  PetscCall(MapsSlicesWrite(o, file, s0, ns));
  SbCallHDF5(H5Fclose(file));
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(RankZeroFileOp(comm, 1, partial, path, "checkpoint"));
  if (o->seg_count == o->seg_cap) {
    PetscInt *end;

    o->seg_cap = PetscMax(16, 2 * o->seg_cap);
    PetscCall(PetscMalloc1(o->seg_cap, &end));
    if (o->seg_count) PetscCall(PetscArraycpy(end, o->seg_end, o->seg_count));
    PetscCall(PetscFree(o->seg_end));
    o->seg_end = end;
  }
  o->seg_end[o->seg_count++] = ns;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checkpoint hook: the recorded series, the times of the map slices written so far and the
   segments that hold them (above), so that a restarted run writes the whole series. */
static PetscErrorCode CheckpointWrite(void *ctx, hid_t grp)
{
  SbOutput         o  = (SbOutput)ctx;
  const PetscInt   ng = o->grid->ngauges, w = 3 + ng;
  PetscInt         ns;
  const PetscReal *times;
  PetscReal       *rows;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(o->nrec * w + 1, &rows));
  for (PetscInt r = 0; r < o->nrec; r++) {
    rows[r * w]     = o->time[r];
    rows[r * w + 1] = o->rain[r];
    rows[r * w + 2] = o->storage[r];
    for (PetscInt k = 0; k < ng; k++) rows[r * w + 3 + k] = o->q[r * ng + k];
  }
  PetscCall(SbCheckpointWriteReals(grp, "series", rows, o->nrec, w));
  PetscCall(PetscFree(rows));
  PetscCall(SbMapsGetInfo(o->maps, NULL, &ns, &times));
  PetscCall(SbCheckpointWriteReals(grp, "slice_time", times, ns, 1));
  if (ns > (o->seg_count ? o->seg_end[o->seg_count - 1] : 0)) {
    SbCallHDF5(H5Fflush(o->file, H5F_SCOPE_LOCAL)); /* MPI-IO: make other ranks' slices visible */
    PetscCall(SegmentAppend(o, ns));
  }
  if (o->seg_count) {
    const char *base = strrchr(o->seg_dir, '/');
    PetscReal  *end;

    PetscCall(PetscMalloc1(o->seg_count, &end));
    for (PetscInt k = 0; k < o->seg_count; k++) end[k] = (PetscReal)o->seg_end[k];
    PetscCall(SbCheckpointWriteReals(grp, "map_segment_end", end, o->seg_count, 1));
    PetscCall(PetscFree(end));
    /* The folder by its name alone: it lies beside the checkpoint, wherever both are moved. */
    PetscCall(SbH5WriteAttrString(grp, "map_segments", base ? base + 1 : o->seg_dir));
    PetscCall(SbH5WriteAttrString(grp, "map_series", o->seg_id));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checks segment k of the checkpoint file's series id (slices s0..s1-1) and reads its slices. */
static PetscErrorCode SegmentRead(SbOutput o, const char *file, const char *dir, const char *id, PetscInt k, const PetscReal *t, PetscInt s0, PetscInt s1)
{
  char           path[PETSC_MAX_PATH_LEN + 16], format[64] = "", series[sizeof(o->seg_id)] = "";
  long long      first = -1, count = -1;
  hid_t          seg;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(SegmentPath(dir, k, path, sizeof(path)));
  PetscCall(RankZeroFileOp(o->grid->comm, 2, path, NULL, file));
  PetscCall(OpenParallel(o->grid->comm, path, PETSC_FALSE, &seg));
  H5E_BEGIN_TRY
  {
    if (H5Aexists(seg, "format") > 0) (void)SbH5ReadAttrString(seg, path, "format", format, sizeof(format));
    if (H5Aexists(seg, "series") > 0) (void)SbH5ReadAttrString(seg, path, "series", series, sizeof(series));
    if (H5Aexists(seg, "first_slice") > 0) (void)SbH5ReadAttrInt(seg, path, "first_slice", &first);
    if (H5Aexists(seg, "slices") > 0) (void)SbH5ReadAttrInt(seg, path, "slices", &count);
  }
  H5E_END_TRY;
  if (strcmp(format, SB_SEGMENT_FORMAT)) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "%s: map segment %s: not a shuibao map segment", file, path);
  else if (strcmp(series, id)) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "%s: map segment %s belongs to another run (series %s, the checkpoint's is %s)", file, path, series, id);
  else if (first != s0 || count != s1 - s0) ierr = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "%s: map segment %s holds slices %lld to %lld, the checkpoint expects %" PetscInt_FMT " to %" PetscInt_FMT, file, path, first, first + count - 1, s0, s1 - 1);
  else ierr = MapsSlicesRead(o, seg, path, t, s0, s1);
  SbCallHDF5(H5Fclose(seg));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckpointRead(void *ctx, hid_t grp, const char *file)
{
  SbOutput       o  = (SbOutput)ctx;
  const PetscInt ng = o->grid->ngauges, w = 3 + ng;
  PetscInt       ns, nrec, nt;
  PetscReal     *rows, *t;
  htri_t         old;

  PetscFunctionBeginUser;
  PetscCall(SbMapsGetInfo(o->maps, NULL, &ns, NULL));
  PetscCheck(o->nrec == 0 && ns == 0, PETSC_COMM_SELF, PETSC_ERR_ORDER, "output: a checkpoint is read before the first record");
  PetscCall(SbCheckpointReadReals(grp, file, "series", w, &rows, &nrec));
  for (PetscInt r = 0; r < nrec; r++) PetscCall(SbOutputRecord(o, rows[r * w], rows + r * w + 3, rows[r * w + 1], rows[r * w + 2]));
  PetscCall(PetscFree(rows));
  PetscCall(SbCheckpointReadReals(grp, file, "slice_time", 1, &t, &nt));
  SbCallHDF5(old = H5Lexists(grp, "maps", H5P_DEFAULT));
  if (old > 0) PetscCall(MapsSlicesRead(o, grp, file, t, 0, nt)); /* written before segments (2026-11-29) */
  else if (nt > 0) {
    char        name[PETSC_MAX_PATH_LEN], id[sizeof(o->seg_id)], dir[2 * PETSC_MAX_PATH_LEN];
    const char *slash = strrchr(file, '/');
    PetscReal  *end;
    PetscInt       nseg;
    PetscMPIInt    rank;
    int            same = 0;
    PetscErrorCode ierr = PETSC_SUCCESS;

    PetscCall(SbH5ReadAttrString(grp, file, "map_segments", name, sizeof(name)));
    PetscCall(SbH5ReadAttrString(grp, file, "map_series", id, sizeof(id)));
    PetscCall(SbCheckpointReadReals(grp, file, "map_segment_end", 1, &end, &nseg));
    PetscCheck(nseg > 0 && (PetscInt)end[nseg - 1] == nt, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: output/map_segment_end: its segments do not end at the %" PetscInt_FMT " map slices", file, nt);
    if (slash) PetscCall(PetscSNPrintf(dir, sizeof(dir), "%.*s/%s", (int)(slash - file), file, name));
    else PetscCall(PetscStrncpy(dir, name, sizeof(dir)));
    for (PetscInt k = 0; k < nseg && !ierr; k++) ierr = SegmentRead(o, file, dir, id, k, t, k ? (PetscInt)end[k - 1] : 0, (PetscInt)end[k]);
    if (ierr) {
      PetscCall(PetscFree(end));
      PetscCall(PetscFree(t));
      PetscCall(ierr);
    }
    /* Continuing the same series (checkpoints to the same file): this run's next segment follows
       the checkpoint's last; later segments of the interrupted run are replaced as they come.
       Another folder starts a new series with everything so far in its first segment. */
    PetscCallMPI(MPI_Comm_rank(o->grid->comm, &rank));
    if (rank == 0) {
      char a[PATH_MAX], b[PATH_MAX];

      same = realpath(dir, a) && realpath(o->seg_dir, b) && !strcmp(a, b);
    }
    PetscCallMPI(MPI_Bcast(&same, 1, MPI_INT, 0, o->grid->comm));
    if (same) {
      PetscCall(PetscFree(o->seg_end));
      o->seg_cap = PetscMax(16, nseg);
      PetscCall(PetscMalloc1(o->seg_cap, &o->seg_end));
      for (PetscInt k = 0; k < nseg; k++) o->seg_end[k] = (PetscInt)end[k];
      o->seg_count = nseg;
      PetscCall(PetscStrncpy(o->seg_id, id, sizeof(o->seg_id)));
    }
    PetscCall(PetscFree(end));
  }
  PetscCall(PetscFree(t));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputCheckpointRegister(SbOutput o, SbCheckpoint ck, const char *ck_path)
{
  size_t n = strlen(ck_path);

  PetscFunctionBeginUser;
  /* plan.ckpt.h5 -> plan.ckpt.maps */
  PetscCall(PetscStrncpy(o->seg_dir, ck_path, sizeof(o->seg_dir)));
  if (n > 3 && !strcmp(ck_path + n - 3, ".h5")) o->seg_dir[n - 3] = 0;
  PetscCall(PetscStrlcat(o->seg_dir, ".maps", sizeof(o->seg_dir)));
  PetscCall(SbCheckpointAddHook(ck, "output", CheckpointWrite, CheckpointRead, o));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputAddFinishHook(SbOutput o, SbOutputFinishFn fn, void *ctx)
{
  PetscFunctionBeginUser;
  PetscCheck(o->nhooks < 4, PETSC_COMM_SELF, PETSC_ERR_SUP, "output: at most 4 finish hooks");
  o->hook[o->nhooks]     = fn;
  o->hook_ctx[o->nhooks] = ctx;
  o->nhooks++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputAddSliceMap(SbOutput o, const char *name, const char *units, const char *long_name, const char *standard_name, SbOutputMapFn fn, void *ctx)
{
  PetscErrorCode ierr;
  int            err_no;
  PetscInt       ns;

  PetscFunctionBeginUser;
  PetscCall(SbMapsGetSliceCount(o->maps, &ns));
  PetscCheck(o->nslicemaps < 8 && ns == 0, PETSC_COMM_SELF, PETSC_ERR_ORDER, "output: map %s: at most 8 module maps, declared before the first slice", name);
  errno = 0;
  H5E_BEGIN_TRY
  {
    ierr = SbMapsAdd(o->maps, name, units, long_name, standard_name, &o->slice_id[o->nslicemaps]);
  }
  H5E_END_TRY;
  err_no = errno;
  PetscCall(CheckWrite(o, ierr, err_no, "maps"));
  o->slice_fn[o->nslicemaps]    = fn;
  o->slice_ctx[o->nslicemaps++] = ctx;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputGetFile(SbOutput o, hid_t *file)
{
  PetscFunctionBeginUser;
  *file = o->file;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputWriteMap(SbOutput o, const char *group, const char *name, Vec v, const char *units, const char *long_name)
{
  PetscFunctionBeginUser;
  PetscCall(SbMapsWrite2D(o->maps, group, name, v, units, long_name, NULL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputAbort(SbOutput *out)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  if (!*out) PetscFunctionReturn(PETSC_SUCCESS);
  if ((*out)->file >= 0) {
    PetscBool injected = PETSC_FALSE;

    /* The fault test's file-size limit (-sb_fault_file_size_limit, signals.c) also stops the
       close's truncation that extends the file to its allocated end, which on a real full disk
       succeeds (the extension is sparse) and here would leave HDF5 to fail again, and crash, at
       MPI_Finalize: lift it before closing. */
    PetscCall(PetscOptionsHasName(NULL, NULL, "-sb_fault_file_size_limit", &injected));
    if (injected) {
      struct rlimit rl;

      if (getrlimit(RLIMIT_FSIZE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        (void)setrlimit(RLIMIT_FSIZE, &rl);
      }
    }
    H5E_BEGIN_TRY
    {
      (void)SbMapsDestroy(&(*out)->maps);
      (void)H5Fclose((*out)->file);
    }
    H5E_END_TRY;
    (*out)->file = -1;
  }
  PetscCallMPI(MPI_Comm_rank((*out)->grid->comm, &rank));
  if (rank == 0) {
    (void)remove((*out)->partial);
    (void)remove((*out)->xmf_partial);
  }
  PetscCall(SbOutputDestroy(out));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbOutputDestroy(SbOutput *out)
{
  PetscFunctionBeginUser;
  if (!*out) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree4((*out)->time, (*out)->rain, (*out)->storage, (*out)->q));
  PetscCall(VecDestroy(&(*out)->work));
  PetscCall(PetscFree((*out)->seg_end));
  if ((*out)->lock_fd >= 0) (void)close((*out)->lock_fd); /* releases the lock */
  PetscCall(PetscFree(*out));
  PetscFunctionReturn(PETSC_SUCCESS);
}
