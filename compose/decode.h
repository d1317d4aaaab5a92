// The typed model from the loader's canonical tree: every attribute of the Compose Specification read into the
// structs of compose/project.h, with the reference's conversions (durations like "1m30s", byte sizes like "512m",
// octal file modes, "all" device counts, KEY=VALUE lists and mappings alike). Errors name the file, line and column.
#pragma once

#include <string>
#include <vector>

#include "compose/node.h"
#include "compose/project.h"
#include "core/result.h"

namespace berth::compose {

struct DecodeContext {
  std::string project_name;
  std::string working_dir;
  const Mapping* environment = nullptr;          // resolves secrets and configs given by `environment:`
  std::vector<std::string>* warnings = nullptr;  // non-fatal surprises (a command cut at a shell operator)
};

Result<Project> decode_project(const Node& model, const DecodeContext& context);

// A free-form value (extensions).
Value to_value(const Node& node);

}  // namespace berth::compose
