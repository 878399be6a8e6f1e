/* Time-sliced maps with CF conventions (CF 1.8: coordinate variables, units, standard_name,
   grid_mapping, _FillValue) on HDF5 dimension scales, which netCDF-4 reads as dimensions. */
#include "maps.h"
#include "h5io.h"
#include <hdf5_hl.h>
#include <math.h>

#define SB_MAPS_MAX 32

typedef struct {
  char  name[SB_MAX_NAME];
  hid_t dset;
} SbMapField;

struct _p_SbMaps {
  SbGrid    *grid;
  hid_t      file, group, time, xdim, ydim;
  PetscInt   nfields, nslices;
  SbMapField fields[SB_MAPS_MAX];
  float     *buf;  /* owned block as float32 */
  PetscReal *times; /* rank 0: time of each slice, for the XDMF description */
  PetscInt   ntimes_cap;
  char       statics[SB_MAPS_MAX][SB_MAX_NAME];
  PetscInt   nstatics;
  hsize_t    chunk[3];
};

/* A 1-D coordinate variable that is also a dimension scale. */
static PetscErrorCode CreateCoordinate(MPI_Comm comm, hid_t file, const char *name, const double *v, hsize_t n, hsize_t maxn, const char *units, const char *standard_name, const char *axis, const char *long_name, hid_t *dset)
{
  hid_t       space, dcpl, mspace;
  hsize_t     chunk = 1024;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  SbCallHDF5(space = H5Screate_simple(1, &n, &maxn));
  SbCallHDF5(dcpl = H5Pcreate(H5P_DATASET_CREATE));
  if (maxn == H5S_UNLIMITED) SbCallHDF5(H5Pset_chunk(dcpl, 1, &chunk));
  SbCallHDF5(*dset = H5Dcreate2(file, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  if (n > 0 && v) {
    /* Every rank takes part; rank 0 alone writes the values. */
    SbCallHDF5(mspace = H5Screate_simple(1, &n, NULL));
    if (rank != 0) {
      SbCallHDF5(H5Sselect_none(mspace));
      SbCallHDF5(H5Sselect_none(space));
    }
    SbCallHDF5(H5Dwrite(*dset, H5T_NATIVE_DOUBLE, mspace, space, H5P_DEFAULT, v));
    SbCallHDF5(H5Sclose(mspace));
  }
  SbCallHDF5(H5DSset_scale(*dset, name));
  PetscCall(SbH5Describe(*dset, units, long_name));
  if (standard_name) PetscCall(SbH5WriteAttrString(*dset, "standard_name", standard_name));
  if (axis) PetscCall(SbH5WriteAttrString(*dset, "axis", axis));
  SbCallHDF5(H5Pclose(dcpl));
  SbCallHDF5(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsCreate(SbGrid *g, hid_t file, const char *start, SbMaps *maps)
{
  SbMaps  m;
  double *xc, *yc;
  char    units[96], date[32];
  hid_t   crs, space;
  int     zero = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&m));
  m->grid = g;
  m->file = file;
  PetscCall(PetscMalloc1((size_t)g->xm * g->ym + 1, &m->buf));
  m->chunk[0] = 1;
  m->chunk[1] = (hsize_t)PetscMin(g->ny, 256);
  m->chunk[2] = (hsize_t)PetscMin(g->nx, 256);

  /* CF time units: "seconds since YYYY-MM-DD hh:mm:ss" (CF 1.8, section 4.4). */
  PetscCall(PetscStrncpy(date, start, sizeof(date)));
  if (strlen(date) > 10 && date[10] == 'T') date[10] = ' ';
  PetscCall(PetscSNPrintf(units, sizeof(units), "seconds since %s", date));
  PetscCall(CreateCoordinate(g->comm, file, "time", NULL, 0, H5S_UNLIMITED, units, "time", "T", "time", &m->time));
  PetscCall(SbH5WriteAttrString(m->time, "calendar", "standard"));

  PetscCall(PetscMalloc2(g->nx, &xc, g->ny, &yc));
  for (PetscInt c = 0; c < g->nx; c++) xc[c] = g->xll + (c + 0.5) * g->cellsize;
  for (PetscInt r = 0; r < g->ny; r++) yc[r] = g->yll + (g->ny - r - 0.5) * g->cellsize;
  if (g->geographic) {
    PetscCall(CreateCoordinate(g->comm, file, "x", xc, (hsize_t)g->nx, (hsize_t)g->nx, "degrees_east", "longitude", "X", "longitude of cell centre", &m->xdim));
    PetscCall(CreateCoordinate(g->comm, file, "y", yc, (hsize_t)g->ny, (hsize_t)g->ny, "degrees_north", "latitude", "Y", "latitude of cell centre (north to south)", &m->ydim));
  } else {
    PetscCall(CreateCoordinate(g->comm, file, "x", xc, (hsize_t)g->nx, (hsize_t)g->nx, "m", "projection_x_coordinate", "X", "easting of cell centre", &m->xdim));
    PetscCall(CreateCoordinate(g->comm, file, "y", yc, (hsize_t)g->ny, (hsize_t)g->ny, "m", "projection_y_coordinate", "Y", "northing of cell centre (north to south)", &m->ydim));
  }
  PetscCall(PetscFree2(xc, yc));

  /* Grid mapping (CF 1.8, section 5.6). Geographic meshes are on the sphere we use for cell
     areas; projected meshes of unknown projection (the synthetic basin) say so in WKT. */
  SbCallHDF5(space = H5Screate(H5S_SCALAR));
  SbCallHDF5(crs = H5Dcreate2(file, "crs", H5T_STD_I32LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(H5Dwrite(crs, H5T_NATIVE_INT, H5S_ALL, H5S_ALL, H5P_DEFAULT, &zero));
  if (g->geographic) {
    PetscCall(SbH5WriteAttrString(crs, "grid_mapping_name", "latitude_longitude"));
    PetscCall(SbH5WriteAttrDouble(crs, "earth_radius", SB_EARTH_RADIUS_M));
    PetscCall(SbH5WriteAttrString(crs, "crs_wkt", "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]]"));
  } else {
    PetscCall(SbH5WriteAttrString(crs, "crs_wkt", "LOCAL_CS[\"shuibao projected grid of unknown projection\",LOCAL_DATUM[\"unknown\",0],UNIT[\"metre\",1],AXIS[\"Easting\",EAST],AXIS[\"Northing\",NORTH]]"));
  }
  PetscCall(SbH5WriteAttrString(crs, "long_name", "coordinate reference system of the grid"));
  SbCallHDF5(H5Dclose(crs));
  SbCallHDF5(H5Sclose(space));

  PetscCall(SbH5WriteAttrString(file, "Conventions", "CF-1.8"));
  SbCallHDF5(m->group = H5Gcreate2(file, "maps", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  *maps = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Attach(SbMaps m, hid_t dset, PetscBool with_time)
{
  PetscFunctionBeginUser;
  if (with_time) SbCallHDF5(H5DSattach_scale(dset, m->time, 0));
  SbCallHDF5(H5DSattach_scale(dset, m->ydim, with_time ? 1 : 0));
  SbCallHDF5(H5DSattach_scale(dset, m->xdim, with_time ? 2 : 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Describe(hid_t dset, const char *units, const char *long_name, const char *standard_name)
{
  PetscFunctionBeginUser;
  PetscCall(SbH5Describe(dset, units, long_name));
  if (standard_name) PetscCall(SbH5WriteAttrString(dset, "standard_name", standard_name));
  PetscCall(SbH5WriteAttrString(dset, "grid_mapping", "crs"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsAdd(SbMaps m, const char *name, const char *units, const char *long_name, const char *standard_name, PetscInt *id)
{
  SbGrid *g = m->grid;
  hsize_t dims[3] = {0, (hsize_t)g->ny, (hsize_t)g->nx}, maxd[3] = {H5S_UNLIMITED, (hsize_t)g->ny, (hsize_t)g->nx};
  hid_t   space, dcpl, attr, aspace;
  float   fill = NAN;

  PetscFunctionBeginUser;
  PetscCheck(m->nfields < SB_MAPS_MAX, PETSC_COMM_SELF, PETSC_ERR_SUP, "at most %d map fields", SB_MAPS_MAX);
  PetscCheck(m->nslices == 0, PETSC_COMM_SELF, PETSC_ERR_ORDER, "map %s: fields must be declared before the first slice", name);
  SbCallHDF5(space = H5Screate_simple(3, dims, maxd));
  SbCallHDF5(dcpl = H5Pcreate(H5P_DATASET_CREATE));
  SbCallHDF5(H5Pset_chunk(dcpl, 3, m->chunk));
  SbCallHDF5(H5Pset_fill_value(dcpl, H5T_NATIVE_FLOAT, &fill));
  /* Parallel HDF5 writes filtered (deflated) chunks only collectively, which every write here is. */
  SbCallHDF5(H5Pset_deflate(dcpl, 1));
  SbCallHDF5(m->fields[m->nfields].dset = H5Dcreate2(m->group, name, H5T_IEEE_F32LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  PetscCall(PetscStrncpy(m->fields[m->nfields].name, name, SB_MAX_NAME));
  PetscCall(Describe(m->fields[m->nfields].dset, units, long_name, standard_name));
  SbCallHDF5(aspace = H5Screate(H5S_SCALAR));
  SbCallHDF5(attr = H5Acreate2(m->fields[m->nfields].dset, "_FillValue", H5T_IEEE_F32LE, aspace, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(H5Awrite(attr, H5T_NATIVE_FLOAT, &fill));
  SbCallHDF5(H5Aclose(attr));
  SbCallHDF5(H5Sclose(aspace));
  PetscCall(Attach(m, m->fields[m->nfields].dset, PETSC_TRUE));
  SbCallHDF5(H5Pclose(dcpl));
  SbCallHDF5(H5Sclose(space));
  *id = m->nfields++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsBeginSlice(SbMaps m, PetscReal t_s)
{
  hsize_t     n = (hsize_t)m->nslices + 1, start = (hsize_t)m->nslices, one = 1;
  hid_t       fspace, mspace;
  double      t = t_s;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(m->grid->comm, &rank));
  SbCallHDF5(H5Dset_extent(m->time, &n));
  SbCallHDF5(fspace = H5Dget_space(m->time));
  SbCallHDF5(mspace = H5Screate_simple(1, &one, NULL));
  if (rank == 0) SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &one, NULL));
  else {
    SbCallHDF5(H5Sselect_none(fspace));
    SbCallHDF5(H5Sselect_none(mspace));
  }
  SbCallHDF5(H5Dwrite(m->time, H5T_NATIVE_DOUBLE, mspace, fspace, H5P_DEFAULT, &t));
  if (m->nslices == m->ntimes_cap) {
    PetscReal *nt;

    m->ntimes_cap = m->ntimes_cap ? 2 * m->ntimes_cap : 64;
    PetscCall(PetscMalloc1(m->ntimes_cap, &nt));
    if (m->nslices) PetscCall(PetscArraycpy(nt, m->times, m->nslices));
    PetscCall(PetscFree(m->times));
    m->times = nt;
  }
  m->times[m->nslices] = t_s;
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  for (PetscInt k = 0; k < m->nfields; k++) {
    hsize_t dims[3] = {n, (hsize_t)m->grid->ny, (hsize_t)m->grid->nx};

    SbCallHDF5(H5Dset_extent(m->fields[k].dset, dims));
  }
  m->nslices++;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The owned block of v as float32, NaN outside the mask. */
static PetscErrorCode Pack(SbMaps m, Vec v)
{
  const PetscScalar *a, *mk;
  const PetscInt     n = m->grid->xm * m->grid->ym;

  PetscFunctionBeginUser;
  PetscCall(VecGetArrayRead(v, &a));
  PetscCall(VecGetArrayRead(m->grid->mask, &mk));
  for (PetscInt k = 0; k < n; k++) m->buf[k] = mk[k] != 0 ? (float)a[k] : NAN;
  PetscCall(VecRestoreArrayRead(m->grid->mask, &mk));
  PetscCall(VecRestoreArrayRead(v, &a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteBlock(SbMaps m, hid_t dset, int rank3, hsize_t slice, hid_t memtype, const void *data)
{
  SbGrid *g = m->grid;
  hsize_t start[3], count[3];
  hid_t   fspace, mspace, dxpl;
  int     d = 0;

  PetscFunctionBeginUser;
  if (rank3) {
    start[d]   = slice;
    count[d++] = 1;
  }
  start[d]   = (hsize_t)g->ys;
  count[d++] = (hsize_t)g->ym;
  start[d]   = (hsize_t)g->xs;
  count[d++] = (hsize_t)g->xm;
  SbCallHDF5(fspace = H5Dget_space(dset));
  SbCallHDF5(mspace = H5Screate_simple(d, count, NULL));
  if (g->xm > 0 && g->ym > 0) SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  else {
    SbCallHDF5(H5Sselect_none(fspace));
    SbCallHDF5(H5Sselect_none(mspace));
  }
  SbCallHDF5(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SbCallHDF5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  SbCallHDF5(H5Dwrite(dset, memtype, mspace, fspace, dxpl, data));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsWrite(SbMaps m, PetscInt id, Vec v)
{
  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id < m->nfields && m->nslices > 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "map field %" PetscInt_FMT ": no such field, or no slice begun", id);
  PetscCall(Pack(m, v));
  PetscCall(WriteBlock(m, m->fields[id].dset, 1, (hsize_t)(m->nslices - 1), H5T_NATIVE_FLOAT, m->buf));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsGetSliceCount(SbMaps m, PetscInt *n)
{
  PetscFunctionBeginUser;
  *n = m->nslices;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsGetField(SbMaps m, PetscInt id, const char **name)
{
  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id < m->nfields, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "map field %" PetscInt_FMT ": no such field", id);
  *name = m->fields[id].name;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsGetInfo(SbMaps m, PetscInt *nfields, PetscInt *nslices, const PetscReal **times_s)
{
  PetscFunctionBeginUser;
  if (nfields) *nfields = m->nfields;
  if (nslices) *nslices = m->nslices;
  if (times_s) *times_s = m->times;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsReadSlice(SbMaps m, PetscInt id, PetscInt slice, Vec v)
{
  SbGrid      *g = m->grid;
  hsize_t      start[3] = {(hsize_t)slice, (hsize_t)g->ys, (hsize_t)g->xs}, count[3] = {1, (hsize_t)g->ym, (hsize_t)g->xm};
  hid_t        fspace, mspace, dxpl;
  PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCheck(id >= 0 && id < m->nfields && slice >= 0 && slice < m->nslices, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "map field %" PetscInt_FMT ", slice %" PetscInt_FMT ": no such field or slice", id, slice);
  SbCallHDF5(fspace = H5Dget_space(m->fields[id].dset));
  SbCallHDF5(mspace = H5Screate_simple(3, count, NULL));
  SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  SbCallHDF5(dxpl = H5Pcreate(H5P_DATASET_XFER));
  SbCallHDF5(H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE));
  SbCallHDF5(H5Dread(m->fields[id].dset, H5T_NATIVE_FLOAT, mspace, fspace, dxpl, m->buf));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  PetscCall(VecGetArray(v, &a));
  for (PetscInt k = 0; k < g->xm * g->ym; k++) a[k] = (PetscScalar)m->buf[k];
  PetscCall(VecRestoreArray(v, &a));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsWrite2D(SbMaps m, const char *group, const char *name, Vec v, const char *units, const char *long_name, const char *standard_name)
{
  SbGrid            *g       = m->grid;
  hsize_t            dims[2] = {(hsize_t)g->ny, (hsize_t)g->nx};
  hid_t              grp, space, dset;
  htri_t             exists;
  const PetscScalar *a;

  PetscFunctionBeginUser;
  SbCallHDF5(exists = H5Lexists(m->file, group, H5P_DEFAULT));
  if (exists > 0) SbCallHDF5(grp = H5Gopen2(m->file, group, H5P_DEFAULT));
  else SbCallHDF5(grp = H5Gcreate2(m->file, group, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(space = H5Screate_simple(2, dims, NULL));
  SbCallHDF5(dset = H5Dcreate2(grp, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(VecGetArrayRead(v, &a));
  PetscCall(WriteBlock(m, dset, 0, 0, H5T_NATIVE_DOUBLE, a));
  PetscCall(VecRestoreArrayRead(v, &a));
  PetscCall(Describe(dset, units, long_name, standard_name));
  PetscCall(Attach(m, dset, PETSC_FALSE));
  SbCallHDF5(H5Dclose(dset));
  if (m->nstatics < SB_MAPS_MAX) PetscCall(PetscSNPrintf(m->statics[m->nstatics++], SB_MAX_NAME, "%s/%s", group, name));
  SbCallHDF5(H5Sclose(space));
  SbCallHDF5(H5Gclose(grp));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* XDMF (xdmf.org): a temporal collection of uniform grids on one rectilinear mesh (cell
   edges as VXVY, rows north to south as in the file), each time-sliced field a hyperslab of its
   [time][y][x] dataset, the static maps attached to every step. */
PetscErrorCode SbMapsWriteXdmf(SbMaps m, const char *h5_name, const char *xmf_path)
{
  SbGrid     *g = m->grid;
  PetscMPIInt rank;
  FILE       *fp;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  if (rank != 0) PetscFunctionReturn(PETSC_SUCCESS);
  fp = fopen(xmf_path, "w");
  PetscCheck(fp, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot write the XDMF description", xmf_path);
  fprintf(fp, "<?xml version=\"1.0\" ?>\n<Xdmf Version=\"2.0\">\n <Domain>\n");
  fprintf(fp, "  <Grid Name=\"maps\" GridType=\"Collection\" CollectionType=\"Temporal\">\n");
  for (PetscInt k = 0; k < m->nslices; k++) {
    fprintf(fp, "   <Grid Name=\"t%" PetscInt_FMT "\" GridType=\"Uniform\">\n    <Time Value=\"%.10g\"/>\n", k, (double)m->times[k]);
    /* XDMF 2 with a one-cell-thick 3DCoRectMesh whose origin is the north-west corner and whose
       y spacing is negative, so rows run north to south as in the file: ParaView's XDMF 3 reader
       ignores HyperSlab items, and its XDMF 2 reader misplaces VXVY edges. Origin and spacing
       are in (z, y, x) order. */
    fprintf(fp, "    <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"2 %" PetscInt_FMT " %" PetscInt_FMT "\"/>\n", g->ny + 1, g->nx + 1);
    fprintf(fp, "    <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n");
    fprintf(fp, "     <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">0 %.15g %.15g</DataItem>\n", (double)(g->yll + g->ny * g->cellsize), (double)g->xll);
    fprintf(fp, "     <DataItem Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">1 %.15g %.15g</DataItem>\n    </Geometry>\n", (double)-g->cellsize, (double)g->cellsize);
    for (PetscInt f = 0; f < m->nfields; f++) {
      fprintf(fp, "    <Attribute Name=\"%s\" Center=\"Cell\" AttributeType=\"Scalar\">\n", m->fields[f].name);
      fprintf(fp, "     <DataItem ItemType=\"HyperSlab\" Dimensions=\"1 %" PetscInt_FMT " %" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"4\" Type=\"HyperSlab\">\n", g->ny, g->nx);
      fprintf(fp, "      <DataItem Dimensions=\"3 3\" Format=\"XML\">%" PetscInt_FMT " 0 0 1 1 1 1 %" PetscInt_FMT " %" PetscInt_FMT "</DataItem>\n", k, g->ny, g->nx);
      fprintf(fp, "      <DataItem Dimensions=\"%" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"4\" Format=\"HDF\">%s:/maps/%s</DataItem>\n", m->nslices, g->ny, g->nx, h5_name, m->fields[f].name);
      fprintf(fp, "     </DataItem>\n    </Attribute>\n");
    }
    for (PetscInt f = 0; f < m->nstatics; f++) {
      const char *base = strrchr(m->statics[f], '/');

      fprintf(fp, "    <Attribute Name=\"%s\" Center=\"Cell\" AttributeType=\"Scalar\">\n", base ? base + 1 : m->statics[f]);
      fprintf(fp, "     <DataItem Dimensions=\"1 %" PetscInt_FMT " %" PetscInt_FMT "\" NumberType=\"Float\" Precision=\"8\" Format=\"HDF\">%s:/%s</DataItem>\n    </Attribute>\n", g->ny, g->nx, h5_name, m->statics[f]);
    }
    fprintf(fp, "   </Grid>\n");
  }
  fprintf(fp, "  </Grid>\n </Domain>\n</Xdmf>\n");
  PetscCheck(!ferror(fp) && !fclose(fp), PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot write the XDMF description", xmf_path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMapsDestroy(SbMaps *maps)
{
  SbMaps m = *maps;

  PetscFunctionBeginUser;
  if (!m) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt k = 0; k < m->nfields; k++) SbCallHDF5(H5Dclose(m->fields[k].dset));
  SbCallHDF5(H5Dclose(m->time));
  SbCallHDF5(H5Dclose(m->xdim));
  SbCallHDF5(H5Dclose(m->ydim));
  SbCallHDF5(H5Gclose(m->group));
  PetscCall(PetscFree(m->buf));
  PetscCall(PetscFree(m->times));
  PetscCall(PetscFree(*maps));
  PetscFunctionReturn(PETSC_SUCCESS);
}
