/* SIGINT/SIGTERM handling. The flag below is the only file-scope state in shuibao: a signal
   handler can reach nothing else (C11 7.14.1.1 allows it to set a volatile sig_atomic_t). */
#include "signals.h"
#include <signal.h>

static volatile sig_atomic_t sb_signal_received = 0;

static void SbSignalHandler(int signo)
{
  sb_signal_received = signo;
}

PetscErrorCode SbSignalsInstall(void)
{
  struct sigaction sa;

  PetscFunctionBeginUser;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SbSignalHandler;
  sigemptyset(&sa.sa_mask);
  PetscCheck(sigaction(SIGINT, &sa, NULL) == 0 && sigaction(SIGTERM, &sa, NULL) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "cannot install the SIGINT/SIGTERM handlers");
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSignalsReceived(MPI_Comm comm, int *signo)
{
  int mine = (int)sb_signal_received;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(&mine, signo, 1, MPI_INT, MPI_MAX, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
