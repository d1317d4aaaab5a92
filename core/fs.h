// Files and directories: reads, atomic writes, directory trees, and opening paths inside a container root without
// following links out of it.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

#include "core/fd.h"
#include "core/result.h"

namespace berth::fs {

Result<std::string> read_file(const std::string& path);
// Reads a file relative to a directory fd (O_NOFOLLOW on the last component is not implied).
Result<std::string> read_file_at(int dir_fd, const std::string& path);

// Writes `content` to `path` so that a reader sees either the old or the new file, never a mix: temp file in the
// same directory, fsync, rename, fsync of the directory. `Durability::process_crash` skips the fsyncs: the
// rename still guarantees old-or-new if our process is killed, which is all that hot-path records of short-lived
// objects (a `run --rm` container) need; power loss may then lose the latest write.
enum class Durability { power_loss, process_crash };
Result<void> write_file_atomic(const std::string& path, std::string_view content, mode_t mode = 0644,
                               Durability durability = Durability::power_loss);

// Plain write (truncate) for kernel interfaces such as cgroupfs and /proc files.
Result<void> write_file(const std::string& path, std::string_view content);

// mkdir -p; existing directories are fine.
Result<void> make_directories(const std::string& path, mode_t mode = 0755);

// rm -rf that never follows symlinks and never crosses into another mount (a mount left below `path` is an
// error, not something to delete through). A missing `path` is success.
Result<void> remove_tree(const std::string& path);

bool exists(const std::string& path);
bool is_directory(const std::string& path);

// Names in a directory, without "." and "..". A missing directory gives an empty list.
Result<std::vector<std::string>> list_directory(const std::string& path);

// A fresh directory under `parent` (mkdtemp), for tests and staging.
Result<std::string> make_temp_directory(const std::string& parent, std::string_view prefix);

// Opens `path` as seen from inside `root_fd`: "..", absolute symlinks and magic links are all resolved within the
// root, so what an image contains can never redirect us to the host (openat2 with RESOLVE_IN_ROOT).
Result<UniqueFd> open_in_root(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// "/proc/self/fd/N": a path naming an fd, for syscalls that take paths (mount, for instance).
std::string fd_path(int fd);

// Joins two path pieces with exactly one '/'.
std::string join(std::string_view base, std::string_view name);

}  // namespace berth::fs
