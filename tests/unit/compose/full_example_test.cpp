// The reference loader's full example: loaded as compose-go's TestFullExample loads it, our `config` output must
// carry the same model as its canonical JSON, and print the same YAML.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>

#include "compose/loader.h"
#include "compose/render.h"
#include "helpers.h"

using namespace berth::compose;
using berth::compose::testing::fixture_path;
using berth::compose::testing::read_text;

namespace {

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

const std::string kHome = "/home/tester";

LoadedProject load_full_example() {
  std::string directory = fixture_path("conformance/compose-go-v2.10.1/loader");
  LoadOptions options;
  options.files.push_back({directory + "/full-example.yml", std::nullopt});
  options.working_dir = directory;
  options.environment = {{"HOME", kHome}, {"BAR", "this is a secret"}, {"QUX", "qux_from_environment"}};
  options.project_name = "loader";
  options.normalize = false;           // as compose-go's test: SkipNormalization
  options.check_consistency = false;   // ... and SkipConsistencyCheck (foo depends on undefined db and redis)
  auto loaded = load_project(options);
  if (!loaded) FAIL(loaded.error().message());
  return std::move(*loaded);
}

std::string expected(const std::string& suffix) {
  std::string directory = fixture_path("conformance/compose-go-v2.10.1/loader");
  std::string text = read_text(directory + "/full-example.yml.compose-go-expected." + suffix);
  return replace_all(replace_all(text, "@WORKDIR@", directory), "@HOME@", kHome);
}

}  // namespace

TEST_CASE("full example: JSON carries the reference's model", "[compose][conformance][render]") {
  LoadedProject loaded = load_full_example();
  RenderOptions options;
  options.format = OutputFormat::json;
  std::string ours = render_project(loaded.project, options);
  auto actual = nlohmann::json::parse(ours);
  auto wanted = nlohmann::json::parse(expected("json"));
  if (actual != wanted) {
    auto patch = nlohmann::json::diff(wanted, actual);
    FAIL("differences (RFC 6902, from expected to ours):\n" << patch.dump(2));
  }
}

TEST_CASE("full example: JSON text is byte for byte the reference's", "[compose][conformance][render]") {
  LoadedProject loaded = load_full_example();
  RenderOptions options;
  options.format = OutputFormat::json;
  std::string wanted = expected("json");
  if (!wanted.empty() && wanted.back() != '\n') wanted += '\n';
  CHECK(render_project(loaded.project, options) == wanted);
}

TEST_CASE("full example: YAML is the reference's", "[compose][conformance][render]") {
  LoadedProject loaded = load_full_example();
  std::string ours = render_project(loaded.project);
  if (ours != expected("yaml")) {
    std::ofstream("/tmp/full-ours.yaml") << ours;
    std::ofstream("/tmp/full-expected.yaml") << expected("yaml");
  }
  CHECK(ours == expected("yaml"));
}
