/* libFuzzer harness for the scenario parser: any bytes as a scenario file must give either a
   scenario or a one-line PETSC_ERR_USER_INPUT error, with no crash, leak or undefined behaviour.
   Build: CC=clang cmake -DSB_FUZZ=ON (see docs/fuzzing.md). */
#include "scenario.h"
#include <stdio.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  /* libFuzzer's own flags are not PETSc options. */
  if (PetscInitializeNoArguments()) return 1;
  if (PetscPushErrorHandler(PetscReturnErrorHandler, NULL)) return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char        path[64];
  FILE       *fp;
  SbScenario *sc = NULL;

  snprintf(path, sizeof(path), "/tmp/sbfuzz-%d.json", (int)getpid());
  fp = fopen(path, "wb");
  if (!fp) return 0;
  if (size) fwrite(data, 1, size, fp);
  fclose(fp);
  if (!SbScenarioLoad(PETSC_COMM_SELF, path, &sc)) (void)SbScenarioDestroy(&sc);
  return 0;
}
