/* SIGINT/SIGTERM handling. The flag below is the only file-scope state in shuibao: a signal
   handler can reach nothing else (C11 7.14.1.1 allows it to set a volatile sig_atomic_t). */
#include "signals.h"
#include <sys/resource.h>
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
  {
    /* Fault injection for the tests (tests/regression/disk_full.py): files of this process
       cannot grow beyond N bytes, so writes fail as on a full disk (EFBIG instead of ENOSPC).
       Set here, after MPI has made its shared-memory segments; the soft limit only, so that
       SbOutputAbort can lift it again (output.c). */
    PetscInt  limit = -1;
    PetscBool set;

    PetscCall(PetscOptionsGetInt(NULL, NULL, "-sb_fault_file_size_limit", &limit, &set));
    if (set && limit >= 0) {
      struct rlimit rl;

      PetscCheck(getrlimit(RLIMIT_FSIZE, &rl) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "-sb_fault_file_size_limit: cannot read the limit");
      rl.rlim_cur = (rlim_t)limit;
      PetscCheck(signal(SIGXFSZ, SIG_IGN) != SIG_ERR && setrlimit(RLIMIT_FSIZE, &rl) == 0, PETSC_COMM_SELF, PETSC_ERR_SYS, "-sb_fault_file_size_limit: cannot set the limit");
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode SbSignalsReceived(MPI_Comm comm, int *signo)
{
  int mine = (int)sb_signal_received;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(&mine, signo, 1, MPI_INT, MPI_MAX, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}
