/* result.h5: written collectively, first as <file>.partial, renamed when complete. */
#ifndef SB_OUTPUT_H
#define SB_OUTPUT_H

#include "state.h"
#include "scenario.h"
#include "checkpoint.h"

typedef struct _p_SbOutput *SbOutput;

/* Collective. Creates <path>.partial at once, so an unwritable path fails before any computation;
   writes the static inputs and declares the time-sliced maps (start: the scenario start, for
   the CF time units). */
PETSC_EXTERN PetscErrorCode SbOutputCreate(SbGrid *grid, const char *path, const char *start, SbOutput *out);
/* Collective. One slice of the time-sliced maps at time t_s. */
PETSC_EXTERN PetscErrorCode SbOutputWriteSlice(SbOutput out, SbState *state, PetscReal t_s);
/* Record one time of the gauge series (rank 0 keeps them until the end). */
PETSC_EXTERN PetscErrorCode SbOutputRecord(SbOutput out, PetscReal t_s, const PetscReal *discharge_m3_s, PetscReal rain_mm_h, PetscReal storage_m3);

typedef struct {
  PetscReal  rain_m3, infiltration_m3, outflow_m3, storage_initial_m3, storage_final_m3;
  /* vertical water balance (docs/hydrology.md): fluxes and the other stores, m³ */
  PetscReal  interception_m3, canopy_evaporation_m3, soil_et_m3, percolation_m3, baseflow_m3;
  PetscReal  canopy_initial_m3, canopy_final_m3, soil_initial_m3, soil_final_m3, groundwater_initial_m3, groundwater_final_m3;
  PetscReal *gauge_volume_m3; /* [ngauges] */
  PetscReal  relative_error;
} SbWaterBudget;

typedef struct {
  const char *scenario_text, *scenario_path, *mesh_path, *command_line;
  PetscInt    steps;
  PetscReal   wall_s, load_imbalance;
} SbProvenance;

/* Collective. Writes series, budget, final maps and provenance, closes and renames into place. */
PETSC_EXTERN PetscErrorCode SbOutputFinish(SbOutput out, SbState *state, const SbWaterBudget *budget, const SbProvenance *prov);
/* The open result file (the .partial one), for modules that add their own groups collectively
   before SbOutputFinish; not owned by the caller. */
PETSC_EXTERN PetscErrorCode SbOutputGetFile(SbOutput out, hid_t *file);
/* Collective. A [y][x] float64 map in group (e.g. "maps"), with dimension scales and in the XDMF
   sidecar, before SbOutputFinish (the annual assessment's maps). */
PETSC_EXTERN PetscErrorCode SbOutputWriteMap(SbOutput out, const char *group, const char *name, Vec v, const char *units, const char *long_name);
/* A module's time-sliced map (sediment.c's cumulative erosion maps), declared before the first
   slice: at every slice fn(ctx, v) fills v, a global vector on grid->da, which is written like the
   water maps (float32 under /maps, in the XDMF sidecar and in checkpoints). At most 8. Collective. */
typedef PetscErrorCode (*SbOutputMapFn)(void *ctx, Vec v);
PETSC_EXTERN PetscErrorCode SbOutputAddSliceMap(SbOutput out, const char *name, const char *units, const char *long_name, const char *standard_name, SbOutputMapFn fn, void *ctx);
/* A module's part of the result written inside SbOutputFinish, after /series and /budget exist (it
   may add to them): fn(ctx, file) is called collectively with the open file. At most 4 hooks. */
typedef PetscErrorCode (*SbOutputFinishFn)(void *ctx, hid_t file);
PETSC_EXTERN PetscErrorCode SbOutputAddFinishHook(SbOutput out, SbOutputFinishFn fn, void *ctx);
/* Register the output's position with a checkpoint written to ck_path: the recorded series goes into
   the checkpoint, the map slices written since the last checkpoint into a new segment file in the
   folder beside it (ck_path without .h5, plus .maps); reading a checkpoint (before the first record)
   writes them again into this result, so a restarted run's result holds the whole series. */
PETSC_EXTERN PetscErrorCode SbOutputCheckpointRegister(SbOutput out, SbCheckpoint ck, const char *ck_path);
/* Close and remove the partial file (after an error); safe on NULL. Not collective on HDF5. */
PETSC_EXTERN PetscErrorCode SbOutputAbort(SbOutput *out);
PETSC_EXTERN PetscErrorCode SbOutputDestroy(SbOutput *out);

#endif
