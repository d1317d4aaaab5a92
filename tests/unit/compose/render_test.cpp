// `config` output: YAML and JSON as Docker Compose v2 prints them.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compose/emit.h"
#include "compose/render.h"
#include "helpers.h"

using namespace berth::compose;
using namespace berth::compose::testing;

namespace {

std::string yaml_of(const std::string& key, const std::string& value) {
  OutValue doc = OutValue::map(false);
  doc.add(key, OutValue::of(value));
  return write_yaml(doc);
}

Project load_text(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = yaml;
  return load_ok(memory_options(memory, {"compose.yaml"}, env)).project;
}

}  // namespace

TEST_CASE("render: strings that would read as something else are quoted", "[compose][render]") {
  CHECK(yaml_of("a", "3000") == "a: \"3000\"\n");
  CHECK(yaml_of("a", "") == "a: \"\"\n");
  CHECK(yaml_of("a", "true") == "a: \"true\"\n");
  CHECK(yaml_of("a", "null") == "a: \"null\"\n");
  CHECK(yaml_of("a", "1.5") == "a: \"1.5\"\n");
  CHECK(yaml_of("a", "yes") == "a: 'yes'\n");
  CHECK(yaml_of("a", "no") == "a: 'no'\n");
  CHECK(yaml_of("a", "12:30") == "a: '12:30'\n");
}

TEST_CASE("render: plain where YAML allows it, quoted where it does not", "[compose][render]") {
  CHECK(yaml_of("a", "nginx:1.25") == "a: nginx:1.25\n");
  CHECK(yaml_of("a", "echo \"hello world\"") == "a: echo \"hello world\"\n");
  CHECK(yaml_of("a", "-p") == "a: -p\n");
  CHECK(yaml_of("a", "key: value") == "a: 'key: value'\n");
  CHECK(yaml_of("a", "a # b") == "a: 'a # b'\n");
  CHECK(yaml_of("a", "*star") == "a: '*star'\n");
  CHECK(yaml_of("a", " padded") == "a: ' padded'\n");
  CHECK(yaml_of("a", "it's") == "a: it's\n");
  CHECK(yaml_of("a", "tab\there") == "a: \"tab\\there\"\n");
}

TEST_CASE("render: multi-line strings are literal blocks", "[compose][render]") {
  CHECK(yaml_of("a", "one\ntwo\n") == "a: |\n  one\n  two\n");
  CHECK(yaml_of("a", "one\ntwo") == "a: |-\n  one\n  two\n");
  CHECK(yaml_of("a", "trailing \nspace") == "a: \"trailing \\nspace\"\n");
}

TEST_CASE("render: JSON escapes like encoding/json", "[compose][render]") {
  OutValue doc = OutValue::map(true);
  doc.add("b", OutValue::of(std::string("<&>\"\\\n\x01")));
  doc.add("a", OutValue::list());
  CHECK(write_json(doc) == "{\n  \"a\": [],\n  \"b\": \"\\u003c\\u0026\\u003e\\\"\\\\\\n\\u0001\"\n}");
}

TEST_CASE("render: a normalised project as compose v2 prints it", "[compose][render]") {
  Project p = load_text("name: demo\nservices:\n  web:\n    image: nginx\n    ports: ['8080:80']\n    environment:\n      "
                        "B: '2'\n      A: null\n");
  CHECK(render_project(p) == R"(name: demo
services:
  web:
    environment:
      A: null
      B: "2"
    image: nginx
    networks:
      default: null
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
networks:
  default:
    name: demo_default
)");
}

TEST_CASE("render: dollars are doubled so the output reads back the same", "[compose][render]") {
  Project p = load_text("name: demo\nservices:\n  web:\n    image: nginx\n    command: echo $$HOME\n");
  std::string out = render_project(p);
  CHECK(out.find("- $$HOME") != std::string::npos);
  RenderOptions raw;
  raw.escape_dollars = false;
  CHECK(render_project(p, raw).find("- $HOME") != std::string::npos);
}

TEST_CASE("render: JSON output parses and carries the model", "[compose][render]") {
  Project p = load_text("name: demo\nservices:\n  web:\n    image: nginx\n    healthcheck:\n      test: [CMD, \"true\"]\n      "
                        "interval: 90s\n    deploy:\n      resources:\n        limits: {memory: 1g, cpus: '0.5'}\n");
  RenderOptions options;
  options.format = OutputFormat::json;
  auto json = nlohmann::json::parse(render_project(p, options));
  CHECK(json["name"] == "demo");
  CHECK(json["services"]["web"]["healthcheck"]["interval"] == "1m30s");
  CHECK(json["services"]["web"]["deploy"]["resources"]["limits"]["memory"] == "1073741824");
  CHECK(json["services"]["web"]["deploy"]["resources"]["limits"]["cpus"] == 0.5);
  CHECK(json["services"]["web"]["command"].is_null());
  CHECK(json["networks"]["default"]["name"] == "demo_default");
}

TEST_CASE("render: map keys in go-yaml's order", "[compose][render]") {
  Project p = load_text("name: demo\nservices:\n  web:\n    image: x\n    labels: {k10: a, k9: b, K: c}\n");
  std::string out = render_project(p);
  size_t k = out.find("K: c"), k9 = out.find("k9: b"), k10 = out.find("k10: a");
  CHECK(k < k9);
  CHECK(k9 < k10);
}

TEST_CASE("render: the raw model (--no-interpolate) keeps variables and sorts keys", "[compose][render]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = "services:\n  web:\n    ports: ['${PORT}:80']\n    image: app:${TAG}\n";
  LoadOptions options = memory_options(memory, {"compose.yaml"});
  options.interpolate = false;
  auto model = load_model(options);
  REQUIRE(model);
  RenderOptions raw;
  raw.escape_dollars = false;
  std::string out = render_model(*model, raw);
  CHECK(out.find("image: app:${TAG}") != std::string::npos);
  CHECK(out.find("- ${PORT}:80") != std::string::npos);
  CHECK(out.find("    image:") < out.find("    networks:"));
  CHECK(out.find("networks:") < out.find("services:"));
}

TEST_CASE("render: secrets' contents are never printed", "[compose][render]") {
  Project p = load_text("name: demo\nservices:\n  web:\n    image: x\n    secrets: [s]\nsecrets:\n  s: {environment: TOKEN}\n",
                        {{"TOKEN", "hunter2"}});
  std::string out = render_project(p);
  CHECK(out.find("hunter2") == std::string::npos);
  CHECK(out.find("environment: TOKEN") != std::string::npos);
}
