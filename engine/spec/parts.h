// The pieces build_runtime_spec is made of, as plain data, so each can be tested on its own. Not for use outside
// engine/spec and its tests: the engine calls spec.h.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "engine/spec/spec.h"

namespace berth::spec::detail {

// Where the container's network namespace comes from.
struct NetworkSetup {
  bool host = false;            // no network namespace: the host's
  bool own_namespace = false;   // a namespace of its own (none/private), which gets Docker's network sysctls
  std::string namespace_path;   // join this one ("ns:/path", or the engine-made one for "private")
};

// "none" | "host" | "private" | "ns:/path".
Result<NetworkSetup> parse_network_mode(std::string_view mode, std::string_view private_namespace_path);

// Docker's default mounts, /etc files, the init binary and the user's mounts, merged as Docker's WithMounts does.
Result<std::vector<Mount>> assemble_mounts(const RunOptions& options, const SpecInputs& inputs);

// Docker's masked / read-only path lists (empty defaults for --privileged), plus the extras asked for.
std::vector<std::string> masked_paths(const RunOptions& options, const SpecInputs& inputs);
std::vector<std::string> readonly_paths(const RunOptions& options);

// Docker's network sysctls for a private netns, then --sysctl (validated as Docker's CLI does).
Result<std::map<std::string, std::string>> assemble_sysctls(const RunOptions& options, const NetworkSetup& network);

// --ulimit, later entries of the same name winning, plus Docker's observable RLIMIT_NOFILE (1024/524288) capped
// at `inherited_nofile_hard` when nofile is not given and the engine's own hard limit is known (-1 = unlimited).
std::vector<Ulimit> effective_ulimits(const RunOptions& options, std::optional<int64_t> inherited_nofile_hard);

// The default /dev/shm size, 64 MiB, as Docker's.
inline constexpr int64_t kDefaultShmSizeBytes = 64LL * 1024 * 1024;
// The default RLIMIT_NOFILE (ulimit.cpp explains the choice).
inline constexpr int64_t kDefaultNofileSoft = 1024;
inline constexpr int64_t kDefaultNofileHard = 524288;

}  // namespace berth::spec::detail
