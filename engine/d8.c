/* D8 flow-path operations in parallel, exact.

   The D8 routing matrix P (row = cell, one entry at its receiver) is strictly triangular in a
   topological order of the flow graph, so (I − Pᵀ)⁻¹ and (I − P)⁻¹ are finite sums along flow
   paths. Krylov solvers reach them only approximately and Jacobi sweeps x ← w + Pᵀx take as many
   sweeps as the longest path has cells (some 10⁴ on a 90 m grid). Here each rank instead solves its
   own block exactly with one pass in a topological order of its cells (Kahn 1962), then the ranks
   exchange the values that cross their borders (one VecScatter) and repeat — a block Gauss-Seidel
   whose iteration count is the largest number of rank borders any flow path crosses, plus one
   pass to see that nothing changed. Every value is then the same finite sum as in a serial pass,
   up to the order of additions where several donors meet: equal to a serial reference to
   round-off. After the first pass a rank does not repeat its pass: a border value that changed
   is carried along the cells it reaches — downstream along the one flow path for accumulation,
   upstream through the donor tree for path sums — so the total work is about one pass plus the
   cells downstream (upstream) of changed border links, whatever the number of exchanges. */
#include "d8.h"
#include <petscdmda.h>
#include <petscao.h>

struct _p_SbD8 {
  SbGrid       *grid;
  PetscInt      n;       /* owned cells (xm*ym), local index (j-ys)*xm + (i-xs) */
  PetscInt      rstart;  /* global index of local cell 0 */
  PetscInt     *recv;    /* local receiver index; -1 none; -2-e for remote link e */
  PetscInt     *order;   /* every owned cell, donors before receivers */
  PetscInt      nremote; /* links to cells of other ranks */
  PetscInt     *remote_cell;   /* [nremote] local donor */
  PetscInt     *remote_global; /* [nremote] global index of the receiver */
  Vec           xa, xb;         /* [nremote] values crossing borders */
  Vec           ga, gb;         /* global vectors on grid->da: incoming border values */
  VecScatter    scatter;        /* xa (link e) -> global vector at the receiver of e */
  Vec           length;         /* m */
  Mat           P;              /* built on demand */
  PetscInt      iterations;
  PetscInt64    visits;  /* cell updates of the last operation on this rank (work measure) */
  PetscInt     *dstart, *donor; /* CSR of each owned cell's local donors (upstream walks) */
  PetscInt     *stack;          /* [n] work list of the upstream walks */
  PetscReal    *mx;             /* [n] max of the incoming values (SB_D8_MAX), without the own weight */
  PetscLogEvent ev_up, ev_down;
};


PetscErrorCode SbD8Create(SbGrid *g, SbD8 *d8)
{
  SbD8                d;
  Vec                 mloc, dloc;
  const PetscScalar **mk, **fd;
  PetscScalar        *len;
  PetscInt           *indeg, *natural, head = 0, tail = 0, e = 0;
  AO                  ao;
  IS                  from, to;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&d));
  d->grid = g;
  d->n    = g->xm * g->ym;
  PetscCall(VecGetOwnershipRange(g->mask, &d->rstart, NULL));
  PetscCall(PetscLogEventRegister("SbD8Up", DM_CLASSID, &d->ev_up));
  PetscCall(PetscLogEventRegister("SbD8Down", DM_CLASSID, &d->ev_down));
  PetscCall(PetscMalloc2(d->n, &d->recv, d->n, &d->order));
  PetscCall(DMCreateGlobalVector(g->da, &d->length));
  /* Created and destroyed here: DMGetLocalVector would keep them in the DM's cache for the run. */
  PetscCall(DMCreateLocalVector(g->da, &mloc));
  PetscCall(VecDuplicate(mloc, &dloc));
  PetscCall(DMGlobalToLocal(g->da, g->mask, INSERT_VALUES, mloc));
  PetscCall(DMGlobalToLocal(g->da, g->flow_direction, INSERT_VALUES, dloc));
  PetscCall(DMDAVecGetArrayRead(g->da, mloc, (void *)&mk));
  PetscCall(DMDAVecGetArrayRead(g->da, dloc, (void *)&fd));
  PetscCall(VecGetArray(d->length, &len));
  /* Receivers; links to other ranks counted first, then numbered. */
  for (PetscInt pass = 0; pass < 2; pass++) {
    e = 0;
    for (PetscInt j = g->ys; j < g->ys + g->ym; j++)
      for (PetscInt i = g->xs; i < g->xs + g->xm; i++) {
        const PetscInt k = (j - g->ys) * g->xm + (i - g->xs);
        PetscInt       di, dj, ii, jj;

        d->recv[k] = -1;
        len[k]     = g->dx_m[j];
        if (mk[j][i] == 0 || !SbD8Offset((PetscInt)fd[j][i], &di, &dj)) continue;
        ii = i + di;
        jj = j + dj;
        if (ii < 0 || ii >= g->nx || jj < 0 || jj >= g->ny || mk[jj][ii] == 0) continue;
        len[k] = di && dj ? PetscSqrtReal(g->dx_m[j] * g->dx_m[j] + g->dy_m * g->dy_m) : (di ? g->dx_m[j] : g->dy_m);
        if (ii >= g->xs && ii < g->xs + g->xm && jj >= g->ys && jj < g->ys + g->ym) d->recv[k] = (jj - g->ys) * g->xm + (ii - g->xs);
        else {
          if (pass == 1) {
            d->remote_cell[e] = k;
            natural[e]        = jj * g->nx + ii;
          }
          d->recv[k] = -2 - e;
          e++;
        }
      }
    if (pass == 0) {
      d->nremote = e;
      PetscCall(PetscMalloc1(e, &d->remote_cell));
      PetscCall(PetscMalloc1(e, &d->remote_global));
      PetscCall(PetscMalloc1(e, &natural));
    }
  }
  PetscCall(VecRestoreArray(d->length, &len));
  PetscCall(DMDAVecRestoreArrayRead(g->da, dloc, (void *)&fd));
  PetscCall(DMDAVecRestoreArrayRead(g->da, mloc, (void *)&mk));
  PetscCall(VecDestroy(&dloc));
  PetscCall(VecDestroy(&mloc));

  /* Global (PETSc) numbers of the remote receivers through the DMDA's application ordering. */
  PetscCall(DMDAGetAO(g->da, &ao));
  PetscCall(PetscArraycpy(d->remote_global, natural, d->nremote));
  PetscCall(AOApplicationToPetsc(ao, d->nremote, d->remote_global));
  PetscCall(PetscFree(natural));

  /* A topological order of the owned cells (Kahn 1962): in-degrees over local links only. */
  PetscCall(PetscCalloc1(d->n, &indeg));
  for (PetscInt k = 0; k < d->n; k++)
    if (d->recv[k] >= 0) indeg[d->recv[k]]++;
  for (PetscInt k = 0; k < d->n; k++)
    if (!indeg[k]) d->order[tail++] = k;
  while (head < tail) {
    const PetscInt r = d->recv[d->order[head++]];

    if (r >= 0 && --indeg[r] == 0) d->order[tail++] = r;
  }
  PetscCall(PetscFree(indeg));
  /* Local donors of every cell, for the upstream walks of SbD8Downstream. */
  PetscCall(PetscCalloc1(d->n + 1, &d->dstart));
  PetscCall(PetscMalloc3(d->n + 1, &d->donor, d->n + 1, &d->stack, d->n + 1, &d->mx));
  for (PetscInt k = 0; k < d->n; k++)
    if (d->recv[k] >= 0) d->dstart[d->recv[k] + 1]++;
  for (PetscInt k = 0; k < d->n; k++) d->dstart[k + 1] += d->dstart[k];
  {
    PetscInt *fill;

    PetscCall(PetscMalloc1(d->n + 1, &fill));
    PetscCall(PetscArraycpy(fill, d->dstart, d->n + 1));
    for (PetscInt k = 0; k < d->n; k++)
      if (d->recv[k] >= 0) d->donor[fill[d->recv[k]]++] = k;
    PetscCall(PetscFree(fill));
  }
  PetscCheck(tail == d->n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /flow_direction: the D8 directions contain a cycle (%" PetscInt_FMT " cells of this rank are on or behind one)", g->path, d->n - tail);

  /* Border exchange: link e of this rank carries a value to the global index of its receiver. */
  PetscCall(VecCreateMPI(g->comm, d->nremote, PETSC_DETERMINE, &d->xa));
  PetscCall(VecDuplicate(d->xa, &d->xb));
  PetscCall(DMCreateGlobalVector(g->da, &d->ga));
  PetscCall(VecDuplicate(d->ga, &d->gb));
  {
    PetscInt lo;

    PetscCall(VecGetOwnershipRange(d->xa, &lo, NULL));
    PetscCall(ISCreateStride(g->comm, d->nremote, lo, 1, &from));
    PetscCall(ISCreateGeneral(g->comm, d->nremote, d->remote_global, PETSC_COPY_VALUES, &to));
    PetscCall(VecScatterCreate(d->xa, from, d->ga, to, &d->scatter));
    PetscCall(ISDestroy(&from));
    PetscCall(ISDestroy(&to));
  }
  *d8 = d;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8Destroy(SbD8 *d8)
{
  SbD8 d = *d8;

  PetscFunctionBeginUser;
  if (!d) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree2(d->recv, d->order));
  PetscCall(PetscFree(d->remote_cell));
  PetscCall(PetscFree(d->remote_global));
  PetscCall(PetscFree(d->dstart));
  PetscCall(PetscFree3(d->donor, d->stack, d->mx));
  PetscCall(VecDestroy(&d->xa));
  PetscCall(VecDestroy(&d->xb));
  PetscCall(VecDestroy(&d->ga));
  PetscCall(VecDestroy(&d->gb));
  PetscCall(VecScatterDestroy(&d->scatter));
  PetscCall(VecDestroy(&d->length));
  PetscCall(MatDestroy(&d->P));
  PetscCall(PetscFree(*d8));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8GetFlowLength(SbD8 d, Vec *length_m)
{
  PetscFunctionBeginUser;
  *length_m = d->length;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8GetIterations(SbD8 d, PetscInt *iterations)
{
  PetscFunctionBeginUser;
  *iterations = d->iterations;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8GetMatrix(SbD8 d, Mat *P)
{
  PetscFunctionBeginUser;
  if (!d->P) {
    PetscCall(MatCreateAIJ(d->grid->comm, d->n, d->n, PETSC_DETERMINE, PETSC_DETERMINE, 1, NULL, 1, NULL, &d->P));
    for (PetscInt k = 0; k < d->n; k++) {
      const PetscInt r = d->recv[k];

      if (r == -1) continue;
      PetscCall(MatSetValue(d->P, d->rstart + k, r >= 0 ? d->rstart + r : d->remote_global[-2 - r], 1.0, INSERT_VALUES));
    }
    PetscCall(MatAssemblyBegin(d->P, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(d->P, MAT_FINAL_ASSEMBLY));
  }
  *P = d->P;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether any of n values differs bitwise; then a logical OR over the ranks. */
static PetscErrorCode Changed(MPI_Comm comm, const PetscScalar *a, const PetscScalar *b, PetscInt n, PetscBool *local, PetscBool *global)
{
  PetscFunctionBeginUser;
  *local = PETSC_FALSE;
  for (PetscInt k = 0; k < n && !*local; k++)
    if (a[k] != b[k]) *local = PETSC_TRUE;
  PetscCallMPI(MPI_Allreduce(local, global, 1, MPIU_BOOL, MPI_LOR, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8Accumulate(SbD8 d, SbD8Op op, Vec w, Vec pass, Vec a)
{
  const PetscScalar *wv, *pv = NULL, *in, *next;
  PetscScalar       *av, *out;
  PetscBool          first = PETSC_TRUE, redo = PETSC_TRUE, changed = PETSC_TRUE;
  const InsertMode   mode = op == SB_D8_SUM ? ADD_VALUES : MAX_VALUES;
  PetscReal         *mx   = d->mx;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(d->ev_up, 0, 0, 0, 0));
  PetscCall(VecSet(d->ga, 0.0));
  PetscCall(VecSet(d->gb, 0.0));
  PetscCall(VecSet(d->xa, 0.0));
  d->iterations = 0;
  d->visits     = 0;
  while (changed) {
    PetscCheck(d->iterations <= d->grid->nactive + 1, d->grid->comm, PETSC_ERR_USER_INPUT, "%s: /flow_direction: the D8 directions contain a cycle across ranks", d->grid->path);
    if (redo) {
      PetscCall(VecGetArrayRead(w, &wv));
      if (pass) PetscCall(VecGetArrayRead(pass, &pv));
      PetscCall(VecGetArray(a, &av));
      PetscCall(VecGetArrayRead(d->ga, &in));   /* the incoming values of the last pass */
      PetscCall(VecGetArrayRead(d->gb, &next)); /* the incoming values now */
      PetscCall(VecGetArray(d->xa, &out));
      if (first) {
        /* One pass in topological order: what reaches k from other ranks, plus its donors. */
        for (PetscInt k = 0; k < d->n; k++) av[k] = mx[k] = next[k];
        for (PetscInt q = 0; q < d->n; q++) {
          const PetscInt  k = d->order[q], r = d->recv[k];
          const PetscReal v = wv[k] + av[k], c = pv ? pv[k] * v : v;

          if (op == SB_D8_MAX) mx[k] = av[k];
          av[k] = v;
          if (r >= 0) av[r] = op == SB_D8_SUM ? av[r] + c : PetscMax(av[r], c);
          else if (r <= -2) out[-2 - r] = c;
        }
        d->visits += d->n;
      } else {
        /* Carry each changed incoming value down its flow path on this rank: a sum by its
           difference, a maximum while it raises the maximum. */
        for (PetscInt k0 = 0; k0 < d->n; k0++) {
          PetscInt  k = k0;
          PetscReal v;

          if (next[k0] == in[k0]) continue;
          if (op == SB_D8_SUM) {
            PetscReal dlt = next[k0] - in[k0];

            for (;;) {
              const PetscInt r = d->recv[k];

              d->visits++;
              av[k] += dlt;
              dlt = pv ? pv[k] * dlt : dlt;
              if (r >= 0) k = r;
              else {
                if (r <= -2) out[-2 - r] = pv ? pv[k] * av[k] : av[k];
                break;
              }
            }
          } else {
            v = next[k0];
            for (;;) {
              const PetscInt r = d->recv[k];
              PetscReal      c;

              d->visits++;
              if (v <= mx[k]) break;
              mx[k] = v;
              av[k] = wv[k] + v;
              c     = pv ? pv[k] * av[k] : av[k];
              if (r >= 0) {
                k = r;
                v = c;
              } else {
                if (r <= -2) out[-2 - r] = c;
                break;
              }
            }
          }
        }
      }
      first = PETSC_FALSE;
      PetscCall(VecRestoreArray(d->xa, &out));
      PetscCall(VecRestoreArrayRead(d->gb, &next));
      PetscCall(VecRestoreArrayRead(d->ga, &in));
      PetscCall(VecRestoreArray(a, &av));
      if (pass) PetscCall(VecRestoreArrayRead(pass, &pv));
      PetscCall(VecRestoreArrayRead(w, &wv));
    }
    /* ga <- the values used now; gb <- the values the other ranks send now */
    PetscCall(VecCopy(d->gb, d->ga));
    PetscCall(VecSet(d->gb, 0.0));
    PetscCall(VecScatterBegin(d->scatter, d->xa, d->gb, mode, SCATTER_FORWARD));
    PetscCall(VecScatterEnd(d->scatter, d->xa, d->gb, mode, SCATTER_FORWARD));
    PetscCall(VecGetArrayRead(d->ga, &in));
    PetscCall(VecGetArrayRead(d->gb, &next));
    PetscCall(Changed(d->grid->comm, in, next, d->n, &redo, &changed));
    PetscCall(VecRestoreArrayRead(d->gb, &next));
    PetscCall(VecRestoreArrayRead(d->ga, &in));
    d->iterations++;
  }
  PetscCall(PetscLogEventEnd(d->ev_up, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8Downstream(SbD8 d, Vec w, Vec pass, Vec dn)
{
  const PetscScalar *wv, *pv = NULL, *in, *next;
  PetscScalar       *dv;
  PetscBool          first = PETSC_TRUE, redo = PETSC_TRUE, changed = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(d->ev_down, 0, 0, 0, 0));
  PetscCall(VecSet(d->xa, 0.0));
  PetscCall(VecSet(d->xb, 0.0));
  d->iterations = 0;
  d->visits     = 0;
  while (changed) {
    PetscCheck(d->iterations <= d->grid->nactive + 1, d->grid->comm, PETSC_ERR_USER_INPUT, "%s: /flow_direction: the D8 directions contain a cycle across ranks", d->grid->path);
    if (redo) {
      PetscCall(VecGetArrayRead(w, &wv));
      if (pass) PetscCall(VecGetArrayRead(pass, &pv));
      PetscCall(VecGetArray(dn, &dv));
      PetscCall(VecGetArrayRead(d->xa, &in));   /* remote receivers' values of the last pass */
      PetscCall(VecGetArrayRead(d->xb, &next)); /* and now */
      if (first) {
        /* receivers before donors: the topological order backwards */
        for (PetscInt q = d->n - 1; q >= 0; q--) {
          const PetscInt  k = d->order[q], r = d->recv[k];
          const PetscReal below = r >= 0 ? dv[r] : (r <= -2 ? next[-2 - r] : 0.0);

          dv[k] = wv[k] + (pv ? pv[k] : 1.0) * below;
        }
        d->visits += d->n;
      } else {
        /* A changed remote receiver changes its donor here and everything upstream of it: add
           the difference, scaled by the pass factors, through the donor tree. */
        for (PetscInt e = 0; e < d->nremote; e++) {
          PetscInt top = 0;

          if (next[e] == in[e]) continue;
          {
            const PetscInt c = d->remote_cell[e];

            d->mx[c]        = (pv ? pv[c] : 1.0) * (next[e] - in[e]);
            d->stack[top++] = c;
          }
          while (top > 0) {
            const PetscInt  k   = d->stack[--top];
            const PetscReal dlt = d->mx[k];

            d->visits++;
            dv[k] += dlt;
            for (PetscInt p = d->dstart[k]; p < d->dstart[k + 1]; p++) {
              const PetscInt u = d->donor[p];

              d->mx[u]        = (pv ? pv[u] : 1.0) * dlt;
              d->stack[top++] = u;
            }
          }
        }
      }
      first = PETSC_FALSE;
      PetscCall(VecRestoreArrayRead(d->xb, &next));
      PetscCall(VecRestoreArrayRead(d->xa, &in));
      PetscCall(VecRestoreArray(dn, &dv));
      if (pass) PetscCall(VecRestoreArrayRead(pass, &pv));
      PetscCall(VecRestoreArrayRead(w, &wv));
    }
    PetscCall(VecCopy(d->xb, d->xa));
    PetscCall(VecScatterBegin(d->scatter, dn, d->xb, INSERT_VALUES, SCATTER_REVERSE));
    PetscCall(VecScatterEnd(d->scatter, dn, d->xb, INSERT_VALUES, SCATTER_REVERSE));
    PetscCall(VecGetArrayRead(d->xa, &in));
    PetscCall(VecGetArrayRead(d->xb, &next));
    PetscCall(Changed(d->grid->comm, in, next, d->nremote, &redo, &changed));
    PetscCall(VecRestoreArrayRead(d->xb, &next));
    PetscCall(VecRestoreArrayRead(d->xa, &in));
    d->iterations++;
  }
  PetscCall(PetscLogEventEnd(d->ev_down, 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbD8Receiver(SbD8 d, Vec v, PetscReal none, Vec r)
{
  const PetscScalar *vv, *x;
  PetscScalar       *rv;

  PetscFunctionBeginUser;
  PetscCall(VecScatterBegin(d->scatter, v, d->xb, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecScatterEnd(d->scatter, v, d->xb, INSERT_VALUES, SCATTER_REVERSE));
  PetscCall(VecGetArrayRead(v, &vv));
  PetscCall(VecGetArrayRead(d->xb, &x));
  PetscCall(VecGetArray(r, &rv));
  for (PetscInt k = 0; k < d->n; k++) {
    const PetscInt q = d->recv[k];

    rv[k] = q >= 0 ? vv[q] : (q <= -2 ? x[-2 - q] : none);
  }
  PetscCall(VecRestoreArray(r, &rv));
  PetscCall(VecRestoreArrayRead(d->xb, &x));
  PetscCall(VecRestoreArrayRead(v, &vv));
  PetscFunctionReturn(PETSC_SUCCESS);
}
