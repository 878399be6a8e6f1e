/* libFuzzer harness for the ESRI ASCII grid parser: any text must give a raster or a one-line
   PETSC_ERR_USER_INPUT error, with no crash, leak or undefined behaviour. */
#include "raster.h"
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  (void)argc;
  (void)argv;
  if (PetscInitializeNoArguments()) return 1;
  if (PetscPushErrorHandler(PetscReturnErrorHandler, NULL)) return 1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char     *text = malloc(size + 1);
  SbRaster *r    = NULL;

  if (!text) return 0;
  if (size) memcpy(text, data, size);
  text[size] = 0;
  if (!SbRasterParse("fuzz.asc", text, &r)) (void)SbRasterDestroy(&r);
  free(text);
  return 0;
}
