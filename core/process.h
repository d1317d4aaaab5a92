// Processes we started earlier and must recognise later: a PID is only trusted together with its start time
// (field 22 of /proc/PID/stat), so a recycled PID is never mistaken for ours.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/fd.h"
#include "core/result.h"

namespace berth {

struct ProcessIdentity {
  pid_t pid = 0;
  uint64_t start_time = 0;  // clock ticks after boot, as /proc/PID/stat says
  bool operator==(const ProcessIdentity&) const = default;
};

// Reads field 22 of /proc/PID/stat (`proc_root` lets tests point at a fake /proc).
Result<uint64_t> process_start_time(pid_t pid, const std::string& proc_root = "/proc");
// Parses the content of a /proc/PID/stat file (the command name may hold spaces and parentheses).
Result<uint64_t> parse_start_time(const std::string& stat_content);
Result<ProcessIdentity> identify_process(pid_t pid);
// True while the very process we recorded is alive (not a zombie, not a reused PID).
bool process_is_alive(const ProcessIdentity& identity);

// pidfd_open(2): a handle that stays bound to this process even if its PID is reused.
Result<UniqueFd> open_pidfd(pid_t pid);
// pidfd_send_signal(2).
Result<void> signal_pidfd(int pidfd, int signal);

// Ignores EINTR. Returns the raw wait status.
Result<int> wait_for_child(pid_t pid);
// "TERM", "SIGTERM", "sigterm" or "15" -> 15; -1 when it names no signal.
int parse_signal(std::string_view name);

// 128+N for a signal death, the exit code otherwise (the convention of shells, Docker and runc).
int exit_code_from_wait_status(int status);

}  // namespace berth
