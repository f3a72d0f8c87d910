// Shutdown signals for the daemons: SIGINT/SIGTERM are blocked in every thread (call this
// before starting any) and collected by WaitForTermination; SIGPIPE is ignored so that a
// client closing its connection never ends the process.
#pragma once

#include <signal.h>

namespace slurm_exporter {

inline sigset_t BlockTerminationSignals() {
  sigset_t sigs;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return sigs;
}

// Returns the signal received.
inline int WaitForTermination(const sigset_t& sigs) {
  int sig = 0;
  sigwait(&sigs, &sig);
  return sig;
}

}  // namespace slurm_exporter
