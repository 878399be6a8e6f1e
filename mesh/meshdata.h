/* The model grid as held in memory on one process, before it is written to mesh.h5.
   Arrays are [ny*nx], row 0 at the north edge (as in ESRI ASCII grids), index r*nx + c.
   The creator of an SbMeshData owns its arrays; SbMeshDataDestroy frees them. */
#ifndef SB_MESHDATA_H
#define SB_MESHDATA_H

#include "sbsys.h"
#include <stdint.h>

/* D8 flow directions, ESRI codes: 1 E, 2 SE, 4 S, 8 SW, 16 W, 32 NW, 64 N, 128 NE; 0 = none
   (inactive cell or the basin outlet, whose water leaves the grid). */
enum { SB_D8_NONE = 0, SB_D8_E = 1, SB_D8_SE = 2, SB_D8_S = 4, SB_D8_SW = 8, SB_D8_W = 16, SB_D8_NW = 32, SB_D8_N = 64, SB_D8_NE = 128 };

/* Column and row offsets (di, dj) of an ESRI D8 code, row 0 north so south is dj = +1; PETSC_FALSE
   (and zeros) for SB_D8_NONE or an invalid code. */
static inline PetscBool SbD8Offset(PetscInt code, PetscInt *di, PetscInt *dj)
{
  switch (code) {
  case SB_D8_E: *di = 1; *dj = 0; return PETSC_TRUE;
  case SB_D8_SE: *di = 1; *dj = 1; return PETSC_TRUE;
  case SB_D8_S: *di = 0; *dj = 1; return PETSC_TRUE;
  case SB_D8_SW: *di = -1; *dj = 1; return PETSC_TRUE;
  case SB_D8_W: *di = -1; *dj = 0; return PETSC_TRUE;
  case SB_D8_NW: *di = -1; *dj = -1; return PETSC_TRUE;
  case SB_D8_N: *di = 0; *dj = -1; return PETSC_TRUE;
  case SB_D8_NE: *di = 1; *dj = -1; return PETSC_TRUE;
  default: *di = 0; *dj = 0; return PETSC_FALSE;
  }
}

/* Land-use classes (/landuse). 0 = outside the basin. */
/* A reservoir's pool: active land-use water cells at most this far above its level (engine/reservoir.c;
   mesh build --reservoir-level), which admits DEMs showing the water surface with a little noise. */
#define SB_POOL_TOLERANCE_M 0.5

typedef enum {
  SB_LU_NONE = 0,
  SB_LU_FOREST = 1,
  SB_LU_SHRUB_GRASS = 2,
  SB_LU_SLOPING_CROPLAND = 3,
  SB_LU_TERRACED_CROPLAND = 4,
  SB_LU_PADDY = 5,
  SB_LU_URBAN = 6,
  SB_LU_WATER = 7,
  SB_LU_COUNT = 8
} SbLandUse;

/* Soil texture classes (/soil), numbered as in Rawls, Brakensiek & Miller (1983), Table 1,
   which gives their Green-Ampt parameters. 0 = outside the basin. */
typedef enum {
  SB_SOIL_NONE = 0,
  SB_SOIL_SAND = 1,
  SB_SOIL_LOAMY_SAND = 2,
  SB_SOIL_SANDY_LOAM = 3,
  SB_SOIL_LOAM = 4,
  SB_SOIL_SILT_LOAM = 5,
  SB_SOIL_SANDY_CLAY_LOAM = 6,
  SB_SOIL_CLAY_LOAM = 7,
  SB_SOIL_SILTY_CLAY_LOAM = 8,
  SB_SOIL_SANDY_CLAY = 9,
  SB_SOIL_SILTY_CLAY = 10,
  SB_SOIL_CLAY = 11,
  SB_SOIL_COUNT = 12
} SbSoil;

typedef struct {
  char      name[SB_MAX_NAME]; /* lower case, [a-z0-9_] */
  PetscInt  row, col;          /* cell of the gauge, row 0 north */
  PetscReal upstream_area_m2;  /* flow_accumulation at (row, col) */
} SbGauge;

typedef struct {
  PetscInt  nx, ny;
  PetscReal xll, yll; /* lower-left corner of the grid, in CRS units (ESRI xllcorner/yllcorner) */
  PetscReal cellsize; /* in CRS units: metres, or degrees when geographic */
  PetscBool geographic; /* PETSC_TRUE: WGS84 lon/lat degrees; PETSC_FALSE: projected metres */

  PetscReal *elevation;         /* m, conditioned (depression-filled), NaN outside the mask is not allowed: use any finite value */
  uint8_t   *mask;              /* 1 = active (in the basin) */
  PetscReal *cell_area;         /* m² */
  PetscReal *dx_m;              /* [ny] metric E-W cell width of each row */
  PetscReal  dy_m;              /* metric N-S cell height */
  uint8_t   *flow_direction;    /* D8, ESRI codes above */
  PetscReal *flow_accumulation; /* upstream area in m², own cell included; 0 outside */
  PetscReal *slope;             /* tan(steepest-descent angle), m/m, of the conditioned surface */
  PetscReal *slope_subgrid;     /* NULL, or tan of the sub-grid slope (mesh/terrain.h): written as /slope_subgrid */
  PetscReal  slope_fractal_dimension, slope_target_cell_m; /* D and target cell of slope_subgrid */
  char       slope_subgrid_source[128]; /* the slope it scales (mesh/terrain.h SbTerrainSlopeSubgrid) */
  uint8_t   *channel;           /* 1 = channel cell */
  int32_t   *region;            /* 1.. = region id, 0 outside */
  int32_t   *landuse;           /* SbLandUse */
  int32_t   *soil;              /* SbSoil */

  PetscInt   ngauges;
  SbGauge   *gauges; /* always contains "outlet" */

  PetscInt   nregions;                      /* number of regions (ids 1..nregions) */
  char       region_names[16][SB_MAX_NAME]; /* names of regions 1..nregions (index id-1) */
  PetscReal  channel_threshold_m2;          /* accumulation threshold used for /channel */
  PetscReal  reservoir_level_m;             /* normal pool level of a reservoir, NaN if none */
  char       source[1024];                   /* how the mesh was made (command line / inputs) */
} SbMeshData;

/* Allocate every array for an nx x ny grid, zero-filled; sets nx, ny, reservoir_level_m = NaN. */
PETSC_EXTERN PetscErrorCode SbMeshDataCreate(PetscInt nx, PetscInt ny, SbMeshData **mesh);
PETSC_EXTERN PetscErrorCode SbMeshDataDestroy(SbMeshData **mesh);
/* Fill dx_m, dy_m and cell_area from nx, ny, xll, yll, cellsize, geographic. */
PETSC_EXTERN PetscErrorCode SbMeshDataComputeMetrics(SbMeshData *mesh);
/* Write mesh.h5 (serial, one process), first as path.partial, renamed when complete. */
PETSC_EXTERN PetscErrorCode SbMeshDataWrite(const SbMeshData *mesh, const char *path);

#endif
