/* Terrain-derived mesh fields for basins without finer data (docs/mesh-build.md, docs/hanjiang.md):
   the sub-grid slope of coarse cells and land-use and soil classes from elevation, slope and
   published basin shares. Serial, at mesh build time. */
#ifndef SB_TERRAIN_H
#define SB_TERRAIN_H

#include "meshdata.h"

/* Fractal dimension D of the terrain from the DEM itself, after Zhang, Drake, Wainwright &
   Mulligan (1999): the mean slope |Δz|/d over pairs of active cells d = 1, 2, 3, 4 cells apart
   (east-west and north-south, metric distances) scales as d^(1-D); D = 1 - b with b the
   least-squares slope of log mean slope against log d, bounded to [1, 1.99] (1: no correction, for
   surfaces smoother than a fractal or without relief). z: [ny*nx] elevations (the DEM before
   conditioning); m->mask: active cells. */
PETSC_EXTERN PetscErrorCode SbTerrainFractalDimension(const SbMeshData *m, const PetscReal *z, PetscReal *D);

/* m->slope_subgrid (allocated here) from m->slope by SbCsleSlopeCorrect (engine/csle.c, the
   assessment's own correction) with d_cell = sqrt(cell area), target_m and D; records D and
   target_m in m. */
PETSC_EXTERN PetscErrorCode SbTerrainSlopeSubgrid(SbMeshData *m, PetscReal D, PetscReal target_m);

/* Land use (unless keep_landuse) and soil (unless keep_soil) of every active cell from the rules
   of the JSON file path (format in docs/mesh-build.md, "Classes from terrain"), using the elevation
   z[ny*nx] of the DEM as read (before filling, which raises a reservoir's surface to its spill
   level) and m->slope_subgrid. Errors name the file and the JSON path. */
PETSC_EXTERN PetscErrorCode SbTerrainClasses(SbMeshData *m, const PetscReal *z, const char *path, PetscBool keep_landuse, PetscBool keep_soil);

/* Read and check the rules file only (mesh build checks every input before any computation). */
PETSC_EXTERN PetscErrorCode SbTerrainClassesCheck(const char *path);

#endif
