/* SbMeshData: allocation, metric cell sizes and the serial mesh.h5 writer. */
#include "meshdata.h"
#include "h5io.h"
#include <math.h>
#include <stdio.h>

PetscErrorCode SbMeshDataCreate(PetscInt nx, PetscInt ny, SbMeshData **mesh)
{
  SbMeshData *m;
  size_t      n;

  PetscFunctionBeginUser;
  PetscCheck(nx > 0 && ny > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "mesh: grid size must be positive, got %" PetscInt_FMT " x %" PetscInt_FMT, nx, ny);
  n = (size_t)nx * (size_t)ny;
  PetscCall(PetscNew(&m));
  m->nx = nx;
  m->ny = ny;
  PetscCall(PetscCalloc1(n, &m->elevation));
  PetscCall(PetscCalloc1(n, &m->mask));
  PetscCall(PetscCalloc1(n, &m->cell_area));
  PetscCall(PetscCalloc1(ny, &m->dx_m));
  PetscCall(PetscCalloc1(n, &m->flow_direction));
  PetscCall(PetscCalloc1(n, &m->flow_accumulation));
  PetscCall(PetscCalloc1(n, &m->slope));
  PetscCall(PetscCalloc1(n, &m->channel));
  PetscCall(PetscCalloc1(n, &m->region));
  PetscCall(PetscCalloc1(n, &m->landuse));
  PetscCall(PetscCalloc1(n, &m->soil));
  /* The defaults of `mesh build` without land-use, soil or region rasters, so that a mesh made in
     code (tests, tools) is valid once its mask, elevation and D8 are set; 0 outside the basin is
     written by SbMeshDataWrite. */
  for (size_t k = 0; k < n; k++) {
    m->region[k]  = 1;
    m->landuse[k] = SB_LU_FOREST;
    m->soil[k]    = SB_SOIL_LOAM;
  }
  m->reservoir_level_m = NAN;
  m->nregions          = 1;
  PetscCall(PetscStrncpy(m->region_names[0], "basin", sizeof(m->region_names[0])));
  *mesh = m;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeshDataDestroy(SbMeshData **mesh)
{
  SbMeshData *m = *mesh;

  PetscFunctionBeginUser;
  if (!m) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree(m->elevation));
  PetscCall(PetscFree(m->mask));
  PetscCall(PetscFree(m->cell_area));
  PetscCall(PetscFree(m->dx_m));
  PetscCall(PetscFree(m->flow_direction));
  PetscCall(PetscFree(m->flow_accumulation));
  PetscCall(PetscFree(m->slope));
  PetscCall(PetscFree(m->slope_subgrid));
  PetscCall(PetscFree(m->channel));
  PetscCall(PetscFree(m->region));
  PetscCall(PetscFree(m->landuse));
  PetscCall(PetscFree(m->soil));
  PetscCall(PetscFree(m->gauges));
  PetscCall(PetscFree(*mesh));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeshDataComputeMetrics(SbMeshData *m)
{
  PetscFunctionBeginUser;
  if (!m->geographic) {
    m->dy_m = m->cellsize;
    for (PetscInt r = 0; r < m->ny; r++) m->dx_m[r] = m->cellsize;
    for (size_t i = 0; i < (size_t)m->nx * (size_t)m->ny; i++) m->cell_area[i] = m->cellsize * m->cellsize;
  } else {
    const PetscReal R = SB_EARTH_RADIUS_M, d2r = PETSC_PI / 180.0, dlon = m->cellsize * d2r;

    m->dy_m = R * m->cellsize * d2r;
    for (PetscInt r = 0; r < m->ny; r++) {
      /* Row r spans latitudes [south, north]; row 0 is the northernmost. */
      const PetscReal north = m->yll + (m->ny - r) * m->cellsize, south = north - m->cellsize;
      const PetscReal centre = 0.5 * (north + south);
      /* Area of a cell on the sphere: R² Δλ (sin φ_n − sin φ_s) (e.g. Snyder 1987, Map Projections, p. 186). */
      const PetscReal area = R * R * dlon * (PetscSinReal(north * d2r) - PetscSinReal(south * d2r));

      m->dx_m[r] = R * PetscCosReal(centre * d2r) * dlon;
      for (PetscInt c = 0; c < m->nx; c++) m->cell_area[(size_t)r * m->nx + c] = area;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A [ny][nx] map, chunked and deflated, with CF-style units and long_name. */
static PetscErrorCode WriteMap(hid_t file, const char *name, hid_t filetype, hid_t memtype, const void *data, PetscInt nx, PetscInt ny, const char *units, const char *long_name)
{
  hsize_t dims[2] = {(hsize_t)ny, (hsize_t)nx}, chunk[2];
  hid_t   space, dcpl, dset;

  PetscFunctionBeginUser;
  chunk[0] = dims[0] < 256 ? dims[0] : 256;
  chunk[1] = dims[1] < 256 ? dims[1] : 256;
  SbCallHDF5(space = H5Screate_simple(2, dims, NULL));
  SbCallHDF5(dcpl = H5Pcreate(H5P_DATASET_CREATE));
  SbCallHDF5(H5Pset_chunk(dcpl, 2, chunk));
  SbCallHDF5(H5Pset_deflate(dcpl, 4));
  SbCallHDF5(dset = H5Dcreate2(file, name, filetype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT));
  SbCallHDF5(H5Dwrite(dset, memtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
  PetscCall(SbH5Describe(dset, units, long_name));
  SbCallHDF5(H5Dclose(dset));
  SbCallHDF5(H5Pclose(dcpl));
  SbCallHDF5(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteContents(const SbMeshData *m, const char *path, const char *partial)
{
  hid_t     file, grp;
  double   *xc, *yc;
  PetscReal active_area = 0;
  PetscInt  nactive     = 0;
  size_t    n           = (size_t)m->nx * (size_t)m->ny;

  PetscFunctionBeginUser;
  H5E_BEGIN_TRY { file = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT); } H5E_END_TRY;
  PetscCheck(file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s: cannot create the mesh file (is the directory there and writable?)", path);

  for (size_t i = 0; i < n; i++)
    if (m->mask[i]) {
      nactive++;
      active_area += m->cell_area[i];
    }

  /* Coordinates of cell centres: x west to east, y north to south (row 0 north). */
  PetscCall(PetscMalloc2(m->nx, &xc, m->ny, &yc));
  for (PetscInt c = 0; c < m->nx; c++) xc[c] = m->xll + (c + 0.5) * m->cellsize;
  for (PetscInt r = 0; r < m->ny; r++) yc[r] = m->yll + (m->ny - r - 0.5) * m->cellsize;
  PetscCall(SbH5WriteVector(file, "x", xc, (hsize_t)m->nx, m->geographic ? "degrees_east" : "m", m->geographic ? "longitude of cell centre" : "easting of cell centre"));
  PetscCall(SbH5WriteVector(file, "y", yc, (hsize_t)m->ny, m->geographic ? "degrees_north" : "m", m->geographic ? "latitude of cell centre" : "northing of cell centre"));
  PetscCall(PetscFree2(xc, yc));
  PetscCall(SbH5WriteVector(file, "dx_m", m->dx_m, (hsize_t)m->ny, "m", "metric east-west cell width of each row"));

  PetscCall(WriteMap(file, "elevation", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m->elevation, m->nx, m->ny, "m", "ground elevation, depression-filled"));
  PetscCall(WriteMap(file, "mask", H5T_STD_U8LE, H5T_NATIVE_UINT8, m->mask, m->nx, m->ny, "1", "active cell (1 = in the basin)"));
  PetscCall(WriteMap(file, "cell_area", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m->cell_area, m->nx, m->ny, "m2", "cell area"));
  PetscCall(WriteMap(file, "flow_direction", H5T_STD_U8LE, H5T_NATIVE_UINT8, m->flow_direction, m->nx, m->ny, NULL, "D8 flow direction, ESRI codes (1 E, 2 SE, 4 S, 8 SW, 16 W, 32 NW, 64 N, 128 NE, 0 none)"));
  PetscCall(WriteMap(file, "flow_accumulation", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m->flow_accumulation, m->nx, m->ny, "m2", "upstream area, own cell included"));
  PetscCall(WriteMap(file, "slope", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m->slope, m->nx, m->ny, "1", "D8 steepest-descent slope (tangent)"));
  if (m->slope_subgrid) {
    hid_t d;

    PetscCall(WriteMap(file, "slope_subgrid", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m->slope_subgrid, m->nx, m->ny, "1", "sub-grid hillslope gradient (tangent): slope scaled to slope_target_cell_m by the fractal rule of Zhang et al. (1999)"));
    SbCallHDF5(d = H5Dopen2(file, "slope_subgrid", H5P_DEFAULT));
    PetscCall(SbH5WriteAttrDouble(d, "fractal_dimension", m->slope_fractal_dimension));
    PetscCall(SbH5WriteAttrDouble(d, "target_cell_m", m->slope_target_cell_m));
    if (m->slope_subgrid_source[0]) PetscCall(SbH5WriteAttrString(d, "scaled_slope", m->slope_subgrid_source));
    SbCallHDF5(H5Dclose(d));
  }
  PetscCall(WriteMap(file, "channel", H5T_STD_U8LE, H5T_NATIVE_UINT8, m->channel, m->nx, m->ny, "1", "channel cell (1 = channel)"));
  {
    /* Class maps are 0 outside the basin (mesh.md), whatever the arrays hold there. */
    const int32_t *src[3]  = {m->region, m->landuse, m->soil};
    const char    *name[3] = {"region", "landuse", "soil"};
    const char    *desc[3] = {"region id (0 = outside)", "land use (1 forest, 2 shrub and grass, 3 sloping cropland, 4 terraced cropland, 5 paddy, 6 urban, 7 water)", "soil texture class of Rawls et al. (1983), 1 sand ... 11 clay"};
    int32_t       *v;

    PetscCall(PetscMalloc1(n, &v));
    for (int f = 0; f < 3; f++) {
      for (size_t i = 0; i < n; i++) v[i] = m->mask[i] ? src[f][i] : 0;
      PetscCall(WriteMap(file, name[f], H5T_STD_I32LE, H5T_NATIVE_INT32, v, m->nx, m->ny, NULL, desc[f]));
    }
    PetscCall(PetscFree(v));
  }

  SbCallHDF5(grp = H5Gcreate2(file, "gauges", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  for (PetscInt g = 0; g < m->ngauges; g++) {
    hid_t gg;

    SbCallHDF5(gg = H5Gcreate2(grp, m->gauges[g].name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    PetscCall(SbH5WriteAttrInt(gg, "row", (long long)m->gauges[g].row));
    PetscCall(SbH5WriteAttrInt(gg, "col", (long long)m->gauges[g].col));
    PetscCall(SbH5WriteAttrDouble(gg, "upstream_area_m2", m->gauges[g].upstream_area_m2));
    PetscCall(SbH5WriteAttrDouble(gg, "x", m->xll + (m->gauges[g].col + 0.5) * m->cellsize));
    PetscCall(SbH5WriteAttrDouble(gg, "y", m->yll + (m->ny - m->gauges[g].row - 0.5) * m->cellsize));
    SbCallHDF5(H5Gclose(gg));
  }
  SbCallHDF5(H5Gclose(grp));

  SbCallHDF5(grp = H5Gcreate2(file, "regions", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  for (PetscInt r = 0; r < m->nregions; r++) {
    hid_t gg;

    SbCallHDF5(gg = H5Gcreate2(grp, m->region_names[r], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    PetscCall(SbH5WriteAttrInt(gg, "id", (long long)(r + 1)));
    SbCallHDF5(H5Gclose(gg));
  }
  SbCallHDF5(H5Gclose(grp));

  PetscCall(SbH5WriteAttrString(file, "title", "shuibao mesh"));
  PetscCall(SbH5WriteAttrString(file, "shuibao_version", SB_VERSION));
  PetscCall(SbH5WriteAttrString(file, "source", m->source));
  PetscCall(SbH5WriteAttrString(file, "crs", m->geographic ? "EPSG:4326 (WGS84 longitude/latitude, degrees)" : "projected, metres"));
  PetscCall(SbH5WriteAttrInt(file, "nx", (long long)m->nx));
  PetscCall(SbH5WriteAttrInt(file, "ny", (long long)m->ny));
  PetscCall(SbH5WriteAttrInt(file, "geographic", (long long)m->geographic));
  PetscCall(SbH5WriteAttrDouble(file, "xllcorner", m->xll));
  PetscCall(SbH5WriteAttrDouble(file, "yllcorner", m->yll));
  PetscCall(SbH5WriteAttrDouble(file, "cellsize", m->cellsize));
  PetscCall(SbH5WriteAttrDouble(file, "dy_m", m->dy_m));
  PetscCall(SbH5WriteAttrDouble(file, "channel_threshold_m2", m->channel_threshold_m2));
  PetscCall(SbH5WriteAttrDouble(file, "reservoir_level_m", m->reservoir_level_m));
  PetscCall(SbH5WriteAttrInt(file, "active_cells", (long long)nactive));
  PetscCall(SbH5WriteAttrDouble(file, "active_area_m2", active_area));
  PetscCall(SbH5WriteAttrInt(file, "nregions", (long long)m->nregions));
  SbCallHDF5(H5Fclose(file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbMeshDataWrite(const SbMeshData *m, const char *path)
{
  char           partial[PETSC_MAX_PATH_LEN];
  PetscErrorCode ierr;
  int            haserr;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(partial, sizeof(partial), "%s.partial", path));
  /* Never leave a half-written mesh: on any failure remove the partial file, then report. */
  ierr = WriteContents(m, path, partial);
  if (ierr) {
    (void)remove(partial);
    PetscCall(ierr);
  }
  haserr = rename(partial, path);
  PetscCheck(!haserr, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s: cannot rename %s into place", path, partial);
  PetscFunctionReturn(PETSC_SUCCESS);
}
