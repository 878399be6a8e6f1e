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
  /* Rivers (mesh/rivers.h): cells on the lines of this GeoJSON file are channels, and are lowered by
     river_burn_m before conditioning so that D8 follows them (stream burning, Hellweger 1997). */
  const char *rivers;             /* optional GeoJSON with LineString/MultiLineString rivers */
  PetscInt    river_levels[8];    /* only features with "wdb2_level" or "level" among these */
  PetscInt    nriver_levels;      /* 0: every feature */
  PetscReal   river_burn_m;       /* >= 0; 0: channels only, no burning */
  /* Sub-grid slope (mesh/terrain.h), always written as /slope_subgrid. */
  PetscReal   slope_dimension;    /* fractal dimension D in (1, 2); 0: estimated from the DEM */
  PetscReal   slope_target_cell_m; /* 0: default 90 m */
  PetscBool   subgrid_slope_d8;   /* scale the D8 slope of the conditioned DEM (as before) instead of the
                                     local gradient of the DEM as read (default; docs/mesh-build.md) */
  /* Land use and soil from terrain rules (mesh/terrain.h) where no raster is given. */
  const char *classes;            /* optional JSON rules file */
  /* A level-pool reservoir (engine/reservoir.c): its normal pool level, written as the mesh's
     reservoir_level_m; the pool is the largest 8-connected group of active land-use water cells at
     or below it (+0.5 m). */
  PetscBool   reservoir;
  PetscReal   reservoir_level_m;
} SbMeshBuildOptions;

/* Reads the rasters (all must share the DEM's grid), checks them (NaN/no-data holes inside the
   mask, codes out of range), conditions the DEM and fills mesh. Errors name the file and field. */
PETSC_EXTERN PetscErrorCode SbMeshBuild(const SbMeshBuildOptions *opts, SbMeshData **mesh);

/* "1,2,4" into opts->river_levels (at most 8); errors name the option. */
PETSC_EXTERN PetscErrorCode SbMeshBuildParseLevels(const char *option, const char *text, SbMeshBuildOptions *opts);

#endif
