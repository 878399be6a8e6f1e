/* `shuibao run`: one scenario, from mesh.h5 and scenario.json to result.h5. */
#ifndef SB_RUN_H
#define SB_RUN_H

#include "sbsys.h"

typedef struct {
  const char *scenario;     /* scenario JSON file */
  const char *output;       /* result file, overrides output.file; NULL: the scenario's */
  const char *mesh;         /* mesh file, overrides the scenario's "mesh"; NULL: the scenario's */
  PetscBool   quiet;        /* no progress lines */
  const char *command_line; /* for /provenance */
  /* Checkpoints (docs/output.md): */
  PetscReal   checkpoint_every_s; /* write a checkpoint every this much simulated time; 0: never (signals and bad states still write one) */
  const char *checkpoint;         /* checkpoint file; NULL: <result without .h5>.ckpt.h5 */
  const char *restart;            /* continue from this checkpoint; NULL: start at t = 0 */
} SbRunOptions;

/* Collective. Every input is checked before the time loop starts; on any error the partial
   result file is removed. */
PETSC_EXTERN PetscErrorCode SbRun(MPI_Comm comm, const SbRunOptions *opts);

#endif
