/* The model grid on a DMDA: mesh.h5 read in parallel, ownership ranges balancing active cells. */
#ifndef SB_GRID_H
#define SB_GRID_H

#include "sbsys.h"
#include <petscdmda.h>
#include "meshdata.h"
#include "cellruns.h"

typedef struct {
  MPI_Comm  comm;
  char      path[PETSC_MAX_PATH_LEN]; /* the mesh file */
  DM        da;                       /* dof 1, box stencil of width 1; j = row (0 north), i = column */
  PetscInt  nx, ny;
  PetscInt  xs, ys, xm, ym; /* owned block */
  PetscBool geographic;
  PetscReal xll, yll, cellsize, dy_m;
  PetscReal *dx_m; /* [ny], every row, on every rank */
  PetscReal reservoir_level_m;

  /* Static fields as global vectors on da. In a run's time loop all but mask, cell_area and landuse
     are NULL (SbGridReleaseSetUpFields) unless an assessment follows it. */
  Vec elevation; /* m */
  Vec mask;      /* 1 active, 0 inactive */
  Vec cell_area; /* m² */
  Vec channel;   /* 1 channel */
  Vec slope;     /* m/m */
  Vec region;    /* region id as a real */
  Vec soil;      /* soil texture class (SbSoil) as a real */
  Vec flow_direction; /* D8 ESRI code as a real; 0 at active cells = outlet (water leaves the grid) */
  Vec flow_accumulation; /* upstream area, m², own cell included (routing: channel hydraulic geometry) */
  Vec landuse;           /* SbLandUse as a real (routing: the reservoir's water cells) */

  PetscInt ngauges;
  SbGauge *gauges; /* every rank holds the list */
  PetscInt nregions;
  char     region_names[16][SB_MAX_NAME];

  PetscInt  nactive;       /* active cells in the whole basin */
  PetscInt  nactive_local; /* active cells owned by this rank */
  SbCellRuns active;        /* the active cells of the owned block (mask != 0), for the time loop's kernels */
  PetscReal active_area_m2;
  PetscReal load_imbalance; /* max over ranks of active cells / mean − 1 */
} SbGrid;

/* Collective. Opens mesh.h5 (error naming the file if missing or not a shuibao mesh), chooses a
   process grid and ownership ranges that balance active cells, creates the DMDA and reads the
   static fields with collective hyperslab reads. */
PETSC_EXTERN PetscErrorCode SbGridCreate(MPI_Comm comm, const char *path, SbGrid **grid);
PETSC_EXTERN PetscErrorCode SbGridDestroy(SbGrid **grid);
/* Destroy the static fields that only the modules' set-up reads (elevation, channel, slope,
   region, soil, flow_direction, flow_accumulation: 56 bytes per grid cell), leaving NULL handles;
   mask, cell_area and landuse stay. For a run whose modules, output and checkpoint are set up and
   which has no assessment after its time loop (run.c). A module that reads one of them during the
   time loop must keep its own copy of what it needs (reservoir.c keeps its cells' elevations). */
PETSC_EXTERN PetscErrorCode SbGridReleaseSetUpFields(SbGrid *grid);
/* Collective. An ESRI ASCII raster on the mesh's grid (same ncols, nrows, corner and cell size) as
   a global vector on grid->da; `field` (e.g. "assessment.k_map") names it in errors. Every active
   cell must hold a finite value in [lo, hi] (no no-data); inactive cells get 0. Errors (missing
   file, another grid, a bad value with its row and column) are one line on every rank. */
PETSC_EXTERN PetscErrorCode SbGridReadRaster(SbGrid *grid, const char *path, const char *field, PetscReal lo, PetscReal hi, Vec *v);
/* Split counts[0..len) into parts contiguous pieces of near-equal sums, each at least min_size
   long; sizes[0..parts) receives the lengths. */
PETSC_EXTERN PetscErrorCode SbGridPartition(const PetscInt *counts, PetscInt len, PetscInt parts, PetscInt min_size, PetscInt *sizes);
/* Index of gauge `name` or -1. */
PETSC_EXTERN PetscErrorCode SbGridFindGauge(const SbGrid *grid, const char *name, PetscInt *index);

#endif
