// Paths in compose files: Go's lexical path rules (path.Clean, filepath.Join), `~` expansion, and the resolution of
// relative paths against the project directory for the attributes that hold host paths (compose-go's paths
// package): build contexts, env_file and label_file, bind mount sources, secret and config files, watch paths, and
// the `device` of local bind volumes.
#pragma once

#include <string>
#include <string_view>

#include "compose/node.h"
#include "core/result.h"

namespace berth::compose {

// Go's path.Clean: the shortest lexically equivalent path ("a/../b/" -> "b", "" -> ".").
std::string clean_path(std::string_view path);
// Go's filepath.Join: the non-empty parts joined by '/' and cleaned ("" when all are empty).
std::string join_path(std::string_view base, std::string_view relative);
inline bool is_absolute_path(std::string_view path) { return !path.empty() && path[0] == '/'; }
// "~" and "~/x" with `home` (when `home` is empty, the path is returned as it is).
std::string expand_user(std::string_view path, std::string_view home);
// The parent directory, as Go's filepath.Dir.
std::string parent_directory(std::string_view path);
// Build contexts that are not local directories (URLs, git references, "service:x", "docker-image://x").
bool is_remote_context(std::string_view context);

// Resolves the relative host paths of `tree` against `working_dir`, expanding `~` with `home`.
Result<void> resolve_relative_paths(Node& tree, const std::string& working_dir, const std::string& home);

}  // namespace berth::compose
