/* Small HDF5 helpers shared by the mesh writer, the mesh reader and the result writer. */
#ifndef SB_H5IO_H
#define SB_H5IO_H

#include "sbsys.h"

PETSC_EXTERN PetscErrorCode SbH5WriteAttrString(hid_t obj, const char *name, const char *value);
PETSC_EXTERN PetscErrorCode SbH5WriteAttrDouble(hid_t obj, const char *name, double value);
PETSC_EXTERN PetscErrorCode SbH5WriteAttrInt(hid_t obj, const char *name, long long value);
/* Read a scalar numeric attribute; error naming file and attribute when absent. */
PETSC_EXTERN PetscErrorCode SbH5ReadAttrDouble(hid_t obj, const char *file, const char *name, double *value);
PETSC_EXTERN PetscErrorCode SbH5ReadAttrInt(hid_t obj, const char *file, const char *name, long long *value);
/* Read a string attribute into buf (truncated to len-1 characters). */
PETSC_EXTERN PetscErrorCode SbH5ReadAttrString(hid_t obj, const char *file, const char *name, char *buf, size_t len);
/* Create a 1-D float64 dataset with units and long_name; data written by the calling process
   only when write is true (collective creation, independent or collective write). */
PETSC_EXTERN PetscErrorCode SbH5WriteVector(hid_t loc, const char *name, const double *data, hsize_t n, const char *units, const char *long_name);
/* Set units and long_name of an open object. */
PETSC_EXTERN PetscErrorCode SbH5Describe(hid_t obj, const char *units, const char *long_name);

#endif
