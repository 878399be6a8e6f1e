/* Common definitions for every shuibao source file: PETSc, MPI, HDF5 error macros. */
#ifndef SB_SYS_H
#define SB_SYS_H

#include <petscsys.h>
#include <hdf5.h>

#if PETSC_VERSION_LT(3, 19, 0)
  #ifndef PETSC_SUCCESS
    #define PETSC_SUCCESS 0
  #endif
#endif

#define SB_VERSION "0.1.0"

/* HDF5 calls return a negative value on failure; turn that into a PETSc error. */
#define SbCallHDF5(call) \
  do { \
    if ((long long)(call) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 call failed: %s", #call); \
  } while (0)

/* Mean Earth radius (IUGG R1), used for metric cell sizes on geographic grids. */
#define SB_EARTH_RADIUS_M 6371008.8

#define SB_MAX_NAME 64

#endif
