/* River lines from a GeoJSON file, rasterised onto the mesh grid (docs/mesh-build.md, "Rivers").
   Serial, at mesh build time. */
#ifndef SB_RIVERS_H
#define SB_RIVERS_H

#include "meshdata.h"

/* Reads path (GeoJSON: a FeatureCollection, a Feature or a bare geometry) and marks river[i] = 1
   for every cell of the grid of m (nx, ny, xll, yll, cellsize; coordinates in the grid's units) that
   a LineString or MultiLineString passes through. With nlevels > 0 only features whose integer
   property "wdb2_level" (GSHHG WDBII) or "level" is one of levels[] count. river has nx*ny entries,
   set by this function; nmarked counts the cells marked (any mask). Errors are
   PETSC_ERR_USER_INPUT naming the file and the JSON path, e.g.
     rivers.geojson: features[2].geometry.coordinates[0][3]: expected [x, y] numbers */
PETSC_EXTERN PetscErrorCode SbRiversRasterize(const char *path, const SbMeshData *m, const PetscInt *levels, PetscInt nlevels, uint8_t *river, PetscInt *nmarked);

#endif
