#include "helpers.h"

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>

#include "compose/yaml_reader.h"
#include "tests/support/lib/test_env.h"

namespace berth::compose::testing {

std::string fixture_path(const std::string& relative) {
  return berth::testing::source_dir() + "/tests/fixtures/compose/" + relative;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

Node parse_yaml(const std::string& text, const std::string& file_name) {
  auto documents = parse_yaml_documents(text, std::make_shared<const std::string>(file_name));
  if (!documents) FAIL("YAML parse failed: " << documents.error().message());
  REQUIRE(documents->size() == 1);
  return std::move((*documents)[0]);
}

std::map<std::string, std::string>& no_environment() {
  static std::map<std::string, std::string> empty;
  return empty;
}

}  // namespace berth::compose::testing
