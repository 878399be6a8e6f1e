/* `shuibao mesh build`: a mesh from real rasters. */
#ifndef SB_BUILD_H
#define SB_BUILD_H

#include "meshdata.h"

typedef struct {
  const char *dem;       /* required */
  const char *mask;      /* optional: nonzero & not nodata = active; default: every non-nodata DEM cell */
  const char *regions;   /* optional: integer region ids (0 = outside); default: one region */
  const char *landuse;   /* optional: SbLandUse codes 1..7; default: forest everywhere (a placeholder, docs/mesh-build.md) */
  const char *soil;      /* optional: SbSoil codes 1..11; default: loam everywhere (a placeholder) */
  const char *gauges;    /* optional CSV with a header row: columns name and x|lon|approx_lon and y|lat|approx_lat */
  PetscReal   channel_threshold_km2; /* 0 = default 10 km²; negative is an error */
} SbMeshBuildOptions;

/* Reads the rasters (all must share the DEM's grid), checks them (NaN/no-data holes inside the
   mask, codes out of range), conditions the DEM and fills mesh. Errors name the file and field. */
PETSC_EXTERN PetscErrorCode SbMeshBuild(const SbMeshBuildOptions *opts, SbMeshData **mesh);

#endif
