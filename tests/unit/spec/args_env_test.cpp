// Entrypoint/command resolution, environment merging and --env-file parsing, against Docker's behaviour.
#include <catch2/catch.hpp>

#include "engine/spec/spec.h"

using berth::image::ImageConfig;
using berth::spec::RunOptions;
using Args = std::vector<std::string>;

namespace {

ImageConfig image_with(std::optional<Args> entrypoint, std::optional<Args> cmd) {
  ImageConfig image;
  image.entrypoint = std::move(entrypoint);
  image.cmd = std::move(cmd);
  return image;
}

Args args_for(const ImageConfig& image, const RunOptions& options) {
  auto args = berth::spec::resolve_process_args(image, options);
  REQUIRE(args);
  return *args;
}

}  // namespace

TEST_CASE("image ENTRYPOINT and CMD are concatenated when the run gives neither") {
  auto image = image_with(Args{"/docker-entrypoint.sh"}, Args{"nginx", "-g", "daemon off;"});
  CHECK(args_for(image, {}) == Args{"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"});
}

TEST_CASE("a command replaces the image CMD but keeps its ENTRYPOINT") {
  auto image = image_with(Args{"/docker-entrypoint.sh"}, Args{"nginx"});
  RunOptions options;
  options.command = {"sh", "-c", "echo hi"};
  CHECK(args_for(image, options) == Args{"/docker-entrypoint.sh", "sh", "-c", "echo hi"});
}

TEST_CASE("--entrypoint replaces the image ENTRYPOINT and drops the image CMD") {
  auto image = image_with(Args{"/docker-entrypoint.sh"}, Args{"nginx"});
  RunOptions options;
  options.entrypoint = Args{"/bin/ls"};
  CHECK(args_for(image, options) == Args{"/bin/ls"});
  options.command = {"-l", "/"};
  CHECK(args_for(image, options) == Args{"/bin/ls", "-l", "/"});
}

TEST_CASE("--entrypoint \"\" clears the entrypoint; the command runs alone, and none at all is an error") {
  auto image = image_with(Args{"/docker-entrypoint.sh"}, Args{"nginx"});
  RunOptions options;
  options.entrypoint = Args{""};
  options.command = {"echo", "x"};
  CHECK(args_for(image, options) == Args{"echo", "x"});

  options.command.clear();
  auto none = berth::spec::resolve_process_args(image, options);
  REQUIRE_FALSE(none);
  CHECK(none.error().message() == "no command specified");

  options.entrypoint = Args{};  // the empty list means the same
  options.command = {"true"};
  CHECK(args_for(image, options) == Args{"true"});
}

TEST_CASE("an image with only CMD runs it; an image ENTRYPOINT of [\"\"] counts as none") {
  CHECK(args_for(image_with(std::nullopt, Args{"/bin/sh"}), {}) == Args{"/bin/sh"});
  CHECK(args_for(image_with(Args{""}, Args{"/bin/sh", "-c", "x"}), {}) == Args{"/bin/sh", "-c", "x"});
  auto empty = berth::spec::resolve_process_args(image_with(std::nullopt, std::nullopt), {});
  REQUIRE_FALSE(empty);
  CHECK(empty.error().message() == "no command specified");
}

TEST_CASE("--init runs the command under /sbin/berth-init --") {
  RunOptions options;
  options.init = true;
  CHECK(args_for(image_with(std::nullopt, Args{"sleep", "5"}), options) ==
        Args{"/sbin/berth-init", "--", "sleep", "5"});
}

TEST_CASE("merge_env: Docker's defaults, then the image's, then the user's by name, HOME last") {
  auto env = berth::spec::merge_env({"PATH=/opt/bin:/usr/bin", "LANG=C.UTF-8", "A=image"}, {"A=user", "B=2"},
                                    "abc123", false, "/root");
  CHECK(env == std::vector<std::string>{"PATH=/opt/bin:/usr/bin", "HOSTNAME=abc123", "A=user", "B=2",
                                        "LANG=C.UTF-8", "HOME=/root"});
}

TEST_CASE("merge_env: TERM=xterm only with a tty, and the image may override it") {
  auto without = berth::spec::merge_env({}, {}, "h", false);
  CHECK(std::find(without.begin(), without.end(), "TERM=xterm") == without.end());
  auto with = berth::spec::merge_env({}, {}, "h", true);
  CHECK(with == std::vector<std::string>{
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOSTNAME=h", "TERM=xterm",
                    "HOME=/"});
  auto overridden = berth::spec::merge_env({"TERM=dumb"}, {}, "h", true);
  CHECK(overridden[2] == "TERM=dumb");
}

TEST_CASE("merge_env: a bare name from the user unsets it; repeated names keep the last; HOME is not doubled") {
  auto env = berth::spec::merge_env({"FOO=image", "KEEP=1"}, {"FOO", "X=1", "X=2", "HOME=/home/me"}, "h", false,
                                    "/root");
  CHECK(std::find(env.begin(), env.end(), "FOO=image") == env.end());
  CHECK(std::count_if(env.begin(), env.end(), [](const std::string& e) { return e.rfind("X=", 0) == 0; }) == 1);
  CHECK(std::find(env.begin(), env.end(), "X=2") != env.end());
  CHECK(std::find(env.begin(), env.end(), "KEEP=1") != env.end());
  CHECK(std::count_if(env.begin(), env.end(), [](const std::string& e) { return e.rfind("HOME=", 0) == 0; }) == 1);
  CHECK(std::find(env.begin(), env.end(), "HOME=/home/me") != env.end());
}

TEST_CASE("parse_env_file: values verbatim, comments and blank lines skipped, bare names looked up") {
  const std::string content =
      "\xEF\xBB\xBF# a comment\n"
      "A=1\n"
      "\n"
      "   B= spaced value \n"
      "QUOTED=\"kept\"\n"
      "FROM_HOST\n"
      "MISSING\n"
      "EMPTY=\r\n";
  auto lookup = [](const std::string& name) -> std::optional<std::string> {
    if (name == "FROM_HOST") return std::string("hostvalue");
    return std::nullopt;
  };
  auto parsed = berth::spec::parse_env_file(content, lookup);
  REQUIRE(parsed);
  CHECK(*parsed == std::vector<std::string>{"A=1", "B= spaced value ", "QUOTED=\"kept\"", "FROM_HOST=hostvalue",
                                            "EMPTY="});
}

TEST_CASE("parse_env_file: whitespace in a name, a missing name and invalid UTF-8 are errors") {
  auto spaced = berth::spec::parse_env_file("MY VAR=1\n", nullptr);
  REQUIRE_FALSE(spaced);
  CHECK(spaced.error().message() == "poorly formatted environment: variable 'MY VAR' contains whitespaces");
  auto nameless = berth::spec::parse_env_file("=value\n", nullptr);
  REQUIRE_FALSE(nameless);
  CHECK(nameless.error().message().find("no variable name") != std::string::npos);
  auto binary = berth::spec::parse_env_file("OK=1\nBAD=\xff\xfe\n", nullptr);
  REQUIRE_FALSE(binary);
  CHECK(binary.error().message().find("line 2") != std::string::npos);
}
