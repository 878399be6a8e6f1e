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
} SbRunOptions;

/* Collective. Every input is checked before the time loop starts; on any error the partial
   result file is removed. */
PETSC_EXTERN PetscErrorCode SbRun(MPI_Comm comm, const SbRunOptions *opts);

#endif
