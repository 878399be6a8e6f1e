/* Small HDF5 helpers: attributes and 1-D datasets. */
#include "h5io.h"

PetscErrorCode SbH5WriteAttrString(hid_t obj, const char *name, const char *value)
{
  hid_t  type, space, attr;
  size_t len = strlen(value);

  PetscFunctionBeginUser;
  SbCallHDF5(type = H5Tcopy(H5T_C_S1));
  SbCallHDF5(H5Tset_size(type, len > 0 ? len : 1));
  SbCallHDF5(H5Tset_strpad(type, H5T_STR_NULLTERM));
  SbCallHDF5(H5Tset_cset(type, H5T_CSET_UTF8));
  SbCallHDF5(space = H5Screate(H5S_SCALAR));
  SbCallHDF5(attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(H5Awrite(attr, type, len > 0 ? value : ""));
  SbCallHDF5(H5Aclose(attr));
  SbCallHDF5(H5Sclose(space));
  SbCallHDF5(H5Tclose(type));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteAttrScalar(hid_t obj, const char *name, hid_t filetype, hid_t memtype, const void *value)
{
  hid_t space, attr;

  PetscFunctionBeginUser;
  SbCallHDF5(space = H5Screate(H5S_SCALAR));
  SbCallHDF5(attr = H5Acreate2(obj, name, filetype, space, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(H5Awrite(attr, memtype, value));
  SbCallHDF5(H5Aclose(attr));
  SbCallHDF5(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5WriteAttrDouble(hid_t obj, const char *name, double value)
{
  PetscFunctionBeginUser;
  PetscCall(WriteAttrScalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5WriteAttrInt(hid_t obj, const char *name, long long value)
{
  PetscFunctionBeginUser;
  PetscCall(WriteAttrScalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_LLONG, &value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadAttrScalar(hid_t obj, const char *file, const char *name, hid_t memtype, void *value)
{
  hid_t attr;
  htri_t exists;

  PetscFunctionBeginUser;
  SbCallHDF5(exists = H5Aexists(obj, name));
  PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: attribute %s: missing (not a shuibao file, or an older version?)", file, name);
  SbCallHDF5(attr = H5Aopen(obj, name, H5P_DEFAULT));
  SbCallHDF5(H5Aread(attr, memtype, value));
  SbCallHDF5(H5Aclose(attr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5ReadAttrDouble(hid_t obj, const char *file, const char *name, double *value)
{
  PetscFunctionBeginUser;
  PetscCall(ReadAttrScalar(obj, file, name, H5T_NATIVE_DOUBLE, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5ReadAttrInt(hid_t obj, const char *file, const char *name, long long *value)
{
  PetscFunctionBeginUser;
  PetscCall(ReadAttrScalar(obj, file, name, H5T_NATIVE_LLONG, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5ReadAttrString(hid_t obj, const char *file, const char *name, char *buf, size_t len)
{
  hid_t  attr, type, memtype;
  htri_t exists, isvar;
  size_t size;

  PetscFunctionBeginUser;
  SbCallHDF5(exists = H5Aexists(obj, name));
  PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: attribute %s: missing", file, name);
  SbCallHDF5(attr = H5Aopen(obj, name, H5P_DEFAULT));
  SbCallHDF5(type = H5Aget_type(attr));
  SbCallHDF5(isvar = H5Tis_variable_str(type));
  if (isvar) {
    char *s = NULL;

    SbCallHDF5(memtype = H5Tcopy(H5T_C_S1));
    SbCallHDF5(H5Tset_size(memtype, H5T_VARIABLE));
    SbCallHDF5(H5Tset_cset(memtype, H5Tget_cset(type)));
    SbCallHDF5(H5Aread(attr, memtype, &s));
    PetscCall(PetscStrncpy(buf, s ? s : "", len));
    H5free_memory(s);
  } else {
    char *tmp;

    size = H5Tget_size(type);
    PetscCall(PetscCalloc1(size + 1, &tmp));
    SbCallHDF5(memtype = H5Tcopy(H5T_C_S1));
    SbCallHDF5(H5Tset_size(memtype, size + 1));
    SbCallHDF5(H5Tset_cset(memtype, H5Tget_cset(type)));
    SbCallHDF5(H5Aread(attr, memtype, tmp));
    PetscCall(PetscStrncpy(buf, tmp, len));
    PetscCall(PetscFree(tmp));
  }
  SbCallHDF5(H5Tclose(memtype));
  SbCallHDF5(H5Tclose(type));
  SbCallHDF5(H5Aclose(attr));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5Describe(hid_t obj, const char *units, const char *long_name)
{
  PetscFunctionBeginUser;
  if (units) PetscCall(SbH5WriteAttrString(obj, "units", units));
  if (long_name) PetscCall(SbH5WriteAttrString(obj, "long_name", long_name));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbH5WriteVector(hid_t loc, const char *name, const double *data, hsize_t n, const char *units, const char *long_name)
{
  hid_t space, dset;

  PetscFunctionBeginUser;
  SbCallHDF5(space = H5Screate_simple(1, &n, NULL));
  SbCallHDF5(dset = H5Dcreate2(loc, name, H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  if (data && n > 0) SbCallHDF5(H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data));
  PetscCall(SbH5Describe(dset, units, long_name));
  SbCallHDF5(H5Dclose(dset));
  SbCallHDF5(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}
