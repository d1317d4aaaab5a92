#include <catch2/catch.hpp>

#include "cli/format.h"

using namespace berth::cli;

TEST_CASE("tables are aligned like Docker's") {
  auto table = render_table({"ID", "NAME"}, {{"abc", "web"}, {"a", "database"}});
  CHECK(table == "ID    NAME\nabc   web\na     database\n");
  // "…" is one column wide
  CHECK(render_table({"C", "X"}, {{"ab…", "1"}}) == "C     X\nab…   1\n");
}

TEST_CASE("Go-style templates render fields, nested fields and json") {
  std::string doc = R"({"Name":"/web","State":{"Running":true,"Pid":42,"Status":"running"},"Config":{"Cmd":["sh","-c"],"Labels":{}},"Nothing":null})";
  CHECK(render_template("{{.Name}}", doc).value() == "/web");
  CHECK(render_template("{{.State.Running}} {{.State.Pid}}", doc).value() == "true 42");
  CHECK(render_template("{{json .Config.Cmd}}", doc).value() == R"(["sh","-c"])");
  CHECK(render_template("{{.Config.Cmd | json}}", doc).value() == R"(["sh","-c"])");
  CHECK(render_template("{{.Config.Cmd}}", doc).value() == "[sh -c]");
  CHECK(render_template("{{.Missing}}", doc).value() == "<no value>");
  CHECK(render_template("{{.Nothing}}", doc).value() == "<nil>");
  CHECK(render_template("a\\tb", doc).value() == "a\tb");
  CHECK(render_template("table {{.Name}}", doc).value() == "/web");
  CHECK_FALSE(render_template("{{.Name", doc));
  CHECK_FALSE(render_template("{{upper .Name}}", doc));
  CHECK_FALSE(render_template("{{.Name | upper}}", doc));
}

TEST_CASE("template headers follow Docker's column names") {
  CHECK(template_header("table {{.ID}}\\t{{.RunningFor}}") == "CONTAINER ID\tRUNNING FOR");
  CHECK(classify_format("") == FormatKind::table);
  CHECK(classify_format("json") == FormatKind::json);
  CHECK(classify_format("{{.ID}}") == FormatKind::go_template);
}
