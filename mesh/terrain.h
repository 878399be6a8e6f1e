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

/* Local gradient (tan of the slope) of every cell of the grid from z[ny*nx] (NaN: no data) by the
   3x3 finite differences of Horn (1981), Proc. IEEE 69(1):14-47, on the metric cell sizes of m
   (m->dx_m of the cell's row, m->dy_m). A neighbour without data (or off the grid) is extrapolated
   from the cell and the opposite neighbour (2 z_c - z_opposite); where that has no data either, a
   neighbour beside the cell takes z_c and a corner the plane through the cell and the two beside
   it (z_N + z_E - z_c for NE), so that a plane has its exact gradient at every cell with a
   neighbour on each axis; a cell without data gets 0. */
PETSC_EXTERN PetscErrorCode SbTerrainLocalSlope(const SbMeshData *m, const PetscReal *z, PetscReal *tan_slope);

/* m->slope_subgrid (allocated here) from tan_cell[ny*nx] (the local gradient of the DEM as read,
   or m->slope) by SbCsleSlopeCorrect (engine/csle.c, the assessment's own correction) with d_cell =
   sqrt(cell area), target_m and D; records D, target_m and the name of the source in m. */
PETSC_EXTERN PetscErrorCode SbTerrainSlopeSubgrid(SbMeshData *m, const PetscReal *tan_cell, const char *source, PetscReal D, PetscReal target_m);

/* Land use (unless keep_landuse) and soil (unless keep_soil) of every active cell from the rules
   of the JSON file path (format in docs/mesh-build.md, "Classes from terrain"), using the elevation
   z[ny*nx] of the DEM as read (before filling, which raises a reservoir's surface to its spill
   level) and m->slope_subgrid. Errors name the file and the JSON path. */
PETSC_EXTERN PetscErrorCode SbTerrainClasses(SbMeshData *m, const PetscReal *z, const char *path, PetscBool keep_landuse, PetscBool keep_soil);

/* Read and check the rules file only (mesh build checks every input before any computation). */
PETSC_EXTERN PetscErrorCode SbTerrainClassesCheck(const char *path);

#endif
