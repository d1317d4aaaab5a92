// Golden `config` outputs for small realistic projects (tests/fixtures/compose/projects/*): what berth prints for
// them, reviewed by hand. Regenerate after an intended change with BERTH_UPDATE_GOLDEN=1 and review the diff.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>

#include "compose/discovery.h"
#include "compose/render.h"
#include "helpers.h"

using namespace berth::compose;
using namespace berth::compose::testing;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Loads the project in `directory` as `berth compose config` does, run from that directory.
Project load_as_config(const std::string& directory, const std::vector<std::string>& profiles = {}) {
  ProjectRequest request;
  request.profiles = profiles;
  ProcessContext process;
  process.cwd = directory;
  process.environment = {{"HOME", "/home/tester"}};
  auto options = resolve_project_request(request, process);
  if (!options) FAIL(options.error().message());
  options->discard_env_files = true;
  options->prune_unused_resources = true;
  return load_ok(*options).project;
}

void check_golden(const std::string& name, const std::string& file, const std::string& output) {
  std::string directory = fixture_path("projects/" + name);
  std::string path = directory + "/" + file;
  std::string portable = replace_all(output, directory, "@DIR@");
  if (std::getenv("BERTH_UPDATE_GOLDEN")) {
    std::ofstream(path) << portable;
    return;
  }
  INFO(path);
  CHECK(portable == read_text(path));
}

void check_project(const std::string& name, const std::vector<std::string>& profiles = {}) {
  Project project = load_as_config(fixture_path("projects/" + name), profiles);
  check_golden(name, "expected.yaml", render_project(project));
  RenderOptions json;
  json.format = OutputFormat::json;
  check_golden(name, "expected.json", render_project(project, json));
}

}  // namespace

TEST_CASE("golden: a web application with .env, env_file, secrets and networks", "[compose][golden]") {
  check_project("webapp");
}

TEST_CASE("golden: anchors, merge keys, extensions and profiles", "[compose][golden]") {
  check_project("anchors", {"debug"});
}

TEST_CASE("golden: compose.override.yaml with !reset and !override", "[compose][golden]") {
  check_project("overrides");
}

TEST_CASE("golden: include and extends across directories", "[compose][golden]") {
  check_project("libraries");
}
