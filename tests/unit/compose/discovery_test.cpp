// From the command line to the loader's options: files, directories, .env, profiles and names.
#include <catch2/catch.hpp>

#include "compose/discovery.h"
#include "helpers.h"

using namespace berth::compose;
using namespace berth::compose::testing;

namespace {

LoadOptions resolve(const MemoryFiles& memory, const ProjectRequest& request, const std::string& cwd = "/work/app",
                    const std::map<std::string, std::string>& env = {}, std::vector<std::string>* warnings = nullptr) {
  ProcessContext process;
  process.cwd = cwd;
  process.environment = Mapping(env.begin(), env.end());
  process.read_stdin = []() -> berth::Result<std::string> { return std::string("services:\n  s: {image: stdin}\n"); };
  auto options = resolve_project_request(request, process, memory.access(), warnings);
  if (!options) FAIL(options.error().message());
  return *options;
}

std::string resolve_error(const MemoryFiles& memory, const ProjectRequest& request, const std::string& cwd = "/work/app",
                          const std::map<std::string, std::string>& env = {}) {
  ProcessContext process;
  process.cwd = cwd;
  process.environment = Mapping(env.begin(), env.end());
  auto options = resolve_project_request(request, process, memory.access());
  if (options) FAIL("expected an error");
  return options.error().message();
}

std::vector<std::string> paths(const LoadOptions& options) {
  std::vector<std::string> out;
  for (const auto& f : options.files) out.push_back(f.path);
  return out;
}

}  // namespace

TEST_CASE("discovery: compose.yaml in the working directory, with its override", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/compose.yaml"] = "";
  memory.files["/work/app/compose.override.yaml"] = "";
  LoadOptions options = resolve(memory, {});
  CHECK(paths(options) == std::vector<std::string>{"/work/app/compose.yaml", "/work/app/compose.override.yaml"});
  CHECK(options.working_dir == "/work/app");
  CHECK(options.project_name == "app");
  CHECK_FALSE(options.project_name_explicit);
}

TEST_CASE("discovery: the first of the supported names wins, with a warning", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/docker-compose.yml"] = "";
  memory.files["/work/app/compose.yml"] = "";
  memory.files["/work/app/docker-compose.override.yml"] = "";
  std::vector<std::string> warnings;
  LoadOptions options = resolve(memory, {}, "/work/app", {}, &warnings);
  CHECK(paths(options) == std::vector<std::string>{"/work/app/compose.yml", "/work/app/docker-compose.override.yml"});
  CHECK(warnings.size() == 1);
}

TEST_CASE("discovery: parents are searched", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/docker-compose.yaml"] = "";
  LoadOptions options = resolve(memory, {}, "/work/app/src");
  CHECK(paths(options) == std::vector<std::string>{"/work/docker-compose.yaml"});
  CHECK(options.working_dir == "/work");
  CHECK(options.project_name == "work");
}

TEST_CASE("discovery: nothing found is an error", "[compose][discovery]") {
  MemoryFiles memory;
  CHECK_THAT(resolve_error(memory, {}), Catch::Contains("no configuration file provided"));
}

TEST_CASE("discovery: -f files, in order, without the automatic override", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/compose.yaml"] = "";
  memory.files["/work/app/compose.override.yaml"] = "";
  ProjectRequest request;
  request.files = {"compose.yaml", "../other/extra.yml"};
  LoadOptions options = resolve(memory, request);
  CHECK(paths(options) == std::vector<std::string>{"/work/app/compose.yaml", "/work/other/extra.yml"});
  CHECK(options.working_dir == "/work/app");
}

TEST_CASE("discovery: -f - reads standard input", "[compose][discovery]") {
  MemoryFiles memory;
  ProjectRequest request;
  request.files = {"-"};
  LoadOptions options = resolve(memory, request);
  REQUIRE(options.files.size() == 1);
  CHECK(options.files[0].path == "-");
  CHECK(options.files[0].content->find("stdin") != std::string::npos);
  CHECK(options.working_dir == "/work/app");
}

TEST_CASE("discovery: COMPOSE_FILE, with ':' or COMPOSE_PATH_SEPARATOR", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/a.yaml"] = "";
  memory.files["/work/app/b.yaml"] = "";
  CHECK(paths(resolve(memory, {}, "/work/app", {{"COMPOSE_FILE", "a.yaml:b.yaml"}})) ==
        std::vector<std::string>{"/work/app/a.yaml", "/work/app/b.yaml"});
  CHECK(paths(resolve(memory, {}, "/work/app", {{"COMPOSE_FILE", "a.yaml;b.yaml"}, {"COMPOSE_PATH_SEPARATOR", ";"}})) ==
        std::vector<std::string>{"/work/app/a.yaml", "/work/app/b.yaml"});
  CHECK_THAT(resolve_error(memory, {}, "/work/app", {{"COMPOSE_FILE", "missing.yaml"}}), Catch::Contains("missing.yaml"));
}

TEST_CASE("discovery: .env supplies variables, the process environment wins", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/compose.yaml"] = "";
  memory.files["/work/app/.env"] = "TAG=from-dotenv\nOTHER=x\nREF=${OTHER}-y\n";
  LoadOptions options = resolve(memory, {}, "/work/app", {{"TAG", "from-process"}});
  CHECK(options.environment.at("TAG") == "from-process");
  CHECK(options.environment.at("OTHER") == "x");
  CHECK(options.environment.at("REF") == "x-y");
}

TEST_CASE("discovery: .env may set COMPOSE_FILE, COMPOSE_PROFILES and COMPOSE_PROJECT_NAME", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/main.yaml"] = "";
  memory.files["/work/app/.env"] = "COMPOSE_FILE=main.yaml\nCOMPOSE_PROFILES=dev, ops\nCOMPOSE_PROJECT_NAME=fromenv\n";
  LoadOptions options = resolve(memory, {});
  CHECK(paths(options) == std::vector<std::string>{"/work/app/main.yaml"});
  CHECK(options.profiles == std::vector<std::string>{"dev", "ops"});
  CHECK(options.project_name == "fromenv");
  CHECK(options.project_name_explicit);
}

TEST_CASE("discovery: --env-file replaces .env; COMPOSE_DISABLE_ENV_FILE skips it", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/compose.yaml"] = "";
  memory.files["/work/app/.env"] = "A=dotenv\n";
  memory.files["/work/app/prod.env"] = "A=prod\n";
  ProjectRequest request;
  request.env_files = {"prod.env"};
  CHECK(resolve(memory, request).environment.at("A") == "prod");
  CHECK_FALSE(resolve(memory, {}, "/work/app", {{"COMPOSE_DISABLE_ENV_FILE", "true"}}).environment.count("A"));
  request.env_files = {"nope.env"};
  CHECK_THAT(resolve_error(memory, request), Catch::Contains("couldn't find env file"));
}

TEST_CASE("discovery: --project-directory moves the project and its .env", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/srv/site/compose.yaml"] = "";
  memory.files["/srv/site/.env"] = "SITE=1\n";
  ProjectRequest request;
  request.project_directory = "/srv/site";
  LoadOptions options = resolve(memory, request, "/home/me");
  CHECK(paths(options) == std::vector<std::string>{"/srv/site/compose.yaml"});
  CHECK(options.working_dir == "/srv/site");
  CHECK(options.environment.at("SITE") == "1");
  CHECK(options.project_name == "site");
}

TEST_CASE("discovery: project name precedence and validity", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/My App/compose.yaml"] = "";
  CHECK(resolve(memory, {}, "/work/My App").project_name == "myapp");
  ProjectRequest request;
  request.project_name = "cli-name";
  LoadOptions options = resolve(memory, request, "/work/My App", {{"COMPOSE_PROJECT_NAME", "env-name"}});
  CHECK(options.project_name == "cli-name");
  CHECK(resolve(memory, {}, "/work/My App", {{"COMPOSE_PROJECT_NAME", "env-name"}}).project_name == "env-name");
  request.project_name = "Not Valid";
  CHECK_THAT(resolve_error(memory, request, "/work/My App"), Catch::Contains("invalid project name Not Valid"));
}

TEST_CASE("discovery: --profile wins over COMPOSE_PROFILES", "[compose][discovery]") {
  MemoryFiles memory;
  memory.files["/work/app/compose.yaml"] = "";
  ProjectRequest request;
  request.profiles = {"a"};
  CHECK(resolve(memory, request, "/work/app", {{"COMPOSE_PROFILES", "b"}}).profiles == std::vector<std::string>{"a"});
}

TEST_CASE("discovery: the reference's simple project end to end", "[compose][discovery][conformance]") {
  std::string directory = fixture_path("conformance/cli/testdata/simple");
  ProjectRequest request;
  request.files = {"compose-with-variables.yaml"};
  ProcessContext process;
  process.cwd = directory;
  auto options = resolve_project_request(request, process);
  REQUIRE(options);
  LoadedProject loaded = load_ok(*options);
  CHECK(loaded.project.name == "simple");
  CHECK(loaded.project.services.at("simple").ports.at(0).published == "8000");  // PUBLIC_PORT from .env
}

TEST_CASE("discovery: env_file fixtures of the reference", "[compose][discovery][conformance]") {
  std::string directory = fixture_path("conformance/cli/testdata/env-file");
  const std::map<std::string, std::string> expected_port{{"compose-with-env-file.yaml", "8080"},
                                                         {"compose-with-env-files.yaml", "9090"}};
  for (std::string file : {"compose-with-env-file.yaml", "compose-with-env-files.yaml"}) {
    INFO(file);
    ProjectRequest request;
    request.files = {file};
    ProcessContext process;
    process.cwd = directory;
    auto options = resolve_project_request(request, process);
    REQUIRE(options);
    LoadedProject loaded = load_ok(*options);
    const ServiceConfig& simple = loaded.project.services.at("simple");
    CHECK(simple.environment.at("DEFAULT_PORT") == expected_port.at(file));  // the later env_file wins
    CHECK(simple.ports.at(0).published == "8000");                            // PORT from .env, not env_file
    CHECK(loaded.project.name == "my_project_from_dot_env");
  }
}
