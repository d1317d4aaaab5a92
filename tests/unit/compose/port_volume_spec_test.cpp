// The short syntax of ports and volumes.
#include <catch2/catch.hpp>

#include "compose/port_spec.h"
#include "compose/volume_spec.h"

using namespace berth::compose;

TEST_CASE("ports: container port only", "[compose][ports]") {
  auto ports = parse_port_spec("3000");
  REQUIRE(ports);
  REQUIRE(ports->size() == 1);
  CHECK((*ports)[0].target == 3000);
  CHECK((*ports)[0].published.empty());
  CHECK((*ports)[0].protocol == "tcp");
}

TEST_CASE("ports: host and container, protocol, address", "[compose][ports]") {
  auto ports = parse_port_spec("127.0.0.1:8001:8001/UDP");
  REQUIRE(ports);
  CHECK((*ports)[0].host_ip == "127.0.0.1");
  CHECK((*ports)[0].published == "8001");
  CHECK((*ports)[0].protocol == "udp");
}

TEST_CASE("ports: ranges expand to one entry per port", "[compose][ports]") {
  auto ports = parse_port_spec("9090-9091:8080-8081");
  REQUIRE(ports);
  REQUIRE(ports->size() == 2);
  CHECK((*ports)[0].target == 8080);
  CHECK((*ports)[0].published == "9090");
  CHECK((*ports)[1].published == "9091");
}

TEST_CASE("ports: a host range for one container port stays a range", "[compose][ports]") {
  auto ports = parse_port_spec("8000-8010:80");
  REQUIRE(ports);
  REQUIRE(ports->size() == 1);
  CHECK((*ports)[0].published == "8000-8010");
}

TEST_CASE("ports: IPv6 addresses in brackets", "[compose][ports]") {
  auto ports = parse_port_spec("[::1]:53:53/udp");
  REQUIRE(ports);
  CHECK((*ports)[0].host_ip == "::1");
  CHECK((*ports)[0].target == 53);
}

TEST_CASE("ports: out of range and malformed", "[compose][ports]") {
  CHECK(parse_port_spec("80800").error().message() == "invalid port \"80800\"");
  CHECK_THAT(parse_port_spec("8080:80800").error().message(), Catch::Contains("invalid container port 80800"));
  CHECK_THAT(parse_port_spec("70000:80").error().message(), Catch::Contains("invalid host port"));
  CHECK_THAT(parse_port_spec("1-3:5-6").error().message(), Catch::Contains("ranges differ"));
  CHECK_THAT(parse_port_spec("80/icmp").error().message(), Catch::Contains("invalid protocol"));
  CHECK_THAT(parse_port_spec("999.1.1.1:80:80").error().message(), Catch::Contains("invalid IP address"));
  CHECK_FALSE(parse_port_spec("5-3"));
}

TEST_CASE("volumes: bind, named and anonymous", "[compose][volumes]") {
  auto bind = parse_volume_spec("./data:/data:ro");
  REQUIRE(bind);
  CHECK(bind->type == "bind");
  CHECK(bind->source == "./data");
  CHECK(bind->target == "/data");
  CHECK(bind->read_only);
  CHECK(bind->bind_create_host_path);
  auto named = parse_volume_spec("cache:/tmp/cache:nocopy");
  REQUIRE(named);
  CHECK(named->type == "volume");
  CHECK(named->volume_nocopy);
  auto anonymous = parse_volume_spec("/var/lib/data");
  REQUIRE(anonymous);
  CHECK(anonymous->type == "volume");
  CHECK(anonymous->source.empty());
  CHECK(anonymous->target == "/var/lib/data");
}

TEST_CASE("volumes: bind options", "[compose][volumes]") {
  auto volume = parse_volume_spec("/src:/dst:rw,z,rshared");
  REQUIRE(volume);
  CHECK_FALSE(volume->read_only);
  CHECK(volume->bind_selinux == "z");
  CHECK(volume->bind_propagation == "rshared");
  auto home = parse_volume_spec("~/configs:/etc/configs");
  REQUIRE(home);
  CHECK(home->type == "bind");
}

TEST_CASE("volumes: colons inside variable defaults do not split", "[compose][volumes]") {
  auto volume = parse_volume_spec("${SRC:-/a}:/b");
  REQUIRE(volume);
  CHECK(volume->source == "${SRC:-/a}");
  CHECK(volume->target == "/b");
}

TEST_CASE("volumes: malformed specs", "[compose][volumes]") {
  CHECK_FALSE(parse_volume_spec(""));
  CHECK_THAT(parse_volume_spec("/a::/b").error().message(), Catch::Contains("empty section"));
  CHECK_THAT(parse_volume_spec("/a:/b:ro:x").error().message(), Catch::Contains("too many colons"));
}
