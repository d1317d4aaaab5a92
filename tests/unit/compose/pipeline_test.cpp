// Stages between reading and typing: interpolation with type conversions, canonical forms and defaults.
#include <catch2/catch.hpp>

#include "compose/canonical.h"
#include "compose/interpolate.h"
#include "compose/shell_words.h"
#include "helpers.h"

using namespace berth::compose;
using berth::compose::testing::parse_yaml;

namespace {

VariableLookup lookup_from(const std::map<std::string, std::string>& values) {
  return [&values](std::string_view name) -> std::optional<std::string> {
    auto it = values.find(std::string(name));
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

Node canonical(const std::string& yaml) {
  Node tree = parse_yaml(yaml);
  auto made = make_canonical(tree);
  if (!made) FAIL(made.error().message());
  auto defaults = set_default_values(tree);
  if (!defaults) FAIL(defaults.error().message());
  return tree;
}

const Node& service(const Node& tree, const std::string& name = "web") { return *tree.find("services")->find(name); }

}  // namespace

TEST_CASE("interpolation: values everywhere, keys never", "[compose][interpolation]") {
  std::map<std::string, std::string> env{{"TAG", "1.2"}, {"KEY", "k"}};
  Node tree = parse_yaml("services:\n  web:\n    image: app:${TAG}\n    labels: {$KEY: '$KEY'}\nx-note: ${TAG}\n");
  REQUIRE(interpolate_tree(tree, lookup_from(env), nullptr));
  CHECK(service(tree).find("image")->text == "app:1.2");
  CHECK(service(tree).find("labels")->find("$KEY")->text == "k");
  CHECK(tree.find("x-note")->text == "1.2");
}

TEST_CASE("interpolation: typed attributes are converted", "[compose][interpolation]") {
  std::map<std::string, std::string> env{{"N", "3"}, {"ON", "yes"}, {"CPUS", "0.5"}};
  Node tree = parse_yaml(
      "services:\n  web:\n    deploy: {replicas: '${N}'}\n    tty: $ON\n    cpus: $CPUS\n    read_only: 'false'\n");
  REQUIRE(interpolate_tree(tree, lookup_from(env), nullptr));
  const Node& web = service(tree);
  CHECK(web.find("deploy")->find("replicas")->is_integer());
  CHECK(web.find("deploy")->find("replicas")->text == "3");
  CHECK(web.find("tty")->as_boolean() == true);
  CHECK(web.find("cpus")->as_double() == Approx(0.5));
  CHECK(web.find("read_only")->as_boolean() == false);
}

TEST_CASE("interpolation: a value that does not convert is an error at its position", "[compose][interpolation]") {
  std::map<std::string, std::string> env{{"N", "three"}};
  Node tree = parse_yaml("services:\n  web:\n    deploy:\n      replicas: ${N}\n", "compose.yaml");
  auto result = interpolate_tree(tree, lookup_from(env), nullptr);
  REQUIRE_FALSE(result);
  CHECK(result.error().message() ==
        "compose.yaml:4:17: services.web.deploy.replicas: failed to cast to expected type: invalid integer \"three\"");
}

TEST_CASE("interpolation: a missing required variable names the variable and where", "[compose][interpolation]") {
  Node tree = parse_yaml("services:\n  db:\n    environment:\n      PASSWORD: ${DB_PASSWORD:?set DB_PASSWORD in .env}\n",
                         "compose.yaml");
  auto result = interpolate_tree(tree, lookup_from({}), nullptr);
  REQUIRE_FALSE(result);
  CHECK(result.error().message() ==
        "compose.yaml:4:17: services.db.environment.PASSWORD: required variable DB_PASSWORD is missing a value: "
        "set DB_PASSWORD in .env");
}

TEST_CASE("interpolation: $$ stays a literal dollar and unset variables are reported", "[compose][interpolation]") {
  Node tree = parse_yaml("services:\n  web:\n    command: echo $$HOME ${UNSET}\n");
  std::vector<std::string> unset;
  REQUIRE(interpolate_tree(tree, lookup_from({}), &unset));
  CHECK(service(tree).find("command")->text == "echo $HOME ");
  CHECK(unset == std::vector<std::string>{"UNSET"});
}

TEST_CASE("interpolation: invalid templates are errors", "[compose][interpolation]") {
  Node tree = parse_yaml("services:\n  web:\n    image: ${TAG!}\n", "compose.yaml");
  auto result = interpolate_tree(tree, lookup_from({}), nullptr);
  REQUIRE_FALSE(result);
  CHECK_THAT(result.error().message(), Catch::Contains("services.web.image: invalid interpolation format"));
}

TEST_CASE("canonical: ports become one mapping per container port", "[compose][canonical]") {
  Node tree = canonical("services:\n  web:\n    ports: [3000, '8000:80', '127.0.0.1:5000-5001:5000-5001/udp']\n");
  const Node* ports = service(tree).find("ports");
  REQUIRE(ports->items.size() == 4);
  CHECK(ports->items[0].find("target")->text == "3000");
  CHECK(ports->items[0].find("mode")->text == "ingress");
  CHECK(ports->items[1].find("published")->text == "8000");
  CHECK(ports->items[3].find("host_ip")->text == "127.0.0.1");
  CHECK(ports->items[3].find("protocol")->text == "udp");
}

TEST_CASE("canonical: a bad port is an error at the port's position", "[compose][canonical]") {
  Node tree = parse_yaml("services:\n  web:\n    image: x\n    ports:\n      - 80:80\n      - 80800\n", "compose.yaml");
  auto result = make_canonical(tree);
  REQUIRE_FALSE(result);
  CHECK(result.error().message() == "compose.yaml:6:9: services.web.ports[1]: invalid port \"80800\"");
}

TEST_CASE("canonical: volumes, devices, secrets and configs take the long form", "[compose][canonical]") {
  Node tree = canonical(
      "services:\n  web:\n    volumes: ['./a:/a/:ro']\n    devices: ['/dev/fuse']\n    secrets: [token]\n"
      "    configs: [app]\n");
  const Node& web = service(tree);
  const Node& volume = web.find("volumes")->items[0];
  CHECK(volume.find("type")->text == "bind");
  CHECK(volume.find("target")->text == "/a");
  CHECK(volume.find("read_only")->as_boolean() == true);
  CHECK(volume.find("bind")->find("create_host_path")->as_boolean() == true);
  const Node& device = web.find("devices")->items[0];
  CHECK(device.find("target")->text == "/dev/fuse");
  CHECK(device.find("permissions")->text == "rwm");
  CHECK(web.find("secrets")->items[0].find("target")->text == "/run/secrets/token");
  CHECK_FALSE(web.find("configs")->items[0].contains("target"));
}

TEST_CASE("canonical: depends_on, networks and env_file lists become mappings", "[compose][canonical]") {
  Node tree = canonical("services:\n  web:\n    depends_on: [db]\n    networks: [front]\n    env_file: app.env\n");
  const Node& web = service(tree);
  const Node* db = web.find("depends_on")->find("db");
  CHECK(db->find("condition")->text == "service_started");
  CHECK(db->find("required")->as_boolean() == true);
  CHECK(web.find("networks")->find("front")->is_null());
  const Node& env_file = web.find("env_file")->items[0];
  CHECK(env_file.find("path")->text == "app.env");
  CHECK(env_file.find("required")->as_boolean() == true);
}

TEST_CASE("canonical: build as a string and ssh keys", "[compose][canonical]") {
  Node tree = canonical("services:\n  web:\n    build: ./app\n  tool:\n    build:\n      ssh: [default, key=/k]\n");
  CHECK(service(tree).find("build")->find("context")->text == "./app");
  const Node* ssh = service(tree, "tool").find("build")->find("ssh");
  CHECK(ssh->find("default")->is_null());
  CHECK(ssh->find("key")->text == "/k");
  CHECK(service(tree, "tool").find("build")->find("context")->text == ".");
}

TEST_CASE("canonical: external.name becomes name with external: true", "[compose][canonical]") {
  std::vector<std::string> warnings;
  Node tree = parse_yaml("volumes:\n  data:\n    external:\n      name: shared\n");
  CanonicalOptions options;
  options.warnings = &warnings;
  REQUIRE(make_canonical(tree, options));
  const Node* data = tree.find("volumes")->find("data");
  CHECK(data->find("external")->as_boolean() == true);
  CHECK(data->find("name")->text == "shared");
  CHECK(warnings.size() == 1);
}

TEST_CASE("canonical: conflicting name and external.name", "[compose][canonical]") {
  Node tree = parse_yaml("networks:\n  n:\n    name: a\n    external: {name: b}\n");
  CHECK_FALSE(make_canonical(tree));
}

TEST_CASE("canonical: gpus all and device request defaults", "[compose][canonical]") {
  Node tree = canonical("services:\n  web:\n    gpus: all\n    deploy:\n      resources:\n        reservations:\n"
                        "          devices: [{capabilities: [gpu]}]\n");
  CHECK(service(tree).find("gpus")->items[0].find("count")->text == "all");
  const Node* devices = service(tree).find("deploy")->find("resources")->find("reservations")->find("devices");
  CHECK(devices->items[0].find("count")->text == "all");
}

TEST_CASE("canonical: unparsable values are kept when interpolation is off", "[compose][canonical]") {
  Node tree = parse_yaml("services:\n  web:\n    ports: ['${PORT}:80']\n");
  CanonicalOptions options;
  options.keep_unparsable = true;
  REQUIRE(make_canonical(tree, options));
  CHECK(service(tree).find("ports")->items[0].text == "${PORT}:80");
}

TEST_CASE("shell words: split like go-shellwords", "[compose][shell]") {
  CHECK(split_shell_words("bundle exec thin -p 3000")->words ==
        std::vector<std::string>{"bundle", "exec", "thin", "-p", "3000"});
  CHECK(split_shell_words("sh -c 'echo hello world'")->words ==
        std::vector<std::string>{"sh", "-c", "echo hello world"});
  CHECK(split_shell_words("echo \"a \\\"b\\\"\" ''")->words == std::vector<std::string>{"echo", "a \"b\"", ""});
  CHECK(split_shell_words("a\\ b c")->words == std::vector<std::string>{"a b", "c"});
}

TEST_CASE("shell words: an unquoted shell operator ends the command", "[compose][shell]") {
  auto words = split_shell_words("echo a && echo b");
  REQUIRE(words);
  CHECK(words->words == std::vector<std::string>{"echo", "a"});
  CHECK(words->stopped_at == 7u);
}

TEST_CASE("shell words: unbalanced quotes are errors", "[compose][shell]") {
  CHECK_FALSE(split_shell_words("echo 'unclosed"));
  CHECK_FALSE(split_shell_words("echo \"unclosed"));
  CHECK_FALSE(split_shell_words("echo (x)"));
}
