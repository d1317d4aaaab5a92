// Schema validation: unknown keys, wrong types, enums, ranges, each reported at its file, line and column.
#include <catch2/catch.hpp>

#include "compose/schema.h"
#include "helpers.h"

using namespace berth::compose;
using berth::compose::testing::fixture_path;
using berth::compose::testing::parse_yaml;
using berth::compose::testing::read_text;

namespace {

std::string schema_error(const std::string& yaml) {
  auto result = validate_schema(parse_yaml(yaml, "compose.yaml"));
  if (result) return "";
  return result.error().message();
}

}  // namespace

TEST_CASE("schema: the full example is valid", "[compose][schema]") {
  Node tree = parse_yaml(read_text(fixture_path("conformance/compose-go-v2.10.1/loader/full-example.yml")));
  auto result = validate_schema(tree);
  if (!result) FAIL(result.error().message());
}

TEST_CASE("schema: unknown service key", "[compose][schema]") {
  CHECK(schema_error("services:\n  web:\n    image: nginx\n    imgae: typo\n") ==
        "compose.yaml:4:5: services.web: additional property \"imgae\" is not allowed");
}

TEST_CASE("schema: unknown top-level key; x- extensions are allowed", "[compose][schema]") {
  CHECK(schema_error("servicez: {}\n") == "compose.yaml:1:1: additional property \"servicez\" is not allowed");
  CHECK(schema_error("x-anything: {a: 1}\nservices:\n  web:\n    image: a\n    x-mine: [1, 2]\n").empty());
}

TEST_CASE("schema: wrong type", "[compose][schema]") {
  CHECK(schema_error("services:\n  web:\n    image: [a, b]\n") ==
        "compose.yaml:3:12: services.web.image: must be a string, found a list");
}

TEST_CASE("schema: one-of errors report the branch for the value's kind", "[compose][schema]") {
  CHECK(schema_error("services:\n  web:\n    build:\n      context: .\n      dockerfil: x\n") ==
        "compose.yaml:5:7: services.web.build: additional property \"dockerfil\" is not allowed");
  CHECK(schema_error("services:\n  web:\n    ports: [true]\n") ==
        "compose.yaml:3:13: services.web.ports[0]: must be a string, a number or a mapping, found a boolean");
}

TEST_CASE("schema: enum values", "[compose][schema]") {
  CHECK_THAT(schema_error("services:\n  web:\n    image: a\n    depends_on:\n      db: {condition: service_ready}\n"),
             Catch::Contains("services.web.depends_on.db.condition: must be one of \"service_started\""));
}

TEST_CASE("schema: ranges and required keys", "[compose][schema]") {
  CHECK_THAT(schema_error("services:\n  web:\n    image: a\n    cpu_percent: 101\n"),
             Catch::Contains("services.web.cpu_percent: must be at most 100"));
  CHECK_THAT(schema_error("services:\n  web:\n    image: a\n    depends_on:\n      db: {required: true}\n"),
             Catch::Contains("missing required property \"condition\""));
}

TEST_CASE("schema: duplicate list entries", "[compose][schema]") {
  CHECK_THAT(schema_error("services:\n  web:\n    image: a\n    security_opt: [x, x]\n"),
             Catch::Contains("services.web.security_opt[1]: duplicate entry"));
}
