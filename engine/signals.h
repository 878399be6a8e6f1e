/* SIGINT and SIGTERM during a run: the time loop polls a flag, writes a checkpoint and stops
   cleanly, so that no half-written result is left behind and the run can be continued
   (run.c, checkpoint.h). */
#ifndef SB_SIGNALS_H
#define SB_SIGNALS_H

#include "sbsys.h"

/* Install handlers for SIGINT and SIGTERM (after PetscInitialize, replacing PETSc's for those two). */
PETSC_EXTERN PetscErrorCode SbSignalsInstall(void);
/* Collective: the signal number any rank received since the start, or 0. */
PETSC_EXTERN PetscErrorCode SbSignalsReceived(MPI_Comm comm, int *signo);

#endif
