/* Reading mesh.h5 onto a DMDA whose ownership ranges balance active cells. */
#include "grid.h"
#include <stdint.h>
#include "h5io.h"
#include "raster.h"
#include <unistd.h>
#include <sys/stat.h>
#include <errno.h>

PetscErrorCode SbGridPartition(const PetscInt *counts, PetscInt len, PetscInt parts, PetscInt min_size, PetscInt *sizes)
{
  PetscInt64 total = 0, acc = 0;
  PetscInt   start = 0;

  PetscFunctionBeginUser;
  PetscCheck(parts >= 1 && len >= parts * min_size, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "cannot split %" PetscInt_FMT " rows or columns into %" PetscInt_FMT " parts of at least %" PetscInt_FMT, len, parts, min_size);
  for (PetscInt i = 0; i < len; i++) total += counts[i];
  for (PetscInt p = 0; p < parts - 1; p++) {
    /* End of part p: the first index where the running sum reaches (p+1)/parts of the total,
       kept within the bounds that leave min_size for this and every later part. */
    const PetscInt64 target = (total * (p + 1) + parts / 2) / parts;
    const PetscInt   lo = start + min_size, hi = len - (parts - p - 1) * min_size;
    PetscInt         end = start;

    while (end < len && acc + counts[end] <= target) acc += counts[end++];
    /* Take the boundary cell too if that brings the sum closer to the target. */
    if (end < len && (acc + counts[end] - target) < (target - acc)) acc += counts[end++];
    if (end < lo) {
      for (PetscInt i = end; i < lo; i++) acc += counts[i];
      end = lo;
    }
    if (end > hi) {
      for (PetscInt i = hi; i < end; i++) acc -= counts[i];
      end = hi;
    }
    sizes[p] = end - start;
    start    = end;
  }
  sizes[parts - 1] = len - start;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Process grid m x n (m along x) minimising the halo perimeter of a rank, as PETSc does. */
/* Halo cost of a cell of a rank's boundary relative to the update of an active cell, for choosing
   the process grid (docs/scaling.md: ~0.1 at 3 ghost cells of 3 values on a cluster network). */
#define SB_HALO_WEIGHT 0.25

/* Collective. The process grid m x n (m columns of ranks) and the widths lx[m], ly[n] that keep
   the largest number of active cells on a rank smallest, with the halo as a small extra cost:
   every factorisation of size is split by SbGridPartition along the active cells per column
   (colc) and per row (rowc), and the active cells of each block counted from the mask band
   (rows r0 .. r0 + nr - 1) this rank read. A basin is no rectangle, so the square-ish grid that
   minimises the perimeter can leave one rank with twice the mean load (docs/scaling.md). lx and
   ly are allocated here (PetscMalloc2) for the caller to free. */
static PetscErrorCode ChooseProcessGrid(SbGrid *g, const double *band, PetscInt r0, PetscInt nr, const PetscInt *rowc, const PetscInt *colc, PetscMPIInt size, PetscInt *m, PetscInt *n, PetscInt **lx, PetscInt **ly)
{
  PetscReal   best = PETSC_MAX_REAL;
  PetscInt   *colblock, *tx, *ty;
  PetscInt64 *load, total = 0;

  PetscFunctionBeginUser;
  *m = 1;
  *n = size;
  for (PetscInt r = 0; r < g->ny; r++) total += rowc[r];
  PetscCall(PetscMalloc3(g->nx, &colblock, size, &tx, size, &ty));
  PetscCall(PetscMalloc1(size, &load));
  PetscCall(PetscMalloc2(size, lx, size, ly));
  for (PetscInt mm = 1; mm <= size; mm++) {
    const PetscInt nn = size / mm;
    PetscInt64     maxload = 0;
    PetscReal      cost;

    if (mm * nn != size || mm > g->nx || nn > g->ny) continue;
    PetscCall(SbGridPartition(colc, g->nx, mm, PetscMin(3, g->nx / mm), tx));
    PetscCall(SbGridPartition(rowc, g->ny, nn, PetscMin(3, g->ny / nn), ty));
    for (PetscInt i = 0, c = 0; i < mm; i++)
      for (PetscInt k = 0; k < tx[i]; k++) colblock[c++] = i;
    PetscCall(PetscArrayzero(load, size));
    for (PetscInt r = 0, j = 0, rend = ty[0]; r < nr; r++) {
      while (r0 + r >= rend) rend += ty[++j];
      for (PetscInt c = 0; c < g->nx; c++)
        if (band[r * g->nx + c] != 0) load[j * mm + colblock[c]]++;
    }
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, load, size, MPIU_INT64, MPI_SUM, g->comm));
    for (PetscInt b = 0; b < size; b++) maxload = PetscMax(maxload, load[b]);
    /* the widest block's boundary: ghost rows and columns on the sides that have neighbours */
    {
      PetscInt wx = 0, wy = 0;

      for (PetscInt i = 0; i < mm; i++) wx = PetscMax(wx, tx[i]);
      for (PetscInt j = 0; j < nn; j++) wy = PetscMax(wy, ty[j]);
      cost = (PetscReal)maxload + SB_HALO_WEIGHT * (PetscReal)((nn > 1 ? 2 * wx : 0) + (mm > 1 ? 2 * wy : 0));
    }
    if (total == 0) cost = (PetscReal)g->nx / mm + (PetscReal)g->ny / nn; /* no active cell: the smallest perimeter */
    if (cost < best) {
      best = cost;
      *m   = mm;
      *n   = nn;
      PetscCall(PetscArraycpy(*lx, tx, mm));
      PetscCall(PetscArraycpy(*ly, ty, nn));
    }
  }
  PetscCall(PetscFree3(colblock, tx, ty));
  PetscCall(PetscFree(load));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadBlock(hid_t file, const char *path, const char *name, PetscInt r0, PetscInt nr, PetscInt c0, PetscInt nc, double *buf)
{
  hid_t   dset, fspace, mspace, dxpl;
  hsize_t start[2] = {(hsize_t)r0, (hsize_t)c0}, count[2] = {(hsize_t)nr, (hsize_t)nc}, dims[2];
  htri_t  exists;

  PetscFunctionBeginUser;
  SbCallHDF5(exists = H5Lexists(file, name, H5P_DEFAULT));
  PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /%s: missing dataset (not a shuibao mesh?)", path, name);
  SbCallHDF5(dset = H5Dopen2(file, name, H5P_DEFAULT));
  SbCallHDF5(fspace = H5Dget_space(dset));
  PetscCheck(H5Sget_simple_extent_ndims(fspace) == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /%s: expected a 2-D [ny][nx] array", path, name);
  SbCallHDF5(H5Sget_simple_extent_dims(fspace, dims, NULL));
  PetscCheck(dims[0] >= (hsize_t)(r0 + nr) && dims[1] >= (hsize_t)(c0 + nc), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /%s: array is %llu x %llu, smaller than the grid", path, name, (unsigned long long)dims[0], (unsigned long long)dims[1]);
  if (nr > 0 && nc > 0) SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  else SbCallHDF5(H5Sselect_none(fspace));
  SbCallHDF5(mspace = H5Screate_simple(2, count, NULL));
  if (!(nr > 0 && nc > 0)) SbCallHDF5(H5Sselect_none(mspace));
  SbCallHDF5(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SbCallHDF5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  SbCallHDF5(H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, buf));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  SbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadField(SbGrid *g, hid_t file, const char *name, Vec *v)
{
  PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(DMCreateGlobalVector(g->da, v));
  PetscCall(PetscObjectSetName((PetscObject)*v, name));
  PetscCall(VecGetArray(*v, &a));
  /* The owned block of a DMDA global vector is row-major with i fastest: the same layout as the
     [ys:ys+ym][xs:xs+xm] hyperslab. */
  PetscCall(ReadBlock(file, g->path, name, g->ys, g->ym, g->xs, g->xm, a));
  PetscCall(VecRestoreArray(*v, &a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscInt n, cap;
  char (*names)[SB_MAX_NAME];
} NameList;

static herr_t CollectName(hid_t loc, const char *name, const H5L_info_t *info, void *ctx)
{
  NameList *l = (NameList *)ctx;

  if (l->n >= l->cap) return -1;
  snprintf(l->names[l->n++], SB_MAX_NAME, "%s", name);
  return 0;
}

/* The gauges named in l (members of group grp), checked against the grid. */
static PetscErrorCode ReadGaugeEntries(SbGrid *g, hid_t grp, const NameList *l)
{
  PetscFunctionBeginUser;
  g->ngauges = l->n;
  PetscCall(PetscCalloc1(l->n > 0 ? l->n : 1, &g->gauges));
  for (PetscInt k = 0; k < l->n; k++) {
    hid_t     gg;
    long long row, col;
    double    area;
    char      where[PETSC_MAX_PATH_LEN + 80];

    PetscCall(PetscSNPrintf(where, sizeof(where), "%s: /gauges/%s", g->path, l->names[k]));
    SbCallHDF5(gg = H5Gopen2(grp, l->names[k], H5P_DEFAULT));
    PetscCall(SbH5ReadAttrInt(gg, where, "row", &row));
    PetscCall(SbH5ReadAttrInt(gg, where, "col", &col));
    PetscCall(SbH5ReadAttrDouble(gg, where, "upstream_area_m2", &area));
    SbCallHDF5(H5Gclose(gg));
    PetscCheck(row >= 0 && row < g->ny && col >= 0 && col < g->nx, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: row, col: gauge outside the %" PetscInt_FMT " x %" PetscInt_FMT " grid", where, g->nx, g->ny);
    PetscCall(PetscStrncpy(g->gauges[k].name, l->names[k], SB_MAX_NAME));
    g->gauges[k].row              = (PetscInt)row;
    g->gauges[k].col              = (PetscInt)col;
    g->gauges[k].upstream_area_m2 = area;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Open group name of file and list its members; the caller frees l->names and closes *grp. */
static PetscErrorCode ListGroup(hid_t file, const char *name, hid_t *grp, NameList *l)
{
  H5G_info_t info;

  PetscFunctionBeginUser;
  SbCallHDF5(*grp = H5Gopen2(file, name, H5P_DEFAULT));
  SbCallHDF5(H5Gget_info(*grp, &info));
  l->n   = 0;
  l->cap = (PetscInt)info.nlinks;
  PetscCall(PetscMalloc1(info.nlinks > 0 ? info.nlinks : 1, &l->names));
  SbCallHDF5(H5Literate(*grp, H5_INDEX_NAME, H5_ITER_INC, NULL, CollectName, l));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Read group name of file member by member with entries(); the name list and the group are
   released on the error path too (no leak under LSan). */
static PetscErrorCode ReadGroup(SbGrid *g, hid_t file, const char *name, PetscErrorCode (*entries)(SbGrid *, hid_t, const NameList *))
{
  hid_t          grp = H5I_INVALID_HID;
  NameList       l   = {0, 0, NULL};
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  ierr = ListGroup(file, name, &grp, &l);
  if (!ierr) ierr = entries(g, grp, &l);
  PetscCall(PetscFree(l.names));
  if (grp != H5I_INVALID_HID) SbCallHDF5(H5Gclose(grp));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadGauges(SbGrid *g, hid_t file)
{
  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(file, "gauges", H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /gauges: missing group", g->path);
  PetscCall(ReadGroup(g, file, "gauges", ReadGaugeEntries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadRegionEntries(SbGrid *g, hid_t grp, const NameList *l)
{
  PetscFunctionBeginUser;
  PetscCheck(l->n <= 16, PETSC_COMM_SELF, PETSC_ERR_SUP, "%s: /regions: at most 16 regions are supported, found %" PetscInt_FMT, g->path, l->n);
  if (l->n > 0) g->nregions = l->n;
  for (PetscInt k = 0; k < l->n; k++) {
    hid_t     gg;
    long long id;
    char      where[PETSC_MAX_PATH_LEN + 80];

    PetscCall(PetscSNPrintf(where, sizeof(where), "%s: /regions/%s", g->path, l->names[k]));
    SbCallHDF5(gg = H5Gopen2(grp, l->names[k], H5P_DEFAULT));
    PetscCall(SbH5ReadAttrInt(gg, where, "id", &id));
    SbCallHDF5(H5Gclose(gg));
    PetscCheck(id >= 1 && id <= l->n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: id: expected 1..%" PetscInt_FMT ", got %lld", where, l->n, id);
    PetscCall(PetscStrncpy(g->region_names[id - 1], l->names[k], SB_MAX_NAME));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadRegions(SbGrid *g, hid_t file)
{
  PetscFunctionBeginUser;
  g->nregions = 1;
  PetscCall(PetscStrncpy(g->region_names[0], "basin", SB_MAX_NAME));
  if (H5Lexists(file, "regions", H5P_DEFAULT) > 0) PetscCall(ReadGroup(g, file, "regions", ReadRegionEntries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 checks that the file exists, is a regular file and is HDF5, so that a bad path gives
   one clear message on every rank before any collective HDF5 call. */
static PetscErrorCode CheckMeshFile(MPI_Comm comm, const char *path)
{
  PetscMPIInt rank;
  char        msg[PETSC_MAX_PATH_LEN + 128] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    struct stat st;

    if (stat(path, &st) != 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot open the mesh: %s", path, strerror(errno)));
    else if (S_ISDIR(st.st_mode)) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot open the mesh: is a directory", path));
    else if (access(path, R_OK) != 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot open the mesh: %s", path, strerror(errno)));
    else {
      htri_t is;

      H5E_BEGIN_TRY { is = H5Fis_hdf5(path); } H5E_END_TRY;
      if (is <= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: not an HDF5 file (make one with `shuibao mesh`)", path));
      else {
        /* A file cut short (a copy or a write that did not finish) has a good signature but no
           longer opens: say so here, once for every rank, rather than as an HDF5 failure. */
        hid_t f;

        H5E_BEGIN_TRY { f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); } H5E_END_TRY;
        if (f < 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: the HDF5 file does not open (truncated or damaged; rebuild it with `shuibao mesh`)", path));
        else SbCallHDF5(H5Fclose(f));
      }
    }
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(msg[0] == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The checks of the mesh's fields, in the order they are reported. */
enum { CHK_MASK, CHK_AREA, CHK_ELEV, CHK_SLOPE, CHK_FDIR, CHK_SOIL, CHK_LANDUSE, CHK_REGION, CHK_ACC, CHK_COUNT };

/* Collective. Every active cell's fields must be usable: a damaged or hand-made mesh otherwise
   gives NaN far from its cause. Each rank finds the first bad cell of each check in its block;
   one reduction gives every rank the first bad cell of the grid (row-major), so all ranks stop
   with the same one-line error naming the file, the field, the cell and the value. */
static PetscErrorCode ValidateFields(SbGrid *g)
{
  static const char *what[CHK_COUNT] = {
    "/mask: expected 0 or 1",
    "/cell_area: expected a positive finite area (m2) at an active cell",
    "/elevation: expected a finite number at an active cell (NaN, Inf or no-data)",
    "/slope: expected a finite number >= 0 at an active cell",
    "/flow_direction: expected a D8 code 0 (outlet), 1, 2, 4, ..., 128 at an active cell",
    "/soil: expected a texture class 1-11 at an active cell",
    "/landuse: expected a land-use class 1-7 at an active cell",
    "/region: expected a region id 1..nregions at an active cell",
    "/flow_accumulation: expected a finite number >= 0 (m2) at an active cell",
  };
  const PetscScalar *mk, *ar, *el, *sl, *fd, *so, *lu, *rg, *fa;
  PetscInt64         first[CHK_COUNT];
  PetscReal          value[CHK_COUNT];
  const PetscInt64   none = INT64_MAX;

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < CHK_COUNT; c++) first[c] = none;
  PetscCall(VecGetArrayRead(g->mask, &mk));
  PetscCall(VecGetArrayRead(g->cell_area, &ar));
  PetscCall(VecGetArrayRead(g->elevation, &el));
  PetscCall(VecGetArrayRead(g->slope, &sl));
  PetscCall(VecGetArrayRead(g->flow_direction, &fd));
  PetscCall(VecGetArrayRead(g->soil, &so));
  PetscCall(VecGetArrayRead(g->landuse, &lu));
  PetscCall(VecGetArrayRead(g->region, &rg));
  PetscCall(VecGetArrayRead(g->flow_accumulation, &fa));
  for (PetscInt j = g->ys, k = 0; j < g->ys + g->ym; j++)
    for (PetscInt i = g->xs; i < g->xs + g->xm; i++, k++) {
      const PetscInt64 at = (PetscInt64)j * g->nx + i;
      PetscBool        bad[CHK_COUNT] = {PETSC_FALSE};
      PetscReal        val[CHK_COUNT] = {0};
      PetscInt         di, dj;

      bad[CHK_MASK] = !(mk[k] == 0 || mk[k] == 1);
      val[CHK_MASK] = mk[k];
      if (mk[k] == 1) {
        bad[CHK_AREA]    = !(PetscIsNormalReal(ar[k]) && ar[k] > 0);
        bad[CHK_ELEV]    = PetscIsInfOrNanReal(el[k]);
        bad[CHK_SLOPE]   = !(sl[k] >= 0 && !PetscIsInfOrNanReal(sl[k]));
        bad[CHK_FDIR]    = !(fd[k] == 0 || SbD8Offset((PetscInt)fd[k], &di, &dj)) || fd[k] != (PetscInt)fd[k];
        bad[CHK_SOIL]    = !(so[k] >= 1 && so[k] <= SB_SOIL_COUNT - 1 && so[k] == (PetscInt)so[k]);
        bad[CHK_LANDUSE] = !(lu[k] >= 1 && lu[k] <= SB_LU_COUNT - 1 && lu[k] == (PetscInt)lu[k]);
        bad[CHK_REGION]  = !(rg[k] >= 1 && rg[k] <= g->nregions && rg[k] == (PetscInt)rg[k]);
        bad[CHK_ACC]     = !(fa[k] >= 0 && !PetscIsInfOrNanReal(fa[k]));
        val[CHK_AREA] = ar[k], val[CHK_ELEV] = el[k], val[CHK_SLOPE] = sl[k], val[CHK_FDIR] = fd[k];
        val[CHK_SOIL] = so[k], val[CHK_LANDUSE] = lu[k], val[CHK_REGION] = rg[k], val[CHK_ACC] = fa[k];
      }
      for (PetscInt c = 0; c < CHK_COUNT; c++)
        if (bad[c] && first[c] == none) {
          first[c] = at;
          value[c] = val[c];
        }
    }
  PetscCall(VecRestoreArrayRead(g->mask, &mk));
  PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
  PetscCall(VecRestoreArrayRead(g->elevation, &el));
  PetscCall(VecRestoreArrayRead(g->slope, &sl));
  PetscCall(VecRestoreArrayRead(g->flow_direction, &fd));
  PetscCall(VecRestoreArrayRead(g->soil, &so));
  PetscCall(VecRestoreArrayRead(g->landuse, &lu));
  PetscCall(VecRestoreArrayRead(g->region, &rg));
  PetscCall(VecRestoreArrayRead(g->flow_accumulation, &fa));

  {
    PetscInt64 gfirst[CHK_COUNT];
    PetscReal  v = 0;
    PetscInt   c;

    PetscCallMPI(MPI_Allreduce(first, gfirst, CHK_COUNT, MPIU_INT64, MPI_MIN, g->comm));
    for (c = 0; c < CHK_COUNT && gfirst[c] == none; c++) {}
    if (c == CHK_COUNT) PetscFunctionReturn(PETSC_SUCCESS);
    /* the owner of the cell contributes its value; NaN survives the sum */
    if (first[c] == gfirst[c]) v = value[c];
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPIU_REAL, MPI_SUM, g->comm));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: row %lld, column %lld has %g", g->path, what[c], (long long)(gfirst[c] / g->nx), (long long)(gfirst[c] % g->nx), (double)v);
  }
}

/* Everything of the grid that comes from the open mesh file; on an error, what was made is in g
   (freed by SbGridDestroy) and the caller closes the file. */
static PetscErrorCode ReadMesh(SbGrid *g, hid_t file)
{
  const char *path = g->path;
  MPI_Comm    comm = g->comm;
  PetscMPIInt size, rank;
  long long   nx, ny, geo;
  double      v;
  PetscInt    m, n, *lx, *ly, *rowc, *colc, r0, r1, nr;
  double     *buf;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));

  PetscCall(SbH5ReadAttrInt(file, path, "nx", &nx));
  PetscCall(SbH5ReadAttrInt(file, path, "ny", &ny));
  PetscCall(SbH5ReadAttrInt(file, path, "geographic", &geo));
  PetscCheck(nx > 0 && ny > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: nx, ny: expected positive sizes, got %lld x %lld", path, nx, ny);
  g->nx         = (PetscInt)nx;
  g->ny         = (PetscInt)ny;
  g->geographic = geo ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(SbH5ReadAttrDouble(file, path, "xllcorner", &v));
  g->xll = v;
  PetscCall(SbH5ReadAttrDouble(file, path, "yllcorner", &v));
  g->yll = v;
  PetscCall(SbH5ReadAttrDouble(file, path, "cellsize", &v));
  g->cellsize = v;
  PetscCall(SbH5ReadAttrDouble(file, path, "dy_m", &v));
  g->dy_m = v;
  PetscCall(SbH5ReadAttrDouble(file, path, "reservoir_level_m", &v));
  g->reservoir_level_m = v;

  /* Active cells per row and per column, each rank reading a band of rows. */
  PetscCall(PetscCalloc2(g->ny, &rowc, g->nx, &colc));
  r0 = (g->ny * rank) / size;
  r1 = (g->ny * (rank + 1)) / size;
  nr = r1 - r0;
  PetscCall(PetscMalloc1(nr * g->nx + 1, &buf));
  ierr = ReadBlock(file, path, "mask", r0, nr, 0, nr > 0 ? g->nx : 0, buf);
  for (PetscInt r = 0; r < nr && !ierr; r++)
    for (PetscInt c = 0; c < g->nx; c++)
      if (buf[r * g->nx + c] != 0) {
        rowc[r0 + r]++;
        colc[c]++;
      }
  if (ierr) {
    PetscCall(PetscFree(buf));
    PetscCall(PetscFree2(rowc, colc));
    PetscCall(ierr);
  }
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, rowc, (int)g->ny, MPIU_INT, MPI_SUM, comm));
  PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, colc, (int)g->nx, MPIU_INT, MPI_SUM, comm));

  /* At least 3 columns and rows per rank where the grid allows: the local-inertial step reads
     ghosts 3 cells deep (one halo exchange per step, routing_li.c). */
  PetscCall(ChooseProcessGrid(g, buf, r0, nr, rowc, colc, size, &m, &n, &lx, &ly));
  PetscCall(PetscFree(buf));
  PetscCall(DMDACreate2d(comm, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DMDA_STENCIL_BOX, g->nx, g->ny, m, n, 1, 1, lx, ly, &g->da));
  PetscCall(DMSetUp(g->da));
  PetscCall(PetscFree2(lx, ly));
  PetscCall(PetscFree2(rowc, colc));
  PetscCall(DMDAGetCorners(g->da, &g->xs, &g->ys, NULL, &g->xm, &g->ym, NULL));

  PetscCall(PetscMalloc1(g->ny, &g->dx_m));
  {
    hid_t dset;

    SbCallHDF5(dset = H5Dopen2(file, "dx_m", H5P_DEFAULT));
    SbCallHDF5(H5Dread(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, g->dx_m));
    SbCallHDF5(H5Dclose(dset));
  }

  PetscCall(ReadField(g, file, "elevation", &g->elevation));
  PetscCall(ReadField(g, file, "mask", &g->mask));
  PetscCall(ReadField(g, file, "cell_area", &g->cell_area));
  PetscCall(ReadField(g, file, "channel", &g->channel));
  PetscCall(ReadField(g, file, "slope", &g->slope));
  PetscCall(ReadField(g, file, "flow_direction", &g->flow_direction));
  PetscCall(ReadField(g, file, "region", &g->region));
  PetscCall(ReadField(g, file, "soil", &g->soil));
  PetscCall(ReadField(g, file, "flow_accumulation", &g->flow_accumulation));
  PetscCall(ReadField(g, file, "landuse", &g->landuse));
  PetscCall(ReadGauges(g, file));
  PetscCall(ReadRegions(g, file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGridCreate(MPI_Comm comm, const char *path, SbGrid **grid)
{
  SbGrid        *g;
  hid_t          fapl, file;
  PetscMPIInt    size;
  PetscInt64     local[2], global[2];
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  *grid = NULL;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(CheckMeshFile(comm, path));
  PetscCall(PetscNew(&g));
  *grid   = g; /* the caller's SbGridDestroy frees what was made if a step below fails */
  g->comm = comm;
  PetscCall(PetscStrncpy(g->path, path, sizeof(g->path)));

  SbCallHDF5(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SbCallHDF5(H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL));
  SbCallHDF5(file = H5Fopen(path, H5F_ACC_RDONLY, fapl));
  SbCallHDF5(H5Pclose(fapl));
  ierr = ReadMesh(g, file);
  if (ierr) {
    /* the read errors are the same on every rank, so the close stays collective; objects the
       failed read left open make it fail, which is not the error to report */
    H5E_BEGIN_TRY { H5Fclose(file); } H5E_END_TRY;
    PetscCall(ierr);
  }
  SbCallHDF5(H5Fclose(file));

  PetscCall(ValidateFields(g));
  {
    const PetscScalar *mk, *ar;
    PetscReal          area = 0;
    PetscInt           nloc = 0, nown = g->xm * g->ym;

    PetscCall(VecGetArrayRead(g->mask, &mk));
    PetscCall(VecGetArrayRead(g->cell_area, &ar));
    for (PetscInt k = 0; k < nown; k++)
      if (mk[k] != 0) {
        nloc++;
        area += ar[k];
      }
    PetscCall(SbCellRunsCreateFromMask(g->xm, g->ym, mk, &g->active));
    PetscCall(VecRestoreArrayRead(g->mask, &mk));
    PetscCall(VecRestoreArrayRead(g->cell_area, &ar));
    g->nactive_local = nloc;
    local[0]         = nloc;
    local[1]         = nloc;
    PetscCallMPI(MPI_Allreduce(&local[0], &global[0], 1, MPIU_INT64, MPI_SUM, comm));
    PetscCallMPI(MPI_Allreduce(&local[1], &global[1], 1, MPIU_INT64, MPI_MAX, comm));
    PetscCallMPI(MPI_Allreduce(&area, &g->active_area_m2, 1, MPIU_REAL, MPI_SUM, comm));
    g->nactive        = (PetscInt)global[0];
    g->load_imbalance = global[0] > 0 ? (PetscReal)global[1] / ((PetscReal)global[0] / size) - 1.0 : 0.0;
  }
  PetscCheck(g->nactive > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /mask: no active cells", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGridDestroy(SbGrid **grid)
{
  SbGrid *g = *grid;

  PetscFunctionBeginUser;
  if (!g) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(SbGridReleaseSetUpFields(g));
  PetscCall(VecDestroy(&g->mask));
  PetscCall(SbCellRunsDestroy(&g->active));
  PetscCall(VecDestroy(&g->cell_area));
  PetscCall(VecDestroy(&g->landuse));
  PetscCall(DMDestroy(&g->da));
  PetscCall(PetscFree(g->dx_m));
  PetscCall(PetscFree(g->gauges));
  PetscCall(PetscFree(*grid));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGridReleaseSetUpFields(SbGrid *g)
{
  PetscFunctionBeginUser;
  PetscCall(VecDestroy(&g->elevation));
  PetscCall(VecDestroy(&g->channel));
  PetscCall(VecDestroy(&g->slope));
  PetscCall(VecDestroy(&g->flow_direction));
  PetscCall(VecDestroy(&g->region));
  PetscCall(VecDestroy(&g->soil));
  PetscCall(VecDestroy(&g->flow_accumulation));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbGridFindGauge(const SbGrid *grid, const char *name, PetscInt *index)
{
  PetscFunctionBeginUser;
  *index = -1;
  for (PetscInt k = 0; k < grid->ngauges; k++) {
    PetscBool same;

    PetscCall(PetscStrcmp(grid->gauges[k].name, name, &same));
    if (same) {
      *index = k;
      break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 reads and checks the raster (the error text goes to every rank), then fills a natural-
   ordering vector that PETSc redistributes to the DMDA's ownership. */
PetscErrorCode SbGridReadRaster(SbGrid *g, const char *path, const char *field, PetscReal lo, PetscReal hi, Vec *v)
{
  PetscMPIInt rank;
  char        msg[2 * PETSC_MAX_PATH_LEN + 512] = "";
  SbRaster   *r = NULL;
  Vec         natural;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  PetscCall(DMCreateGlobalVector(g->da, v));
  PetscCall(PetscObjectSetName((PetscObject)*v, field));
  PetscCall(DMDACreateNaturalVector(g->da, &natural));
  {
    PetscErrorCode ierr = PETSC_SUCCESS;
    PetscInt       failed;

    if (rank == 0) {
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      ierr = SbRasterRead(path, &r);
      PetscCall(PetscPopErrorHandler());
    }
    failed = ierr ? 1 : 0;
    PetscCallMPI(MPI_Bcast(&failed, 1, MPIU_INT, 0, g->comm));
    if (failed) {
      PetscCall(VecDestroy(&natural));
      PetscCall(VecDestroy(v));
      /* Only on this error path every rank reads the file, to fail with the reader's own
         message (row, column, token) on every rank. */
      PetscCall(SbRasterRead(path, &r));
      PetscCall(SbRasterDestroy(&r));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: cannot read the raster", field, path);
    }
  }
  if (rank == 0) {
    const double tol = 1e-6 * g->cellsize;

    if (r->nx != g->nx || r->ny != g->ny || PetscAbsReal(r->xll - g->xll) > tol || PetscAbsReal(r->yll - g->yll) > tol || PetscAbsReal(r->cellsize - g->cellsize) > tol)
      PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: %s: grid %" PetscInt_FMT "x%" PetscInt_FMT " at (%g, %g) with cellsize %g does not match the mesh %s: %" PetscInt_FMT "x%" PetscInt_FMT " at (%g, %g) with cellsize %g", field, path, r->nx, r->ny, (double)r->xll, (double)r->yll, (double)r->cellsize, g->path, g->nx, g->ny, (double)g->xll, (double)g->yll, (double)g->cellsize));
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, g->comm));
  if (msg[0]) {
    PetscCall(SbRasterDestroy(&r));
    PetscCall(VecDestroy(&natural));
    PetscCall(VecDestroy(v));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  }
  if (rank == 0) {
    PetscInt *idx;

    PetscCall(PetscMalloc1(g->nx * g->ny, &idx));
    for (PetscInt k = 0; k < g->nx * g->ny; k++) idx[k] = k;
    PetscCall(VecSetValues(natural, g->nx * g->ny, idx, r->v, INSERT_VALUES));
    PetscCall(PetscFree(idx));
  }
  PetscCall(VecAssemblyBegin(natural));
  PetscCall(VecAssemblyEnd(natural));
  PetscCall(SbRasterDestroy(&r));
  PetscCall(DMDANaturalToGlobalBegin(g->da, natural, INSERT_VALUES, *v));
  PetscCall(DMDANaturalToGlobalEnd(g->da, natural, INSERT_VALUES, *v));
  PetscCall(VecDestroy(&natural));
  {
    const PetscScalar *mk;
    PetscScalar       *a;
    PetscInt64         first = INT64_MAX, gfirst;
    PetscReal          val = 0;

    PetscCall(VecGetArrayRead(g->mask, &mk));
    PetscCall(VecGetArray(*v, &a));
    for (PetscInt j = g->ys, k = 0; j < g->ys + g->ym; j++)
      for (PetscInt i = g->xs; i < g->xs + g->xm; i++, k++) {
        if (mk[k] == 0) a[k] = 0;
        else if (first == INT64_MAX && !(a[k] >= lo && a[k] <= hi)) {
          first = (PetscInt64)j * g->nx + i;
          val   = a[k];
        }
      }
    PetscCall(VecRestoreArray(*v, &a));
    PetscCall(VecRestoreArrayRead(g->mask, &mk));
    PetscCallMPI(MPI_Allreduce(&first, &gfirst, 1, MPIU_INT64, MPI_MIN, g->comm));
    if (gfirst != INT64_MAX) {
      if (first != gfirst) val = 0;
      PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &val, 1, MPIU_REAL, MPI_SUM, g->comm));
      PetscCall(VecDestroy(v));
      /* libc formatting: PETSc's would print 0 as "0." */
      snprintf(msg, sizeof(msg), "%s: %s: row %lld, column %lld (an active cell of the mesh) has %g, expected a value in [%g, %g] (no-data only outside the basin)", field, path, (long long)(gfirst / g->nx) + 1, (long long)(gfirst % g->nx) + 1, (double)val, (double)lo, (double)hi);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
