/* Hydrological conditioning of a raster: depression filling, D8 flow directions, flow
   accumulation, slope, channel network and gauge snapping. Serial (one process); these run when
   a mesh is built, not in the time loop. */
#ifndef SB_FLOW_H
#define SB_FLOW_H

#include "meshdata.h"

/* Priority-flood depression filling (Barnes, Lehman & Mulla 2014, "Priority-Flood", with the
   epsilon variant so every filled cell drains): raises elevation[] in place over active cells
   (mask==1) so that every active cell has a downhill-or-equal path to an outlet.
   Seeds: if outlet_index >= 0, only that cell (the whole masked basin then drains through it;
   active cells not joined to it by 8-neighbour paths of active cells cannot, and are removed
   from the mask, reported with PetscInfo); else every active cell on the grid border or next to
   an inactive cell. Afterwards every active cell but a seed has a strictly lower active
   neighbour. */
PETSC_EXTERN PetscErrorCode SbFlowFill(SbMeshData *mesh, PetscInt outlet_index);

/* D8 steepest descent (O'Callaghan & Mark 1984) on the filled surface, with distances from
   dx_m[row] and dy_m; ties broken deterministically. Sets flow_direction[] (0 for inactive cells
   and for outlets, i.e. cells whose steepest neighbour is inactive or off the grid and that
   have no lower active neighbour) and slope[] (drop / distance to the D8 receiver; for outlets
   the steepest drop to any neighbour, at least 1e-5). */
PETSC_EXTERN PetscErrorCode SbFlowDirections(SbMeshData *mesh);

/* Upstream area in m² (own cell included) by a topological pass over the D8 graph. */
PETSC_EXTERN PetscErrorCode SbFlowAccumulate(SbMeshData *mesh);

/* channel[] = 1 where flow_accumulation >= threshold_m2 (active cells only); stores the threshold. */
PETSC_EXTERN PetscErrorCode SbFlowChannels(SbMeshData *mesh, PetscReal threshold_m2);

/* Move a gauge to the highest-accumulation active cell within radius_cells (Chebyshev) of its
   (row, col), and set its upstream_area_m2. */
PETSC_EXTERN PetscErrorCode SbFlowSnapGauge(const SbMeshData *mesh, PetscInt radius_cells, SbGauge *gauge);

/* PETSC_TRUE for an active cell on the grid border or with an inactive 8-neighbour. */
PETSC_EXTERN PetscErrorCode SbFlowIsBoundary(const SbMeshData *mesh, PetscInt index, PetscBool *boundary);

/* upstream[i] = 1 for every active cell whose D8 path passes through cell index (itself
   included), 0 elsewhere; upstream has nx*ny entries, allocated by the caller. */
PETSC_EXTERN PetscErrorCode SbFlowCatchment(const SbMeshData *mesh, PetscInt index, uint8_t *upstream);

/* Index of the basin outlet: the active cell with flow_direction 0 and the largest accumulation. */
PETSC_EXTERN PetscErrorCode SbFlowFindOutlet(const SbMeshData *mesh, PetscInt *index);

/* Search radius, in cells (Chebyshev), for snapping gauges to the highest-accumulation cell. Four
   cells is 0.08 degrees on the 0.02-degree Han River grid, the radius used to derive its
   published outlet areas (shared data, hanjiang/SOURCES.md, section 2). */
#define SB_FLOW_SNAP_RADIUS 4

/* The whole chain used by both `mesh build` and `mesh synth` once elevation, mask, metrics are
   set: fill (seeded at outlet_index, or -1), directions, accumulation, channels at threshold_m2,
   then adds/updates gauge "outlet" at the outlet and snaps the other gauges (radius
   SB_FLOW_SNAP_RADIUS cells). With an outlet seed, active cells not 8-connected to it through
   active cells are removed from the mask (reported with PetscInfo). */
PETSC_EXTERN PetscErrorCode SbFlowCondition(SbMeshData *mesh, PetscInt outlet_index, PetscReal threshold_m2);

#endif
