#include "collectors/slurm/libslurm_log.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "collectors/slurm/compat.h"
#include "common/log.h"

// libslurm's logger (src/common/log.h, private; slurm_log_init is exported by libslurm and
// libslurmfull). log_options_t is passed by value, so its layout must be exact: 23.02 added
// logfile_fmt, and it has not changed since (read in every release of the matrix; the adapter's
// tests check that a line logged through it arrives).
extern "C" {
struct SlurmLogOptions {
  int stderr_level;   // log_level_t
  int syslog_level;   // log_level_t
  int logfile_level;  // log_level_t
  bool prefix_level;  // "error: " before the message
  bool buffered;
  bool raw;
#if SLURM_AT_LEAST(23, 2, 0)
  int logfile_fmt;  // log_file_fmt_t: LOG_FILE_FMT_TIMESTAMP
#endif
};
int slurm_log_init(char* argv0, SlurmLogOptions opts, int facility, char* logfile);
}

namespace slurm_exporter {
namespace {
constexpr int kLogLevelQuiet = 0;      // LOG_LEVEL_QUIET
constexpr int kLogLevelInfo = 3;       // LOG_LEVEL_INFO
constexpr int kFacilityUser = 1 << 3;  // SYSLOG_FACILITY_USER (LOG_USER)
}  // namespace

LibslurmLog::~LibslurmLog() {
  if (fd_ >= 0) ::close(fd_);
}

Status LibslurmLog::Start(const char* program_name) {
  fd_ = ::memfd_create("libslurm-log", MFD_CLOEXEC);
  if (fd_ < 0) return Status::Error("memfd_create", std::strerror(errno), errno);
  std::string path = fmt::format("/proc/self/fd/{}", fd_);
  std::string argv0 = program_name;
  SlurmLogOptions opts{};
  opts.stderr_level = kLogLevelQuiet;
  opts.syslog_level = kLogLevelQuiet;
  opts.logfile_level = kLogLevelInfo;
  opts.prefix_level = true;
  if (int rc = slurm_log_init(argv0.data(), opts, kFacilityUser, path.data()); rc != 0) {
    ::close(fd_);
    fd_ = -1;
    return Status::Error("slurm_log_init", std::strerror(rc), rc);
  }
  return Status::Ok();
}

std::vector<std::string> LibslurmLog::Take() {
  std::vector<std::string> lines;
  if (fd_ < 0) return lines;
  std::string text;
  char buf[4096];
  off_t off = 0;
  for (;;) {
    ssize_t n = ::pread(fd_, buf, sizeof(buf), off);
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
    off += n;
  }
  if (text.empty()) return lines;
  // libslurm opened the file for appending: its next line goes to the start again.
  if (::ftruncate(fd_, 0) != 0) return lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    if (!line.empty() && line.front() == '[') {  // "[2026-12-05T03:02:06.938] error: ..."
      auto close = line.find("] ");
      if (close != std::string_view::npos) line.remove_prefix(close + 2);
    }
    if (!line.empty()) lines.emplace_back(line);
    start = end + 1;
  }
  return lines;
}

void RelogLibslurmLines(const std::vector<std::string>& lines, RepeatFilter& filter, double now) {
  for (const std::string& line : lines) {
    RepeatFilter::Decision d = filter.Check(RepeatFilter::KeyOf(line), now);
    if (!d.emit) continue;
    if (d.suppressed > 0) {
      log::Warn(line, {{"source", "libslurm"}, {"repeats", std::to_string(d.suppressed)}});
    } else {
      log::Warn(line, {{"source", "libslurm"}});
    }
  }
}

}  // namespace slurm_exporter
