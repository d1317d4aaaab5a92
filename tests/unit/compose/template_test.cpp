// Interpolation: the reference loader's 63 template cases, plus our own edge cases.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compose/template.h"
#include "helpers.h"

using namespace berth::compose;
using berth::compose::testing::fixture_path;
using berth::compose::testing::read_text;

namespace {

VariableLookup lookup_from(const std::map<std::string, std::string>& values) {
  return [&values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST_CASE("template: reference interpolation cases", "[compose][template][conformance]") {
  auto data = nlohmann::json::parse(read_text(fixture_path("conformance/template/interpolation-cases.expected.json")));
  std::map<std::string, std::string> mapping = data["mapping"].get<std::map<std::string, std::string>>();
  auto lookup = lookup_from(mapping);
  size_t count = 0;
  for (const auto& c : data["cases"]) {
    std::string input = c["template"].get<std::string>();
    INFO(c["test"].get<std::string>() << ": " << input);
    Substitution result = substitute(input, lookup);
    if (c.contains("expected")) {
      REQUIRE_FALSE(result.error.has_value());
      CHECK(result.value == c["expected"].get<std::string>());
    } else {
      REQUIRE(result.error.has_value());
      std::string wanted = c["error_contains"].get<std::string>();
      std::string message = result.error->kind == TemplateError::Kind::invalid_template ? "Invalid template"
                                                                                         : result.error->message();
      CHECK_THAT(message, Catch::Contains(wanted));
    }
    ++count;
  }
  CHECK(count == 63);
}

TEST_CASE("template: literal dollars and unknown forms", "[compose][template]") {
  std::map<std::string, std::string> env{{"A", "1"}};
  auto lookup = lookup_from(env);
  CHECK(substitute("$$A", lookup).value == "$A");
  CHECK(substitute("price: 5$", lookup).value == "price: 5$");
  CHECK(substitute("$1", lookup).value == "$1");
  CHECK(substitute("a${A}b$A", lookup).value == "a1b1");
  CHECK(substitute("${A:-x} and ${B:-y}", lookup).value == "1 and y");
}

TEST_CASE("template: unset variables are reported for the warning", "[compose][template]") {
  std::map<std::string, std::string> env;
  auto result = substitute("${MISSING} $OTHER ${WITH:-default}", lookup_from(env));
  CHECK(result.value == "  default");
  CHECK(result.unset_variables == std::vector<std::string>{"MISSING", "OTHER"});
}

TEST_CASE("template: required variable message names the variable", "[compose][template]") {
  std::map<std::string, std::string> env;
  auto result = substitute("${DB_PASSWORD:?set it in .env}", lookup_from(env));
  REQUIRE(result.error);
  CHECK(result.error->message() == "required variable DB_PASSWORD is missing a value: set it in .env");
}

TEST_CASE("template: an unclosed brace is an invalid template", "[compose][template]") {
  std::map<std::string, std::string> env;
  auto result = substitute("${A:-x", lookup_from(env));
  REQUIRE(result.error);
  CHECK(result.error->kind == TemplateError::Kind::invalid_template);
}

TEST_CASE("template: has_template", "[compose][template]") {
  CHECK(has_template("${A}"));
  CHECK(has_template("$$"));
  CHECK(has_template("x$A"));
  CHECK_FALSE(has_template("a $ b"));
  CHECK_FALSE(has_template("plain"));
}

TEST_CASE("template: long lines and deep nesting stay bounded", "[compose][template][limits]") {
  std::map<std::string, std::string> env{{"A", "a"}};
  std::string many;
  for (int i = 0; i < 100000; ++i) many += "${B:-x}";
  auto wide = substitute(many, lookup_from(env));
  REQUIRE_FALSE(wide.error);
  CHECK(wide.value == std::string(100000, 'x'));
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "${B:-";
  deep += "x" + std::string(100000, '}');
  auto nested = substitute(deep, lookup_from(env));
  REQUIRE(nested.error);
  CHECK(nested.error->kind == TemplateError::Kind::invalid_template);
}
