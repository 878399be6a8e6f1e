/* Shared by the unit tests: capturing an error's message instead of printing it, and counting
   checks. Header-only (static functions), included by each tests/unit/test_*.c. */
#ifndef SB_TEST_H
#define SB_TEST_H

#include "sbsys.h"
#include <stdio.h>

typedef struct {
  PetscErrorCode code;
  char           msg[2048];
} Capture;

typedef struct {
  char     dir[PETSC_MAX_PATH_LEN]; /* scratch folder of the test, where one is needed */
  PetscInt failures, checks;
} Test;

/* Error handler that keeps the first message of an error (the one composed where it was raised;
   later levels pass PETSC_ERROR_REPEAT) instead of printing it, so the test can look at it. */
static inline PetscErrorCode CaptureHandler(MPI_Comm comm, int line, const char *func, const char *file, PetscErrorCode n, PetscErrorType p, const char *mess, void *ctx)
{
  Capture *cap = (Capture *)ctx;

  (void)comm;
  (void)line;
  (void)func;
  (void)file;
  if (p == PETSC_ERROR_INITIAL) {
    cap->code = n;
    (void)snprintf(cap->msg, sizeof(cap->msg), "%s", mess ? mess : "");
  }
  return n;
}

static inline PetscErrorCode Check(Test *t, PetscBool ok, const char *what)
{
  PetscFunctionBeginUser;
  t->checks++;
  if (!ok) t->failures++;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: %s\n", ok ? "ok  " : "FAIL", what));
  PetscFunctionReturn(PETSC_SUCCESS);
}

#endif
