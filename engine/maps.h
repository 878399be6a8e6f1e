/* Time-sliced maps in result.h5, netCDF-4/CF-readable: dimension scales /time, /y, /x, a /crs
   grid mapping, static inputs under /static and one [time][y][x] float32 dataset per field under
   /maps, extended by one slice at every output time. All calls are collective. */
#ifndef SB_MAPS_H
#define SB_MAPS_H

#include "grid.h"

typedef struct _p_SbMaps *SbMaps;

/* start: the scenario start "YYYY-MM-DDThh:mm:ss", for the CF time units. */
PETSC_EXTERN PetscErrorCode SbMapsCreate(SbGrid *grid, hid_t file, const char *start, SbMaps *maps);
/* Declare a field before the first slice; standard_name NULL where CF has none. */
PETSC_EXTERN PetscErrorCode SbMapsAdd(SbMaps maps, const char *name, const char *units, const char *long_name, const char *standard_name, PetscInt *id);
/* Start a new slice at time t_s (seconds since the start). */
PETSC_EXTERN PetscErrorCode SbMapsBeginSlice(SbMaps maps, PetscReal t_s);
/* Write field id of the current slice from a global vector on grid->da (inactive cells become NaN). */
PETSC_EXTERN PetscErrorCode SbMapsWrite(SbMaps maps, PetscInt id, Vec v);
PETSC_EXTERN PetscErrorCode SbMapsGetSliceCount(SbMaps maps, PetscInt *n);
/* For checkpoints (output.c): the number of fields and of slices written so far with their times
   (not owned; any may be NULL), the name of field id, and slice `slice` of field id read back (float32 as written,
   NaN outside the mask) into a global vector on grid->da. ReadSlice is collective. */
PETSC_EXTERN PetscErrorCode SbMapsGetInfo(SbMaps maps, PetscInt *nfields, PetscInt *nslices, const PetscReal **times_s);
PETSC_EXTERN PetscErrorCode SbMapsGetField(SbMaps maps, PetscInt id, const char **name);
PETSC_EXTERN PetscErrorCode SbMapsReadSlice(SbMaps maps, PetscInt id, PetscInt slice, Vec v);
/* A [y][x] float64 map in group (created if absent, e.g. "static" or "maps"), with the dimension
   scales attached. */
PETSC_EXTERN PetscErrorCode SbMapsWrite2D(SbMaps maps, const char *group, const char *name, Vec v, const char *units, const char *long_name, const char *standard_name);
/* Rank 0 writes an XDMF 2 description (ParaView, VisIt) of the time-sliced maps and the static
   maps to xmf_path; h5_name is the result file's name as the XDMF refers to it (relative to the
   XDMF file's folder). */
PETSC_EXTERN PetscErrorCode SbMapsWriteXdmf(SbMaps maps, const char *h5_name, const char *xmf_path);
/* Close the datasets (before the file is closed). */
PETSC_EXTERN PetscErrorCode SbMapsDestroy(SbMaps *maps);

#endif
