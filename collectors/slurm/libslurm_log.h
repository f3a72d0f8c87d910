// LibslurmLog: takes libslurm's own log lines away from stderr. Left alone, libslurm writes an
// "error: ..." line to stderr for every failed RPC of every poll ("Invalid Protocol Version
// 10752", "Unable to contact slurm controller"): a flood in the daemon's log, and text that the
// adapter needs to read (a peer's protocol version is only ever said there).
//
// Start() points libslurm's logger (slurm_log_init) at an in-memory file; Take() returns the
// lines written since the last call and empties the file. The adapter takes them after each
// call into libslurm, scans them for protocol evidence, and hands them to RelogLibslurmLines,
// which logs each distinct line once (then once an hour with the number of repeats).
//
// Thread-safety: libslurm's logger is process-global; Start once, before other threads use
// libslurm; Take from the thread that calls libslurm.
#pragma once

#include <string>
#include <vector>

#include "common/repeat_filter.h"
#include "common/status.h"

namespace slurm_exporter {

class LibslurmLog {
 public:
  LibslurmLog() = default;
  ~LibslurmLog();
  LibslurmLog(const LibslurmLog&) = delete;
  LibslurmLog& operator=(const LibslurmLog&) = delete;

  // Routes libslurm's messages of level info and above to the capture file, none to stderr.
  Status Start(const char* program_name);
  // Lines logged since the last call, without their "[timestamp] " prefix.
  std::vector<std::string> Take();

 private:
  int fd_ = -1;
};

// Logs libslurm's lines (level=warn source=libslurm): each distinct text (digits aside) once,
// then at most once per `filter`'s window with the count of repeats.
void RelogLibslurmLines(const std::vector<std::string>& lines, RepeatFilter& filter, double now);

}  // namespace slurm_exporter
