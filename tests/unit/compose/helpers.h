// Shared helpers for the compose loader's unit tests: fixture paths, reading files, parsing YAML snippets.
#pragma once

#include <map>
#include <string>

#include "compose/node.h"

namespace berth::compose::testing {

// tests/fixtures/compose/<relative>
std::string fixture_path(const std::string& relative);
std::string read_text(const std::string& path);
// One YAML document (REQUIREs success).
Node parse_yaml(const std::string& text, const std::string& file_name = "test.yaml");
// A lookup over a fixed map.
std::map<std::string, std::string>& no_environment();

}  // namespace berth::compose::testing
