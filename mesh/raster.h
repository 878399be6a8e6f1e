/* ESRI ASCII grid (.asc) reading and writing. */
#ifndef SB_RASTER_H
#define SB_RASTER_H

#include "sbsys.h"

typedef struct {
  PetscInt   nx, ny;     /* ncols, nrows */
  PetscReal  xll, yll;   /* lower-left corner (xllcenter/yllcenter headers are converted to corners) */
  PetscReal  cellsize;
  PetscBool  has_nodata;
  PetscReal  nodata;     /* NODATA_value */
  PetscReal *v;          /* [ny*nx], row 0 north; nodata cells hold NaN after reading */
} SbRaster;

/* Read an ESRI ASCII grid. Any malformed header, short or long data, a non-numeric token, or a
   NaN/Inf value gives a PETSC_ERR_USER_INPUT error whose one-line message names the file and
   what is wrong (with row/column where it applies). */
PETSC_EXTERN PetscErrorCode SbRasterRead(const char *path, SbRaster **raster);
/* Parse the text of an ESRI ASCII grid (NUL-terminated); name is the file name used in error
   messages. Same checks and messages as SbRasterRead, which reads the file and calls this. */
PETSC_EXTERN PetscErrorCode SbRasterParse(const char *name, const char *text, SbRaster **raster);
/* Read a whole text file into a NUL-terminated buffer that the caller frees with PetscFree. A
   missing or unreadable file, a directory, or a NUL byte (binary file) is a PETSC_ERR_USER_INPUT
   error naming the file. Also used for the gauge CSV of `mesh build`. */
PETSC_EXTERN PetscErrorCode SbRasterReadText(const char *path, char **text);
/* A zero-filled nx x ny raster (no NODATA_value) with the given corner and cell size. */
PETSC_EXTERN PetscErrorCode SbRasterCreate(PetscInt nx, PetscInt ny, PetscReal xll, PetscReal yll, PetscReal cellsize, SbRaster **raster);
/* Write as ESRI ASCII (xllcorner/yllcorner; NaN cells as NODATA_value, which must then be set;
   values written so that they read back exactly), first as path.partial, renamed when complete. */
PETSC_EXTERN PetscErrorCode SbRasterWrite(const SbRaster *raster, const char *path);
PETSC_EXTERN PetscErrorCode SbRasterDestroy(SbRaster **raster);
/* PETSC_TRUE when the header looks geographic (all corners within lon [-180,360], lat [-90,90]
   and cellsize < 1): the grid is then taken as WGS84 degrees. */
PETSC_EXTERN PetscErrorCode SbRasterIsGeographic(const SbRaster *raster, PetscBool *geographic);
/* Error naming both files unless a and b have the same nx, ny, xll, yll and cellsize (to 1e-6 of a cell). */
PETSC_EXTERN PetscErrorCode SbRasterCheckSameGrid(const SbRaster *a, const char *path_a, const SbRaster *b, const char *path_b);

#endif
