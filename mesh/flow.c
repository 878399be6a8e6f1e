/* Hydrological conditioning of a raster (serial): priority-flood depression filling, D8 flow
   directions, flow accumulation, channels, gauge snapping and the basin outlet.

   Inactive cells (mask 0) are walls: water never flows into or out of them. The only exit from
   an active area is an outlet cell (flow_direction 0), whose water leaves the grid. */
#include "flow.h"
#include <math.h>

/* Neighbour k = 0..7 in the order E, SE, S, SW, W, NW, N, NE (row index grows southwards), with
   the ESRI D8 code of each. This order is also the tie-break order of SbFlowDirections. */
static const PetscInt d8_dr[8]   = {0, 1, 1, 1, 0, -1, -1, -1};
static const PetscInt d8_dc[8]   = {1, 1, 0, -1, -1, -1, 0, 1};
static const uint8_t  d8_code[8] = {SB_D8_E, SB_D8_SE, SB_D8_S, SB_D8_SW, SB_D8_W, SB_D8_NW, SB_D8_N, SB_D8_NE};

/* ---------------------------------------------------------------------------------------------
   Binary min-heap of (elevation, cell index), the "Open" priority queue of Priority-Flood. Equal
   elevations pop in increasing cell index, so the result never depends on the platform. */
typedef struct {
  PetscReal z;
  PetscInt  i;
} HeapItem;

typedef struct {
  HeapItem *a;
  size_t    n, cap;
} Heap;

static inline PetscBool HeapLess(const HeapItem *x, const HeapItem *y)
{
  return (x->z < y->z || (x->z == y->z && x->i < y->i)) ? PETSC_TRUE : PETSC_FALSE;
}

static PetscErrorCode HeapPush(Heap *h, PetscReal z, PetscInt i)
{
  size_t   k;
  HeapItem item;

  PetscFunctionBeginHot;
  if (h->n == h->cap) {
    h->cap = h->cap ? 2 * h->cap : 1024;
    PetscCall(PetscRealloc(h->cap * sizeof(HeapItem), &h->a));
  }
  item.z = z;
  item.i = i;
  for (k = h->n++; k > 0; k = (k - 1) / 2) {
    if (!HeapLess(&item, &h->a[(k - 1) / 2])) break;
    h->a[k] = h->a[(k - 1) / 2];
  }
  h->a[k] = item;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Remove the smallest item (the heap must not be empty). */
static PetscErrorCode HeapPop(Heap *h, PetscInt *i)
{
  HeapItem last;
  size_t   k = 0;

  PetscFunctionBeginHot;
  *i   = h->a[0].i;
  last = h->a[--h->n];
  for (;;) {
    size_t child = 2 * k + 1;

    if (child >= h->n) break;
    if (child + 1 < h->n && HeapLess(&h->a[child + 1], &h->a[child])) child++;
    if (!HeapLess(&h->a[child], &last)) break;
    h->a[k] = h->a[child];
    k       = child;
  }
  if (h->n) h->a[k] = last;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Index of neighbour k of cell (r, c), or -1 off the grid. */
static inline PetscInt Neighbour(const SbMeshData *m, PetscInt r, PetscInt c, PetscInt k)
{
  const PetscInt rr = r + d8_dr[k], cc = c + d8_dc[k];

  return (rr < 0 || rr >= m->ny || cc < 0 || cc >= m->nx) ? -1 : rr * m->nx + cc;
}

/* Metric distance from a cell of row r to its neighbour k: dx_m[r] east-west, dy_m north-south,
   the hypotenuse diagonally. */
static inline PetscReal NeighbourDistance(const SbMeshData *m, PetscInt r, PetscInt k)
{
  const PetscReal dx = m->dx_m[r], dy = m->dy_m;

  if (d8_dr[k] == 0) return dx;
  if (d8_dc[k] == 0) return dy;
  return PetscSqrtReal(dx * dx + dy * dy);
}

/* Neighbour number k of a D8 code, -1 for SB_D8_NONE and -2 for an invalid code. */
static inline PetscInt CodeToNeighbour(uint8_t code)
{
  switch (code) {
  case SB_D8_NONE:
    return -1;
  case SB_D8_E:
    return 0;
  case SB_D8_SE:
    return 1;
  case SB_D8_S:
    return 2;
  case SB_D8_SW:
    return 3;
  case SB_D8_W:
    return 4;
  case SB_D8_NW:
    return 5;
  case SB_D8_N:
    return 6;
  case SB_D8_NE:
    return 7;
  default:
    return -2;
  }
}

/* Receiver of active cell i, -1 for an outlet; an error if the direction is not a valid D8
   code or leads off the grid or into an inactive cell. */
static PetscErrorCode ReceiverOf(const SbMeshData *m, PetscInt i, PetscInt *j)
{
  const PetscInt k = CodeToNeighbour(m->flow_direction[i]);

  PetscFunctionBeginHot;
  *j = -1;
  PetscCheck(k >= -1, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: cell (row %" PetscInt_FMT ", col %" PetscInt_FMT ") has invalid D8 code %d", i / m->nx, i % m->nx, (int)m->flow_direction[i]);
  if (k < 0) PetscFunctionReturn(PETSC_SUCCESS);
  *j = Neighbour(m, i / m->nx, i % m->nx, k);
  PetscCheck(*j >= 0 && m->mask[*j], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: cell (row %" PetscInt_FMT ", col %" PetscInt_FMT ") drains off the grid or into an inactive cell", i / m->nx, i % m->nx);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An active cell on the grid border or with an inactive 8-neighbour. */
static PetscErrorCode IsBoundary(const SbMeshData *m, PetscInt i, PetscBool *boundary)
{
  const PetscInt r = i / m->nx, c = i % m->nx;

  PetscFunctionBeginHot;
  *boundary = PETSC_FALSE;
  for (PetscInt k = 0; k < 8; k++) {
    const PetscInt j = Neighbour(m, r, c, k);

    if (j < 0 || !m->mask[j]) {
      *boundary = PETSC_TRUE;
      break;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbFlowIsBoundary(const SbMeshData *mesh, PetscInt index, PetscBool *boundary)
{
  PetscFunctionBeginUser;
  PetscCheck(index >= 0 && index < mesh->nx * mesh->ny, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "flow: cell index %" PetscInt_FMT " is off the grid", index);
  PetscCall(IsBoundary(mesh, index, boundary));
  *boundary = (*boundary && mesh->mask[index]) ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Priority-Flood+epsilon: Barnes, Lehman & Mulla (2014), Computers & Geosciences 62:117-127,
   Algorithm 3. Cells are taken from the plain FIFO "Pit" queue before the priority queue "Open";
   a neighbour not above nextafter(z_c) is raised to exactly that and goes to Pit, otherwise it
   goes to Open. Each cell is raised at most once, when first reached, so every active cell that is
   not a seed ends strictly above the cell it was reached from and therefore has a strictly lower
   active neighbour: there are no flats and no pits left. */
PetscErrorCode SbFlowFill(SbMeshData *mesh, PetscInt outlet_index)
{
  const PetscInt n = mesh->nx * mesh->ny;
  PetscReal     *z = mesh->elevation;
  uint8_t       *closed;
  PetscInt      *pit, pit_head = 0, pit_tail = 0, dropped = 0;
  Heap           open = {NULL, 0, 0};

  PetscFunctionBeginUser;
  PetscCheck(outlet_index < n, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "flow: outlet index %" PetscInt_FMT " is off the grid (%" PetscInt_FMT " cells)", outlet_index, n);
  PetscCheck(outlet_index < 0 || mesh->mask[outlet_index], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: the outlet (row %" PetscInt_FMT ", col %" PetscInt_FMT ") is not an active cell", outlet_index / mesh->nx, outlet_index % mesh->nx);
  for (PetscInt i = 0; i < n; i++) PetscCheck(!mesh->mask[i] || isfinite(z[i]), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: active cell (row %" PetscInt_FMT ", col %" PetscInt_FMT ") has no finite elevation", i / mesh->nx, i % mesh->nx);

  PetscCall(PetscCalloc1(n, &closed));
  PetscCall(PetscMalloc1(n, &pit));
  if (outlet_index >= 0) {
    closed[outlet_index] = 1;
    PetscCall(HeapPush(&open, z[outlet_index], outlet_index));
  } else {
    for (PetscInt i = 0; i < n; i++) {
      PetscBool boundary;

      if (!mesh->mask[i]) continue;
      PetscCall(IsBoundary(mesh, i, &boundary));
      if (!boundary) continue;
      closed[i] = 1;
      PetscCall(HeapPush(&open, z[i], i));
    }
  }
  while (open.n || pit_head < pit_tail) {
    PetscInt  c, r, col;
    PetscReal zeps;

    if (pit_head < pit_tail) c = pit[pit_head++];
    else PetscCall(HeapPop(&open, &c));
    r    = c / mesh->nx;
    col  = c % mesh->nx;
    zeps = nextafter(z[c], (PetscReal)INFINITY);
    for (PetscInt k = 0; k < 8; k++) {
      const PetscInt j = Neighbour(mesh, r, col, k);

      if (j < 0 || !mesh->mask[j] || closed[j]) continue;
      closed[j] = 1;
      if (z[j] <= zeps) {
        z[j]          = zeps;
        pit[pit_tail++] = j;
      } else PetscCall(HeapPush(&open, z[j], j));
    }
  }
  /* With a single outlet seed, active cells that no 8-neighbour path of active cells joins to the
     outlet cannot drain through it: they leave the basin. */
  for (PetscInt i = 0; i < n; i++)
    if (mesh->mask[i] && !closed[i]) {
      mesh->mask[i] = 0;
      dropped++;
    }
  if (dropped) PetscCall(PetscInfo(NULL, "flow fill: %" PetscInt_FMT " active cells are not 8-connected to the outlet (row %" PetscInt_FMT ", col %" PetscInt_FMT ") and were removed from the mask\n", dropped, outlet_index / mesh->nx, outlet_index % mesh->nx));
  PetscCall(PetscFree(open.a));
  PetscCall(PetscFree(pit));
  PetscCall(PetscFree(closed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* D8: O'Callaghan & Mark (1984), Computer Vision, Graphics, and Image Processing 28:323-344:
   each cell drains to the neighbour of steepest descent, slope = drop / distance. Only active
   neighbours count; on equal slopes the first in the order E, SE, S, SW, W, NW, N, NE wins. */
PetscErrorCode SbFlowDirections(SbMeshData *mesh)
{
  const PetscReal min_outlet_slope = 1e-5;

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < mesh->ny; r++) {
    PetscReal dist[8];

    for (PetscInt k = 0; k < 8; k++) dist[k] = NeighbourDistance(mesh, r, k);
    for (PetscInt c = 0; c < mesh->nx; c++) {
      const PetscInt i    = r * mesh->nx + c;
      PetscReal      best = 0, any = 0;
      PetscInt       kbest = -1;

      mesh->flow_direction[i] = SB_D8_NONE;
      mesh->slope[i]          = 0;
      if (!mesh->mask[i]) continue;
      for (PetscInt k = 0; k < 8; k++) {
        const PetscInt j = Neighbour(mesh, r, c, k);
        PetscReal      s;

        if (j < 0) continue;
        s = (mesh->elevation[i] - mesh->elevation[j]) / dist[k];
        if (!mesh->mask[j]) {
          if (s > any) any = s; /* NaN elevations outside compare false and are ignored */
          continue;
        }
        if (s > best) {
          best  = s;
          kbest = k;
        }
      }
      if (kbest >= 0) {
        mesh->flow_direction[i] = d8_code[kbest];
        mesh->slope[i]          = best;
      } else mesh->slope[i] = PetscMax(any, min_outlet_slope);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Flow accumulation in one topological pass (donors before receivers), O(n): a cell enters the
   queue once all its donors have been added to it (Kahn 1962, Commun. ACM 5:558; as used for D8
   accumulation e.g. by Barnes 2017, Computers & Geosciences 104:110). */
PetscErrorCode SbFlowAccumulate(SbMeshData *mesh)
{
  const PetscInt n = mesh->nx * mesh->ny;
  uint8_t       *ndonors;
  PetscInt      *queue, head = 0, tail = 0, nactive = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(n, &ndonors));
  PetscCall(PetscMalloc1(n, &queue));
  for (PetscInt i = 0; i < n; i++) {
    PetscInt j;

    mesh->flow_accumulation[i] = mesh->mask[i] ? mesh->cell_area[i] : 0;
    if (!mesh->mask[i]) {
      PetscCheck(mesh->flow_direction[i] == SB_D8_NONE, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: inactive cell (row %" PetscInt_FMT ", col %" PetscInt_FMT ") has a flow direction", i / mesh->nx, i % mesh->nx);
      continue;
    }
    nactive++;
    PetscCall(ReceiverOf(mesh, i, &j));
    if (j >= 0) ndonors[j]++;
  }
  for (PetscInt i = 0; i < n; i++)
    if (mesh->mask[i] && !ndonors[i]) queue[tail++] = i;
  while (head < tail) {
    const PetscInt c = queue[head++];
    PetscInt       j;

    PetscCall(ReceiverOf(mesh, c, &j));
    if (j < 0) continue;
    mesh->flow_accumulation[j] += mesh->flow_accumulation[c];
    if (!--ndonors[j]) queue[tail++] = j;
  }
  PetscCheck(tail == nactive, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: the D8 directions contain a loop (%" PetscInt_FMT " of %" PetscInt_FMT " active cells reached)", tail, nactive);
  PetscCall(PetscFree(queue));
  PetscCall(PetscFree(ndonors));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbFlowChannels(SbMeshData *mesh, PetscReal threshold_m2)
{
  const PetscInt n = mesh->nx * mesh->ny;

  PetscFunctionBeginUser;
  PetscCheck(threshold_m2 >= 0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "flow: channel threshold must be >= 0 m2, got %.10g", (double)threshold_m2);
  for (PetscInt i = 0; i < n; i++) mesh->channel[i] = (mesh->mask[i] && mesh->flow_accumulation[i] >= threshold_m2) ? 1 : 0;
  mesh->channel_threshold_m2 = threshold_m2;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Ties in accumulation go to the cell nearest the given one (Chebyshev), then to the first in
   row-major order, so the result is deterministic. */
PetscErrorCode SbFlowSnapGauge(const SbMeshData *mesh, PetscInt radius_cells, SbGauge *gauge)
{
  PetscInt  best = -1, bestd = 0;
  PetscReal besta = -1;

  PetscFunctionBeginUser;
  PetscCheck(gauge->row >= 0 && gauge->row < mesh->ny && gauge->col >= 0 && gauge->col < mesh->nx, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "gauge %s: cell (row %" PetscInt_FMT ", col %" PetscInt_FMT ") is off the %" PetscInt_FMT "x%" PetscInt_FMT " grid", gauge->name, gauge->row, gauge->col, mesh->nx, mesh->ny);
  for (PetscInt r = PetscMax(gauge->row - radius_cells, 0); r <= PetscMin(gauge->row + radius_cells, mesh->ny - 1); r++)
    for (PetscInt c = PetscMax(gauge->col - radius_cells, 0); c <= PetscMin(gauge->col + radius_cells, mesh->nx - 1); c++) {
      const PetscInt i = r * mesh->nx + c, d = PetscMax(PetscAbsInt(r - gauge->row), PetscAbsInt(c - gauge->col));

      if (!mesh->mask[i]) continue;
      if (mesh->flow_accumulation[i] > besta || (mesh->flow_accumulation[i] == besta && d < bestd)) {
        best  = i;
        besta = mesh->flow_accumulation[i];
        bestd = d;
      }
    }
  PetscCheck(best >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "gauge %s: no active cell within %" PetscInt_FMT " cells of (row %" PetscInt_FMT ", col %" PetscInt_FMT ")", gauge->name, radius_cells, gauge->row, gauge->col);
  gauge->row              = best / mesh->nx;
  gauge->col              = best % mesh->nx;
  gauge->upstream_area_m2 = besta;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbFlowFindOutlet(const SbMeshData *mesh, PetscInt *index)
{
  const PetscInt n = mesh->nx * mesh->ny;

  PetscFunctionBeginUser;
  *index = -1;
  for (PetscInt i = 0; i < n; i++)
    if (mesh->mask[i] && mesh->flow_direction[i] == SB_D8_NONE && (*index < 0 || mesh->flow_accumulation[i] > mesh->flow_accumulation[*index])) *index = i;
  PetscCheck(*index >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "flow: the mesh has no active cell, so no outlet");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbFlowCatchment(const SbMeshData *mesh, PetscInt index, uint8_t *upstream)
{
  const PetscInt n = mesh->nx * mesh->ny;
  PetscInt      *stack, top = 0;

  PetscFunctionBeginUser;
  PetscCheck(index >= 0 && index < n && mesh->mask[index], PETSC_COMM_SELF, PETSC_ERR_ARG_WRONG, "flow: catchment of cell %" PetscInt_FMT ", which is not an active cell", index);
  PetscCall(PetscArrayzero(upstream, n));
  PetscCall(PetscMalloc1(n, &stack));
  upstream[index] = 1;
  stack[top++]    = index;
  /* Depth-first walk up the D8 tree: a neighbour is a donor when its direction points back here. */
  while (top) {
    const PetscInt c = stack[--top], r = c / mesh->nx, col = c % mesh->nx;

    for (PetscInt k = 0; k < 8; k++) {
      const PetscInt j = Neighbour(mesh, r, col, k);

      /* Neighbour k of c drains into c when its code is the opposite direction (k + 4) mod 8. */
      if (j < 0 || !mesh->mask[j] || upstream[j] || mesh->flow_direction[j] != d8_code[(k + 4) % 8]) continue;
      upstream[j]  = 1;
      stack[top++] = j;
    }
  }
  PetscCall(PetscFree(stack));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbFlowCondition(SbMeshData *mesh, PetscInt outlet_index, PetscReal threshold_m2)
{
  PetscInt outlet, g;

  PetscFunctionBeginUser;
  PetscCall(SbFlowFill(mesh, outlet_index));
  PetscCall(SbFlowDirections(mesh));
  PetscCall(SbFlowAccumulate(mesh));
  PetscCall(SbFlowChannels(mesh, threshold_m2));
  PetscCall(SbFlowFindOutlet(mesh, &outlet));
  for (g = 0; g < mesh->ngauges; g++) {
    PetscBool same;

    PetscCall(PetscStrcmp(mesh->gauges[g].name, "outlet", &same));
    if (same) break;
  }
  if (g == mesh->ngauges) {
    SbGauge *gauges;

    PetscCall(PetscCalloc1(mesh->ngauges + 1, &gauges));
    if (mesh->ngauges) PetscCall(PetscArraycpy(gauges, mesh->gauges, mesh->ngauges));
    PetscCall(PetscFree(mesh->gauges));
    mesh->gauges = gauges;
    mesh->ngauges++;
    PetscCall(PetscStrncpy(mesh->gauges[g].name, "outlet", sizeof(mesh->gauges[g].name)));
  }
  mesh->gauges[g].row              = outlet / mesh->nx;
  mesh->gauges[g].col              = outlet % mesh->nx;
  mesh->gauges[g].upstream_area_m2 = mesh->flow_accumulation[outlet];
  for (PetscInt h = 0; h < mesh->ngauges; h++)
    if (h != g) PetscCall(SbFlowSnapGauge(mesh, SB_FLOW_SNAP_RADIUS, &mesh->gauges[h]));
  PetscFunctionReturn(PETSC_SUCCESS);
}
