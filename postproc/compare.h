/* `shuibao compare`: tables over result files. */
#ifndef SB_COMPARE_H
#define SB_COMPARE_H

#include "sbsys.h"

/* Collective; rank 0 reads the files and prints to stdout. format: "md", "csv" or "json".
   figures: a folder for PNG figures (made by postproc/shuibao_figures.py with Debian's
   python3-matplotlib and python3-h5py), or NULL for none. */
PETSC_EXTERN PetscErrorCode SbCompare(MPI_Comm comm, int nfiles, const char *const *files, const char *format, const char *figures);

#endif
