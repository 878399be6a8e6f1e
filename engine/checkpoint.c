/* Checkpoints: registered state written collectively to one HDF5 file and read back on any rank
   count (checkpoint.h, docs/output.md). */
#include "checkpoint.h"
#include "h5io.h"
#include <cjson/cJSON.h>
#include <petscdmda.h>
#include <sys/stat.h>
#include <unistd.h>
#include <errno.h>
#include <time.h>
#include <stdint.h>

#define SB_CHECKPOINT_FORMAT "shuibao checkpoint 1"

typedef enum { SB_CK_VEC, SB_CK_REAL, SB_CK_INT, SB_CK_LOCALSUM, SB_CK_HOOK, SB_CK_IDENTITY } SbCheckpointKind;

typedef struct {
  char                name[128];
  SbCheckpointKind    kind;
  Vec                 vec;
  PetscReal          *real;
  PetscInt           *ints;
  PetscInt            n;
  SbCheckpointWriteFn write;
  SbCheckpointReadFn  read;
  void               *ctx;
  char                text[128]; /* SB_CK_IDENTITY */
} SbCheckpointItem;

struct _p_SbCheckpoint {
  SbGrid           *grid; /* not owned */
  uint64_t          mesh_hash;
  char             *scenario_id; /* canonical JSON text (see checkpoint.h) */
  char             *defaults;    /* this build's scenario defaults (SbScenarioDefaults) */
  SbCheckpointItem *items;
  PetscInt          nitems, cap;
  PetscLogEvent     ev_write, ev_read;
};

/* splitmix64 (Steele, Lea & Flood 2014): a bijective mixer, so that the sum below changes when any
   value moves to another cell or another field. */
static uint64_t Mix(uint64_t x)
{
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

/* Order-independent hash of the static mesh fields: the wrapping sum over cells of
   Mix(value bits ^ Mix(global index, field)), so every decomposition gives the same number. */
static PetscErrorCode MeshHash(SbGrid *g, uint64_t *hash)
{
  Vec      fields[] = {g->elevation, g->mask, g->cell_area, g->channel, g->slope, g->region, g->soil, g->flow_direction, g->flow_accumulation, g->landuse};
  uint64_t h        = 0, all;

  PetscFunctionBeginUser;
  for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
    const PetscScalar *a;

    PetscCall(VecGetArrayRead(fields[f], &a));
    for (PetscInt k = 0; k < g->xm * g->ym; k++) {
      const uint64_t gi = (uint64_t)((g->ys + k / g->xm) * g->nx + (g->xs + k % g->xm));
      uint64_t       bits;
      double         v = (double)a[k];

      memcpy(&bits, &v, sizeof(bits));
      h += Mix(bits ^ Mix(gi * 16 + (uint64_t)f));
    }
    PetscCall(VecRestoreArrayRead(fields[f], &a));
  }
  PetscCallMPI(MPI_Allreduce(&h, &all, 1, MPI_UINT64_T, MPI_SUM, g->comm));
  {
    double geo[4] = {(double)g->xll, (double)g->yll, (double)g->cellsize, (double)g->geographic};

    for (int q = 0; q < 4; q++) {
      uint64_t bits;

      memcpy(&bits, &geo[q], sizeof(bits));
      all = Mix(all ^ bits);
    }
  }
  *hash = all;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The scenario's identity: the merged scenario without the keys that may change on a restart and
   without "//" comments. */
static void StripComments(cJSON *o)
{
  cJSON *c = o ? o->child : NULL;

  while (c) {
    cJSON *next = c->next;

    if (c->string && !strcmp(c->string, "//")) cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
    else if (cJSON_IsObject(c)) StripComments(c);
    c = next;
  }
}

static PetscErrorCode ScenarioIdentity(const SbScenario *sc, char **id)
{
  cJSON *root = cJSON_Parse(sc->text ? sc->text : "{}"), *o;
  char  *text;

  PetscFunctionBeginUser;
  PetscCheck(root, PETSC_COMM_SELF, PETSC_ERR_PLIB, "checkpoint: cannot parse the merged scenario");
  cJSON_DeleteItemFromObjectCaseSensitive(root, "name");
  cJSON_DeleteItemFromObjectCaseSensitive(root, "description");
  cJSON_DeleteItemFromObjectCaseSensitive(root, "mesh");
  cJSON_DeleteItemFromObjectCaseSensitive(root, "extends");
  if ((o = cJSON_GetObjectItemCaseSensitive(root, "output"))) cJSON_DeleteItemFromObjectCaseSensitive(o, "file");
  if ((o = cJSON_GetObjectItemCaseSensitive(root, "time"))) cJSON_DeleteItemFromObjectCaseSensitive(o, "duration_h");
  StripComments(root);
  text = cJSON_PrintUnformatted(root);
  cJSON_Delete(root);
  PetscCheck(text, PETSC_COMM_SELF, PETSC_ERR_MEM, "checkpoint: cannot print the scenario identity");
  PetscCall(PetscStrallocpy(text, id));
  cJSON_free(text);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The first JSON path where a and b differ, with both values, into buf. */
static void Differ(const cJSON *a, const cJSON *b, const char *path, char *buf, size_t n)
{
  if (buf[0]) return;
  if (cJSON_IsObject(a) && cJSON_IsObject(b)) {
    const cJSON *c;

    for (c = a->child; c && !buf[0]; c = c->next) {
      char sub[512];

      snprintf(sub, sizeof(sub), "%s%s%s", path, path[0] ? "." : "", c->string);
      Differ(c, cJSON_GetObjectItemCaseSensitive(b, c->string), sub, buf, n);
    }
    for (c = b->child; c && !buf[0]; c = c->next)
      if (!cJSON_GetObjectItemCaseSensitive(a, c->string)) snprintf(buf, n, "%s%s%s (the checkpoint's scenario leaves it at its default)", path, path[0] ? "." : "", c->string);
    return;
  }
  if (!b) {
    snprintf(buf, n, "%s (this run's scenario leaves it at its default)", path);
    return;
  }
  if (!cJSON_Compare(a, b, 1)) {
    char *ta = cJSON_PrintUnformatted(a), *tb = cJSON_PrintUnformatted(b);

    snprintf(buf, n, "%s (checkpoint %.60s, this run %.60s)", path, ta ? ta : "?", tb ? tb : "?");
    cJSON_free(ta);
    cJSON_free(tb);
  }
}

PetscErrorCode SbCheckpointCreate(SbGrid *grid, const SbScenario *sc, SbCheckpoint *ck)
{
  SbCheckpoint c;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&c));
  c->grid = grid;
  PetscCall(MeshHash(grid, &c->mesh_hash));
  PetscCall(ScenarioIdentity(sc, &c->scenario_id));
  PetscCall(SbScenarioDefaults(&c->defaults));
  PetscCall(PetscLogEventRegister("SbCheckpointWrite", DM_CLASSID, &c->ev_write));
  PetscCall(PetscLogEventRegister("SbCheckpointRead", DM_CLASSID, &c->ev_read));
  *ck = c;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointDestroy(SbCheckpoint *ck)
{
  PetscFunctionBeginUser;
  if (!*ck) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree((*ck)->items));
  PetscCall(PetscFree((*ck)->scenario_id));
  PetscCall(PetscFree((*ck)->defaults));
  PetscCall(PetscFree(*ck));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Append a copy of item under name (unique). */
static PetscErrorCode AddItem(SbCheckpoint ck, const char *name, SbCheckpointItem item)
{
  PetscFunctionBeginUser;
  PetscCheck(strlen(name) > 0 && strlen(name) < sizeof(item.name) && name[0] != '/', PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "checkpoint: bad name \"%s\"", name);
  for (PetscInt i = 0; i < ck->nitems; i++) PetscCheck(strcmp(ck->items[i].name, name), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "checkpoint: \"%s\" registered twice", name);
  if (ck->nitems == ck->cap) {
    SbCheckpointItem *n;

    ck->cap = ck->cap ? 2 * ck->cap : 16;
    PetscCall(PetscCalloc1(ck->cap, &n));
    if (ck->nitems) PetscCall(PetscArraycpy(n, ck->items, ck->nitems));
    PetscCall(PetscFree(ck->items));
    ck->items = n;
  }
  PetscCall(PetscStrncpy(item.name, name, sizeof(item.name)));
  ck->items[ck->nitems++] = item;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointAddVec(SbCheckpoint ck, const char *name, Vec v)
{
  SbCheckpointItem it = {.kind = SB_CK_VEC, .vec = v};
  PetscInt         n;

  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(v, &n));
  PetscCheck(ck->grid->xm * ck->grid->ym > 0 && n % (ck->grid->xm * ck->grid->ym) == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "checkpoint: %s: not a vector with the grid's ownership", name);
  PetscCall(AddItem(ck, name, it));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointAddReal(SbCheckpoint ck, const char *name, PetscReal *v, PetscInt n)
{
  SbCheckpointItem it = {.kind = SB_CK_REAL, .real = v, .n = n};

  PetscFunctionBeginUser;
  PetscCall(AddItem(ck, name, it));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointAddInt(SbCheckpoint ck, const char *name, PetscInt *v, PetscInt n)
{
  SbCheckpointItem it = {.kind = SB_CK_INT, .ints = v, .n = n};

  PetscFunctionBeginUser;
  PetscCall(AddItem(ck, name, it));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointAddLocalSum(SbCheckpoint ck, const char *name, PetscReal *v, PetscInt n)
{
  SbCheckpointItem it = {.kind = SB_CK_LOCALSUM, .real = v, .n = n};

  PetscFunctionBeginUser;
  PetscCall(AddItem(ck, name, it));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointAddIdentity(SbCheckpoint ck, const char *name, const char *value)
{
  SbCheckpointItem it = {.kind = SB_CK_IDENTITY};

  PetscFunctionBeginUser;
  PetscCheck(!strchr(name, '/'), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "checkpoint: identity \"%s\": no / in its name", name);
  PetscCall(PetscStrncpy(it.text, value, sizeof(it.text)));
  PetscCall(AddItem(ck, name, it));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointAddHook(SbCheckpoint ck, const char *name, SbCheckpointWriteFn write, SbCheckpointReadFn read, void *ctx)
{
  SbCheckpointItem it = {.kind = SB_CK_HOOK, .write = write, .read = read, .ctx = ctx};

  PetscFunctionBeginUser;
  PetscCall(AddItem(ck, name, it));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether the object at path name (a/b/c) exists under loc: H5Lexists fails, rather than says
   no, when an intermediate group is missing. */
static PetscErrorCode PathExists(hid_t loc, const char *name, htri_t *exists)
{
  char   part[256];
  size_t len = strlen(name);

  PetscFunctionBeginUser;
  PetscCheck(len < sizeof(part), PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "checkpoint: name too long: %s", name);
  *exists = 1;
  for (size_t i = 1; i <= len && *exists > 0; i++)
    if (name[i] == '/' || name[i] == 0) {
      memcpy(part, name, i);
      part[i] = 0;
      SbCallHDF5(*exists = H5Lexists(loc, part, H5P_DEFAULT));
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Natural-ordering dataset of a global vector: [ny][nx] or [ny][nx][dof]. */
static PetscErrorCode FieldSpaces(SbGrid *g, Vec v, hsize_t dims[3], hsize_t start[3], hsize_t count[3], int *rank)
{
  PetscInt n;

  PetscFunctionBeginUser;
  PetscCall(VecGetLocalSize(v, &n));
  dims[0]  = (hsize_t)g->ny;
  dims[1]  = (hsize_t)g->nx;
  dims[2]  = (hsize_t)(n / (g->xm * g->ym));
  start[0] = (hsize_t)g->ys;
  start[1] = (hsize_t)g->xs;
  start[2] = 0;
  count[0] = (hsize_t)g->ym;
  count[1] = (hsize_t)g->xm;
  count[2] = dims[2];
  *rank    = dims[2] == 1 ? 2 : 3;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Collective(hid_t *dxpl)
{
  PetscFunctionBeginUser;
  SbCallHDF5(*dxpl = H5Pcreate(H5P_DATASET_XFER));
  SbCallHDF5(H5Pset_dxpl_mpio(*dxpl, H5FD_MPIO_COLLECTIVE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Lcpl(hid_t *lcpl)
{
  PetscFunctionBeginUser;
  SbCallHDF5(*lcpl = H5Pcreate(H5P_LINK_CREATE));
  SbCallHDF5(H5Pset_create_intermediate_group(*lcpl, 1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointWriteField(SbGrid *g, hid_t loc, const char *name, Vec v, PetscBool single)
{
  hsize_t            dims[3], start[3], count[3];
  int                rank = 2;
  hid_t              fspace, mspace, dset, dxpl, lcpl, dcpl;
  const PetscScalar *a;

  PetscFunctionBeginUser;
  PetscCall(FieldSpaces(g, v, dims, start, count, &rank));
  PetscCall(Lcpl(&lcpl));
  SbCallHDF5(fspace = H5Screate_simple(rank, dims, NULL));
  SbCallHDF5(dcpl = H5Pcreate(H5P_DATASET_CREATE));
  if (single) {
    /* Copies of result maps, NaN outside the basin: deflated like the result (parallel HDF5
       writes filtered chunks collectively, as here). The state stays uncompressed: it is written
       often and read once. */
    hsize_t chunk[3] = {PetscMin(dims[0], 256), PetscMin(dims[1], 256), dims[2]};

    SbCallHDF5(H5Pset_chunk(dcpl, rank, chunk));
    SbCallHDF5(H5Pset_deflate(dcpl, 1));
  }
  SbCallHDF5(dset = H5Dcreate2(loc, name, single ? H5T_IEEE_F32LE : H5T_IEEE_F64LE, fspace, lcpl, dcpl, H5P_DEFAULT));
  SbCallHDF5(H5Pclose(dcpl));
  SbCallHDF5(mspace = H5Screate_simple(rank, count, NULL));
  SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  PetscCall(Collective(&dxpl));
  PetscCall(VecGetArrayRead(v, &a));
  if (single) {
    /* Converted here: a type conversion inside HDF5 breaks collective I/O, which filters need. */
    float   *f;
    PetscInt n;

    PetscCall(VecGetLocalSize(v, &n));
    PetscCall(PetscMalloc1(n + 1, &f));
    for (PetscInt k = 0; k < n; k++) f[k] = (float)a[k];
    SbCallHDF5(H5Dwrite(dset, H5T_NATIVE_FLOAT, mspace, fspace, dxpl, f));
    PetscCall(PetscFree(f));
  } else SbCallHDF5(H5Dwrite(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, a));
  PetscCall(VecRestoreArrayRead(v, &a));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Pclose(lcpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  SbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointReadField(SbGrid *g, hid_t loc, const char *file, const char *name, Vec v)
{
  hsize_t      dims[3], start[3], count[3], fdims[3] = {0, 0, 1};
  int          rank = 2, frank;
  hid_t        fspace, mspace, dset, dxpl;
  PetscScalar *a;
  htri_t       exists;

  PetscFunctionBeginUser;
  PetscCall(FieldSpaces(g, v, dims, start, count, &rank));
  PetscCall(PathExists(loc, name, &exists));
  PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: missing from the checkpoint", file, name);
  SbCallHDF5(dset = H5Dopen2(loc, name, H5P_DEFAULT));
  SbCallHDF5(fspace = H5Dget_space(dset));
  SbCallHDF5(frank = H5Sget_simple_extent_dims(fspace, fdims, NULL));
  PetscCheck(frank == rank && fdims[0] == dims[0] && fdims[1] == dims[1] && fdims[2] == dims[2], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: %llu x %llu x %llu values, expected %llu x %llu x %llu", file, name, (unsigned long long)fdims[0], (unsigned long long)fdims[1], (unsigned long long)fdims[2], (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)dims[2]);
  SbCallHDF5(mspace = H5Screate_simple(rank, count, NULL));
  SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  PetscCall(Collective(&dxpl));
  PetscCall(VecGetArray(v, &a));
  SbCallHDF5(H5Dread(dset, H5T_NATIVE_DOUBLE, mspace, fspace, dxpl, a));
  PetscCall(VecRestoreArray(v, &a));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  SbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A small dataset written by rank 0 (dims[0] x dims[1]), or by every rank its own row (rows). */
static PetscErrorCode WriteSmall(hid_t loc, const char *name, hid_t ftype, hid_t mtype, const void *data, hsize_t n0, hsize_t n1, PetscBool rows, PetscMPIInt rank)
{
  hsize_t dims[2] = {n0, n1}, start[2] = {rows ? (hsize_t)rank : 0, 0}, count[2] = {rows ? 1 : n0, n1};
  hid_t   fspace, mspace, dset, lcpl, dxpl;

  PetscFunctionBeginUser;
  PetscCall(Lcpl(&lcpl));
  SbCallHDF5(fspace = H5Screate_simple(2, dims, NULL));
  SbCallHDF5(dset = H5Dcreate2(loc, name, ftype, fspace, lcpl, H5P_DEFAULT, H5P_DEFAULT));
  SbCallHDF5(mspace = H5Screate_simple(2, count, NULL));
  if ((rows || rank == 0) && n1 > 0 && count[0] > 0) SbCallHDF5(H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL));
  else {
    SbCallHDF5(H5Sselect_none(fspace));
    SbCallHDF5(H5Sselect_none(mspace));
  }
  PetscCall(Collective(&dxpl));
  SbCallHDF5(H5Dwrite(dset, mtype, mspace, fspace, dxpl, data));
  SbCallHDF5(H5Pclose(dxpl));
  SbCallHDF5(H5Pclose(lcpl));
  SbCallHDF5(H5Sclose(mspace));
  SbCallHDF5(H5Sclose(fspace));
  SbCallHDF5(H5Dclose(dset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every rank reads the whole small dataset, which must hold n0 x n1 values (n0 = 0: any rows;
   *rows receives the count). */
static PetscErrorCode ReadSmall(hid_t loc, const char *file, const char *name, hid_t mtype, size_t size, hsize_t n1, hsize_t want_rows, void **data, hsize_t *rows)
{
  hid_t   dset, fspace;
  hsize_t dims[2] = {0, 0};
  htri_t  exists;
  int     nd;

  PetscFunctionBeginUser;
  PetscCall(PathExists(loc, name, &exists));
  PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: missing from the checkpoint", file, name);
  SbCallHDF5(dset = H5Dopen2(loc, name, H5P_DEFAULT));
  SbCallHDF5(fspace = H5Dget_space(dset));
  SbCallHDF5(nd = H5Sget_simple_extent_dims(fspace, dims, NULL));
  PetscCheck(nd == 2 && dims[1] == n1 && (want_rows == 0 || dims[0] == want_rows), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: %llu x %llu values, expected %llu x %llu", file, name, (unsigned long long)dims[0], (unsigned long long)dims[1], (unsigned long long)want_rows, (unsigned long long)n1);
  PetscCall(PetscMalloc(size * (size_t)(dims[0] * dims[1] + 1), data));
  if (dims[0] * dims[1] > 0) SbCallHDF5(H5Dread(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, *data));
  SbCallHDF5(H5Sclose(fspace));
  SbCallHDF5(H5Dclose(dset));
  *rows = dims[0];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointWriteReals(hid_t loc, const char *name, const PetscReal *v, PetscInt n0, PetscInt n1)
{
  PetscMPIInt rank = 0;
  MPI_Comm    comm;
  hid_t       fapl, file;

  PetscFunctionBeginUser;
  /* The communicator of the open file, so that only rank 0 writes. */
  SbCallHDF5(file = H5Iget_file_id(loc));
  SbCallHDF5(fapl = H5Fget_access_plist(file));
  SbCallHDF5(H5Pget_fapl_mpio(fapl, &comm, NULL));
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_free(&comm));
  SbCallHDF5(H5Pclose(fapl));
  SbCallHDF5(H5Fclose(file));
  PetscCall(WriteSmall(loc, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, v, (hsize_t)n0, (hsize_t)n1, PETSC_FALSE, rank));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointReadReals(hid_t loc, const char *file, const char *name, PetscInt n1, PetscReal **v, PetscInt *n0)
{
  hsize_t rows;

  PetscFunctionBeginUser;
  PetscCall(ReadSmall(loc, file, name, H5T_NATIVE_DOUBLE, sizeof(double), (hsize_t)n1, 0, (void **)v, &rows));
  *n0 = (PetscInt)rows;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointWrite(SbCheckpoint ck, const char *path, PetscReal t_s, const char *reason)
{
  SbGrid     *g = ck->grid;
  char        partial[PETSC_MAX_PATH_LEN + 16], msg[PETSC_MAX_PATH_LEN + 128] = "", hash[32], when[64];
  hid_t       fapl, file, grp;
  PetscMPIInt rank, size;
  long long  *box;
  time_t      now = time(NULL);

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  PetscCallMPI(MPI_Comm_size(g->comm, &size));
  PetscCall(PetscSNPrintf(partial, sizeof(partial), "%s.partial", path));
  if (rank == 0) {
    FILE *fp = fopen(partial, "wb");

    if (!fp) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot write the checkpoint: %s", path, strerror(errno)));
    else fclose(fp);
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, g->comm));
  PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "%s", msg);
  PetscCall(PetscLogEventBegin(ck->ev_write, 0, 0, 0, 0));

  SbCallHDF5(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SbCallHDF5(H5Pset_fapl_mpio(fapl, g->comm, MPI_INFO_NULL));
  SbCallHDF5(file = H5Fcreate(partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl));
  SbCallHDF5(H5Pclose(fapl));
  PetscCall(SbH5WriteAttrString(file, "format", SB_CHECKPOINT_FORMAT));
  PetscCall(SbH5WriteAttrString(file, "shuibao_version", SB_VERSION " (" SB_GIT_DESCRIBE ")"));
  PetscCall(SbH5WriteAttrString(file, "reason", reason));
  PetscCall(SbH5WriteAttrDouble(file, "time_s", (double)t_s));
  PetscCall(SbH5WriteAttrInt(file, "ranks", (long long)size));
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
  PetscCall(SbH5WriteAttrString(file, "created", when));
  SbCallHDF5(grp = H5Gcreate2(file, "identity", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(SbH5WriteAttrString(grp, "mesh", g->path));
  PetscCall(SbH5WriteAttrInt(grp, "nx", (long long)g->nx));
  PetscCall(SbH5WriteAttrInt(grp, "ny", (long long)g->ny));
  PetscCall(PetscSNPrintf(hash, sizeof(hash), "%016llx", (unsigned long long)ck->mesh_hash));
  PetscCall(SbH5WriteAttrString(grp, "mesh_hash", hash));
  PetscCall(SbH5WriteAttrString(grp, "scenario", ck->scenario_id));
  PetscCall(SbH5WriteAttrString(grp, "defaults", ck->defaults));
  SbCallHDF5(H5Gclose(grp));
  /* The decomposition, so that per-rank sums are restored as they were only on the same one. */
  PetscCall(PetscMalloc1(4, &box));
  box[0] = g->xs;
  box[1] = g->ys;
  box[2] = g->xm;
  box[3] = g->ym;
  PetscCall(WriteSmall(file, "identity/ownership", H5T_STD_I64LE, H5T_NATIVE_LLONG, box, (hsize_t)size, 4, PETSC_TRUE, rank));
  PetscCall(PetscFree(box));

  for (PetscInt i = 0; i < ck->nitems; i++) {
    SbCheckpointItem *it = &ck->items[i];

    switch (it->kind) {
    case SB_CK_VEC:
      PetscCall(SbCheckpointWriteField(g, file, it->name, it->vec, PETSC_FALSE));
      break;
    case SB_CK_REAL:
      PetscCall(WriteSmall(file, it->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, it->real, 1, (hsize_t)it->n, PETSC_FALSE, rank));
      break;
    case SB_CK_INT: {
      long long *v;

      PetscCall(PetscMalloc1(it->n + 1, &v));
      for (PetscInt k = 0; k < it->n; k++) v[k] = it->ints[k];
      PetscCall(WriteSmall(file, it->name, H5T_STD_I64LE, H5T_NATIVE_LLONG, v, 1, (hsize_t)it->n, PETSC_FALSE, rank));
      PetscCall(PetscFree(v));
    } break;
    case SB_CK_LOCALSUM:
      PetscCall(WriteSmall(file, it->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, it->real, (hsize_t)size, (hsize_t)it->n, PETSC_TRUE, rank));
      break;
    case SB_CK_IDENTITY:
      SbCallHDF5(grp = H5Gopen2(file, "identity", H5P_DEFAULT));
      PetscCall(SbH5WriteAttrString(grp, it->name, it->text));
      SbCallHDF5(H5Gclose(grp));
      break;
    case SB_CK_HOOK: {
      hid_t lcpl;

      PetscCall(Lcpl(&lcpl));
      SbCallHDF5(grp = H5Gcreate2(file, it->name, lcpl, H5P_DEFAULT, H5P_DEFAULT));
      PetscCall((*it->write)(it->ctx, grp));
      SbCallHDF5(H5Gclose(grp));
      SbCallHDF5(H5Pclose(lcpl));
    } break;
    }
  }
  SbCallHDF5(H5Fclose(file));
  PetscCallMPI(MPI_Barrier(g->comm));
  if (rank == 0 && rename(partial, path) != 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot rename %s into place: %s", path, partial, strerror(errno)));
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, g->comm));
  PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "%s", msg);
  PetscCall(PetscLogEventEnd(ck->ev_write, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 looks at the file first, so that every rank gives the same one-line error. */
static PetscErrorCode CheckFile(MPI_Comm comm, const char *path)
{
  PetscMPIInt rank;
  char        msg[PETSC_MAX_PATH_LEN + 128] = "";

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    struct stat st;
    htri_t      is = 0;

    if (stat(path, &st) != 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot open the checkpoint: %s", path, strerror(errno)));
    else if (S_ISDIR(st.st_mode)) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: cannot open the checkpoint: is a directory", path));
    else {
      H5E_BEGIN_TRY { is = H5Fis_hdf5(path); } H5E_END_TRY;
      if (is <= 0) PetscCall(PetscSNPrintf(msg, sizeof(msg), "%s: not an HDF5 file (a checkpoint is written by shuibao run --checkpoint-every)", path));
    }
  }
  PetscCallMPI(MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, 0, comm));
  PetscCheck(!msg[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", msg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Identity checks: format, mesh, scenario, time. */
/* A string attribute of any length, into a new array (PetscFree it); NULL when absent. */
static PetscErrorCode ReadLongString(hid_t obj, const char *path, const char *name, char **s)
{
  hid_t  attr, type;
  size_t len;
  htri_t exists;

  PetscFunctionBeginUser;
  *s = NULL;
  SbCallHDF5(exists = H5Aexists(obj, name));
  if (exists <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  SbCallHDF5(attr = H5Aopen(obj, name, H5P_DEFAULT));
  SbCallHDF5(type = H5Aget_type(attr));
  len = H5Tget_size(type);
  SbCallHDF5(H5Tclose(type));
  SbCallHDF5(H5Aclose(attr));
  PetscCall(PetscMalloc1(len + 2, s));
  PetscCall(SbH5ReadAttrString(obj, path, name, *s, len + 2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether the scenario (nested objects) sets the dotted key. */
static PetscBool ScenarioSets(const cJSON *sc, const char *key)
{
  char        part[256];
  const char *p = key;

  while (sc && cJSON_IsObject(sc)) {
    const char *dot = strchr(p, '.');
    size_t      n   = dot ? (size_t)(dot - p) : strlen(p);

    if (n >= sizeof(part)) return PETSC_FALSE;
    memcpy(part, p, n);
    part[n] = 0;
    sc = cJSON_GetObjectItemCaseSensitive(sc, part);
    if (!dot) return sc ? PETSC_TRUE : PETSC_FALSE;
    p = dot + 1;
  }
  return PETSC_FALSE;
}

/* The first key of this build whose default differs from that of the build that wrote the
   checkpoint (theirs), or that build did not have, among the keys the scenario does not set (the
   keys it sets are compared as part of the scenario). */
static void DefaultsDiffer(const char *theirs, const char *ours, const char *scenario, char *buf, size_t n)
{
  cJSON *a = cJSON_Parse(theirs), *b = cJSON_Parse(ours), *s = cJSON_Parse(scenario);

  if (!a) snprintf(buf, n, "its identity/defaults cannot be parsed");
  else if (b)
    for (const cJSON *c = b->child; c && !buf[0]; c = c->next) {
      const cJSON *o = cJSON_GetObjectItemCaseSensitive(a, c->string);
      char        *x, *y;

      if (ScenarioSets(s, c->string)) continue;
      x = o ? cJSON_PrintUnformatted(o) : NULL;
      y = cJSON_PrintUnformatted(c);
      if (y && !o) snprintf(buf, n, "%s (default %s in this build) is not a key of the build that wrote it", c->string, y);
      else if (x && y && strcmp(x, y)) snprintf(buf, n, "%s defaults to %s in the build that wrote it and to %s in this one", c->string, x, y);
      if (x) cJSON_free(x);
      if (y) cJSON_free(y);
    }
  cJSON_Delete(a);
  cJSON_Delete(b);
  cJSON_Delete(s);
}

static PetscErrorCode CheckIdentity(SbCheckpoint ck, hid_t file, const char *path, PetscReal end_s, PetscReal *t_s)
{
  SbGrid   *g = ck->grid;
  char      buf[256], hash[32], mesh[PETSC_MAX_PATH_LEN], diff[512] = "", ddiff[512] = "", version[256] = "unknown", *sid, *defaults;
  long long nx, ny;
  double    t;
  hid_t     grp;
  htri_t    exists;

  PetscFunctionBeginUser;
  H5E_BEGIN_TRY { exists = H5Aexists(file, "format"); } H5E_END_TRY;
  buf[0] = 0;
  if (exists > 0) PetscCall(SbH5ReadAttrString(file, path, "format", buf, sizeof(buf)));
  PetscCheck(!strcmp(buf, SB_CHECKPOINT_FORMAT), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: not a shuibao checkpoint (format \"%s\", expected \"%s\")", path, buf, SB_CHECKPOINT_FORMAT);
  SbCallHDF5(grp = H5Gopen2(file, "identity", H5P_DEFAULT));
  PetscCall(SbH5ReadAttrString(grp, path, "mesh", mesh, sizeof(mesh)));
  PetscCall(SbH5ReadAttrInt(grp, path, "nx", &nx));
  PetscCall(SbH5ReadAttrInt(grp, path, "ny", &ny));
  PetscCall(SbH5ReadAttrString(grp, path, "mesh_hash", hash, sizeof(hash)));
  PetscCall(ReadLongString(grp, path, "scenario", &sid));
  PetscCheck(sid, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: identity: scenario: missing from the checkpoint", path);
  PetscCall(ReadLongString(grp, path, "defaults", &defaults));
  SbCallHDF5(H5Gclose(grp)); /* before any check fails: the caller closes the file */
  /* Checkpoints written before 2026-11-29 hold no defaults: they are taken as they are. */
  if (defaults) DefaultsDiffer(defaults, ck->defaults, sid, ddiff, sizeof(ddiff));
  PetscCall(PetscFree(defaults));
  if (ddiff[0]) {
    H5E_BEGIN_TRY { exists = H5Aexists(file, "shuibao_version"); } H5E_END_TRY;
    if (exists > 0) PetscCall(SbH5ReadAttrString(file, path, "shuibao_version", version, sizeof(version)));
  }
  PetscCall(SbH5ReadAttrDouble(file, path, "time_s", &t));
  if (strcmp(sid, ck->scenario_id)) {
    cJSON *a = cJSON_Parse(sid), *b = cJSON_Parse(ck->scenario_id);

    Differ(a, b, "", diff, sizeof(diff));
    if (!diff[0]) PetscCall(PetscStrncpy(diff, "the scenario", sizeof(diff)));
    cJSON_Delete(a);
    cJSON_Delete(b);
  }
  PetscCall(PetscFree(sid));
  PetscCheck(nx == g->nx && ny == g->ny, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: checkpoint of another mesh: %s has %lld x %lld cells, this run's %s has %" PetscInt_FMT " x %" PetscInt_FMT, path, mesh, nx, ny, g->path, g->nx, g->ny);
  PetscCall(PetscSNPrintf(buf, sizeof(buf), "%016llx", (unsigned long long)ck->mesh_hash));
  PetscCheck(!strcmp(buf, hash), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: checkpoint of another mesh: %s (hash %s) and this run's %s (hash %s) have the same size but different contents", path, mesh, hash, g->path, buf);
  PetscCheck(!diff[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: checkpoint of another scenario: %s differs", path, diff);
  PetscCheck(!ddiff[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: checkpoint of a build with other defaults: %s, and the scenario leaves it at its default; continue with the build that wrote it (%s)", path, ddiff, version);
  if (t > end_s) {
    char when[128];

    /* C's %g: PETSc's adds a decimal point to whole numbers. */
    snprintf(when, sizeof(when), "t = %g h, past the end of the scenario (time.duration_h = %g)", t / 3600.0, (double)(end_s / 3600.0));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: checkpoint at %s", path, when);
  }
  *t_s = (PetscReal)t;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Everything registered, from the open file; same: the file was written on this decomposition. */
static PetscErrorCode ReadItems(SbCheckpoint ck, hid_t file, const char *path, PetscBool same)
{
  SbGrid     *g = ck->grid;
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  for (PetscInt i = 0; i < ck->nitems; i++) {
    SbCheckpointItem *it = &ck->items[i];
    hsize_t           rows;

    switch (it->kind) {
    case SB_CK_VEC:
      PetscCall(SbCheckpointReadField(g, file, path, it->name, it->vec));
      break;
    case SB_CK_REAL: {
      double *v;

      PetscCall(ReadSmall(file, path, it->name, H5T_NATIVE_DOUBLE, sizeof(double), (hsize_t)it->n, 1, (void **)&v, &rows));
      for (PetscInt k = 0; k < it->n; k++) it->real[k] = (PetscReal)v[k];
      PetscCall(PetscFree(v));
    } break;
    case SB_CK_INT: {
      long long *v;

      PetscCall(ReadSmall(file, path, it->name, H5T_NATIVE_LLONG, sizeof(long long), (hsize_t)it->n, 1, (void **)&v, &rows));
      for (PetscInt k = 0; k < it->n; k++) it->ints[k] = (PetscInt)v[k];
      PetscCall(PetscFree(v));
    } break;
    case SB_CK_LOCALSUM: {
      double *v;

      PetscCall(ReadSmall(file, path, it->name, H5T_NATIVE_DOUBLE, sizeof(double), (hsize_t)it->n, 0, (void **)&v, &rows));
      for (PetscInt k = 0; k < it->n; k++) {
        if (same) it->real[k] = (PetscReal)v[rank * it->n + k];
        else {
          /* Another decomposition: the total, summed in rank order, on rank 0. */
          PetscReal total = 0;

          for (hsize_t q = 0; q < rows; q++) total += (PetscReal)v[q * (hsize_t)it->n + k];
          it->real[k] = rank == 0 ? total : 0.0;
        }
      }
      PetscCall(PetscFree(v));
    } break;
    case SB_CK_IDENTITY: {
      hid_t  grp;
      htri_t exists;
      char   value[sizeof(it->text)] = "";

      SbCallHDF5(grp = H5Gopen2(file, "identity", H5P_DEFAULT));
      SbCallHDF5(exists = H5Aexists(grp, it->name));
      if (exists > 0) PetscCall(SbH5ReadAttrString(grp, path, it->name, value, sizeof(value)));
      SbCallHDF5(H5Gclose(grp));
      PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: missing from the checkpoint", path, it->name);
      PetscCheck(!strcmp(value, it->text), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: checkpoint of another run: %s is \"%s\" in the checkpoint, \"%s\" in this run", path, it->name, value, it->text);
    } break;
    case SB_CK_HOOK: {
      hid_t          grp;
      htri_t         exists;
      PetscErrorCode ierr;

      PetscCall(PathExists(file, it->name, &exists));
      PetscCheck(exists > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: %s: missing from the checkpoint", path, it->name);
      SbCallHDF5(grp = H5Gopen2(file, it->name, H5P_DEFAULT));
      ierr = (*it->read)(it->ctx, grp, path);
      SbCallHDF5(H5Gclose(grp));
      PetscCall(ierr);
    } break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointRead(SbCheckpoint ck, const char *path, PetscReal end_s, PetscReal *t_s)
{
  SbGrid        *g = ck->grid;
  hid_t          fapl, file;
  PetscMPIInt    rank, size;
  PetscBool      same = PETSC_FALSE;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(g->comm, &rank));
  PetscCallMPI(MPI_Comm_size(g->comm, &size));
  PetscCall(CheckFile(g->comm, path));
  PetscCall(PetscLogEventBegin(ck->ev_read, 0, 0, 0, 0));
  SbCallHDF5(fapl = H5Pcreate(H5P_FILE_ACCESS));
  SbCallHDF5(H5Pset_fapl_mpio(fapl, g->comm, MPI_INFO_NULL));
  SbCallHDF5(file = H5Fopen(path, H5F_ACC_RDONLY, fapl));
  SbCallHDF5(H5Pclose(fapl));
  ierr = CheckIdentity(ck, file, path, end_s, t_s);
  if (!ierr) {
    long long *box;
    hsize_t    rows;
    int        mine;

    PetscCall(ReadSmall(file, path, "identity/ownership", H5T_NATIVE_LLONG, sizeof(long long), 4, 0, (void **)&box, &rows));
    mine = rows == (hsize_t)size && box[4 * rank] == g->xs && box[4 * rank + 1] == g->ys && box[4 * rank + 2] == g->xm && box[4 * rank + 3] == g->ym;
    PetscCallMPI(MPI_Allreduce(MPI_IN_PLACE, &mine, 1, MPI_INT, MPI_LAND, g->comm));
    same = mine ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(PetscFree(box));
    ierr = ReadItems(ck, file, path, same);
  }
  /* Closed whatever happened, so that a failed restart leaves no file open. */
  SbCallHDF5(H5Fclose(file));
  PetscCall(PetscLogEventEnd(ck->ev_read, 0, 0, 0, 0));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbCheckpointParseInterval(const char *option, const char *text, PetscReal *seconds)
{
  static const struct {
    const char *unit;
    double      s;
  } units[] = {
    {"s", 1}, {"sec", 1}, {"min", 60}, {"h", 3600}, {"d", 86400}
  };
  char  *end;
  double v;
  int    found = -1;

  PetscFunctionBeginUser;
  errno = 0;
  v     = strtod(text, &end);
  if (errno == 0 && end != text && v > 0 && !PetscIsInfOrNanReal((PetscReal)v))
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++)
      if (!strcmp(end, units[u].unit)) found = (int)u;
  PetscCheck(found >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: expected a positive simulated time with a unit (s, min, h or d), e.g. 6h, 30min or 3600s, got \"%s\"", option, text);
  *seconds = (PetscReal)(v * units[found].s);
  PetscFunctionReturn(PETSC_SUCCESS);
}
