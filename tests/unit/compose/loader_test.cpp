// The whole loader: multiple files, extends, include, profiles, validation, project names, on the reference's
// fixtures and on small projects held in memory.
#include <catch2/catch.hpp>

#include "compose/loader.h"
#include "helpers.h"

using namespace berth::compose;
using namespace berth::compose::testing;

namespace {

std::string testdata(const std::string& relative) { return fixture_path("conformance/loader/testdata/" + relative); }

LoadOptions fixture_options(const std::vector<std::string>& files, const std::map<std::string, std::string>& env = {}) {
  LoadOptions options;
  for (const std::string& file : files) options.files.push_back({testdata(file), std::nullopt});
  options.working_dir = testdata(files.front()).substr(0, testdata(files.front()).rfind('/'));
  options.environment = Mapping(env.begin(), env.end());
  options.project_name = "testdata";
  return options;
}

}  // namespace

// ---- extends ----

TEST_CASE("loader: extends a service of another file, paths relative to that file", "[compose][loader][extends]") {
  LoadedProject loaded = load_ok(fixture_options({"compose-test-extends.yaml"}));
  const ServiceConfig& importer = loaded.project.services.at("importer");
  CHECK(importer.image == "nginx");
  CHECK(importer.container_name == "imported");
  CHECK(importer.environment.at("SOURCE") == "extends");  // extra.env beside the extended file
  REQUIRE(importer.volumes.size() == 1);
  CHECK(importer.volumes[0].source == "/opt/data");
  CHECK(importer.volumes[0].target == "/var/lib/mysql");
  CHECK(importer.env_file.at(0).path == testdata("subdir/extra.env"));
}

TEST_CASE("loader: extends chains through files in other directories", "[compose][loader][extends]") {
  LoadedProject loaded = load_ok(fixture_options({"extends/withdir/compose.yaml"}));
  CHECK(loaded.project.services.at("test").image == "hello-world");
}

TEST_CASE("loader: extends within the extended file and from its sibling file", "[compose][loader][extends]") {
  LoadOptions options;
  options.files.push_back({fixture_path("extends/uses-base.yaml"), std::nullopt});
  options.working_dir = fixture_path("extends");
  options.project_name = "extends";
  LoadedProject loaded = load_ok(options);
  CHECK(loaded.project.services.at("another").image == "base");
  CHECK(loaded.project.services.at("with-build").build->context == testdata("extends"));
  const ServiceConfig& limits = loaded.project.services.at("limits");
  CHECK(limits.ulimits.at("nproc").single == 65535);
  CHECK(limits.ulimits.at("nofile").soft == 20000);
  CHECK(limits.ulimits.at("nofile").hard == 40000);
}

TEST_CASE("loader: a null service is rejected", "[compose][loader][validation]") {
  CHECK_THAT(load_error(fixture_options({"extends/base.yaml"})),
             Catch::Contains("base.yaml:25:3: services.nil: must be a mapping, found null"));
}

TEST_CASE("loader: !reset in an extending service drops the inherited value", "[compose][loader][extends][reset]") {
  LoadedProject loaded = load_ok(fixture_options({"extends/reset.yaml"}));
  CHECK(loaded.project.services.at("base").image == "alpine:latest");
  CHECK_FALSE(loaded.project.services.at("base").command.has_value());
  CHECK(loaded.project.services.at("init").command->argv == std::vector<std::string>{"sleep", "infinity"});
}

TEST_CASE("loader: extends with an interpolated value", "[compose][loader][extends]") {
  LoadedProject loaded = load_ok(fixture_options({"extends/interpolated.yaml"}));
  const ServiceVolume& volume = loaded.project.services.at("foo").volumes.at(0);
  CHECK(volume.source == "/dev/null");
  CHECK(volume.read_only);
}

TEST_CASE("loader: a cycle of extends is an error naming the chain", "[compose][loader][extends]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] =
      "services:\n  a:\n    extends: b\n  b:\n    extends:\n      service: c\n  c:\n    extends: a\n";
  std::string error = load_error(memory_options(memory, {"compose.yaml"}));
  CHECK_THAT(error, Catch::Contains("circular reference: a in compose.yaml extends b in compose.yaml extends c"));
  CHECK_THAT(error, Catch::StartsWith("compose.yaml:"));
}

TEST_CASE("loader: extending a missing service is an error", "[compose][loader][extends]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = "services:\n  a:\n    image: x\n    extends: nope\n";
  CHECK_THAT(load_error(memory_options(memory, {"compose.yaml"})),
             Catch::Contains("cannot extend service \"a\" in compose.yaml: service \"nope\" not found"));
}

TEST_CASE("loader: extends merges with the merge rules", "[compose][loader][extends]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = R"(
services:
  base:
    image: app
    environment: {A: "1", B: "2"}
    ports: ["80:80"]
    command: [run]
  web:
    extends: base
    environment: [B=3, C=4]
    ports: ["443:443"]
    command: [serve]
)";
  LoadedProject loaded = load_ok(memory_options(memory, {"compose.yaml"}));
  const ServiceConfig& web = loaded.project.services.at("web");
  CHECK(web.image == "app");
  CHECK(web.environment.at("A") == "1");
  CHECK(web.environment.at("B") == "3");
  CHECK(web.environment.at("C") == "4");
  CHECK(web.ports.size() == 2);
  CHECK(web.command->argv == std::vector<std::string>{"serve"});
}

// ---- include ----

TEST_CASE("loader: include brings services with paths relative to the included file", "[compose][loader][include]") {
  LoadedProject loaded = load_ok(fixture_options({"include/compose.yaml"}));
  const ServiceConfig& included = loaded.project.services.at("included");
  CHECK(included.build->context == testdata("include"));
  CHECK(included.volumes.at(0).source == testdata("include"));
  CHECK(included.volumes.at(0).target == "/mnt");
}

TEST_CASE("loader: include and extends combined", "[compose][loader][include][extends]") {
  LoadedProject loaded = load_ok(fixture_options({"combined/compose.yaml"}));
  CHECK(loaded.project.services.at("service").build->context == testdata("combined/dir"));
}

TEST_CASE("loader: include with a project_directory and its .env", "[compose][loader][include]") {
  LoadedProject loaded = load_ok(fixture_options({"include/project-directory.yaml"}));
  const ServiceConfig& service = loaded.project.services.at("service");
  CHECK(service.volumes.at(0).source == testdata("subdir/compose-test-extends-imported.yaml"));
  CHECK(service.environment.at("SOURCE") == "extends");
}

TEST_CASE("loader: an include cycle is an error", "[compose][loader][include]") {
  std::string error = load_error(fixture_options({"compose-include-cycle.yaml"}));
  CHECK_THAT(error, Catch::Contains("include cycle detected"));
}

TEST_CASE("loader: an included service and a local one of the same name merge, local wins", "[compose][loader][include]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] =
      "include: [lib/compose.yaml]\nservices:\n  db:\n    environment: {MODE: local}\n";
  memory.files["/project/lib/compose.yaml"] =
      "services:\n  db:\n    image: postgres\n    environment: {MODE: lib, KEEP: yes}\n";
  LoadedProject loaded = load_ok(memory_options(memory, {"compose.yaml"}));
  const ServiceConfig& db = loaded.project.services.at("db");
  CHECK(db.image == "postgres");
  CHECK(db.environment.at("MODE") == "local");
  CHECK(db.environment.at("KEEP") == "yes");
}

TEST_CASE("loader: include env_file supplies variables to the included project only", "[compose][loader][include]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] =
      "include:\n  - path: lib/compose.yaml\n    env_file: lib/vars.env\nservices:\n  app:\n    image: app:${TAG:-none}\n";
  memory.files["/project/lib/compose.yaml"] = "services:\n  lib:\n    image: lib:${TAG}\n";
  memory.files["/project/lib/vars.env"] = "TAG=7\n";
  LoadedProject loaded = load_ok(memory_options(memory, {"compose.yaml"}));
  CHECK(loaded.project.services.at("lib").image == "lib:7");
  CHECK(loaded.project.services.at("app").image == "app:none");
}

// ---- dependencies ----

TEST_CASE("loader: a depends_on cycle is an error printing the cycle", "[compose][loader][validation]") {
  std::string error = load_error(fixture_options({"compose-depends-on-cycle.yaml"}));
  CHECK_THAT(error, Catch::Contains("dependency cycle detected: service1 -> service2 -> service3 -> service1"));
}

TEST_CASE("loader: depending on oneself is a cycle", "[compose][loader][validation]") {
  CHECK_THAT(load_error(fixture_options({"compose-depends-on-self.yaml"})),
             Catch::Contains("dependency cycle detected: service1 -> service1"));
}

TEST_CASE("loader: depends_on a missing service", "[compose][loader][validation]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = "services:\n  web:\n    image: x\n    depends_on: [db]\n";
  CHECK(load_error(memory_options(memory, {"compose.yaml"})) ==
        "compose.yaml:4:18: services.web.depends_on.db: service \"web\" depends on undefined service \"db\"");
}

TEST_CASE("loader: implicit dependencies from links, volumes_from and network_mode", "[compose][loader]") {
  LoadedProject loaded = load_ok(fixture_options({"extends/depends_on.yaml"}));
  const auto& services = loaded.project.services;
  CHECK(services.at("with_depends_on").depends_on.count("zot"));
  CHECK_FALSE(services.at("with_volumes_from").depends_on.at("zot").restart);
  CHECK(services.at("with_ipc").depends_on.at("zot").restart);
  CHECK(services.at("with_network_mode").depends_on.count("zot"));
  auto order = loaded.project.services_in_dependency_order();
  CHECK(order.front() == "zot");
}

// ---- the rest of the reference's fixtures ----

TEST_CASE("loader: an empty file is an error", "[compose][loader]") {
  CHECK_THAT(load_error(fixture_options({"empty.yaml"})), Catch::Contains("empty compose file"));
}

TEST_CASE("loader: the obsolete version attribute is ignored with a warning", "[compose][loader]") {
  LoadedProject loaded = load_ok(fixture_options({"compose-test-with-version.yaml"}));
  CHECK(loaded.project.name == "compose-test-with-version");
  bool warned = false;
  for (const std::string& w : loaded.warnings) warned = warned || w.find("`version` is obsolete") != std::string::npos;
  CHECK(warned);
  CHECK(loaded.project.services.at("web").networks.count("front"));
  CHECK(loaded.project.services.at("web").depends_on.count("other"));
}

TEST_CASE("loader: ports survive extends", "[compose][loader]") {
  LoadedProject loaded = load_ok(fixture_options({"extends/ports.yaml"}));
  const ServicePort& port = loaded.project.services.at("test").ports.at(0);
  CHECK(port.target == 8080);
  CHECK(port.published == "8080");
}

// ---- bounds on what a small file can make the loader do ----

TEST_CASE("loader: port ranges cannot expand without bound", "[compose][loader][limits]") {
  MemoryFiles memory;
  std::string yaml = "services:\n";
  for (int i = 0; i < 3; ++i) yaml += "  s" + std::to_string(i) + ":\n    image: x\n    ports: ['1-65535']\n";
  memory.files["/project/compose.yaml"] = yaml;
  CHECK_THAT(load_error(memory_options(memory, {"compose.yaml"})), Catch::Contains("ports in the project"));
}

TEST_CASE("loader: extends cannot copy without bound", "[compose][loader][limits]") {
  MemoryFiles memory;
  std::string yaml = "x-big: &big [";
  for (int i = 0; i < 20000; ++i) yaml += (i ? ",a" : "a") + std::to_string(i);
  yaml += "]\nservices:\n  base:\n    image: x\n    security_opt: *big\n";
  for (int i = 0; i < 200; ++i) yaml += "  s" + std::to_string(i) + ": {extends: base}\n";
  memory.files["/project/compose.yaml"] = yaml;
  CHECK_THAT(load_error(memory_options(memory, {"compose.yaml"})), Catch::Contains("extends copies more than"));
}

TEST_CASE("loader: include bombs stop at the file budget", "[compose][loader][limits]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = "include: [a.yaml, a.yaml, a.yaml, a.yaml]\nservices:\n  s: {image: x}\n";
  memory.files["/project/a.yaml"] = "include: [b.yaml, b.yaml, b.yaml, b.yaml]\n";
  memory.files["/project/b.yaml"] = "include: [c.yaml, c.yaml, c.yaml, c.yaml]\n";
  memory.files["/project/c.yaml"] = "include: [d.yaml, d.yaml, d.yaml, d.yaml]\n";
  memory.files["/project/d.yaml"] = "include: [e.yaml, e.yaml, e.yaml, e.yaml]\n";
  memory.files["/project/e.yaml"] = "services:\n  e: {image: x}\n";
  CHECK_THAT(load_error(memory_options(memory, {"compose.yaml"})), Catch::Contains("compose files to read"));
}
