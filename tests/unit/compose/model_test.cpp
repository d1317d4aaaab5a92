// What the reconciler receives: every short form normalised into the typed model.
#include <catch2/catch.hpp>

#include "helpers.h"

using namespace berth::compose;
using namespace berth::compose::testing;

namespace {

Project load_text(const std::string& yaml, const std::map<std::string, std::string>& env = {},
                  const std::map<std::string, std::string>& extra_files = {}) {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = yaml;
  for (const auto& [path, content] : extra_files) memory.files[path] = content;
  return load_ok(memory_options(memory, {"compose.yaml"}, env)).project;
}

std::string error_text(const std::string& yaml, const std::map<std::string, std::string>& env = {}) {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = yaml;
  return load_error(memory_options(memory, {"compose.yaml"}, env));
}

}  // namespace

TEST_CASE("model: command and entrypoint as lists, strings split, shell form kept", "[compose][model]") {
  Project p = load_text(
      "services:\n  a:\n    image: x\n    command: bundle exec 'thin server'\n    entrypoint: [/init, --]\n"
      "  b:\n    image: x\n    command: []\n");
  const ServiceConfig& a = p.services.at("a");
  CHECK(a.command->argv == std::vector<std::string>{"bundle", "exec", "thin server"});
  CHECK(a.command->shell_form == "bundle exec 'thin server'");
  CHECK(a.entrypoint->argv == std::vector<std::string>{"/init", "--"});
  CHECK(p.services.at("b").command.has_value());
  CHECK(p.services.at("b").command->argv.empty());  // an empty list clears the image's command
  CHECK_FALSE(p.services.at("b").entrypoint.has_value());
}

TEST_CASE("model: environment from a list or a mapping, unset values stay unset", "[compose][model]") {
  Project p = load_text(
      "services:\n  a:\n    image: x\n    environment: [A=1, B, C=]\n  b:\n    image: x\n    environment: {A: 1, B: null, "
      "C: true}\n",
      {{"B", "from-env"}});
  const auto& a = p.services.at("a").environment;
  CHECK(a.at("A") == "1");
  CHECK(a.at("B") == "from-env");
  CHECK(a.at("C") == "");
  const auto& b = p.services.at("b").environment;
  CHECK(b.at("A") == "1");
  CHECK(b.at("B") == "from-env");
  CHECK(b.at("C") == "true");
  Project unset = load_text("services:\n  a:\n    image: x\n    environment: [NOPE]\n");
  CHECK_FALSE(unset.services.at("a").environment.at("NOPE").has_value());
}

TEST_CASE("model: env_file contents under environment", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    env_file: [app.env, {path: missing.env, required: false}]\n"
                        "    environment: {KEEP: service}\n",
                        {}, {{"/project/app.env", "KEEP=file\nFROM_FILE=yes\n"}});
  const auto& env = p.services.at("a").environment;
  CHECK(env.at("KEEP") == "service");
  CHECK(env.at("FROM_FILE") == "yes");
  REQUIRE(p.services.at("a").env_file.size() == 2);
  CHECK(p.services.at("a").env_file[0].path == "/project/app.env");
  CHECK_FALSE(p.services.at("a").env_file[1].required);
}

TEST_CASE("model: a required env_file that is missing is an error", "[compose][model]") {
  CHECK_THAT(error_text("services:\n  a:\n    image: x\n    env_file: gone.env\n"),
             Catch::Contains("services.a.env_file[0]: env file /project/gone.env not found"));
}

TEST_CASE("model: labels from a list or mapping, numbers as text", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    labels: [com.a=1, com.b]\n  b:\n    image: x\n    labels: "
                        "{com.n: 42, com.e: null}\n");
  CHECK(p.services.at("a").labels.at("com.a") == "1");
  CHECK(p.services.at("a").labels.at("com.b") == "");
  CHECK(p.services.at("b").labels.at("com.n") == "42");
  CHECK(p.services.at("b").labels.at("com.e") == "");
}

TEST_CASE("model: ports in long form", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    ports:\n      - 8080:80\n      - target: 443\n        published: "
                        "8443\n        host_ip: 127.0.0.1\n        app_protocol: https\n        name: web\n");
  const auto& ports = p.services.at("a").ports;
  REQUIRE(ports.size() == 2);
  CHECK(ports[0].target == 80);
  CHECK(ports[0].published == "8080");
  CHECK(ports[0].mode == "ingress");
  CHECK(ports[1].published == "8443");
  CHECK(ports[1].host_ip == "127.0.0.1");
  CHECK(ports[1].protocol == "tcp");
  CHECK(ports[1].app_protocol == "https");
  CHECK(ports[1].name == "web");
}

TEST_CASE("model: a long-form port out of range is an error", "[compose][model][validation]") {
  CHECK_THAT(error_text("services:\n  a:\n    image: x\n    ports: [{target: 80800}]\n"),
             Catch::Contains("services.a.ports[0].target: invalid port \"80800\""));
  CHECK_THAT(error_text("services:\n  a:\n    image: x\n    ports: [{target: 80, published: '99999'}]\n"),
             Catch::Contains("services.a.ports[0]: invalid published port \"99999\""));
}

TEST_CASE("model: volumes in long form with paths resolved and ~ expanded", "[compose][model]") {
  Project p = load_text(
      "services:\n  a:\n    image: x\n    volumes:\n      - ./data:/data\n      - ~/cfg:/cfg:ro\n      - cache:/cache:nocopy\n"
      "      - type: tmpfs\n        target: /tmp\n        tmpfs: {size: 64m, mode: 0o1777}\n"
      "      - type: bind\n        source: /src\n        target: /dst\n        bind: {propagation: rslave, create_host_path: "
      "false}\nvolumes:\n  cache: {}\n",
      {{"HOME", "/home/me"}});
  const auto& volumes = p.services.at("a").volumes;
  REQUIRE(volumes.size() == 5);
  CHECK(volumes[0].source == "/project/data");
  CHECK(volumes[1].source == "/home/me/cfg");
  CHECK(volumes[1].read_only);
  CHECK(volumes[2].type == "volume");
  CHECK(volumes[2].volume->nocopy);
  CHECK(volumes[3].tmpfs->size == 64LL * 1024 * 1024);
  CHECK(volumes[3].tmpfs->mode == 01777);
  CHECK(volumes[4].bind->propagation == "rslave");
  CHECK_FALSE(volumes[4].bind->create_host_path);
}

TEST_CASE("model: healthcheck durations and a string test", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    healthcheck:\n      test: curl -f http://localhost\n      "
                        "interval: 1m30s\n      timeout: 10s\n      retries: 3\n      start_period: 40s\n");
  const HealthCheck& h = *p.services.at("a").healthcheck;
  CHECK(h.test == std::vector<std::string>{"CMD-SHELL", "curl -f http://localhost"});
  CHECK(h.interval == 90'000'000'000LL);
  CHECK(h.timeout == 10'000'000'000LL);
  CHECK(h.retries == 3u);
  CHECK(h.start_period == 40'000'000'000LL);
}

TEST_CASE("model: an invalid duration is an error at its position", "[compose][model]") {
  CHECK(error_text("services:\n  a:\n    image: x\n    stop_grace_period: 10 seconds\n") ==
        "compose.yaml:4:24: services.a.stop_grace_period: invalid duration \"10 seconds\" (use units: 1m30s, 10s, 500ms)");
}

TEST_CASE("model: byte sizes, cpus and deploy resources", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    mem_limit: 512m\n    shm_size: 1g\n    cpus: 1.5\n    "
                        "pids_limit: 100\n  b:\n    image: x\n    deploy:\n      replicas: 3\n      resources:\n        "
                        "limits: {cpus: '0.5', memory: 50M, pids: 20}\n        reservations: {memory: 20M}\n");
  const ServiceConfig& a = p.services.at("a");
  CHECK(a.mem_limit == 512LL * 1024 * 1024);
  CHECK(a.shm_size == 1024LL * 1024 * 1024);
  CHECK(a.cpus == Approx(1.5f));
  CHECK(a.pids_limit == 100);
  const DeployConfig& deploy = *p.services.at("b").deploy;
  CHECK(deploy.replicas == 3);
  CHECK(deploy.resources.limits->cpus == Approx(0.5f));
  CHECK(deploy.resources.limits->memory == 50LL * 1024 * 1024);
  CHECK(deploy.resources.limits->pids == 20);
  CHECK(deploy.resources.reservations->memory == 20LL * 1024 * 1024);
  CHECK(p.services.at("b").replicas() == 3);
}

TEST_CASE("model: an invalid byte size is an error", "[compose][model]") {
  CHECK_THAT(error_text("services:\n  a:\n    image: x\n    mem_limit: lots\n"),
             Catch::Contains("services.a.mem_limit: invalid size \"lots\""));
}

TEST_CASE("model: networks with aliases, addresses and priority", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    networks:\n      front:\n        aliases: [web]\n        "
                        "ipv4_address: 10.0.0.5\n        priority: 10\n      back:\nnetworks:\n  front: {}\n  back: {}\n");
  const auto& networks = p.services.at("a").networks;
  CHECK(networks.at("front")->aliases == std::vector<std::string>{"web"});
  CHECK(networks.at("front")->ipv4_address == "10.0.0.5");
  CHECK(networks.at("front")->priority == 10);
  CHECK_FALSE(networks.at("back").has_value());
  CHECK(p.networks.at("front").name == "project_front");
}

TEST_CASE("model: depends_on long form", "[compose][model]") {
  Project p = load_text("services:\n  db:\n    image: x\n  web:\n    image: x\n    depends_on:\n      db:\n        "
                        "condition: service_healthy\n        restart: true\n");
  const ServiceDependency& db = p.services.at("web").depends_on.at("db");
  CHECK(db.condition == "service_healthy");
  CHECK(db.restart);
  CHECK(db.required);
}

TEST_CASE("model: ulimits, sysctls, extra_hosts, tmpfs and dns", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    ulimits: {nproc: 65535, nofile: {soft: 1024, hard: 2048}}\n"
                        "    sysctls: [net.core.somaxconn=1024]\n    extra_hosts: ['db:10.0.0.2', 'v6=::1', 'many=1.1.1.1,2.2.2.2']\n"
                        "    tmpfs: /run\n    dns: 8.8.8.8\n    dns_search: [a.example]\n");
  const ServiceConfig& a = p.services.at("a");
  CHECK(a.ulimits.at("nproc").single == 65535);
  CHECK(a.ulimits.at("nofile").hard == 2048);
  CHECK(a.sysctls.at("net.core.somaxconn") == "1024");
  CHECK(a.extra_hosts.at("db") == std::vector<std::string>{"10.0.0.2"});
  CHECK(a.extra_hosts.at("v6") == std::vector<std::string>{"::1"});
  CHECK(a.extra_hosts.at("many").size() == 2);
  CHECK(a.tmpfs == std::vector<std::string>{"/run"});
  CHECK(a.dns == std::vector<std::string>{"8.8.8.8"});
}

TEST_CASE("model: secrets and configs in long form, from files and the environment", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    secrets: [token, {source: cert, target: /c, mode: 0400}]\n    "
                        "configs: [app]\nsecrets:\n  token: {environment: TOKEN}\n  cert: {file: ./cert.pem}\nconfigs:\n  "
                        "app: {content: 'key: value'}\n",
                        {{"TOKEN", "s3cret"}});
  const ServiceConfig& a = p.services.at("a");
  CHECK(a.secrets[0].target == "/run/secrets/token");
  CHECK(a.secrets[1].mode == 0400);
  CHECK(p.secrets.at("token").content == "s3cret");
  CHECK(p.secrets.at("cert").file == "/project/cert.pem");
  CHECK(p.configs.at("app").content == "key: value");
}

TEST_CASE("model: build section", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    build:\n      context: ./app\n      args: {VERSION: '1', FROM_ENV: null}\n      "
                        "target: prod\n      cache_from: [a]\n      labels: [x=y]\n",
                        {{"FROM_ENV", "e"}});
  const BuildConfig& b = *p.services.at("a").build;
  CHECK(b.context == "/project/app");
  CHECK(b.dockerfile == "Dockerfile");
  CHECK(b.args.at("VERSION") == "1");
  CHECK(b.args.at("FROM_ENV") == "e");
  CHECK(b.target == "prod");
  CHECK(b.labels.at("x") == "y");
}

TEST_CASE("model: develop.watch and x- extensions", "[compose][model]") {
  Project p = load_text("x-top: {a: 1}\nservices:\n  a:\n    image: x\n    x-mine: hello\n    develop:\n      watch:\n        "
                        "- {path: ./src, action: sync, target: /app/src, ignore: node_modules}\n        - {path: package.json, "
                        "action: rebuild}\n");
  const ServiceConfig& a = p.services.at("a");
  REQUIRE(a.develop->watch.size() == 2);
  CHECK(a.develop->watch[0].path == "/project/src");
  CHECK(a.develop->watch[0].ignore == std::vector<std::string>{"node_modules"});
  CHECK(a.develop->watch[1].action == "rebuild");
  CHECK(a.extensions.at("x-mine").string == "hello");
  CHECK(p.extensions.at("x-top").map.at(0).value.integer == 1);
}

TEST_CASE("model: the remaining scalar attributes", "[compose][model]") {
  Project p = load_text("services:\n  a:\n    image: x\n    container_name: box\n    user: '1000:1000'\n    working_dir: /w\n"
                        "    hostname: h\n    domainname: d\n    privileged: true\n    read_only: true\n    init: true\n"
                        "    stop_signal: SIGINT\n    stop_grace_period: 1m\n    tty: true\n    stdin_open: true\n"
                        "    cap_add: [NET_ADMIN]\n    cap_drop: [ALL]\n    security_opt: [no-new-privileges]\n"
                        "    restart: unless-stopped\n    network_mode: host\n    scale: 1\n    logging: {driver: json-file, "
                        "options: {max-size: 10m}}\n    profiles: [debug]\n",
                        {});
  // profiles: [debug] disables the service unless the profile is enabled
  const ServiceConfig& a = p.disabled_services.at("a");
  CHECK(a.container_name == "box");
  CHECK(a.user == "1000:1000");
  CHECK(a.working_dir == "/w");
  CHECK(a.privileged);
  CHECK(a.read_only);
  CHECK(a.init == true);
  CHECK(a.stop_grace_period == 60'000'000'000LL);
  CHECK(a.cap_add == std::vector<std::string>{"NET_ADMIN"});
  CHECK(a.restart == "unless-stopped");
  CHECK(a.network_mode == "host");
  CHECK(a.networks.empty());
  CHECK(a.scale == 1);
  CHECK(a.logging->options.at("max-size") == "10m");
}

TEST_CASE("model: warnings for a command cut at a shell operator", "[compose][model]") {
  MemoryFiles memory;
  memory.files["/project/compose.yaml"] = "services:\n  a:\n    image: x\n    command: make && make install\n";
  LoadedProject loaded = load_ok(memory_options(memory, {"compose.yaml"}));
  CHECK(loaded.project.services.at("a").command->argv == std::vector<std::string>{"make"});
  bool warned = false;
  for (const std::string& w : loaded.warnings) warned = warned || w.find("the command stops at \"&\"") != std::string::npos;
  CHECK(warned);
}
