#include <catch2/catch.hpp>

#include "engine/image/reference.h"

using berth::image::parse_reference;
using berth::image::Reference;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string full_of(const std::string& text) {
  auto parsed = parse_reference(text);
  INFO(text << ": " << (parsed ? "" : parsed.error().message()));
  REQUIRE(parsed);
  return parsed->full();
}

std::string error_of(const std::string& text) {
  auto parsed = parse_reference(text);
  INFO(text);
  REQUIRE_FALSE(parsed);
  return parsed.error().message();
}

}  // namespace

TEST_CASE("references normalise to Docker's full form", "[reference]") {
  CHECK(full_of("busybox") == "docker.io/library/busybox:latest");
  CHECK(full_of("busybox:1.36") == "docker.io/library/busybox:1.36");
  CHECK(full_of("library/busybox") == "docker.io/library/busybox:latest");
  CHECK(full_of("user/app:v1") == "docker.io/user/app:v1");
  CHECK(full_of("docker.io/busybox") == "docker.io/library/busybox:latest");
  CHECK(full_of("index.docker.io/busybox") == "docker.io/library/busybox:latest");
  CHECK(full_of("localhost/app") == "localhost/app:latest");
  CHECK(full_of("localhost:5000/a/b:tag") == "localhost:5000/a/b:tag");
  CHECK(full_of("registry.example.com/team/app") == "registry.example.com/team/app:latest");
  CHECK(full_of("[::1]:5000/app:1") == "[::1]:5000/app:1");
  CHECK(full_of("a.b-c/x_y__z---w.v:T_a-g.1") == "a.b-c/x_y__z---w.v:T_a-g.1");
  CHECK(full_of("x_y__z---w/u.v") == "docker.io/x_y__z---w/u.v:latest");
}

TEST_CASE("digest references keep the digest and get no default tag", "[reference]") {
  auto parsed = parse_reference("busybox@" + kDigest);
  REQUIRE(parsed);
  CHECK(parsed->tag.empty());
  CHECK(parsed->digest == kDigest);
  CHECK(parsed->full() == "docker.io/library/busybox@" + kDigest);
  CHECK(parsed->familiar() == "busybox@" + kDigest);
  CHECK(full_of("busybox:1@" + kDigest) == "docker.io/library/busybox:1@" + kDigest);
}

TEST_CASE("familiar forms are what docker images shows", "[reference]") {
  auto check = [](const std::string& text, const std::string& repository, const std::string& familiar) {
    auto parsed = parse_reference(text);
    REQUIRE(parsed);
    CHECK(parsed->familiar_repository() == repository);
    CHECK(parsed->familiar() == familiar);
  };
  check("docker.io/library/busybox:latest", "busybox", "busybox:latest");
  check("user/app:v1", "user/app", "user/app:v1");
  check("localhost:5000/a/b:tag", "localhost:5000/a/b", "localhost:5000/a/b:tag");
  check("docker.io/library/a/b", "library/a/b", "library/a/b:latest");
}

TEST_CASE("the first component is a registry only when it looks like a host", "[reference]") {
  auto parsed = parse_reference("myhost:5000/app");
  REQUIRE(parsed);
  CHECK(parsed->domain == "myhost:5000");
  CHECK(parsed->path == "app");
  parsed = parse_reference("team/app");
  REQUIRE(parsed);
  CHECK(parsed->domain == "docker.io");
  CHECK(parsed->path == "team/app");
}

TEST_CASE("invalid references are one clear error", "[reference]") {
  CHECK(error_of("Busybox") == "invalid reference format: repository name (library/Busybox) must be lowercase");
  CHECK(error_of("user/App:v1").find("must be lowercase") != std::string::npos);
  CHECK(error_of("") == "invalid reference format");
  CHECK(error_of("bad name") == "invalid reference format");
  CHECK(error_of("a//b") == "invalid reference format");
  CHECK(error_of("-abc") == "invalid reference format");
  CHECK(error_of("abc-") == "invalid reference format");
  CHECK(error_of("a:b:c") == "invalid reference format");
  CHECK(error_of("app:") == "invalid reference format");
  CHECK(error_of("app:-bad") == "invalid reference format");
  CHECK(error_of("app:" + std::string(129, 'a')) == "invalid reference format");
  CHECK(error_of("app@sha256:abc").find("invalid checksum digest") != std::string::npos);
  CHECK(error_of("app@md5:" + std::string(32, 'a')).find("unsupported digest algorithm") != std::string::npos);
  CHECK(error_of(std::string(64, 'a')).find("64-byte hexadecimal") != std::string::npos);
  CHECK(error_of("a/" + std::string(300, 'b')).find("255") != std::string::npos);
  CHECK(error_of("exa_mple.com:5000/app") == "invalid reference format");
}

TEST_CASE("tags accept the grammar's characters only", "[reference]") {
  CHECK(berth::image::is_valid_tag("latest"));
  CHECK(berth::image::is_valid_tag("_v1.2-rc3"));
  CHECK_FALSE(berth::image::is_valid_tag(".v1"));
  CHECK_FALSE(berth::image::is_valid_tag("v/1"));
  CHECK_FALSE(berth::image::is_valid_tag(""));
}
