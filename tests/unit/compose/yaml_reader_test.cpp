// Reading YAML into the loader's tree: anchors, merge keys, tags, typing, positions, and hostile input.
#include <catch2/catch.hpp>

#include "compose/yaml_reader.h"
#include "helpers.h"

using namespace berth::compose;
using berth::compose::testing::parse_yaml;

namespace {

std::string read_error(const std::string& text, const YamlLimits& limits = {}) {
  auto documents = parse_yaml_documents(text, "compose.yaml", limits);
  if (documents) return "";
  return documents.error().message();
}

}  // namespace

TEST_CASE("yaml: anchors and aliases are expanded", "[compose][yaml]") {
  Node tree = parse_yaml("x-env: &env {A: '1'}\nservices:\n  a: {environment: *env}\n  b: {environment: *env}\n");
  CHECK(tree.find("services")->find("a")->find("environment")->find("A")->text == "1");
  CHECK(tree.find("services")->find("b")->find("environment")->find("A")->text == "1");
}

TEST_CASE("yaml: merge keys, explicit keys win", "[compose][yaml]") {
  Node tree = parse_yaml("x-base: &base {image: a, restart: always}\nweb:\n  <<: *base\n  image: b\n");
  const Node* web = tree.find("web");
  CHECK(web->find("image")->text == "b");
  CHECK(web->find("restart")->text == "always");
  CHECK_FALSE(web->contains("<<"));
}

TEST_CASE("yaml: merge keys from a list, earlier sources win", "[compose][yaml]") {
  Node tree = parse_yaml("a: &a {x: 1, y: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n");
  const Node* c = tree.find("c");
  CHECK(c->find("x")->text == "1");
  CHECK(c->find("y")->text == "1");
  CHECK(c->find("z")->text == "2");
}

TEST_CASE("yaml: a merge key needs mappings", "[compose][yaml]") {
  CHECK_THAT(read_error("a: &a [1]\nb:\n  <<: *a\n"), Catch::Contains("merge key (<<) takes a mapping"));
}

TEST_CASE("yaml: duplicate keys are errors with both lines", "[compose][yaml]") {
  CHECK(read_error("services:\n  web: {}\n  web: {}\n") ==
        "compose.yaml:3:3: mapping key \"web\" already defined at line 2");
}

TEST_CASE("yaml: keys must be strings", "[compose][yaml]") {
  CHECK_THAT(read_error("services:\n  123: {}\n"), Catch::Contains("compose.yaml:2:3: mapping keys must be strings"));
  CHECK_THAT(read_error("? [a, b]\n: c\n"), Catch::Contains("mapping keys must be strings"));
}

TEST_CASE("yaml: plain scalars are typed as go-yaml types them", "[compose][yaml]") {
  Node tree = parse_yaml("a: 3000\nb: '3000'\nc: true\nd: yes\ne: 1.5\nf: 0x10\ng: 0440\nh: ~\ni:\nj: null\nk: .inf\n");
  CHECK(tree.find("a")->is_integer());
  CHECK(tree.find("b")->is_string());
  CHECK(tree.find("c")->is_boolean());
  CHECK(tree.find("d")->is_string());  // YAML 1.2: yes is a string
  CHECK(tree.find("e")->type == ScalarType::floating);
  CHECK(tree.find("f")->scalar_string() == "16");
  CHECK(tree.find("g")->scalar_string() == "288");  // a leading 0 is octal, as Go reads it
  CHECK(tree.find("h")->is_null());
  CHECK(tree.find("i")->is_null());
  CHECK(tree.find("j")->is_null());
  CHECK(tree.find("k")->type == ScalarType::floating);
}

TEST_CASE("yaml: positions are 1-based lines and columns", "[compose][yaml]") {
  Node tree = parse_yaml("services:\n  web:\n    image: nginx\n", "compose.yaml");
  const Node* image = tree.find("services")->find("web")->find("image");
  CHECK(image->mark.str() == "compose.yaml:3:12");
  CHECK(tree.find("services")->entries[0].key_mark.str() == "compose.yaml:2:3");
}

TEST_CASE("yaml: !reset and !override tags are kept", "[compose][yaml]") {
  Node tree = parse_yaml("a: !reset []\nb: !override {x: 1}\nc: !reset\n");
  CHECK(tree.find("a")->tag == NodeTag::reset);
  CHECK(tree.find("b")->tag == NodeTag::override_value);
  CHECK(tree.find("c")->tag == NodeTag::reset);
}

TEST_CASE("yaml: several documents", "[compose][yaml]") {
  auto documents = parse_yaml_documents("a: 1\n---\nb: 2\n", "f");
  REQUIRE(documents);
  REQUIRE(documents->size() == 2);
  CHECK((*documents)[1].find("b"));
}

TEST_CASE("yaml: syntax errors say where", "[compose][yaml]") {
  CHECK_THAT(read_error("services:\n  web: [unclosed\n"), Catch::StartsWith("compose.yaml:"));
  CHECK_THAT(read_error("a: b: c\n"), Catch::Contains("invalid YAML"));
}

TEST_CASE("yaml: alias expansion is bounded", "[compose][yaml][limits]") {
  std::string bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  std::string previous = "a";
  for (char name = 'b'; name <= 'j'; ++name) {
    bomb += std::string(1, name) + ": &" + name + " [";
    for (int i = 0; i < 10; ++i) bomb += std::string(i ? ", *" : "*") + previous;
    bomb += "]\n";
    previous = std::string(1, name);
  }
  CHECK_THAT(read_error(bomb), Catch::Contains("document too large"));
}

TEST_CASE("yaml: nesting is bounded, also through aliases", "[compose][yaml][limits]") {
  CHECK_THAT(read_error(std::string(300, '[') + std::string(300, ']')), Catch::Contains("nesting deeper"));
  std::string chain = "a0: &a0 [x]\n";
  for (int i = 1; i < 300; ++i)
    chain += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" + std::to_string(i - 1) + "]\n";
  CHECK_THAT(read_error(chain), Catch::Contains("nesting deeper"));
}

TEST_CASE("yaml: an anchor cannot contain itself", "[compose][yaml][limits]") {
  CHECK_FALSE(read_error("a: &a [*a]\n").empty());
}
