// Merging files: the reference loader's 60 merge cases, and the rules one by one.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compose/merge.h"
#include "helpers.h"

using namespace berth::compose;
using berth::compose::testing::fixture_path;
using berth::compose::testing::parse_yaml;
using berth::compose::testing::read_text;

namespace {

Node merged(const std::string& base, const std::string& override_text) {
  auto result = merge_nodes(parse_yaml(base, "base.yaml"), parse_yaml(override_text, "override.yaml"));
  if (!result) FAIL(result.error().message());
  auto unique = enforce_unicity(*result);
  if (!unique) FAIL(unique.error().message());
  return std::move(*result);
}

}  // namespace

TEST_CASE("merge: reference merge cases", "[compose][merge][conformance]") {
  auto data = nlohmann::json::parse(read_text(fixture_path("conformance/override/merge-cases.expected.json")));
  size_t count = 0;
  for (const auto& c : data["cases"]) {
    INFO(c["test"].get<std::string>());
    Node result = merged(c["base"].get<std::string>(), c["override"].get<std::string>());
    Node expected = parse_yaml(c["expected"].get<std::string>(), "expected.yaml");
    CHECK(same_value(result, expected));
    ++count;
  }
  CHECK(count == 60);
}

TEST_CASE("merge: scalars are replaced, mappings merged, lists appended", "[compose][merge]") {
  Node result = merged("services:\n  web:\n    image: a\n    volumes_from: [x]\n    deploy: {mode: global}\n",
                       "services:\n  web:\n    image: b\n    volumes_from: [y]\n    deploy: {replicas: 2}\n");
  const Node* web = result.find("services")->find("web");
  CHECK(web->find("image")->text == "b");
  CHECK(web->find("volumes_from")->items.size() == 2);
  CHECK(web->find("deploy")->find("mode")->text == "global");
  CHECK(web->find("deploy")->find("replicas")->text == "2");
}

TEST_CASE("merge: command, entrypoint and healthcheck.test are replaced", "[compose][merge]") {
  Node result = merged(
      "services:\n  web:\n    command: [a, b]\n    entrypoint: [x]\n    healthcheck: {test: [CMD, a], retries: 3}\n",
      "services:\n  web:\n    command: [c]\n    entrypoint: sh\n    healthcheck: {test: [CMD, b]}\n");
  const Node* web = result.find("services")->find("web");
  CHECK(web->find("command")->items.size() == 1);
  CHECK(web->find("entrypoint")->text == "sh");
  CHECK(web->find("healthcheck")->find("test")->items[1].text == "b");
  CHECK(web->find("healthcheck")->find("retries")->text == "3");
}

TEST_CASE("merge: ports are appended and de-duplicated", "[compose][merge]") {
  Node result = merged("services:\n  web:\n    ports: ['80:80', '443:443']\n",
                       "services:\n  web:\n    ports: ['80:80', '8080:8080']\n");
  CHECK(result.find("services")->find("web")->find("ports")->items.size() == 3);
}

TEST_CASE("merge: volumes merge by target, the later definition wins", "[compose][merge]") {
  Node result = merged("services:\n  web:\n    volumes: ['./a:/data', 'logs:/logs']\n",
                       "services:\n  web:\n    volumes: ['./b:/data']\n");
  const Node* volumes = result.find("services")->find("web")->find("volumes");
  REQUIRE(volumes->items.size() == 2);
  CHECK(volumes->items[0].text == "./b:/data");
  CHECK(volumes->items[1].text == "logs:/logs");
}

TEST_CASE("merge: a mapping cannot be overridden by a scalar", "[compose][merge]") {
  auto result = merge_nodes(parse_yaml("services:\n  web:\n    deploy: {replicas: 1}\n", "a.yaml"),
                            parse_yaml("services:\n  web:\n    deploy: oops\n", "b.yaml"));
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), Catch::StartsWith("b.yaml:3:13: services.web.deploy: cannot override"));
}

TEST_CASE("merge: !reset removes what earlier files set", "[compose][merge][reset]") {
  Node base = parse_yaml("services:\n  web:\n    image: a\n    ports: ['80:80']\n    command: run\n");
  Node over = parse_yaml("services:\n  web:\n    ports: !reset []\n    command: !reset null\n");
  ResetPaths resets = take_reset_tags(over);
  CHECK(resets.paths.size() == 2);
  CHECK(over.find("services")->find("web")->entries.empty());
  apply_resets(base, resets);
  auto result = merge_nodes(std::move(base), std::move(over));
  REQUIRE(result);
  const Node* web = result->find("services")->find("web");
  CHECK(web->find("image"));
  CHECK_FALSE(web->find("ports"));
  CHECK_FALSE(web->find("command"));
}

TEST_CASE("merge: !override replaces instead of merging", "[compose][merge][reset]") {
  Node base = parse_yaml("services:\n  web:\n    ports: ['80:80']\n    environment: {A: '1', B: '2'}\n");
  Node over = parse_yaml("services:\n  web:\n    ports: !override ['8080:80']\n    environment: !override {C: '3'}\n");
  ResetPaths resets = take_reset_tags(over);
  apply_resets(base, resets);
  auto result = merge_nodes(std::move(base), std::move(over));
  REQUIRE(result);
  const Node* web = result->find("services")->find("web");
  REQUIRE(web->find("ports")->items.size() == 1);
  CHECK(web->find("ports")->items[0].text == "8080:80");
  CHECK(web->find("environment")->entries.size() == 1);
}
