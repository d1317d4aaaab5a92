// Golden `config` outputs for small realistic projects (tests/fixtures/compose/projects/*): what berth prints for
// them, reviewed by hand. Regenerate after an intended change with BERTH_UPDATE_GOLDEN=1 and review the diff.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <set>

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

namespace {

// The services, images, environments and published ports of a `config` output read back (v1's or ours).
struct Summary {
  std::map<std::string, std::string> images;
  std::map<std::string, std::map<std::string, std::string>> environments;
  std::map<std::string, std::set<std::string>> ports;  // "published:target"
};

Summary summarize(const Node& config) {
  Summary out;
  const Node* services = config.find("services");
  REQUIRE(services);
  for (const MapEntry& service : services->entries) {
    if (const Node* image = service.value.find("image")) out.images[service.key] = image->scalar_string();
    if (const Node* env = service.value.find("environment"))
      for (const MapEntry& e : env->entries) out.environments[service.key][e.key] = e.value.scalar_string();
    if (const Node* ports = service.value.find("ports"))
      for (const Node& port : ports->items) {
        const Node* published = port.find("published");
        out.ports[service.key].insert((published ? published->scalar_string() : "") + ":" +
                                      port.find("target")->scalar_string());
      }
  }
  return out;
}

}  // namespace

TEST_CASE("golden: same information as Docker Compose v1's config", "[compose][golden][conformance]") {
  for (std::string name : {"webapp", "anchors"}) {
    INFO(name);
    std::string directory = fixture_path("projects/" + name);
    Summary v1 = summarize(parse_yaml(replace_all(read_text(directory + "/expected.v1.yaml"), "@DIR@", directory)));
    Summary ours = summarize(parse_yaml(render_project(load_as_config(directory, {"debug"}))));
    CHECK(ours.images == v1.images);
    CHECK(ours.environments == v1.environments);
    CHECK(ours.ports == v1.ports);
  }
}

TEST_CASE("golden: the reference fixtures list the services v1 listed", "[compose][golden][conformance]") {
  const std::vector<std::string> fixtures = {
      "cli/testdata/simple/compose.yaml",
      "cli/testdata/simple/compose-with-overrides.yaml",
      "cli/testdata/simple/compose-with-paths.yaml",
      "cli/testdata/simple/compose-with-variables.yaml",
      "cli/testdata/env-file/compose-with-env-file.yaml",
      "cli/testdata/env-file/compose-with-env-files.yaml",
      "loader/testdata/compose-test-extends.yaml",
      "loader/testdata/extends/depends_on.yaml",
      "loader/testdata/extends/interpolated.yaml",
      "loader/testdata/extends/ports.yaml",
      "loader/testdata/extends/withdir/compose.yaml",
      "loader/testdata/include/included.yaml",
      "loader/testdata/subdir/compose-test-extends-imported.yaml",
  };
  for (const std::string& fixture : fixtures) {
    INFO(fixture);
    std::string path = fixture_path("conformance/" + fixture);
    ProjectRequest request;
    request.files = {path};
    ProcessContext process;
    process.cwd = path.substr(0, path.rfind('/'));
    auto options = resolve_project_request(request, process);
    REQUIRE(options);
    LoadedProject loaded = load_ok(*options);
    std::string listed;
    for (const std::string& name : loaded.project.services_in_dependency_order()) listed += name + "\n";
    std::string v1 = read_text(path + ".services");
    // v1 lists services in dependency order too, ties broken by name; compare as sets of lines.
    auto lines = [](const std::string& text) {
      std::set<std::string> out;
      size_t start = 0;
      while (start < text.size()) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        if (end > start) out.insert(text.substr(start, end - start));
        start = end + 1;
      }
      return out;
    };
    CHECK(lines(listed) == lines(v1));
  }
}
