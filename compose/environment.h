// A service's final environment and labels: `env_file` contents (read with the project's variables) under what
// `environment` sets, entries without a value taken from the project's environment; `label_file` contents under
// `labels`.
#pragma once

#include "compose/loader.h"
#include "compose/node.h"
#include "compose/project.h"
#include "core/result.h"

namespace berth::compose {

struct EnvironmentOptions {
  FileAccess files = FileAccess::host();
  bool discard_env_files = false;  // drop env_file once merged into environment
  const Node* model = nullptr;     // to locate errors
};

Result<void> resolve_service_environments(Project& project, const EnvironmentOptions& options);
Result<void> resolve_label_files(Project& project, const FileAccess& files, bool discard_label_files,
                                 const Node* model = nullptr);

}  // namespace berth::compose
