// resolve_user against passwd/group contents, with runc's (Docker's) rules.
#include <catch2/catch.hpp>

#include "engine/spec/spec.h"

using berth::spec::resolve_user;
using Gids = std::vector<uint32_t>;

namespace {

const char* const kPasswd =
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "# a comment line\n"
    "broken line without fields\n"
    "evil:x:notanumber:0::/evil:/bin/sh\n"
    "app:x:1000:1000:App User:/home/app:/bin/sh\n"
    "app:x:2000:2000:shadowed duplicate:/nowhere:/bin/sh\n"
    "nogroups:x:1001:1001::/home/nogroups:/bin/sh\n";

const char* const kGroup =
    "root:x:0:root\n"
    "wheel:x:10:root,app\n"
    "app:x:1000:\n"
    "docker:x:999:daemon, app\n"
    "garbage\n"
    "staff:x:50:\n";

}  // namespace

TEST_CASE("an empty user spec is root, with root's home and groups") {
  auto user = resolve_user("", kPasswd, kGroup);
  REQUIRE(user);
  CHECK(user->uid == 0);
  CHECK(user->gid == 0);
  CHECK(user->home == "/root");
  CHECK(user->additional_gids == Gids{0, 10});  // primary first, then wheel (root is a member)
}

TEST_CASE("a name resolves uid, gid, home and supplementary groups from group membership") {
  auto user = resolve_user("app", kPasswd, kGroup);
  REQUIRE(user);
  CHECK(user->uid == 1000);
  CHECK(user->gid == 1000);
  CHECK(user->home == "/home/app");
  CHECK(user->additional_gids == Gids{1000, 10, 999});  // the first passwd match wins; members are trimmed
}

TEST_CASE("a numeric uid uses its passwd entry when there is one, and needs none otherwise") {
  auto known = resolve_user("1000", kPasswd, kGroup);
  REQUIRE(known);
  CHECK(known->gid == 1000);
  CHECK(known->home == "/home/app");
  auto unknown = resolve_user("4242", kPasswd, kGroup);
  REQUIRE(unknown);
  CHECK(unknown->uid == 4242);
  CHECK(unknown->gid == 0);
  CHECK(unknown->home.empty());
  CHECK(unknown->additional_gids == Gids{0});
}

TEST_CASE("uid:gid sets both and takes no supplementary groups") {
  auto user = resolve_user("1000:50", kPasswd, kGroup);
  REQUIRE(user);
  CHECK(user->uid == 1000);
  CHECK(user->gid == 50);
  CHECK(user->additional_gids == Gids{50});
  auto bare = resolve_user("5000:6000", "", "");
  REQUIRE(bare);
  CHECK(bare->uid == 5000);
  CHECK(bare->gid == 6000);
}

TEST_CASE("name:group resolves the group by name") {
  auto user = resolve_user("app:docker", kPasswd, kGroup);
  REQUIRE(user);
  CHECK(user->uid == 1000);
  CHECK(user->gid == 999);
  CHECK(user->additional_gids == Gids{999});
}

TEST_CASE("a missing user name fails with Docker's message; a missing group name too") {
  auto user = resolve_user("nobody-here", kPasswd, kGroup);
  REQUIRE_FALSE(user);
  CHECK(user.error().message() == "unable to find user nobody-here: no matching entries in passwd file");
  auto no_passwd = resolve_user("app", "", "");
  REQUIRE_FALSE(no_passwd);
  CHECK(no_passwd.error().message() == "unable to find user app: no matching entries in passwd file");
  auto group = resolve_user("app:nogroup", kPasswd, kGroup);
  REQUIRE_FALSE(group);
  CHECK(group.error().message() == "unable to find group nogroup: no matching entries in group file");
}

TEST_CASE("malformed passwd lines are skipped, never read as uid 0") {
  auto evil = resolve_user("evil", kPasswd, kGroup);
  REQUIRE_FALSE(evil);
  auto user = resolve_user("nogroups", kPasswd, kGroup);
  REQUIRE(user);
  CHECK(user->uid == 1001);
  CHECK(user->additional_gids == Gids{1001});
}

TEST_CASE("an out-of-range numeric uid is an error") {
  auto user = resolve_user("99999999999", kPasswd, kGroup);
  REQUIRE_FALSE(user);
  CHECK(user.error().message().find("out of range") != std::string::npos);
}
