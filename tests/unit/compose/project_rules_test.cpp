// Profiles, service selection and the consistency rules, each error located in the file.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace berth::compose;
using namespace berth::compose::testing;

namespace {

LoadOptions options_for(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = yaml;
  return memory_options(memory, {"compose.yaml"}, env);
}

const char* kProfiles = R"(
services:
  web:
    image: web
    depends_on: [db]
  db:
    image: db
  debug:
    image: debug
    profiles: [dev]
  metrics:
    image: metrics
    profiles: [ops, dev]
)";

std::vector<std::string> enabled(const Project& p) {
  std::vector<std::string> names;
  for (const auto& [name, s] : p.services) names.push_back(name);
  return names;
}

}  // namespace

TEST_CASE("profiles: services without profiles are always on", "[compose][profiles]") {
  LoadedProject loaded = load_ok(options_for(kProfiles));
  CHECK(enabled(loaded.project) == std::vector<std::string>{"db", "web"});
  CHECK(loaded.project.disabled_services.size() == 2);
}

TEST_CASE("profiles: enabling a profile enables its services", "[compose][profiles]") {
  LoadOptions options = options_for(kProfiles);
  options.profiles = {"ops"};
  CHECK(enabled(load_ok(options).project) == std::vector<std::string>{"db", "metrics", "web"});
  options.profiles = {"*"};
  CHECK(enabled(load_ok(options).project).size() == 4);
}

TEST_CASE("profiles: a service named on the command line enables its profiles", "[compose][profiles]") {
  LoadOptions options = options_for(kProfiles);
  options.services = {"debug"};
  Project p = load_ok(options).project;
  CHECK(enabled(p) == std::vector<std::string>{"debug"});
}

TEST_CASE("profiles: selecting a service keeps its dependencies", "[compose][profiles]") {
  LoadOptions options = options_for(kProfiles);
  options.services = {"web"};
  CHECK(enabled(load_ok(options).project) == std::vector<std::string>{"db", "web"});
  options.services = {"nope"};
  CHECK_THAT(load_error(options), Catch::Contains("no such service: nope"));
}

TEST_CASE("profiles: depending on a disabled service says which profile enables it", "[compose][profiles]") {
  std::string error = load_error(options_for(
      "services:\n  web:\n    image: x\n    depends_on: [debug]\n  debug:\n    image: y\n    profiles: [dev]\n"));
  CHECK_THAT(error, Catch::Contains("services.web.depends_on.debug: service \"web\" depends on service \"debug\", "
                                    "which is disabled (enable it with profile dev)"));
  // ...unless the dependency is optional.
  load_ok(options_for("services:\n  web:\n    image: x\n    depends_on:\n      debug: {condition: service_started, "
                      "required: false}\n  debug:\n    image: y\n    profiles: [dev]\n"));
}

TEST_CASE("profiles: a profile-gated cycle is no cycle when the profile is off", "[compose][profiles]") {
  load_ok(options_for("services:\n  a:\n    image: x\n    depends_on:\n      b: {condition: service_started, required: "
                      "false}\n  b:\n    image: x\n    profiles: [p]\n    depends_on: [a]\n"));
}

TEST_CASE("validation: undefined network", "[compose][validation]") {
  CHECK(load_error(options_for("services:\n  web:\n    image: x\n    networks: [front]\n")) ==
        "compose.yaml:4:16: services.web.networks.front: service \"web\" refers to undefined network \"front\"");
}

TEST_CASE("validation: undefined volume, secret and config", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    volumes: ['data:/data']\n")),
             Catch::Contains("compose.yaml:4:15: services.web.volumes[0]: service \"web\" refers to undefined volume \"data\""));
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    secrets: [token]\n")),
             Catch::Contains("services.web.secrets[0]: service \"web\" refers to undefined secret \"token\""));
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    configs: [app]\n")),
             Catch::Contains("services.web.configs[0]: service \"web\" refers to undefined config \"app\""));
}

TEST_CASE("validation: duplicate container names", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  a:\n    image: x\n    container_name: box\n  b:\n    image: x\n    "
                                    "container_name: box\n")),
             Catch::Contains("compose.yaml:7:5: services.b.container_name: container name \"box\" is already in use by service a"));
}

TEST_CASE("validation: a service needs an image or a build", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    restart: always\n")),
             Catch::Contains("services.web: service \"web\" has neither an image nor a build context specified"));
}

TEST_CASE("validation: scale and container_name", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    scale: 2\n    container_name: cc\n")),
             Catch::Contains("can't set container_name and scale"));
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    scale: 2\n    deploy: {replicas: 3}\n")),
             Catch::Contains("can't set distinct values on 'scale' and 'deploy.replicas'"));
}

TEST_CASE("validation: healthcheck test must start with CMD, CMD-SHELL or NONE", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    healthcheck: {test: [curl, x]}\n")),
             Catch::Contains("services.web.healthcheck.test: healthcheck.test must start with"));
}

TEST_CASE("validation: network_mode and networks are exclusive", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    network_mode: host\n    networks: [default]\n")),
             Catch::Contains("network_mode and networks are mutually exclusive"));
}

TEST_CASE("validation: a secret needs a file or an environment variable", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\nsecrets:\n  s: {labels: {a: b}}\n")),
             Catch::Contains("secrets.s: one of file|environment must be set"));
}

TEST_CASE("validation: the same target mounted twice", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\n    tmpfs: [/data]\n    volumes: ['./d:/data']\n")),
             Catch::Contains("services.web.volumes[0]: target /data already mounted as services.web.tmpfs[0]"));
}

TEST_CASE("validation: unknown keys and wrong types come with file, line and column", "[compose][validation]") {
  CHECK(load_error(options_for("services:\n  web:\n    image: x\n    portz: [80]\n")) ==
        "compose.yaml:4:5: services.web: additional property \"portz\" is not allowed");
  CHECK(load_error(options_for("services:\n  web:\n    image: x\n    privileged: maybe\n")) ==
        "compose.yaml:4:17: services.web.privileged: failed to cast to expected type: invalid boolean \"maybe\"");
}

TEST_CASE("validation: external volumes take only a name", "[compose][validation]") {
  CHECK_THAT(load_error(options_for("services:\n  web:\n    image: x\nvolumes:\n  v:\n    external: true\n    driver: local\n")),
             Catch::Contains("volumes.v: conflicting parameters \"external\" and \"driver\" specified"));
}

TEST_CASE("validation: consistency checks can be skipped", "[compose][validation]") {
  LoadOptions options = options_for("services:\n  web:\n    image: x\n    networks: [front]\n");
  options.check_consistency = false;
  load_ok(options);
}

TEST_CASE("project name: from name:, interpolated and normalised", "[compose][name]") {
  CHECK(load_ok(options_for("name: My_App-${ENV}\nservices:\n  a: {image: x}\n", {{"ENV", "Prod"}})).project.name ==
        "my_app-prod");
}

TEST_CASE("project name: an explicit name must be valid", "[compose][name]") {
  LoadOptions options = options_for("services:\n  a: {image: x}\n");
  options.project_name = "Bad Name";
  options.project_name_explicit = true;
  CHECK_THAT(load_error(options), Catch::Contains("invalid project name \"Bad Name\""));
  options.project_name = "good-name_1";
  CHECK(load_ok(options).project.name == "good-name_1");
}

TEST_CASE("project name: an explicit name wins over name:", "[compose][name]") {
  LoadOptions options = options_for("name: fromfile\nservices:\n  a: {image: x}\n");
  options.project_name = "explicit";
  options.project_name_explicit = true;
  LoadedProject loaded = load_ok(options);
  CHECK(loaded.project.name == "explicit");
  CHECK(loaded.project.networks.at("default").name == "explicit_default");
}

TEST_CASE("project name: normalisation rules", "[compose][name]") {
  CHECK(normalize_project_name("My Project!") == "myproject");
  CHECK(normalize_project_name("__x-Y") == "x-y");
  CHECK(normalize_project_name("UNNORMALIZED PATH") == "unnormalizedpath");
  CHECK(is_valid_project_name("a-b_c1"));
  CHECK_FALSE(is_valid_project_name("-a"));
  CHECK_FALSE(is_valid_project_name(""));
}

TEST_CASE("project name: COMPOSE_PROJECT_NAME is available to interpolation", "[compose][name]") {
  LoadOptions options = options_for("name: demo\nservices:\n  a:\n    image: ${COMPOSE_PROJECT_NAME}-app\n");
  CHECK(load_ok(options).project.services.at("a").image == "demo-app");
}

TEST_CASE("multiple files: merged in order with override rules", "[compose][merge][loader]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] =
      "services:\n  web:\n    image: web:1\n    ports: ['80:80']\n    environment: {A: '1'}\n    command: [serve]\n";
  memory.files["/project/compose.override.yaml"] =
      "services:\n  web:\n    image: web:2\n    ports: ['80:80', '443:443']\n    environment: [B=2]\n    command: [debug]\n";
  memory.files["/project/third.yaml"] = "services:\n  web:\n    ports: !reset []\n    environment: {A: '3'}\n";
  LoadedProject two = load_ok(memory_options(memory, {"compose.yaml", "compose.override.yaml"}));
  const ServiceConfig& web = two.project.services.at("web");
  CHECK(web.image == "web:2");
  CHECK(web.ports.size() == 2);
  CHECK(web.environment.at("A") == "1");
  CHECK(web.environment.at("B") == "2");
  CHECK(web.command->argv == std::vector<std::string>{"debug"});
  LoadedProject three = load_ok(memory_options(memory, {"compose.yaml", "compose.override.yaml", "third.yaml"}));
  CHECK(three.project.services.at("web").ports.empty());
  CHECK(three.project.services.at("web").environment.at("A") == "3");
}

TEST_CASE("multiple files: errors name the file that has the problem", "[compose][merge][loader]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = "services:\n  web:\n    image: web\n";
  memory.files["/project/override.yaml"] = "services:\n  web:\n    imagee: web\n";
  CHECK(load_error(memory_options(memory, {"compose.yaml", "override.yaml"})) ==
        "override.yaml:3:5: services.web: additional property \"imagee\" is not allowed");
}

TEST_CASE("anchors and merge keys across services", "[compose][loader]") {
  LoadedProject loaded = load_ok(options_for(R"(
x-common: &common
  restart: always
  environment:
    LOG: info
services:
  a:
    <<: *common
    image: a
  b:
    <<: *common
    image: b
    restart: "no"
)"));
  CHECK(loaded.project.services.at("a").restart == "always");
  CHECK(loaded.project.services.at("b").restart == "no");
  CHECK(loaded.project.services.at("b").environment.at("LOG") == "info");
  CHECK(loaded.project.extensions.count("x-common"));
}
