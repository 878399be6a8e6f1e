/* Sub-grid channels of channel cells: width and bankfull depth from upstream area by downstream
   hydraulic geometry, and the faces along which the channel network runs (docs/routing.md). */
#ifndef SB_CHANNEL_H
#define SB_CHANNEL_H

#include "grid.h"

typedef struct {
  PetscBool subgrid;                /* PETSC_FALSE: whole-cell channels (d = 0, w = the cell) */
  PetscReal width_coef, width_exp;  /* w = a A^b, m, A in km² */
  PetscReal depth_coef, depth_exp;  /* d = c A^f, m */
} SbChannelParams;

/* Collective. For every owned cell: ORs SB_CELL_CHANNEL, SB_CELL_LINK_E and SB_CELL_LINK_S (the
   bits of routing_impl.h) into flags, and sets the bankfull depth below the DEM (m, 0 off channel
   and for channels as wide as the cell) and the width (m; 1e12 for channels as wide as the cell).
   The network follows D8 from each mesh channel cell to its receiver; a diagonal step passes
   through the lower of the two cells beside it, which becomes a channel cell (so the network is
   connected through faces). flags, depth and width are global vectors on grid->da; flags must
   hold SB_CELL_ACTIVE already. Returns the number of cells added by diagonal steps (whole grid). */
PETSC_EXTERN PetscErrorCode SbChannelGeometry(SbGrid *grid, const SbChannelParams *p, Vec flags, Vec depth_m, Vec width_m, PetscInt *added);

#endif
