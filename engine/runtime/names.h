// Names the OCI spec and the runc command line use for kernel numbers: capabilities, signals, rlimits. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::runtime {

// "CAP_SYS_ADMIN" (or "SYS_ADMIN", any case) -> 21; nullopt if unknown.
std::optional<int> capability_from_name(std::string_view name);
// The highest capability number this table knows (CAP_CHECKPOINT_RESTORE = 40).
int last_known_capability();

// "SIGTERM", "TERM", "term", "15", "SIGRTMIN+3", "RTMAX-1" -> number; nullopt if unknown or out of range.
std::optional<int> signal_from_name(std::string_view name);

// "RLIMIT_NOFILE" -> RLIMIT_NOFILE; nullopt if unknown.
std::optional<int> rlimit_from_name(std::string_view name);

}  // namespace berth::runtime
