// The compose loader: compose files, the environment and `.env` in, one typed, validated, normalised Project out.
// The pipeline is compose-go's, one pure stage per module, each over the loader's tree (compose/node.h):
//
//   per file and document:  YAML -> !reset/!override -> interpolation -> include -> extends -> merge onto the
//                           earlier files -> unicity -> schema validation -> canonical forms
//   then:                   defaults -> checks -> relative paths -> environment lists -> normalisation
//   then:                   typed model (compose/decode.h) -> profiles -> consistency (compose/consistency.h)
//                           -> env_file / label_file resolution
//
// The loader reads files and nothing else: which files, which environment and which directory are decided by the
// caller (compose/discovery.h does what the command line does).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compose/node.h"
#include "compose/project.h"
#include "core/result.h"

namespace berth::compose {

struct ComposeFileSource {
  std::string path;                    // absolute path, or "-" for standard input (with `content` set)
  std::optional<std::string> content;  // used instead of reading `path` when set
};

// How the loader reads files; tests and the fuzzer substitute their own.
struct FileAccess {
  std::function<Result<std::string>(const std::string& path)> read;
  std::function<bool(const std::string& path)> is_file;
  // The host's files, size-capped (a compose file or env file above 16 MiB is refused).
  static FileAccess host();
};

struct LoadOptions {
  std::vector<ComposeFileSource> files;  // in merge order; the first one is the main file
  std::string working_dir;               // the project directory, absolute
  Mapping environment;                   // for interpolation: the process environment over `.env`
  std::string project_name;              // explicit (-p, COMPOSE_PROJECT_NAME), or the fallback (directory name)
  bool project_name_explicit = false;    // explicit names must be valid; a fallback yields to `name:`
  std::vector<std::string> profiles;     // enabled profiles ("*" enables all)
  std::vector<std::string> services;     // only these services and their dependencies (empty: all)
  bool interpolate = true;
  bool normalize = true;
  bool resolve_paths = true;
  bool check_consistency = true;
  bool resolve_service_environment = true;  // merge env_file into environment
  bool discard_env_files = false;           // and then drop env_file (as `config` prints it)
  bool prune_unused_resources = false;      // drop networks/volumes/secrets/configs no enabled service uses
  std::optional<std::string> home;          // for `~`; the environment's HOME when not given
  FileAccess files_access = FileAccess::host();
  size_t max_files = 256;  // compose files read in all (includes, extends), against include/extends bombs
};

struct LoadedProject {
  Project project;
  std::vector<std::string> warnings;  // unset variables, deprecated forms, ...
};

Result<LoadedProject> load_project(const LoadOptions& options);

// The merged, canonical model before it is typed: what `config --no-interpolate` prints.
Result<Node> load_model(const LoadOptions& options, std::vector<std::string>* warnings = nullptr);

// Docker Compose's project name rules: lowercase, only [a-z0-9_-], starting with a letter or digit.
std::string normalize_project_name(std::string_view name);
bool is_valid_project_name(std::string_view name);

}  // namespace berth::compose
