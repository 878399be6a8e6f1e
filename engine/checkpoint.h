/* Checkpoints: the whole state of a run in one HDF5 file, so that `shuibao run --restart` continues
   exactly where it stopped (docs/output.md, "Checkpoints").

   Modules register what they keep between steps, once, after they are set up and before the
   first SbCheckpointWrite or SbCheckpointRead:

     PetscCall(SbCheckpointAddVec(ck, "state/X", state->X));             a field on the grid
     PetscCall(SbCheckpointAddReal(ck, "run/t", &t, 1));                  reals, equal on every rank
     PetscCall(SbCheckpointAddInt(ck, "run/steps", &steps, 1));           integers, equal on every rank
     PetscCall(SbCheckpointAddLocalSum(ck, "budget/rain", &b.rain, 1));   per-rank partial sums
     PetscCall(SbCheckpointAddIdentity(ck, "routing_scheme", type));      a setting that must not change
     PetscCall(SbCheckpointAddHook(ck, "output", Write, Read, ctx));      anything else

   Registration stores the address: the registered storage must live until the checkpoint object
   is destroyed. Names are HDF5 paths inside the checkpoint file (groups are created as needed),
   unique per checkpoint; a soil-water module would use e.g. "soil/theta", a groundwater module
   "groundwater/storage_m". A checkpoint written by a build that registered more names than the
   reading build knows is read without the extra names; a name the reader registered but the file
   lacks is an error naming the file and the name.

   Fields are stored as global arrays in natural ordering ([ny][nx], or [ny][nx][dof] for a vector
   with several components per cell), so any rank count reads them. Per-rank partial sums are
   stored per rank: read back as they were on the same rank count and decomposition (bit-for-bit
   continuation), otherwise their total goes to rank 0 and the other ranks start from zero.

   The file identifies the mesh (its size and a hash of every static field, independent of the
   rank count) and the scenario (the merged scenario without name, description, mesh, output.file
   and time.duration_h, so a run can be continued under a new name, output file or a longer
   period). Reading a checkpoint of another mesh or scenario is a one-line error naming the file
   and what differs. */
#ifndef SB_CHECKPOINT_H
#define SB_CHECKPOINT_H

#include "grid.h"
#include "scenario.h"

typedef struct _p_SbCheckpoint *SbCheckpoint;

/* Custom data: write into / read from the module's own group (collective on the grid's
   communicator; the helpers below and h5io.h write and read inside it). */
typedef PetscErrorCode (*SbCheckpointWriteFn)(void *ctx, hid_t group);
typedef PetscErrorCode (*SbCheckpointReadFn)(void *ctx, hid_t group, const char *file);

/* Collective: computes the identity of the mesh (grid) and of the scenario. */
PETSC_EXTERN PetscErrorCode SbCheckpointCreate(SbGrid *grid, const SbScenario *sc, SbCheckpoint *ck);
PETSC_EXTERN PetscErrorCode SbCheckpointDestroy(SbCheckpoint *ck);

/* v: a global vector on a DMDA with the ownership of grid->da (any number of components). */
PETSC_EXTERN PetscErrorCode SbCheckpointAddVec(SbCheckpoint ck, const char *name, Vec v);
PETSC_EXTERN PetscErrorCode SbCheckpointAddReal(SbCheckpoint ck, const char *name, PetscReal *v, PetscInt n);
PETSC_EXTERN PetscErrorCode SbCheckpointAddInt(SbCheckpoint ck, const char *name, PetscInt *v, PetscInt n);
PETSC_EXTERN PetscErrorCode SbCheckpointAddLocalSum(SbCheckpoint ck, const char *name, PetscReal *v, PetscInt n);
/* A setting that must be the same to continue (beyond the scenario, e.g. one chosen by a PETSc
   option): stored as an attribute of /identity; a restart with another value is a one-line error
   naming it and both values. */
PETSC_EXTERN PetscErrorCode SbCheckpointAddIdentity(SbCheckpoint ck, const char *name, const char *value);
PETSC_EXTERN PetscErrorCode SbCheckpointAddHook(SbCheckpoint ck, const char *name, SbCheckpointWriteFn write, SbCheckpointReadFn read, void *ctx);

/* Collective. Writes <path>.partial and renames it to path when complete, so path is always a
   whole checkpoint (an older one until the new one is done). t_s: the simulated time, reason: why
   ("periodic", "signal", "bad state"), both recorded as attributes. */
PETSC_EXTERN PetscErrorCode SbCheckpointWrite(SbCheckpoint ck, const char *path, PetscReal t_s, const char *reason);
/* Collective. Checks the file (exists, is a shuibao checkpoint, same mesh, same scenario, its time
   not past end_s) with one-line errors naming the file (PETSC_ERR_USER_INPUT), then restores
   everything registered. *t_s: the checkpoint's time. */
PETSC_EXTERN PetscErrorCode SbCheckpointRead(SbCheckpoint ck, const char *path, PetscReal end_s, PetscReal *t_s);

/* Helpers for hooks: a global vector as a natural-ordering dataset, as above (file type float64, or
   float32 when single is true: for data already rounded to float32, the round trip is exact). */
PETSC_EXTERN PetscErrorCode SbCheckpointWriteField(SbGrid *grid, hid_t loc, const char *name, Vec v, PetscBool single);
PETSC_EXTERN PetscErrorCode SbCheckpointReadField(SbGrid *grid, hid_t loc, const char *file, const char *name, Vec v);

/* Helpers for hooks: an n0 x n1 array of reals equal on every rank (rank 0 writes it); read back on
   every rank into a new array (PetscFree it) with *n0 rows, which must have n1 columns. */
PETSC_EXTERN PetscErrorCode SbCheckpointWriteReals(hid_t loc, const char *name, const PetscReal *v, PetscInt n0, PetscInt n1);
PETSC_EXTERN PetscErrorCode SbCheckpointReadReals(hid_t loc, const char *file, const char *name, PetscInt n1, PetscReal **v, PetscInt *n0);

/* "6h", "30min", "3600s", "2d" -> seconds; a one-line error naming option otherwise. */
PETSC_EXTERN PetscErrorCode SbCheckpointParseInterval(const char *option, const char *text, PetscReal *seconds);

#endif
