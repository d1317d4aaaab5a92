// .env parsing: the reference loader's 51 one-line and 8 multi-line cases, its fixture files, and our own.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "compose/dotenv.h"
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

EnvMap parse_ok(const std::string& text, const std::map<std::string, std::string>& env = {}) {
  EnvMap values;
  auto parsed = parse_dotenv(text, values, lookup_from(env));
  if (!parsed) FAIL(parsed.error().message());
  return values;
}

}  // namespace

TEST_CASE("dotenv: reference one-line and multi-line cases", "[compose][dotenv][conformance]") {
  auto data = nlohmann::json::parse(read_text(fixture_path("conformance/dotenv/dotenv-cases.expected.json")));
  size_t count = 0;
  for (const auto& c : data["parse_single_line"]) {
    std::string input = c["input"].get<std::string>();
    INFO("input: " << input);
    EnvMap values = parse_ok(input);
    std::string key = c["key"].get<std::string>();
    REQUIRE(values.count(key) == 1);
    CHECK(values[key] == c["value"].get<std::string>());
    ++count;
  }
  for (const auto& c : data["expanding_multi_line"]) {
    std::string input = c["input"].get<std::string>();
    INFO(c["name"].get<std::string>() << ": " << input);
    EnvMap values = parse_ok(input);
    std::map<std::string, std::string> expected = c["expected"].get<std::map<std::string, std::string>>();
    CHECK(std::map<std::string, std::string>(values.begin(), values.end()) == expected);
    ++count;
  }
  CHECK(count == 59);
}

TEST_CASE("dotenv: reference fixture files", "[compose][dotenv][conformance]") {
  for (std::string name : {"equals", "exported", "plain", "quoted", "substitutions", "unquoted", "utf8-bom"}) {
    auto cases = nlohmann::json::parse(read_text(fixture_path("conformance/dotenv/fixtures/" + name + ".env.expected.json")));
    std::string content = read_text(fixture_path("conformance/dotenv/fixtures/" + name + ".env"));
    for (const auto& c : cases) {
      INFO(name << ".env: " << c["source"].get<std::string>());
      auto presets = c["presets"].get<std::map<std::string, std::string>>();
      // Load() never overrides what the environment already has.
      EnvMap values = parse_ok(content);
      for (auto& [key, value] : presets) values[key] = value;
      for (auto& [key, value] : c["expected"].get<std::map<std::string, std::string>>()) {
        INFO("key " << key);
        REQUIRE(values.count(key) == 1);
        CHECK(values[key] == value);
      }
    }
  }
}

TEST_CASE("dotenv: inherited keys take the environment's value or stay unset", "[compose][dotenv]") {
  std::map<std::string, std::string> env{{"VAR_TO_BE_LOADED_FROM_OS_ENV", "from-os"}};
  EnvMap values = parse_ok(read_text(fixture_path("conformance/dotenv/fixtures/inherited-multi-var.env")), env);
  CHECK(values["foo"] == "bar");
  CHECK(values["bar"] == "baz");
  CHECK(values["VAR_TO_BE_LOADED_FROM_OS_ENV"] == "from-os");
  EnvMap missing = parse_ok(read_text(fixture_path("conformance/dotenv/fixtures/inherited-not-found.env")));
  CHECK(missing.empty());
}

TEST_CASE("dotenv: substitutions with defaults see the environment first", "[compose][dotenv]") {
  std::string content = read_text(fixture_path("conformance/dotenv/fixtures/substitutions-default.env"));
  EnvMap unset = parse_ok(content);
  CHECK(unset["OPTION_A"] == "1");
  CHECK(unset["OPTION_D"] == "1_1");
  EnvMap preset = parse_ok(content, {{"OPTION_A", "7"}});
  CHECK(preset["OPTION_A"] == "7");
  CHECK(preset["OPTION_C"] == "7");
}

TEST_CASE("dotenv: keys with dots and dashes", "[compose][dotenv]") {
  EnvMap values = parse_ok(read_text(fixture_path("conformance/dotenv/fixtures/special.env")));
  CHECK(values["VAR.WITH.DOTS"] == "dots");
  CHECK(values["VAR-WITH-DASHES"] == "dashes");
}

TEST_CASE("dotenv: invalid lines are errors with the line number", "[compose][dotenv]") {
  EnvMap values;
  auto parsed = parse_dotenv(read_text(fixture_path("conformance/dotenv/fixtures/invalid1.env")), values, {}, "invalid1.env");
  REQUIRE_FALSE(parsed);
  CHECK_THAT(parsed.error().message(), Catch::StartsWith("invalid1.env:7:"));
  CHECK_THAT(parsed.error().message(), Catch::Contains("key cannot contain a space"));
}

TEST_CASE("dotenv: unterminated quotes are errors", "[compose][dotenv]") {
  EnvMap values;
  auto parsed = parse_dotenv("A=\"never closed\nB=2\n", values, {}, ".env");
  REQUIRE_FALSE(parsed);
  CHECK_THAT(parsed.error().message(), Catch::Contains("unterminated quoted value"));
}

TEST_CASE("dotenv: multi-line double-quoted values and comments", "[compose][dotenv]") {
  EnvMap values = parse_ok("# comment\nKEY=\"line one\nline two\"\n\n  # indented comment\nNEXT=after # trailing\n");
  CHECK(values["KEY"] == "line one\nline two");
  CHECK(values["NEXT"] == "after");
}

TEST_CASE("dotenv: CRLF line endings", "[compose][dotenv]") {
  EnvMap values = parse_ok("A=1\r\nB=two words\r\n");
  CHECK(values["A"] == "1");
  CHECK(values["B"] == "two words");
}
