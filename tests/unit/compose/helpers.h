// Shared helpers for the compose loader's unit tests: fixture paths, reading files, parsing YAML snippets.
#pragma once

#include <map>
#include <string>

#include "compose/loader.h"
#include "compose/node.h"

namespace berth::compose::testing {

// tests/fixtures/compose/<relative>
std::string fixture_path(const std::string& relative);
std::string read_text(const std::string& path);
// One YAML document (REQUIREs success).
Node parse_yaml(const std::string& text, const std::string& file_name = "test.yaml");
// A lookup over a fixed map.
std::map<std::string, std::string>& no_environment();

// Files held in memory, for loader tests that need no disk: path -> content.
struct MemoryFiles {
  std::map<std::string, std::string> files;
  FileAccess access() const;
};

// Loader options for files of `memory` under /project, named as given ("compose.yaml" -> /project/compose.yaml).
LoadOptions memory_options(const MemoryFiles& memory, const std::vector<std::string>& files,
                           const std::map<std::string, std::string>& environment = {});

// load_project() that FAILs the test with the loader's message.
LoadedProject load_ok(const LoadOptions& options);
// The loader's error message (FAILs the test if loading succeeds).
std::string load_error(const LoadOptions& options);

}  // namespace berth::compose::testing
