// From a command line to the loader's options, as `docker compose` decides them: which compose files (-f, repeated;
// `-f -` for standard input; COMPOSE_FILE; else compose.yaml / compose.yml / docker-compose.yml / docker-compose.yaml
// found in the working directory or a parent, with its compose.override.* beside it), which project directory, which
// variables (the process environment over `.env` or --env-file), which profiles (--profile, else
// COMPOSE_PROFILES) and which project name (-p, else COMPOSE_PROJECT_NAME, else `name:`, else the directory's).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "compose/loader.h"
#include "core/result.h"

namespace berth::compose {

// What the user asked for on the command line.
struct ProjectRequest {
  std::vector<std::string> files;       // -f, in order ("-" for standard input)
  std::string project_directory;        // --project-directory
  std::string project_name;             // -p
  std::vector<std::string> profiles;    // --profile
  std::vector<std::string> env_files;   // --env-file
  std::vector<std::string> services;    // services named as arguments
};

// The process around the command.
struct ProcessContext {
  std::string cwd;                                       // absolute
  Mapping environment;                                   // the process environment
  std::function<Result<std::string>()> read_stdin;       // for `-f -`
};

// Loader options for `request`, warnings about ambiguous discoveries appended to `warnings`.
Result<LoadOptions> resolve_project_request(const ProjectRequest& request, const ProcessContext& process,
                                            const FileAccess& files = FileAccess::host(),
                                            std::vector<std::string>* warnings = nullptr);

// The file names searched for, in order of preference.
extern const char* const kComposeFileNames[4];
extern const char* const kOverrideFileNames[4];

}  // namespace berth::compose
