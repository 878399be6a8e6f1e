/* `shuibao mesh synth`: the built-in synthetic basin shaped like the Danjiangkou catchment. */
#ifndef SB_SYNTH_H
#define SB_SYNTH_H

#include "meshdata.h"

/* Deterministic for a given (cell_size_m, seed) on any machine (no libc rand(); own PRNG and
   hash-based noise). cell_size_m in [90, 5000]. Produces a projected (metric) grid with regions
   1 upper, 2 middle, 3 lower (names "upper", "middle", "lower"), land use, soil, gauges
   ankang, baihe, outlet, reservoir_level_m = 170, conditioned by SbFlowCondition. */
PETSC_EXTERN PetscErrorCode SbMeshSynth(PetscReal cell_size_m, PetscInt seed, SbMeshData **mesh);

#endif
