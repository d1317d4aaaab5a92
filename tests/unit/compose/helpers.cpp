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
  auto documents = parse_yaml_documents(text, file_name);
  if (!documents) FAIL("YAML parse failed: " << documents.error().message());
  REQUIRE(documents->size() == 1);
  return std::move((*documents)[0]);
}

std::map<std::string, std::string>& no_environment() {
  static std::map<std::string, std::string> empty;
  return empty;
}

FileAccess MemoryFiles::access() const {
  FileAccess access;
  auto files_copy = std::make_shared<std::map<std::string, std::string>>(files);
  access.read = [files_copy](const std::string& path) -> berth::Result<std::string> {
    auto it = files_copy->find(path);
    if (it == files_copy->end()) return berth::Error("open " + path + ": No such file or directory");
    return it->second;
  };
  access.is_file = [files_copy](const std::string& path) { return files_copy->count(path) > 0; };
  return access;
}

LoadOptions memory_options(const MemoryFiles& memory, const std::vector<std::string>& files,
                           const std::map<std::string, std::string>& environment) {
  LoadOptions options;
  for (const std::string& file : files)
    options.files.push_back({file[0] == '/' ? file : "/project/" + file, std::nullopt});
  options.working_dir = "/project";
  options.environment = Mapping(environment.begin(), environment.end());
  options.project_name = "project";
  options.files_access = memory.access();
  return options;
}

LoadedProject load_ok(const LoadOptions& options) {
  auto loaded = load_project(options);
  if (!loaded) FAIL("load failed: " << loaded.error().message());
  return std::move(*loaded);
}

std::string load_error(const LoadOptions& options) {
  auto loaded = load_project(options);
  if (loaded) FAIL("load succeeded, expected an error");
  return loaded.error().message();
}

}  // namespace berth::compose::testing
