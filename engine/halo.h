/* Halo exchanges of the basin's cells only (issue 9, "work only where the basin is").

   DMGlobalToLocal copies every cell of a rank's block into the ghosted copy, one small copy per
   cell of the frame (PETSc's local scatter moves a block of dof values per index), and sends every
   ghost cell, active or not. The time loop reads the ghosted copy at active cells alone: here the
   owned active cells are copied run by run (cellruns.h) and only the active ghost cells are
   received (a PetscSF built once), so inactive cells cost nothing. An inactive cell of the
   ghosted copy keeps whatever its memory held (callers must not use its values), or is set to
   zero where the caller reads it as the zero it holds in the global vector. */
#ifndef SB_HALO_H
#define SB_HALO_H

#include "grid.h"

typedef struct _p_SbHalo *SbHalo;

/* Collective. The halo of the block of g's owned cells ghosted `width` cells deep (a box
   stencil: the ghost corners of a DMDA of that width with g's ownership, clipped to the grid),
   dof reals per cell. sel: [gxm * gym] over that ghosted block; the ghost cells with
   (sel[k] & bits) != 0 are filled. roots_ghosted: PETSC_FALSE to fill a ghosted copy from the
   global vector (SbHaloUpdate copies the owned active cells too), PETSC_TRUE to refresh the ghosts
   of a ghosted copy from the owners' ghosted copies (the owned cells are in place already).
   zero_others: SbHaloUpdate also sets the cells of the ghosted block that are not selected to
   zero, a memset per stretch of them (for a ghosted copy whose memory other users share). */
PETSC_EXTERN PetscErrorCode SbHaloCreate(SbGrid *g, PetscInt width, PetscInt dof, const uint8_t *sel, uint8_t bits, PetscBool roots_ghosted, PetscBool zero_others, SbHalo *halo);
/* Collective. root: this rank's global array (owned block) or ghosted array, per roots_ghosted;
   ghosted: this rank's ghosted array. Both hold dof reals per cell; they may be the same array
   when roots_ghosted. */
PETSC_EXTERN PetscErrorCode SbHaloUpdate(SbHalo halo, const PetscScalar *root, PetscScalar *ghosted);
/* The ghosted block's corners: first column and row, width and height. */
PETSC_EXTERN PetscErrorCode SbHaloGetCorners(SbHalo halo, PetscInt *gxs, PetscInt *gys, PetscInt *gxm, PetscInt *gym);
PETSC_EXTERN PetscErrorCode SbHaloDestroy(SbHalo *halo);

#endif
