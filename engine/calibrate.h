/* `shuibao calibrate`: parameter multipliers fitted to observed annual runoff and sediment at gauges
   with a derivative-free PETSc TAO method (docs/calibration.md). */
#ifndef SB_CALIBRATE_H
#define SB_CALIBRATE_H

#include "sbsys.h"

typedef struct {
  const char *scenario; /* the scenario to calibrate */
  const char *targets;  /* JSON: parameters (multipliers, bounds) and targets (gauge, annual runoff or sediment) */
  const char *output;   /* calibrated scenario to write; NULL: <scenario without .json>-calibrated.json */
  const char *mesh;     /* overrides the scenario's mesh; NULL: the scenario's */
  PetscInt    groups;   /* > 1: the method's first points run side by side on this many groups of ranks */
} SbCalibrateOptions;

/* Collective on comm. Every candidate is a full `shuibao run` of a scenario that extends the given
   one with the multiplied parameters, on all ranks of comm; TAO (-tao_type pounders by default,
   nm also works; -tao_max_funcs, -tao_monitor, ...) runs identically on every rank on the log of
   the multipliers within their bounds. Input errors (targets file, a gauge the mesh lacks, bounds
   that take a parameter outside its scenario range, sediment targets or erodibility with the
   scenario's sediment off) come before the first run. Writes the
   calibrated scenario (extends the input, sets only the calibrated keys) first as .partial. */
PETSC_EXTERN PetscErrorCode SbCalibrate(MPI_Comm comm, const SbCalibrateOptions *opts);

#endif
