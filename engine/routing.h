/* Surface routing on the raster: depth at cell centres, unit-width discharges on the four faces
   of each cell, schemes registered by name (docs/routing.md):

     "local-inertial"  explicit local-inertial scheme (Bates, Horritt & Fewtrell 2010; de Almeida,
                       Bates, Freer & Souvignet 2012) with an adaptive CFL step;
     "diffusive-wave"  implicit diffusive wave through PETSc TS + SNES (Hunter et al. 2005;
                       Panday & Huyakorn 2004), so -ts_*, -snes_*, -ksp_* and -pc_* options apply.

   Both carry the sub-grid channels of channel cells (channel.h) and a level-pool reservoir
   (reservoir.h). Life cycle: SbRoutingCreate -> SbRoutingSetFromOptions -> SbRoutingSetUp ->
   (SbRoutingStableDt, SbRoutingStep)* -> SbRoutingDestroy; StableDt and Step set the object up
   themselves if the caller did not. */
#ifndef SB_ROUTING_H
#define SB_ROUTING_H

#include "state.h"
#include "scenario.h"
#include "checkpoint.h"

typedef struct _p_SbRouting *SbRouting;
typedef const char          *SbRoutingType;

#define SBROUTINGLOCALINERTIAL "local-inertial"
#define SBROUTINGDIFFUSIVEWAVE "diffusive-wave"

/* Collective. A routing object for the state, of the scheme named by the scenario's
   routing.scheme; the scenario's values are copied (it need not outlive the object). */
PETSC_EXTERN PetscErrorCode SbRoutingCreate(SbState *state, const SbScenario *sc, SbRouting *routing);
/* Add a scheme to this object's registry: create fills the object's ops and data. */
PETSC_EXTERN PetscErrorCode SbRoutingRegister(SbRouting routing, const char name[], PetscErrorCode (*create)(SbRouting));
/* Choose the scheme by name (an error naming the registered ones if unknown). */
PETSC_EXTERN PetscErrorCode SbRoutingSetType(SbRouting routing, SbRoutingType type);
PETSC_EXTERN PetscErrorCode SbRoutingGetType(SbRouting routing, SbRoutingType *type);
/* -sb_routing_scheme <name> overrides the scenario; the scheme reads its own options (the
   diffusive wave: the TS, SNES, KSP and PC options). */
PETSC_EXTERN PetscErrorCode SbRoutingSetFromOptions(SbRouting routing);
/* Collective: channel geometry, reservoir, scheme work data. */
PETSC_EXTERN PetscErrorCode SbRoutingSetUp(SbRouting routing);
PETSC_EXTERN PetscErrorCode SbRoutingDestroy(SbRouting *routing);

/* Collective (one reduction): the step the scheme wants next, at most routing.max_dt_s.
   local-inertial: the CFL step alpha min(dx) / sqrt(g d_max), d_max the largest flow depth
   (in-channel depth on channel cells) outside the reservoir; diffusive-wave: the step proposed
   by the TS adaptor after the last step. Zero if any depth is NaN or negative (the caller then
   names the cell with SbStateCheck). */
PETSC_EXTERN PetscErrorCode SbRoutingStableDt(SbRouting routing, PetscReal *dt);
/* Collective. Advance depth by exactly dt and set the face discharges qx, qy of the state to
   the discharges that moved the water in this interval (time averages when the scheme took
   several internal steps). Depth never goes negative; the volume leaving through outlet cells
   is added to state->budget.outflow_m3, so the water budget closes to round-off. */
PETSC_EXTERN PetscErrorCode SbRoutingStep(SbRouting routing, PetscReal dt);
/* Collective: discharge (m³/s) out of each gauge cell averaged over the last SbRoutingStep, and
   the volume (m³) through each gauge since the start, for every gauge of the grid, on every rank. */
PETSC_EXTERN PetscErrorCode SbRoutingGauges(SbRouting routing, PetscReal *discharge_m3_s, PetscReal *volume_m3);
/* After SbRoutingSetUp: register with a checkpoint what routing keeps between steps beyond the
   state vector (depth and face discharges, registered by the run): the gauge volumes and the
   scheme's own (the diffusive wave's next TS step). The reservoir keeps nothing else: its stage
   is recomputed from the pool's depths at every step. */
PETSC_EXTERN PetscErrorCode SbRoutingCheckpointRegister(SbRouting routing, SbCheckpoint ck);
/* The reservoir's stage (m) and release over the last step (m³/s); has = PETSC_FALSE (and zeros)
   when the mesh has no reservoir or it is switched off. Same values on every rank. */
PETSC_EXTERN PetscErrorCode SbRoutingGetReservoir(SbRouting routing, PetscBool *has, PetscReal *stage_m, PetscReal *release_m3_s);
/* Collective. A boundary of prescribed depth, for verification cases such as the moving front of
   de Almeida et al. (2012): cell (row, col) is set to depth_m now and reset to it after every
   SbRoutingStep, until called again with a new depth. The water the hold adds (or removes) is
   not in the state's budget; SbRoutingFixedVolume returns it (m³, whole grid, every rank). */
PETSC_EXTERN PetscErrorCode SbRoutingSetFixedDepth(SbRouting routing, PetscInt row, PetscInt col, PetscReal depth_m);
PETSC_EXTERN PetscErrorCode SbRoutingFixedVolume(SbRouting routing, PetscReal *volume_m3);

#endif
